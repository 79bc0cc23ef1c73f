//go:build interop

package oidcprovider

// provider/oneid against oidc-provider with the OneID profile (oneid.js):
// every emulator/personas OneID person through idconnect.Flow and
// store.Memory, narrower scopes, RFC 9207 when the peer sends iss, and the
// refusals the peer (or the client) enforces.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/oneid"
	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

// oneIDFlowScopes are every scope provider/oneid fetches a resource for
// that the personas have data for, and a product scope.
var oneIDFlowScopes = []string{"profile", "date_of_birth", "address", "email", "phone", "fraud", "age_over_18",
	"accounts", "accounts.balances", "product:id_assure"}

// oneIDEnv is a OneID-profile peer holding every OneID persona of
// emulator/personas (the first, alphabetically, is the default).
type oneIDEnv struct {
	peer    *oneIDPeer
	persons map[string]personas.OneIDPersona
	count   *countingTransport
}

const oneIDDefaultPersona = "janet-davidson"

func newOneIDEnv(t *testing.T, mod func(*peer.OIDCProviderConfig)) *oneIDEnv {
	t.Helper()
	ps, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	e := &oneIDEnv{persons: map[string]personas.OneIDPersona{}}
	userinfo := map[string]map[string]json.RawMessage{}
	accounts := map[string]json.RawMessage{}
	for _, p := range ps {
		e.persons[p.ID] = p
		userinfo[p.ID] = rawObject(t, string(p.Userinfo))
		accounts[p.ID] = p.Accounts
	}
	if _, ok := e.persons[oneIDDefaultPersona]; !ok {
		t.Fatalf("%s is not among emulator/personas' OneID people", oneIDDefaultPersona)
	}
	e.peer = startOneID(t, func(cfg *peer.OIDCProviderConfig) {
		cfg.Persons, cfg.Accounts, cfg.DefaultPersona = userinfo, accounts, oneIDDefaultPersona
		if mod != nil {
			mod(cfg)
		}
	})
	return e
}

// client makes a provider/oneid client for the peer (the scopes of
// oneIDFlowScopes, the report fetched). Its transport counts requests per
// path and applies e.count.tamper and e.count.editForm, if set.
func (e *oneIDEnv) client(t *testing.T, mod func(*oneid.Config)) *oneid.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	e.count = &countingTransport{next: tr, n: map[string]int{}}
	cfg := oneid.Config{
		Issuer: e.peer.Issuer, ClientID: oneIDClientID, ClientSecret: idconnect.Secret(e.peer.secret),
		RedirectURI: oneIDRedirectURI, Scopes: oneIDFlowScopes, FetchReport: true,
		HTTPClient: &http.Client{Transport: e.count, Timeout: peer.RequestTimeout},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := oneid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newOneIDFlow(c *oneid.Client) *idconnect.Flow {
	return &idconnect.Flow{Providers: map[string]idconnect.Provider{"oneid": c}, Store: &store.Memory{}}
}

// startLogin binds a browser, starts a login and walks the peer's login
// as persona (with extra /v2/authorize parameters); it returns the browser
// secret, the callback's query and the callback.
func (e *oneIDEnv) startLogin(t *testing.T, ctx context.Context, f *idconnect.Flow, persona string, extra url.Values) (string, url.Values, idconnect.Callback) {
	t.Helper()
	browser, err := f.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/oneid", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := f.Start(ctx, "oneid", browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v\npeer log:\n%s", err, e.peer.Log())
	}
	q := e.peer.Authorize(t, withParams(t, authURL, persona, extra)).Query()
	cb, err := idconnect.ParseCallback(q)
	if err != nil {
		t.Fatalf("ParseCallback(%v): %v", q, err)
	}
	return browser, q, cb
}

// withParams adds persona= (when not empty) and extra to an authorization
// URL.
func withParams(t *testing.T, authURL, persona string, extra url.Values) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if persona != "" {
		q.Set("persona", persona)
	}
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// authorizeDirect runs the client's AuthURL with a login the test holds
// and walks the peer's login, for rows that change the login before
// Exchange.
func (e *oneIDEnv) authorizeDirect(t *testing.T, ctx context.Context, c *oneid.Client) (*idconnect.Login, idconnect.Callback) {
	t.Helper()
	login := &idconnect.Login{State: peer.RandomString(t, 32), Nonce: peer.RandomString(t, 32), Verifier: peer.RandomString(t, 32)}
	authURL, err := c.AuthURL(ctx, login)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	cb, err := idconnect.ParseCallback(e.peer.Authorize(t, authURL).Query())
	if err != nil {
		t.Fatal(err)
	}
	return login, cb
}

// wantUserinfo is the persona's /userinfo with every scope of
// oneIDFlowScopes granted: the persona's document plus age_over_18 (the
// peer releases it for the age_over_18 scope), which must agree with the
// persona's /ageverification document.
func wantUserinfo(t *testing.T, p personas.OneIDPersona) map[string]json.RawMessage {
	t.Helper()
	want := rawObject(t, string(p.Userinfo))
	av := rawObject(t, string(p.AgeVerification))
	want["age_over_18"] = av["age_over_18"]
	return want
}

// TestOneIDFlow runs every OneID persona through the whole flow:
// /v2/authorize with PKCE → the peer's login → callback without iss →
// token with client_secret_basic → PS256 ID token → /userinfo,
// /ageverification, /accounts (with balances) and the PDF report, each
// compared with the persona data handed to the peer.
func TestOneIDFlow(t *testing.T) {
	e := newOneIDEnv(t, nil)
	for _, id := range slices.Sorted(maps.Keys(e.persons)) {
		p := e.persons[id]
		t.Run(id, func(t *testing.T) {
			c := e.client(t, nil)
			f := newOneIDFlow(c)
			ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
			defer cancel()
			browser, q, cb := e.startLogin(t, ctx, f, id, nil)
			if q.Has("iss") || cb.Code == "" {
				t.Fatalf("callback %v: want a code and no iss", q)
			}
			login, res, err := f.Finish(ctx, "oneid", cb, browser)
			if err != nil {
				t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
			}
			if login.Provider != "oneid" || res.Provider != "oneid" || res.Subject != p.Subject {
				t.Errorf("provider %q/%q subject %q, want oneid and %s", login.Provider, res.Provider, res.Subject, p.Subject)
			}
			compareClaims(t, "Raw (/userinfo)", res.Raw, wantUserinfo(t, p))

			data, ok := res.Model.(*oneid.Data)
			if !ok {
				t.Fatalf("Model %T, want *oneid.Data", res.Model)
			}
			if !sameSet(data.Scopes, oneIDFlowScopes) {
				t.Errorf("Data.Scopes %v, want %v", data.Scopes, oneIDFlowScopes)
			}
			if b, _ := json.Marshal(data.AgeVerification); !jsonEqual(t, b, p.AgeVerification) {
				t.Errorf("AgeVerification %s, want the persona's %s", b, p.AgeVerification)
			}
			if b, _ := json.Marshal(data.Accounts); !jsonEqual(t, b, p.Accounts) {
				t.Errorf("Accounts %s, want the persona's %s", b, p.Accounts)
			}
			ui := rawObject(t, string(p.Userinfo))
			if b, _ := json.Marshal(data.Fraud); !jsonEqual(t, b, ui["fraud"]) {
				t.Errorf("Fraud %s, want the persona's %s", b, ui["fraud"])
			}
			var unverified struct {
				Claims json.RawMessage `json:"claims"`
			}
			if raw, ok := ui["unverified_claims"]; ok {
				if err := json.Unmarshal(raw, &unverified); err != nil {
					t.Fatal(err)
				}
			}
			if b, _ := json.Marshal(data.Unverified); (unverified.Claims == nil) != (data.Unverified == nil) ||
				(unverified.Claims != nil && !jsonEqual(t, b, unverified.Claims)) {
				t.Errorf("Unverified %s, want the persona's %s", b, unverified.Claims)
			}
			verified := pick(t, ui, "name", "given_name", "family_name", "email", "birthdate", "phone_number", "address")
			verified["age_over_18"] = rawObject(t, string(p.AgeVerification))["age_over_18"]
			if b, _ := json.Marshal(data.Userinfo); !jsonEqual(t, b, mustJSON(t, verified)) {
				t.Errorf("Userinfo %s, want the persona's verified claims %s", b, mustJSON(t, verified))
			}
			if res.Person == nil || res.Person.Name == nil || res.Person.Name.Value != p.Name {
				t.Errorf("Person %+v, want the name %s", res.Person, p.Name)
			}
			if len(res.Documents) != 1 {
				t.Fatalf("%d documents, want the report", len(res.Documents))
			}
			d := res.Documents[0]
			if d.Name != "report" || d.ContentType != "application/pdf" || !bytes.HasPrefix(d.Data, []byte("%PDF-")) ||
				!bytes.Contains(d.Data, []byte(p.Name)) {
				t.Errorf("document %q (%s) %.40q, want the report, a PDF naming %s", d.Name, d.ContentType, d.Data, p.Name)
			}
			for _, path := range []string{"/.well-known/openid-configuration", "/jwks", "/token", "/userinfo",
				"/ageverification", "/accounts", "/userinfo/report"} {
				if n := e.count.count(path); n != 1 {
					t.Errorf("%d requests to %s, want 1", n, path)
				}
			}
		})
	}
}

// TestOneIDNarrowScopes: only the resources the granted scopes open are
// fetched, and /userinfo then holds only those scopes' claims; accounts
// without accounts.balances come without balances.
func TestOneIDNarrowScopes(t *testing.T) {
	e := newOneIDEnv(t, nil)
	c := e.client(t, func(cfg *oneid.Config) { cfg.Scopes, cfg.FetchReport = []string{"profile", "accounts"}, false })
	f := newOneIDFlow(c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, _, cb := e.startLogin(t, ctx, f, "", nil)
	_, res, err := f.Finish(ctx, "oneid", cb, browser)
	if err != nil {
		t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
	}
	p := e.persons[oneIDDefaultPersona]
	ui := rawObject(t, string(p.Userinfo))
	want := pick(t, ui, "sub", "name", "given_name", "family_name")
	want["unverified_claims"] = json.RawMessage(`{"claims":{"name":"Mary Smith","given_name":"Mary","family_name":"Smith"}}`)
	compareClaims(t, "Raw (/userinfo, profile only)", res.Raw, want)
	data := res.Model.(*oneid.Data)
	var accts []map[string]json.RawMessage
	if err := json.Unmarshal(p.Accounts, &accts); err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		delete(a, "balance")
	}
	if b, _ := json.Marshal(data.Accounts); !jsonEqual(t, b, mustJSON(t, accts)) {
		t.Errorf("Accounts %s, want the persona's without balances %s", b, mustJSON(t, accts))
	}
	if data.AgeVerification != nil || len(res.Documents) != 0 {
		t.Errorf("AgeVerification %v, %d documents: want neither", data.AgeVerification, len(res.Documents))
	}
	for path, want := range map[string]int{"/token": 1, "/userinfo": 1, "/accounts": 1, "/ageverification": 0, "/userinfo/report": 0} {
		if n := e.count.count(path); n != want {
			t.Errorf("%d requests to %s, want %d", n, path, want)
		}
	}
}

// TestOneIDSecretEncoding: a client secret with characters that
// form-urlencoding changes (space, ':', '+', '%', '/', '=', '&') works:
// provider/oneid encodes the Basic credentials as RFC 6749 §2.3.1 says and
// oidc-provider decodes them so.
func TestOneIDSecretEncoding(t *testing.T) {
	const secret = "p@ss w:rd+%2F/=&~" + "-0123456789abcdef"
	e := newOneIDEnv(t, func(cfg *peer.OIDCProviderConfig) { cfg.ClientSecret = secret })
	f := newOneIDFlow(e.client(t, func(cfg *oneid.Config) { cfg.Scopes, cfg.FetchReport = []string{"profile"}, false }))
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, _, cb := e.startLogin(t, ctx, f, "", nil)
	if _, res, err := f.Finish(ctx, "oneid", cb, browser); err != nil {
		t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
	} else if res.Subject != e.persons[oneIDDefaultPersona].Subject {
		t.Errorf("subject %q, want %s", res.Subject, e.persons[oneIDDefaultPersona].Subject)
	}
}

// TestOneIDCallbackISS: with a peer that sends iss (RFC 9207) and says so
// in discovery, the login succeeds with it and is refused without it.
func TestOneIDCallbackISS(t *testing.T) {
	e := newOneIDEnv(t, func(cfg *peer.OIDCProviderConfig) { cfg.CallbackISS = true })
	ctx, cancel := context.WithTimeout(context.Background(), 6*peer.RequestTimeout)
	defer cancel()

	f := newOneIDFlow(e.client(t, nil))
	browser, _, cb := e.startLogin(t, ctx, f, "", nil)
	if cb.Issuer != e.peer.Issuer {
		t.Fatalf("callback iss %q, want %s", cb.Issuer, e.peer.Issuer)
	}
	if _, _, err := f.Finish(ctx, "oneid", cb, browser); err != nil {
		t.Fatalf("Finish with iss: %v\npeer log:\n%s", err, e.peer.Log())
	}

	f = newOneIDFlow(e.client(t, nil))
	browser, _, cb = e.startLogin(t, ctx, f, "", nil)
	cb.Issuer = ""
	_, _, err := f.Finish(ctx, "oneid", cb, browser)
	if !errors.Is(err, idconnect.ErrInvalidRequest) {
		t.Errorf("Finish without iss: %v, want ErrInvalidRequest", err)
	}
	if n := e.count.count("/token"); n != 0 {
		t.Errorf("%d token requests without iss, want 0", n)
	}
}

// TestOneIDRefusals: each row is a login the peer or the client must
// refuse, with the error it must give. other is a second oidc-provider
// instance (its own PS256 key) with the same client.
func TestOneIDRefusals(t *testing.T) {
	e := newOneIDEnv(t, nil)
	other := startOneID(t, func(cfg *peer.OIDCProviderConfig) { cfg.ClientSecret = e.peer.secret })
	ctx, cancel := context.WithTimeout(context.Background(), 30*peer.RequestTimeout)
	defer cancel()

	// swapJWKS answers the client's JWKS requests with other's keys,
	// under our kid when keepKID is set.
	swapJWKS := func(t *testing.T, keepKID bool) func(*http.Request, *http.Response, []byte) []byte {
		return func(req *http.Request, _ *http.Response, body []byte) []byte {
			if req.URL.Path != "/jwks" {
				return body
			}
			keys := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{other.jwks.Keys[0]}}
			if keepKID {
				keys.Keys[0].KeyID = e.peer.jwks.Keys[0].KeyID
			}
			return mustJSON(t, keys)
		}
	}

	tests := []struct {
		name string
		// run does one login and returns the error that ends it.
		run   func(t *testing.T) error
		check func(t *testing.T, err error)
		// peerSays is the reason the peer logs for its refusal, if it
		// refused.
		peerSays string
	}{
		{
			name: "wrong client secret",
			run: func(t *testing.T) error {
				c := e.client(t, func(cfg *oneid.Config) { cfg.ClientSecret = idconnect.Secret("wrong-" + peer.RandomString(t, 16)) })
				f := newOneIDFlow(c)
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				return err
			},
			check:    wantProviderStatus("token", "invalid_client", http.StatusUnauthorized),
			peerSays: "invalid secret provided",
		},
		{
			name: "PKCE verifier other than the challenge's",
			run: func(t *testing.T) error {
				c := e.client(t, nil)
				login, cb := e.authorizeDirect(t, ctx, c)
				login.Verifier = peer.RandomString(t, 32)
				_, err := c.Exchange(ctx, login, cb)
				return err
			},
			check:    wantProviderStatus("token", "invalid_grant", http.StatusBadRequest),
			peerSays: "code_verifier does not match code_challenge",
		},
		{
			name: "code redeemed twice at the peer",
			run: func(t *testing.T) error {
				c := e.client(t, nil)
				f := newOneIDFlow(c)
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				login, _, err := f.Finish(ctx, "oneid", cb, browser)
				if err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				_, err = c.Exchange(ctx, login, idconnect.Callback{Code: cb.Code, State: cb.State})
				return err
			},
			check:    wantProviderStatus("token", "invalid_grant", http.StatusBadRequest),
			peerSays: "authorization code already consumed",
		},
		{
			name: "callback replayed to the flow",
			run: func(t *testing.T) error {
				f := newOneIDFlow(e.client(t, nil))
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				if _, _, err := f.Finish(ctx, "oneid", cb, browser); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrStateUnknown),
		},
		{
			name: "ID token nonce of another login",
			run: func(t *testing.T) error {
				c := e.client(t, nil)
				login, cb := e.authorizeDirect(t, ctx, c)
				login.Nonce = peer.RandomString(t, 32)
				_, err := c.Exchange(ctx, login, cb)
				return err
			},
			check: wantIs(idconnect.ErrTokenInvalid),
		},
		{
			name: "ID token expired on the client's clock (an hour ahead)",
			run: func(t *testing.T) error {
				c := e.client(t, func(cfg *oneid.Config) { cfg.Now = func() time.Time { return time.Now().Add(time.Hour) } })
				login, cb := e.authorizeDirect(t, ctx, c)
				_, err := c.Exchange(ctx, login, cb)
				return err
			},
			check: wantIs(idconnect.ErrTokenInvalid),
		},
		{
			name: "JWKS of another instance (unknown kid)",
			run: func(t *testing.T) error {
				c := e.client(t, nil)
				e.count.tamper = swapJWKS(t, false)
				f := newOneIDFlow(c)
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				if n := e.count.count("/userinfo"); n != 0 {
					t.Errorf("%d userinfo requests after a refused ID token, want 0", n)
				}
				return err
			},
			check: wantIs(idconnect.ErrSignature),
		},
		{
			name: "another instance's key under our kid",
			run: func(t *testing.T) error {
				c := e.client(t, nil)
				e.count.tamper = swapJWKS(t, true)
				f := newOneIDFlow(c)
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrSignature),
		},
		{
			name: "mix-up: another instance's ID token, signed by the JWKS served",
			run: func(t *testing.T) error {
				// other signs a valid ID token for our client and our
				// login's nonce; the client is served other's JWKS, so only
				// the iss tells the token is not our issuer's.
				c := e.client(t, nil)
				login, cb := e.authorizeDirect(t, ctx, c)
				ol := other.login(t, []string{"openid", "profile"}, url.Values{"nonce": {login.Nonce}}, false)
				status, _, body := other.token(t, codeForm(ol), other.secret)
				var otok oneIDTokens
				if status != http.StatusOK || json.Unmarshal(body, &otok) != nil {
					t.Fatalf("other's token: HTTP %d %s", status, body)
				}
				if claims := other.verifyPS256(t, otok.IDToken); claims["nonce"] != login.Nonce || claims["aud"] != oneIDClientID {
					t.Fatalf("other's ID token %v: want our nonce and client", claims)
				}
				jwks := swapJWKS(t, false)
				e.count.tamper = func(req *http.Request, resp *http.Response, body []byte) []byte {
					if req.URL.Path != "/token" {
						return jwks(req, resp, body)
					}
					var tok map[string]any
					if json.Unmarshal(body, &tok) != nil {
						t.Errorf("token answer is not JSON")
						return body
					}
					tok["id_token"] = otok.IDToken
					return mustJSON(t, tok)
				}
				_, err := c.Exchange(ctx, login, cb)
				return err
			},
			check: wantIs(idconnect.ErrTokenInvalid),
		},
		{
			name: "callback iss of another issuer",
			run: func(t *testing.T) error {
				f := newOneIDFlow(e.client(t, nil))
				browser, _, cb := e.startLogin(t, ctx, f, "", nil)
				cb.Issuer = other.Issuer
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				if n := e.count.count("/token"); n != 0 {
					t.Errorf("%d token requests after a forged iss, want 0", n)
				}
				return err
			},
			check: wantIs(idconnect.ErrInvalidRequest),
		},
		{
			name: "consent denied (error_oneid UserCancelled)",
			run: func(t *testing.T) error {
				f := newOneIDFlow(e.client(t, nil))
				browser, q, cb := e.startLogin(t, ctx, f, "", url.Values{"consent": {"deny"}})
				var oe *oneid.Error
				if perr := oneid.ParseError(q); !errors.As(perr, &oe) || oe.Code != "access_denied" || oe.SubCode != "UserCancelled" ||
					!errors.Is(perr, idconnect.ErrConsentDenied) {
					t.Errorf("oneid.ParseError(%v) = %v, want access_denied/UserCancelled, ErrConsentDenied", q, perr)
				}
				_, _, err := f.Finish(ctx, "oneid", cb, browser)
				if n := e.count.count("/token"); n != 0 {
					t.Errorf("%d token requests after a refusal, want 0", n)
				}
				return err
			},
			check: func(t *testing.T, err error) {
				t.Helper()
				wantIs(idconnect.ErrConsentDenied)(t, err)
				var oe *oneid.Error
				if !errors.As(err, &oe) || oe.SubCode != "UserCancelled" {
					t.Errorf("error %v, want a *oneid.Error with the sub-code UserCancelled (the Flow hands the callback to the provider)", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			if err == nil {
				t.Fatal("the login succeeded, want an error")
			}
			t.Logf("error: %v", err)
			tt.check(t, err)
			if tt.peerSays != "" {
				waitLog(t, e.peer.OIDCProvider, tt.peerSays)
			}
		})
	}
}

// wantProviderStatus wants an *idconnect.ProviderError from op with code,
// HTTP status and the answer's x-request-id (the peer sends one on every
// answer, as OneID does).
func wantProviderStatus(op, code string, status int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		wantProviderError(op, code)(t, err)
		var pe *idconnect.ProviderError
		if errors.As(err, &pe) && (pe.StatusCode != status || pe.RequestID == "") {
			t.Errorf("ProviderError status %d request id %q, want %d and the answer's x-request-id", pe.StatusCode, pe.RequestID, status)
		}
	}
}

// pick returns the named members of m that are present.
func pick(t *testing.T, m map[string]json.RawMessage, names ...string) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, n := range names {
		if v, ok := m[n]; ok {
			out[n] = v
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
