//go:build interop

package oidcprovider

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	smokeClientID    = "idconnect-interop-rp"
	smokeRedirectURI = "http://127.0.0.1:1/callback" // never fetched
)

// providerMetadata is the discovery fields the smoke tests check beyond
// the endpoints.
type providerMetadata struct {
	peer.Discovery
	RequirePAR       bool     `json:"require_pushed_authorization_requests"`
	ISSParameter     bool     `json:"authorization_response_iss_parameter_supported"`
	PKCEMethods      []string `json:"code_challenge_methods_supported"`
	DPoPAlgs         []string `json:"dpop_signing_alg_values_supported"`
	AuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenEncAlgs   []string `json:"id_token_encryption_alg_values_supported"`
	UserinfoSignAlgs []string `json:"userinfo_signing_alg_values_supported"`
	ResponseTypes    []string `json:"response_types_supported"`
}

// TestSmokeHarness proves the harness end to end with go-jose and the
// standard library only: discovery answers for the printed issuer, a PAR
// with a real client assertion, DPoP proof and PKCE answers 201, and the
// login goes on through the non-interactive interaction to the callback
// (with iss), token, ID token (JWE A256CBC-HS512 around ES256) and
// userinfo (JWE A256GCM around ES256).
func TestSmokeHarness(t *testing.T) {
	keys := peer.NewClientKeys(t)
	p := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: smokeClientID, RedirectURIs: []string{smokeRedirectURI}, JWKSURI: peer.ServeJWKS(t, keys.JWKS(false)),
	})
	c := peer.HTTPClient(t)

	var d providerMetadata
	peer.GetJSON(t, c, p.Discovery, &d)
	if d.Issuer != p.Issuer {
		t.Fatalf("discovery issuer %q, want %q", d.Issuer, p.Issuer)
	}
	for name, ep := range map[string]string{
		"authorization_endpoint": d.AuthorizationEndpoint, "pushed_authorization_request_endpoint": d.PAREndpoint,
		"token_endpoint": d.TokenEndpoint, "userinfo_endpoint": d.UserinfoEndpoint, "jwks_uri": d.JWKSURI,
	} {
		if !strings.HasPrefix(ep, p.Issuer+"/") {
			t.Errorf("discovery %s = %q, want a URL under the issuer %s", name, ep, p.Issuer)
		}
	}
	if !d.RequirePAR || !d.ISSParameter || !slices.Equal(d.PKCEMethods, []string{"S256"}) ||
		!slices.Equal(d.DPoPAlgs, []string{"ES256"}) || !slices.Equal(d.AuthMethods, []string{"private_key_jwt"}) ||
		!slices.Contains(d.IDTokenEncAlgs, "ECDH-ES+A256KW") || !slices.Contains(d.UserinfoSignAlgs, "ES256") ||
		!slices.Equal(d.ResponseTypes, []string{"code"}) {
		t.Errorf("discovery metadata %+v: want PAR required, iss parameter, S256 only, DPoP ES256, private_key_jwt only, ECDH-ES+A256KW, userinfo ES256, code only", d)
	}
	if t.Failed() {
		t.FailNow()
	}
	var providerJWKS jose.JSONWebKeySet
	peer.GetJSON(t, c, d.JWKSURI, &providerJWKS)

	// PAR.
	verifier, challenge := peer.NewPKCE(t)
	form := peer.PARForm(t, keys, smokeClientID, smokeRedirectURI, "openid uinfin name", d.Issuer, challenge)
	status, body := peer.PostForm(t, c, d.PAREndpoint, form, peer.DPoPProof(t, keys.DPoP, "POST", d.PAREndpoint, ""))
	var par struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int    `json:"expires_in"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &par) != nil ||
		!strings.HasPrefix(par.RequestURI, "urn:ietf:params:oauth:request_uri:") || par.ExpiresIn <= 0 {
		t.Fatalf("PAR: HTTP %d %s, want 201 with a request_uri and expires_in", status, body)
	}

	// Login (the emulator's shortcut parameters are harmless extras here).
	authURL := d.AuthorizationEndpoint + "?" + url.Values{
		"client_id": {smokeClientID}, "request_uri": {par.RequestURI}, "persona": {"S6005048A"}, "consent": {"allow"},
	}.Encode()
	cb := p.Authorize(t, authURL)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != smokeRedirectURI {
		t.Fatalf("callback %s, want one to %s", cb, smokeRedirectURI)
	}
	q := cb.Query()
	if q.Get("state") != form.Get("state") || q.Get("code") == "" || q.Get("iss") != d.Issuer {
		t.Fatalf("callback %s: want our state, a code and iss=%s", cb, d.Issuer)
	}

	// Token.
	status, body = peer.PostForm(t, c, d.TokenEndpoint, url.Values{
		"grant_type":            {"authorization_code"},
		"code":                  {q.Get("code")},
		"redirect_uri":          {smokeRedirectURI},
		"code_verifier":         {verifier},
		"client_id":             {smokeClientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {peer.ClientAssertion(t, keys, smokeClientID, d.Issuer)},
	}, peer.DPoPProof(t, keys.DPoP, "POST", d.TokenEndpoint, ""))
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
		TokenType   string `json:"token_type"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.TokenType != "DPoP" {
		t.Fatalf("token: HTTP %d %s, want 200 with a DPoP access token and an id_token", status, body)
	}
	hdr, payload := peer.OpenJWT(t, tok.IDToken, keys.Enc, providerJWKS)
	if hdr.KeyID != keys.EncKID || hdr.ExtraHeaders["enc"] != "A256CBC-HS512" {
		t.Errorf("ID token JWE header kid %q enc %v, want kid %q enc A256CBC-HS512", hdr.KeyID, hdr.ExtraHeaders["enc"], keys.EncKID)
	}
	var idt struct{ Iss, Sub, Aud, Nonce string }
	if err := json.Unmarshal(payload, &idt); err != nil {
		t.Fatalf("ID token claims: %v: %s", err, payload)
	}
	if idt.Iss != d.Issuer || idt.Aud != smokeClientID || idt.Nonce != form.Get("nonce") || idt.Sub == "" {
		t.Fatalf("ID token claims %s: want iss %s, aud %s, our nonce and a sub", payload, d.Issuer, smokeClientID)
	}

	// Userinfo.
	req, err := http.NewRequest(http.MethodGet, d.UserinfoEndpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
	req.Header.Set("DPoP", peer.DPoPProof(t, keys.DPoP, "GET", d.UserinfoEndpoint, tok.AccessToken))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET userinfo: %v", err)
	}
	body = peer.ReadBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jwt") {
		t.Fatalf("userinfo: HTTP %d (%s) %.300s, want 200 application/jwt", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	hdr, payload = peer.OpenJWT(t, string(body), keys.Enc, providerJWKS)
	if hdr.ExtraHeaders["enc"] != "A256GCM" {
		t.Errorf("userinfo JWE enc %v, want A256GCM", hdr.ExtraHeaders["enc"])
	}
	var ui struct{ Sub, Uinfin, Name string }
	if err := json.Unmarshal(payload, &ui); err != nil || ui.Sub != idt.Sub || ui.Uinfin != "S6005048A" || ui.Name != "ANDY LAU" {
		t.Fatalf("userinfo claims %s (%v): want sub %s, uinfin S6005048A, name ANDY LAU", payload, err, idt.Sub)
	}
}

// TestSmokeEnforcement checks a few refusals the relying-party tests rely
// on: PAR without DPoP is fine (the code is then unbound) but a PAR
// assertion signed by a foreign key, a PAR without PKCE and a plain /auth
// request are refused; with DPoPNonce, PAR asks for a nonce first.
func TestSmokeEnforcement(t *testing.T) {
	keys := peer.NewClientKeys(t)
	p := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: smokeClientID, RedirectURIs: []string{smokeRedirectURI}, JWKSURI: peer.ServeJWKS(t, keys.JWKS(false)),
		DPoPNonce: true,
	})
	c := peer.HTTPClient(t)
	parURL := p.Issuer + "/request"

	other := peer.NewClientKeys(t)
	other.SigKID = keys.SigKID
	_, challenge := peer.NewPKCE(t)
	form := peer.PARForm(t, other, smokeClientID, smokeRedirectURI, "openid", p.Issuer, challenge)
	if status, body := peer.PostForm(t, c, parURL, form, ""); status != http.StatusUnauthorized {
		t.Errorf("PAR with a foreign key: HTTP %d %s, want 401", status, body)
	}
	form = peer.PARForm(t, keys, smokeClientID, smokeRedirectURI, "openid", p.Issuer, challenge)
	form.Del("code_challenge")
	form.Del("code_challenge_method")
	if status, body := peer.PostForm(t, c, parURL, form, ""); status != http.StatusBadRequest {
		t.Errorf("PAR without PKCE: HTTP %d %s, want 400", status, body)
	}

	// DPoP nonce: the first proof is refused with a nonce to use.
	form = peer.PARForm(t, keys, smokeClientID, smokeRedirectURI, "openid", p.Issuer, challenge)
	status, hdr, body := peer.PostFormHeader(t, c, parURL, form, peer.DPoPProof(t, keys.DPoP, "POST", parURL, ""))
	nonce := hdr.Get("DPoP-Nonce")
	if status != http.StatusBadRequest || !strings.Contains(string(body), "use_dpop_nonce") || nonce == "" {
		t.Fatalf("PAR without a DPoP nonce: HTTP %d %s (DPoP-Nonce %q), want 400 use_dpop_nonce with a nonce", status, body, nonce)
	}
	form.Set("client_assertion", peer.ClientAssertion(t, keys, smokeClientID, p.Issuer))
	status, body = peer.PostForm(t, c, parURL, form, peer.DPoPProofNonce(t, keys.DPoP, "POST", parURL, "", nonce))
	if status != http.StatusCreated {
		t.Fatalf("PAR with the DPoP nonce: HTTP %d %s, want 201", status, body)
	}

	// /auth without PAR: an error redirect to the client.
	resp, err := c.Get(p.Issuer + "/auth?" + url.Values{
		"client_id": {smokeClientID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {smokeRedirectURI},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {peer.RandomString(t, 16)},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	peer.ReadBody(t, resp)
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("/auth without PAR: HTTP %d to %v, want a redirect with error=invalid_request", resp.StatusCode, loc)
	}
}

// TestSmokeShortcuts checks the /auth extras server.js honours for the
// non-interactive login: persona=<NRIC> picks the account, consent=deny
// ends in error=access_denied.
func TestSmokeShortcuts(t *testing.T) {
	keys := peer.NewClientKeys(t)
	p := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: smokeClientID, RedirectURIs: []string{smokeRedirectURI}, JWKS: ptr(keys.JWKS(false)),
	})
	c := peer.HTTPClient(t)
	parURL := p.Issuer + "/request"
	login := func(extra url.Values) (url.Values, url.Values, string) {
		verifier, challenge := peer.NewPKCE(t)
		form := peer.PARForm(t, keys, smokeClientID, smokeRedirectURI, "openid", p.Issuer, challenge)
		status, body := peer.PostForm(t, c, parURL, form, peer.DPoPProof(t, keys.DPoP, "POST", parURL, ""))
		var par struct {
			RequestURI string `json:"request_uri"`
		}
		if status != http.StatusCreated || json.Unmarshal(body, &par) != nil {
			t.Fatalf("PAR: HTTP %d %s, want 201", status, body)
		}
		extra.Set("client_id", smokeClientID)
		extra.Set("request_uri", par.RequestURI)
		return form, p.Authorize(t, p.Issuer+"/auth?"+extra.Encode()).Query(), verifier
	}

	_, q, _ := login(url.Values{"consent": {"deny"}})
	if q.Get("error") != "access_denied" || q.Get("iss") != p.Issuer || q.Get("code") != "" {
		t.Errorf("consent=deny: callback %v, want error=access_denied with iss and no code", q)
	}

	form, q, verifier := login(url.Values{"persona": {"S9812381D"}, "consent": {"allow"}})
	status, body := peer.PostForm(t, c, p.Issuer+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {smokeRedirectURI},
		"code_verifier": {verifier}, "client_id": {smokeClientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {peer.ClientAssertion(t, keys, smokeClientID, p.Issuer)},
	}, peer.DPoPProof(t, keys.DPoP, "POST", p.Issuer+"/token", ""))
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: HTTP %d %s, want 200", status, body)
	}
	var providerJWKS jose.JSONWebKeySet
	peer.GetJSON(t, c, p.Issuer+"/jwks", &providerJWKS)
	_, payload := peer.OpenJWT(t, tok.IDToken, keys.Enc, providerJWKS)
	var idt struct{ Sub, Nonce string }
	if json.Unmarshal(payload, &idt) != nil || idt.Sub != "b6cb9308-733b-42b3-ad38-9b5afc890206" || idt.Nonce != form.Get("nonce") {
		t.Errorf("persona=S9812381D: ID token %s, want sub b6cb9308-733b-42b3-ad38-9b5afc890206 and our nonce", payload)
	}
}

func ptr[T any](v T) *T { return &v }
