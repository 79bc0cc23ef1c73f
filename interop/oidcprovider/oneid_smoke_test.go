//go:build interop

package oidcprovider

// The OneID profile of server.js (oneid.js) checked with go-jose and the
// standard library only, before any relying party is pointed at it.

import (
	"crypto/rsa"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	oneIDClientID    = "idconnect-interop-oneid"
	oneIDRedirectURI = "http://127.0.0.1:1/oneid/callback" // never fetched
	oneIDUserCancel  = "OneID.OIDC.Redirect.UserCancelled"
)

// oneIDScopes is what the smoke logins ask for: every scope with /userinfo
// claims in the seed's example, age_over_18, the accounts scopes and a
// product scope.
var oneIDScopes = []string{"openid", "profile", "date_of_birth", "address", "email", "phone", "age_over_18",
	"fraud", "accounts", "accounts.balances", "product:id_assure"}

// janetUserinfo is seed 002's /userinfo example (Janet Davidson), the
// persona the tests hand to the peer as OP_PERSONS "janet".
const janetUserinfo = `{
	"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762",
	"name":"Janet Davidson",
	"given_name":"Janet",
	"family_name":"Davidson",
	"email":"janet.davidson@example.com",
	"birthdate":"1985-06-01",
	"phone_number":"0480863009",
	"address": {
		"street_address":"3614 Poe Road",
		"locality":"Heworth",
		"region":"York",
		"postal_code":"YO31 1EB",
		"country":"UK"
	},
	"fraud": {
		"searchPerformed": true,
		"activityHistoryScore": 0,
		"identityFraudScore": 0,
		"nationalSIRAFraud": true,
		"nationalSIRAVictim": false,
		"disclosureOfDeathRegistrationInformationMatch": false,
		"amberhillMatch": false,
		"noMatch": false
	},
	"unverified_claims": {
		"claims": {
			"birthdate": "1990-02-01",
			"name": "Mary Smith",
			"given_name": "Mary",
			"family_name": "Smith",
			"address": {
				"street_address":"80 Green Lane",
				"locality":"Darlington",
				"region":"North East",
				"postal_code":"DL17 5OQ",
				"country":"UK"
			}
		}
	}
}`

// janetAccounts is seed 002's /accounts example with balances.
const janetAccounts = `[{
	"currency": "GBP",
	"account_type": "Personal",
	"account_sub_type": "CurrentAccount",
	"nickname": "Personal",
	"iban": "GB98MIDL07009312345678",
	"bic": "AAAABBCC123",
	"account_number": "01234567",
	"sort_code": "012345",
	"balance": {"amount": "123.45", "currency": "GBP"}
}]`

const janetSub = "6f35afb8-42ee-5b82-88be-29ee7dc0f762"

// rawObject decodes a JSON object into claim → raw JSON.
func rawObject(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// oneIDPeer is a peer with the OneID profile and the client's secret.
type oneIDPeer struct {
	*peer.OIDCProvider
	secret string
	disc   oneIDMetadata
	jwks   jose.JSONWebKeySet
}

// oneIDMetadata is the discovery document as the OneID tests read it.
type oneIDMetadata struct {
	peer.Discovery
	ISSParameter    *bool    `json:"authorization_response_iss_parameter_supported"`
	RequirePAR      *bool    `json:"require_pushed_authorization_requests"`
	PKCEMethods     []string `json:"code_challenge_methods_supported"`
	DPoPAlgs        []string `json:"dpop_signing_alg_values_supported"`
	AuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenAlgs     []string `json:"id_token_signing_alg_values_supported"`
	IDTokenEncAlgs  []string `json:"id_token_encryption_alg_values_supported"`
	ResponseTypes   []string `json:"response_types_supported"`
	GrantTypes      []string `json:"grant_types_supported"`
	ClaimsSupported []string `json:"claims_supported"`
}

// startOneID starts a OneID-profile peer with Janet (and extra personas)
// and reads its discovery document and JWKS.
func startOneID(t *testing.T, mod func(*peer.OIDCProviderConfig)) *oneIDPeer {
	t.Helper()
	cfg := peer.OIDCProviderConfig{
		Profile: peer.ProfileOneID, ClientID: oneIDClientID, ClientSecret: peer.RandomString(t, 32),
		RedirectURIs:   []string{oneIDRedirectURI},
		Persons:        map[string]map[string]json.RawMessage{"janet": rawObject(t, janetUserinfo)},
		Accounts:       map[string]json.RawMessage{"janet": json.RawMessage(janetAccounts)},
		DefaultPersona: "janet",
	}
	if mod != nil {
		mod(&cfg)
	}
	p := &oneIDPeer{OIDCProvider: peer.StartOIDCProvider(t, cfg), secret: cfg.ClientSecret}
	c := peer.HTTPClient(t)
	peer.GetJSON(t, c, p.Discovery, &p.disc)
	peer.GetJSON(t, c, p.disc.JWKSURI, &p.jwks)
	return p
}

// oneIDLogin is one authorization request and the callback it ended in.
type oneIDLogin struct {
	State, Nonce, Verifier string
	Callback               url.Values
}

// login walks the non-interactive login with PKCE (unless noPKCE), our
// state and nonce, the scopes and extra /v2/authorize parameters.
func (p *oneIDPeer) login(t *testing.T, scopes []string, extra url.Values, noPKCE bool) *oneIDLogin {
	t.Helper()
	l := &oneIDLogin{State: peer.RandomString(t, 32), Nonce: peer.RandomString(t, 32)}
	verifier, challenge := peer.NewPKCE(t)
	q := url.Values{
		"response_type": {"code"}, "client_id": {oneIDClientID}, "redirect_uri": {oneIDRedirectURI},
		"scope": {strings.Join(scopes, " ")}, "state": {l.State}, "nonce": {l.Nonce},
	}
	if !noPKCE {
		l.Verifier = verifier
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	for k, v := range extra {
		q[k] = v
	}
	cb := p.Authorize(t, p.disc.AuthorizationEndpoint+"?"+q.Encode())
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != oneIDRedirectURI {
		t.Fatalf("callback %s, want one to %s", cb, oneIDRedirectURI)
	}
	l.Callback = cb.Query()
	return l
}

// token POSTs a form to the token endpoint with HTTP Basic client_id and
// secret (form-urlencoded first, RFC 6749 §2.3.1); an empty secret sends
// no Authorization.
func (p *oneIDPeer) token(t *testing.T, form url.Values, secret string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.disc.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(oneIDClientID), url.QueryEscape(secret))
	}
	resp, err := peer.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", p.disc.TokenEndpoint, err)
	}
	return resp.StatusCode, resp.Header, peer.ReadBody(t, resp)
}

// codeForm is the token request for l's code, with its verifier.
func codeForm(l *oneIDLogin) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {l.Callback.Get("code")}, "redirect_uri": {oneIDRedirectURI}}
	if l.Verifier != "" {
		f.Set("code_verifier", l.Verifier)
	}
	return f
}

// oneIDTokens is the token answer.
type oneIDTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// bearerGet GETs target with the access token and returns the answer.
func bearerGet(t *testing.T, target, accessToken string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := peer.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return resp, peer.ReadBody(t, resp)
}

// oauthError decodes an OAuth error answer's error code.
func oauthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error
}

// verifyPS256 verifies a compact JWS ID token against the peer's JWKS (by
// kid, PS256 only) and returns its claims.
func (p *oneIDPeer) verifyPS256(t *testing.T, idToken string) map[string]any {
	t.Helper()
	if n := strings.Count(idToken, "."); n != 2 {
		t.Fatalf("ID token: want a compact JWS (3 parts), got %d parts", n+1)
	}
	jws, err := jose.ParseSigned(idToken, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	h := jws.Signatures[0].Header
	keys := p.jwks.Key(h.KeyID)
	if h.Algorithm != string(jose.PS256) || len(keys) != 1 {
		t.Fatalf("ID token header alg %q kid %q: want PS256 and a kid of the peer's JWKS", h.Algorithm, h.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("ID token signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestOneIDSmoke walks the whole OneID-shaped flow: discovery, the login
// to a callback without iss, the token call with HTTP Basic and the PKCE
// verifier, the PS256 ID token checked against the JWKS, /userinfo against
// the persona given to the peer, and the other resources.
func TestOneIDSmoke(t *testing.T) {
	p := startOneID(t, nil)
	d := p.disc

	// Discovery.
	if d.Issuer != p.Issuer {
		t.Fatalf("discovery issuer %q, want %q", d.Issuer, p.Issuer)
	}
	for name, want := range map[string][2]string{
		"authorization_endpoint": {d.AuthorizationEndpoint, "/v2/authorize"}, "token_endpoint": {d.TokenEndpoint, "/token"},
		"userinfo_endpoint": {d.UserinfoEndpoint, "/userinfo"}, "jwks_uri": {d.JWKSURI, "/jwks"},
	} {
		if want[0] != p.Issuer+want[1] {
			t.Errorf("discovery %s = %q, want %s%s", name, want[0], p.Issuer, want[1])
		}
	}
	if d.PAREndpoint != "" || d.RequirePAR != nil || d.DPoPAlgs != nil || d.IDTokenEncAlgs != nil || d.ISSParameter != nil {
		t.Errorf("discovery %+v: want no PAR, no DPoP, no ID token encryption, no authorization_response_iss_parameter_supported", d)
	}
	if !slices.Equal(d.AuthMethods, []string{"client_secret_basic"}) || !slices.Equal(d.IDTokenAlgs, []string{"PS256"}) ||
		!slices.Equal(d.PKCEMethods, []string{"S256"}) || !slices.Equal(d.ResponseTypes, []string{"code"}) ||
		!slices.Equal(d.GrantTypes, []string{"authorization_code"}) {
		t.Errorf("discovery %+v: want client_secret_basic only, PS256 only, S256, code, authorization_code", d)
	}
	for _, s := range append(slices.Clone(oneIDScopes), "accounts.bank_address", "pep_and_sanctions", "idscan", "dbs", "rtw", "product:age_check") {
		if !slices.Contains(d.ScopesSupported, s) {
			t.Errorf("scopes_supported %v lacks %s", d.ScopesSupported, s)
		}
	}
	for _, c := range []string{"sub", "name", "given_name", "family_name", "birthdate", "address", "email", "phone_number", "age_over_18", "fraud", "unverified_claims"} {
		if !slices.Contains(d.ClaimsSupported, c) {
			t.Errorf("claims_supported %v lacks %s", d.ClaimsSupported, c)
		}
	}
	if len(p.jwks.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(p.jwks.Keys))
	}
	if k := p.jwks.Keys[0]; k.Algorithm != string(jose.PS256) || k.Use != "sig" || !k.IsPublic() {
		t.Errorf("JWKS key alg %q use %q public %v, want a public PS256 sig key", k.Algorithm, k.Use, k.IsPublic())
	} else if rk, ok := k.Key.(*rsa.PublicKey); !ok || rk.N.BitLen() < 2048 {
		t.Errorf("JWKS key %T, want RSA of 2048 bits at least", k.Key)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Login.
	l := p.login(t, oneIDScopes, nil, false)
	if l.Callback.Get("state") != l.State || l.Callback.Get("code") == "" || l.Callback.Has("iss") {
		t.Fatalf("callback %v: want our state, a code and no iss", l.Callback)
	}

	// Token.
	status, hdr, body := p.token(t, codeForm(l), p.secret)
	var tok oneIDTokens
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" ||
		tok.ExpiresIn != 300 || tok.IDToken == "" || tok.RefreshToken != "" {
		t.Fatalf("token: HTTP %d %s, want 200 with a Bearer access token (expires_in 300), an id_token and no refresh_token", status, body)
	}
	if hdr.Get("X-Request-Id") == "" {
		t.Errorf("token answer has no x-request-id")
	}
	if got := strings.Fields(tok.Scope); !sameSet(got, oneIDScopes) {
		t.Errorf("token scope %q, want %q", tok.Scope, oneIDScopes)
	}

	// ID token.
	idt := p.verifyPS256(t, tok.IDToken)
	now := float64(time.Now().Unix())
	exp, _ := idt["exp"].(float64)
	iat, _ := idt["iat"].(float64)
	if idt["iss"] != p.Issuer || idt["aud"] != oneIDClientID || idt["sub"] != janetSub || idt["nonce"] != l.Nonce ||
		exp <= now || iat > now+5 {
		t.Errorf("ID token claims %v: want iss %s, aud %s, sub %s, our nonce, a future exp", idt, p.Issuer, oneIDClientID, janetSub)
	}
	if _, ok := idt["name"]; ok {
		t.Errorf("ID token claims %v: want the identity claims at /userinfo only", idt)
	}

	// Userinfo: the persona's claims, with age_over_18 computed from
	// birthdate (1985-06-01).
	resp, body := bearerGet(t, d.UserinfoEndpoint, tok.AccessToken)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("userinfo: HTTP %d (%s) %.300s, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	want := rawObject(t, janetUserinfo)
	want["age_over_18"] = json.RawMessage("true")
	compareClaims(t, "userinfo", body, want)

	// The other resources.
	resp, body = bearerGet(t, p.Issuer+"/ageverification", tok.AccessToken)
	if resp.StatusCode != http.StatusOK || string(body) != `{"age_over_18":true}` {
		t.Errorf("/ageverification: HTTP %d %s, want 200 {\"age_over_18\":true}", resp.StatusCode, body)
	}
	resp, body = bearerGet(t, p.Issuer+"/accounts", tok.AccessToken)
	if resp.StatusCode != http.StatusOK || !jsonEqual(t, body, []byte(janetAccounts)) {
		t.Errorf("/accounts: HTTP %d %s, want 200 with the persona's accounts and balances", resp.StatusCode, body)
	}
	resp, body = bearerGet(t, p.Issuer+"/userinfo/report", tok.AccessToken)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(string(body), "%PDF-") || !strings.Contains(string(body), "Janet Davidson") ||
		!strings.HasSuffix(string(body), "%%EOF\n") {
		t.Errorf("/userinfo/report: HTTP %d (%s) %.80q, want 200 application/pdf naming Janet Davidson",
			resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// compareClaims wants body to be a JSON object with exactly want's claims.
func compareClaims(t *testing.T, what string, body []byte, want map[string]json.RawMessage) {
	t.Helper()
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v: %.300s", what, err, body)
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !jsonEqual(t, got[k], want[k]) {
			t.Errorf("%s %s = %.200s, want %.200s", what, k, got[k], want[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s has %s = %.200s, want no such claim", what, k, got[k])
		}
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// TestOneIDSmokeEnforcement: the refusals the relying-party tests rely
// on, each on a fresh login.
func TestOneIDSmokeEnforcement(t *testing.T) {
	p := startOneID(t, nil)

	tokenRows := []struct {
		name   string
		form   func(l *oneIDLogin) url.Values
		secret string // "" = p.secret; "-" = no Authorization
		status int
		code   string
		says   string // in the peer's log
	}{
		{"wrong client secret", codeForm, "wrong-" + peer.RandomString(t, 16), 401, "invalid_client", "invalid secret provided"},
		{"secret in the body (client_secret_post)", func(l *oneIDLogin) url.Values {
			f := codeForm(l)
			f.Set("client_id", oneIDClientID)
			f.Set("client_secret", p.secret)
			return f
		}, "-", 401, "invalid_client", ""},
		{"no code_verifier", func(l *oneIDLogin) url.Values {
			f := codeForm(l)
			f.Del("code_verifier")
			return f
		}, "", 400, "invalid_grant", "code_verifier must be provided"},
		{"wrong code_verifier", func(l *oneIDLogin) url.Values {
			f := codeForm(l)
			f.Set("code_verifier", peer.RandomString(t, 32))
			return f
		}, "", 400, "invalid_grant", "code_verifier does not match code_challenge"},
		{"other redirect_uri", func(l *oneIDLogin) url.Values {
			f := codeForm(l)
			f.Set("redirect_uri", "http://127.0.0.1:1/elsewhere")
			return f
		}, "", 400, "invalid_grant", "authorization code redirect_uri mismatch"},
	}
	for _, tt := range tokenRows {
		t.Run(tt.name, func(t *testing.T) {
			l := p.login(t, []string{"openid", "profile"}, nil, false)
			secret := tt.secret
			switch secret {
			case "":
				secret = p.secret
			case "-":
				secret = ""
			}
			status, _, body := p.token(t, tt.form(l), secret)
			if status != tt.status || oauthError(body) != tt.code {
				t.Errorf("token: HTTP %d %s, want %d %s", status, body, tt.status, tt.code)
			}
			if tt.says != "" {
				waitLog(t, p.OIDCProvider, tt.says)
			}
		})
	}

	t.Run("code reused", func(t *testing.T) {
		l := p.login(t, []string{"openid", "profile"}, nil, false)
		status, _, body := p.token(t, codeForm(l), p.secret)
		var tok oneIDTokens
		if status != http.StatusOK || json.Unmarshal(body, &tok) != nil {
			t.Fatalf("first token call: HTTP %d %s, want 200", status, body)
		}
		status, _, body = p.token(t, codeForm(l), p.secret)
		if status != http.StatusBadRequest || oauthError(body) != "invalid_grant" {
			t.Errorf("second token call: HTTP %d %s, want 400 invalid_grant", status, body)
		}
		waitLog(t, p.OIDCProvider, "authorization code already consumed")
		// oidc-provider also revokes what the code gave.
		if resp, body := bearerGet(t, p.disc.UserinfoEndpoint, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo with the first call's token after the reuse: HTTP %d %s, want 401", resp.StatusCode, body)
		}
	})

	t.Run("authorization without PKCE", func(t *testing.T) {
		l := p.login(t, []string{"openid"}, nil, true)
		if l.Callback.Get("error") != "invalid_request" || l.Callback.Get("state") != l.State || l.Callback.Has("code") {
			t.Errorf("callback %v: want error=invalid_request with our state and no code", l.Callback)
		}
	})

	t.Run("consent=deny", func(t *testing.T) {
		l := p.login(t, []string{"openid"}, url.Values{"consent": {"deny"}}, false)
		q := l.Callback
		if q.Get("error") != "access_denied" || q.Get("error_oneid") != oneIDUserCancel || q.Get("state") != l.State ||
			q.Has("code") || q.Has("iss") {
			t.Errorf("callback %v: want error=access_denied, error_oneid=%s, our state, no code, no iss", q, oneIDUserCancel)
		}
	})

	t.Run("resources", func(t *testing.T) {
		l := p.login(t, []string{"openid", "profile"}, nil, false)
		status, _, body := p.token(t, codeForm(l), p.secret)
		var tok oneIDTokens
		if status != http.StatusOK || json.Unmarshal(body, &tok) != nil {
			t.Fatalf("token: HTTP %d %s, want 200", status, body)
		}
		// Only the claims of the granted scopes, unverified ones included.
		_, body = bearerGet(t, p.disc.UserinfoEndpoint, tok.AccessToken)
		compareClaims(t, "userinfo (openid profile)", body, map[string]json.RawMessage{
			"sub": json.RawMessage(`"` + janetSub + `"`), "name": json.RawMessage(`"Janet Davidson"`),
			"given_name": json.RawMessage(`"Janet"`), "family_name": json.RawMessage(`"Davidson"`),
			"unverified_claims": json.RawMessage(`{"claims":{"name":"Mary Smith","given_name":"Mary","family_name":"Smith"}}`),
		})
		if resp, body := bearerGet(t, p.Issuer+"/accounts", tok.AccessToken); resp.StatusCode != http.StatusBadRequest ||
			oauthError(body) != "insufficient_scope" {
			t.Errorf("/accounts without the accounts scope: HTTP %d %s, want 400 insufficient_scope", resp.StatusCode, body)
		}
		for _, path := range []string{"/userinfo", "/accounts", "/ageverification", "/userinfo/report"} {
			for _, at := range []string{"", "not-a-token"} {
				resp, body := bearerGet(t, p.Issuer+path, at)
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s with token %q: HTTP %d %s (WWW-Authenticate %q), want 401 with a Bearer challenge",
						path, at, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
				}
			}
		}
	})
}

// TestOneIDSmokePersonas: persona=<key> picks a persona given to the peer
// (its sub made from its key when it has none), accounts.balances gates
// the balances, an age_over_NN scope from Scopes is answered, and
// CallbackISS puts iss back on the callback.
func TestOneIDSmokePersonas(t *testing.T) {
	gary := map[string]json.RawMessage{
		"name": json.RawMessage(`"Gary Humphrey"`), "given_name": json.RawMessage(`"Gary"`),
		"family_name": json.RawMessage(`"Humphrey"`), "birthdate": json.RawMessage(`"1975-10-19"`),
		"fraud": json.RawMessage(`{"searchPerformed":true,"nationalSIRAFraud":false,"nationalSIRAVictim":true}`),
	}
	p := startOneID(t, func(cfg *peer.OIDCProviderConfig) {
		cfg.Persons["gary"] = gary
		cfg.Accounts["gary"] = json.RawMessage(`[{"currency":"GBP","account_number":"87654321","sort_code":"999998","balance":{"amount":"0.10","currency":"GBP"}}]`)
		cfg.CallbackISS = true
		cfg.Scopes = []string{"oneid:product:id_assure", "age_over_21"}
	})
	if p.disc.ISSParameter == nil || !*p.disc.ISSParameter {
		t.Errorf("CallbackISS: discovery authorization_response_iss_parameter_supported %v, want true", p.disc.ISSParameter)
	}
	scopes := []string{"openid", "profile", "date_of_birth", "fraud", "age_over_18", "age_over_21", "accounts", "oneid:product:id_assure"}
	l := p.login(t, scopes, url.Values{"persona": {"gary"}}, false)
	if l.Callback.Get("iss") != p.Issuer {
		t.Errorf("CallbackISS: callback %v, want iss=%s", l.Callback, p.Issuer)
	}
	status, _, body := p.token(t, codeForm(l), p.secret)
	var tok oneIDTokens
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: HTTP %d %s, want 200", status, body)
	}
	if !sameSet(strings.Fields(tok.Scope), scopes) {
		t.Errorf("token scope %q, want %q", tok.Scope, scopes)
	}
	idt := p.verifyPS256(t, tok.IDToken)
	sub, _ := idt["sub"].(string)
	if len(sub) != 36 || sub == janetSub {
		t.Fatalf("persona gary: ID token sub %q, want a UUID of its own", sub)
	}
	_, body = bearerGet(t, p.disc.UserinfoEndpoint, tok.AccessToken)
	want := maps.Clone(gary)
	want["sub"] = json.RawMessage(`"` + sub + `"`)
	want["age_over_18"] = json.RawMessage("true")
	want["age_over_21"] = json.RawMessage("true")
	compareClaims(t, "gary's userinfo", body, want)
	resp, body := bearerGet(t, p.Issuer+"/ageverification", tok.AccessToken)
	if resp.StatusCode != http.StatusOK || !jsonEqual(t, body, []byte(`{"age_over_18":true,"age_over_21":true}`)) {
		t.Errorf("/ageverification: HTTP %d %s, want age_over_18 and age_over_21 true", resp.StatusCode, body)
	}
	resp, body = bearerGet(t, p.Issuer+"/accounts", tok.AccessToken)
	if resp.StatusCode != http.StatusOK || string(body) != `[{"currency":"GBP","account_number":"87654321","sort_code":"999998"}]` {
		t.Errorf("/accounts without accounts.balances: HTTP %d %s, want gary's account without its balance", resp.StatusCode, body)
	}
}
