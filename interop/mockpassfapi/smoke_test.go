//go:build interop

package mockpassfapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	smokeClientID    = "idconnect-interop-rp"
	smokeRedirectURI = "http://127.0.0.1:1/callback" // never fetched
	smokePersona     = "S9812381D"                   // TAN HENG HUAT, a Myinfo persona
)

// TestSmokeHarness proves the harness end to end with go-jose and the
// standard library only: the peer starts, discovery answers, and one login
// goes PAR (ES256 client assertion + DPoP + PKCE) → login page → token →
// ID token (JWE around JWS) → userinfo.
func TestSmokeHarness(t *testing.T) {
	keys := peer.NewClientKeys(t)
	p := startPeer(t, peer.ServeJWKS(t, keys.JWKS(false)))
	c := peer.HTTPClient(t)

	var d peer.Discovery
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

	// Login.
	authURL := d.AuthorizationEndpoint + "?" + url.Values{"client_id": {smokeClientID}, "request_uri": {par.RequestURI}}.Encode()
	cb := p.login(t, c, authURL, smokePersona)
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != smokeRedirectURI {
		t.Fatalf("callback %s, want one to %s", cb, smokeRedirectURI)
	}
	if cb.Query().Get("state") != form.Get("state") || cb.Query().Get("code") == "" {
		t.Fatalf("callback %s: want our state and a code", cb)
	}

	// Token.
	status, body = peer.PostForm(t, c, d.TokenEndpoint, url.Values{
		"grant_type":            {"authorization_code"},
		"code":                  {cb.Query().Get("code")},
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
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "DPoP") {
		t.Fatalf("token: HTTP %d %s, want 200 with a DPoP access token and an id_token", status, body)
	}
	hdr, payload := peer.OpenJWT(t, tok.IDToken, keys.Enc, providerJWKS)
	if hdr.KeyID != keys.EncKID {
		t.Errorf("ID token JWE kid %q, want our enc key %q", hdr.KeyID, keys.EncKID)
	}
	var idt struct {
		Iss, Sub, Aud, Nonce string
		SubAttributes        struct {
			IdentityNumber string `json:"identity_number"`
		} `json:"sub_attributes"`
	}
	if err := json.Unmarshal(payload, &idt); err != nil {
		t.Fatalf("ID token claims: %v: %s", err, payload)
	}
	if idt.Iss != d.Issuer || idt.Aud != smokeClientID || idt.Nonce != form.Get("nonce") || idt.Sub == "" ||
		idt.SubAttributes.IdentityNumber != smokePersona {
		t.Fatalf("ID token claims %s: want iss %s, aud %s, our nonce, a sub, identity_number %s",
			payload, d.Issuer, smokeClientID, smokePersona)
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
	_, payload = peer.OpenJWT(t, string(body), keys.Enc, providerJWKS)
	var ui struct {
		Sub        string `json:"sub"`
		PersonInfo struct {
			Name struct{ Value string } `json:"name"`
		} `json:"person_info"`
	}
	if err := json.Unmarshal(payload, &ui); err != nil || ui.Sub != idt.Sub || ui.PersonInfo.Name.Value != "TAN HENG HUAT" {
		t.Fatalf("userinfo claims %s (%v): want sub %s and person_info.name TAN HENG HUAT", payload, err, idt.Sub)
	}
}

// TestSmokeRefusesForeignAssertionKey checks that the peer really checks
// client authentication: a PAR whose assertion is signed by a key not in
// the served JWKS is refused.
func TestSmokeRefusesForeignAssertionKey(t *testing.T) {
	keys := peer.NewClientKeys(t)
	p := startPeer(t, peer.ServeJWKS(t, keys.JWKS(false)))
	c := peer.HTTPClient(t)
	other := peer.NewClientKeys(t)
	other.SigKID = keys.SigKID
	_, challenge := peer.NewPKCE(t)
	form := peer.PARForm(t, other, smokeClientID, smokeRedirectURI, "openid", p.Issuer, challenge)
	status, body := peer.PostForm(t, c, p.Issuer+"/par", form, peer.DPoPProof(t, keys.DPoP, "POST", p.Issuer+"/par", ""))
	if status != http.StatusBadRequest {
		t.Fatalf("PAR with a foreign key: HTTP %d %s, want 400", status, body)
	}
}
