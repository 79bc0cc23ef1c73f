package singpass_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/singpass"
)

const redirectURI = "http://localhost:3001/callback/singpass"

func random43(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		fatal(t, err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func newLogin(t testing.TB) *idconnect.Login {
	return &idconnect.Login{Provider: "singpass", State: random43(t), Nonce: random43(t), Verifier: random43(t)}
}

type env struct {
	clock *clock
	keys  *keyset.Set
	fake  *fakeSingpass
}

func newEnv(t testing.TB) *env {
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	return &env{clock: c, keys: keys, fake: newFake(t, c, keys)}
}

func (e *env) config(app singpass.App) singpass.Config {
	return singpass.Config{
		Issuer: e.fake.issuer(), ClientID: e.fake.clientID, Keys: e.keys, RedirectURI: redirectURI,
		App: app, HTTPClient: e.fake.srv.Client(), Now: e.clock.Now,
	}
}

func (e *env) client(t testing.TB, app singpass.App, edit func(*singpass.Config)) *singpass.Client {
	cfg := e.config(app)
	if edit != nil {
		edit(&cfg)
	}
	c, err := singpass.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// authorize runs AuthURL and the (auto-approving) authorization endpoint,
// returning the callback the browser would bring back.
func (e *env) authorize(t testing.TB, c *singpass.Client, login *idconnect.Login) idconnect.Callback {
	t.Helper()
	u, err := c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatalf("AuthURL: %v", err)
	}
	hc := e.fake.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if q.Get("state") != login.State {
		t.Fatal("state not echoed")
	}
	return idconnect.Callback{Code: q.Get("code"), State: q.Get("state"), Issuer: q.Get("iss")}
}

// run is one login from AuthURL to Exchange.
func (e *env) run(t testing.TB, c *singpass.Client) (*idconnect.Login, *idconnect.Result, error) {
	t.Helper()
	login := newLogin(t)
	cb := e.authorize(t, c, login)
	res, err := c.Exchange(context.Background(), login, cb)
	return login, res, err
}

func TestMyinfoApp(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Myinfo, func(cfg *singpass.Config) { cfg.Scopes = []string{"uinfin", "name", "sex"} })
	login, res, err := e.run(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provider != "singpass" || res.Subject != e.fake.subject {
		t.Errorf("provider %q subject %q", res.Provider, res.Subject)
	}
	m, ok := res.Model.(*myinfo.Person)
	if !ok || m.UINFIN == nil || m.UINFIN.Value != "S9812381D" || m.Name.Value != "TAN XIAO HUI" {
		t.Fatalf("model %#v", res.Model)
	}
	if res.Person.IDNumber == nil || res.Person.IDNumber.Value != "S9812381D" || res.Person.Sex.Value != "F" {
		t.Errorf("person %+v", res.Person)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(res.Raw, &raw); err != nil || raw["uinfin"] == nil || raw["person_info"] != nil {
		t.Errorf("Raw is not person_info: %s", res.Raw)
	}
	sod, err := c.Flatten(login, res)
	if err != nil || string(sod) != `{"uinfin":"S9812381D","name":"TAN XIAO HUI","sex":"F"}` {
		t.Errorf("Flatten = %s, %v", sod, err)
	}
	if strings.Join(login.Attributes, " ") != "uinfin name sex" {
		t.Errorf("attributes %v", login.Attributes)
	}
	// One discovery and one JWKS fetch serve the whole login.
	if e.fake.count("discovery") != 1 || e.fake.count("jwks") != 1 {
		t.Errorf("discovery %d, jwks %d", e.fake.count("discovery"), e.fake.count("jwks"))
	}
}

func TestAuthURLShape(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Myinfo, nil)
	login := newLogin(t)
	u, err := c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u)
	if p.Scheme+"://"+p.Host+p.Path != e.fake.issuer()+"/auth" || len(p.Query()) != 2 || p.Query().Get("client_id") != e.fake.clientID ||
		!strings.HasPrefix(p.Query().Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Errorf("auth URL %s", u)
	}
	// The DPoP key is stored as its 32-byte P-256 scalar, and its public
	// half is the one the PAR request's DPoP proof named.
	d, err := base64.RawURLEncoding.DecodeString(login.ProviderData[singpass.DataDPoPKey])
	if err != nil || len(d) != 32 {
		t.Fatalf("ProviderData DPoP key %q: %v", login.ProviderData[singpass.DataDPoPKey], err)
	}
	dpopKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	// A second login gets another DPoP key.
	login2 := newLogin(t)
	if _, err := c.AuthURL(context.Background(), login2); err != nil {
		t.Fatal(err)
	}
	if login2.ProviderData[singpass.DataDPoPKey] == login.ProviderData[singpass.DataDPoPKey] {
		t.Error("DPoP key reused across logins")
	}
	e.fake.mu.Lock()
	var rec *parRecord
	for _, r := range e.fake.pars {
		if r.form.Get("state") == login.State {
			rec = r
		}
	}
	e.fake.mu.Unlock()
	if rec == nil {
		t.Fatal("no PAR recorded")
	}
	if tp, _ := (&jose.JSONWebKey{Key: dpopKey.Public()}).Thumbprint(crypto.SHA256); rec.jkt != base64.RawURLEncoding.EncodeToString(tp) {
		t.Errorf("PAR's DPoP key thumbprint %s is not the stored key's", rec.jkt)
	}
	f := rec.form
	if f.Get("scope") != "openid uinfin name" || f.Get("nonce") != login.Nonce || f.Get("redirect_uri") != redirectURI || f.Has("authentication_context_type") {
		t.Errorf("PAR form %v", f)
	}
}

func TestLoginApp(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Login, nil)
	login, res, err := e.run(t, c)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := res.Model.(*singpass.IDToken)
	if !ok || m.SubAttributes == nil || m.SubAttributes.IdentityNumber != "S9812381D" || m.SubType != "user" || m.ACR == "" {
		t.Fatalf("model %#v", res.Model)
	}
	if res.Subject != e.fake.subject || res.Person.IDNumber.Value != "S9812381D" || res.Person.Name.Value != "TAN XIAO HUI" {
		t.Errorf("result %+v / %+v", res, res.Person)
	}
	if e.fake.count("userinfo") != 0 {
		t.Error("a Login app called userinfo")
	}
	sod, err := c.Flatten(login, res)
	if err != nil || string(sod) != `{"uinfin":"S9812381D","name":"TAN XIAO HUI"}` {
		t.Errorf("Flatten = %s, %v", sod, err)
	}
	e.fake.mu.Lock()
	defer e.fake.mu.Unlock()
	if len(e.fake.tokens) != 1 {
		t.Fatal("no token issued")
	}
	for _, r := range e.fake.tokens {
		if r.form.Get("authentication_context_type") != "APP_AUTHENTICATION_DEFAULT" || r.form.Get("scope") != "openid user.identity name" {
			t.Errorf("PAR form %v", r.form)
		}
	}
}

func TestLoginAppWithoutSubAttributes(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Login, nil)
	e.fake.idClaims = func(m map[string]any) { delete(m, "sub_attributes") }
	_, res, err := e.run(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Raw) != "{}" || res.Person.IDNumber != nil {
		t.Errorf("raw %s person %+v", res.Raw, res.Person)
	}
}

// TestRefusals: every check of Exchange, each against the fault it exists for.
func TestRefusals(t *testing.T) {
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name  string
		app   singpass.App
		setup func(e *env)
		cb    func(cb *idconnect.Callback)
		want  error
		code  string // ProviderError code
	}{
		{name: "callback iss of another issuer", cb: func(cb *idconnect.Callback) { cb.Issuer = "https://evil.example/fapi" }, want: idconnect.ErrInvalidRequest},
		{name: "callback iss with a trailing slash", cb: func(cb *idconnect.Callback) { cb.Issuer += "/" }, want: idconnect.ErrInvalidRequest},
		{name: "callback without iss", cb: func(cb *idconnect.Callback) { cb.Issuer = "" }, want: idconnect.ErrInvalidRequest},
		{name: "id_token wrong nonce", setup: func(e *env) { e.fake.idClaims = func(m map[string]any) { m["nonce"] = "another-login" } }, want: idconnect.ErrTokenInvalid},
		{name: "id_token wrong aud", setup: func(e *env) { e.fake.idClaims = func(m map[string]any) { m["aud"] = "another-client" } }, want: idconnect.ErrTokenInvalid},
		{name: "id_token azp another client", setup: func(e *env) {
			e.fake.idClaims = func(m map[string]any) { m["aud"] = []string{e.fake.clientID, "x"}; m["azp"] = "x" }
		}, want: idconnect.ErrTokenInvalid},
		{name: "id_token wrong iss", setup: func(e *env) { e.fake.idClaims = func(m map[string]any) { m["iss"] = "https://evil.example/fapi" } }, want: idconnect.ErrTokenInvalid},
		{name: "id_token expired", setup: func(e *env) {
			e.fake.idClaims = func(m map[string]any) { m["exp"] = e.clock.Now().Add(-2 * time.Minute).Unix() }
		}, want: idconnect.ErrTokenInvalid},
		{name: "id_token from the future", setup: func(e *env) {
			e.fake.idClaims = func(m map[string]any) { m["iat"] = e.clock.Now().Add(5 * time.Minute).Unix() }
		}, want: idconnect.ErrTokenInvalid},
		{name: "id_token without sub", setup: func(e *env) { e.fake.idClaims = func(m map[string]any) { delete(m, "sub") } }, want: idconnect.ErrTokenInvalid},
		{name: "id_token signed by another key", setup: func(e *env) { e.fake.signWith = other }, want: idconnect.ErrSignature},
		{name: "id_token kid nobody has", setup: func(e *env) { e.fake.signWith, e.fake.signKid = other, "rogue" }, want: idconnect.ErrSignature},
		{name: "JWE tampered", setup: func(e *env) { e.fake.tamper = true }, want: idconnect.ErrDecrypt},
		{name: "JWE to another key", setup: func(e *env) { e.fake.encryptTo = &other.PublicKey }, want: idconnect.ErrDecrypt},
		{name: "token_type Bearer", setup: func(e *env) { e.fake.tokenType = "Bearer" }, want: idconnect.ErrMalformed},
		{name: "userinfo sub differs", setup: func(e *env) { e.fake.userClaims = func(m map[string]any) { m["sub"] = "another-person" } }, want: idconnect.ErrSubjectMismatch},
		{name: "userinfo without sub", setup: func(e *env) { e.fake.userClaims = func(m map[string]any) { delete(m, "sub") } }, want: idconnect.ErrSubjectMismatch},
		{name: "userinfo iss another", setup: func(e *env) { e.fake.userClaims = func(m map[string]any) { m["iss"] = "https://evil.example" } }, want: idconnect.ErrTokenInvalid},
		{name: "userinfo aud another", setup: func(e *env) { e.fake.userClaims = func(m map[string]any) { m["aud"] = "x" } }, want: idconnect.ErrTokenInvalid},
		{name: "userinfo person_info missing", setup: func(e *env) { e.fake.userClaims = func(m map[string]any) { delete(m, "person_info") } }, want: idconnect.ErrMalformed},
		{name: "userinfo signed by another key", setup: func(e *env) { e.fake.userClaims = func(map[string]any) { e.fake.signWith = other } }, want: idconnect.ErrSignature},
		{name: "userinfo tampered", setup: func(e *env) { e.fake.userClaims = func(map[string]any) { e.fake.tamper = true } }, want: idconnect.ErrDecrypt},
		{name: "login app sub_attributes not an object", app: singpass.Login, setup: func(e *env) {
			e.fake.idClaims = func(m map[string]any) { m["sub_attributes"] = "S9812381D" }
		}, want: idconnect.ErrMalformed},
		{name: "token 400 invalid_grant", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) { oauthError(w, 400, "invalid_grant", "code S9812381D expired") }
		}, want: idconnect.ErrProviderRefused, code: "invalid_grant"},
		{name: "token 500", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) { oauthError(w, 500, "server_error", "boom") }
		}, want: idconnect.ErrProviderUnavailable, code: "server_error"},
		{name: "token 307", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) {
				w.Header().Set("Location", "https://elsewhere.example/steal")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}
		}, want: idconnect.ErrProviderUnavailable},
		{name: "token oversized", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) { w.Write([]byte(`{"x":"` + strings.Repeat("a", 2<<20) + `"}`)) }
		}, want: idconnect.ErrMalformed},
		{name: "token not JSON", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) { w.Write([]byte("<html>")) }
		}, want: idconnect.ErrMalformed},
		{name: "token slow", setup: func(e *env) {
			e.fake.override["token"] = func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }
		}, want: idconnect.ErrProviderTimeout},
		{name: "userinfo 401 invalid_token", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) {
				w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
				w.WriteHeader(401)
			}
		}, want: idconnect.ErrProviderRefused, code: "invalid_token"},
		{name: "userinfo 503", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) { w.WriteHeader(503) }
		}, want: idconnect.ErrProviderUnavailable},
		{name: "userinfo 302", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) {
				w.Header().Set("Location", "https://elsewhere.example/")
				w.WriteHeader(302)
			}
		}, want: idconnect.ErrProviderUnavailable},
		{name: "userinfo oversized", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) { w.Write([]byte(strings.Repeat("a", 2<<20))) }
		}, want: idconnect.ErrMalformed},
		{name: "userinfo slow", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }
		}, want: idconnect.ErrProviderTimeout},
		{name: "userinfo not a JWE", setup: func(e *env) {
			e.fake.override["userinfo"] = func(w http.ResponseWriter) { w.Write([]byte(`{"person_info":{}}`)) }
		}, want: idconnect.ErrDecrypt},
		{name: "JWKS 500", setup: func(e *env) {
			e.fake.override["jwks"] = func(w http.ResponseWriter) { w.WriteHeader(500) }
		}, want: idconnect.ErrProviderUnavailable},
		{name: "DPoP nonce asked for every time", setup: func(e *env) {
			e.fake.requireNonce["token"], e.fake.alwaysNonce = true, true
		}, want: idconnect.ErrProviderRefused, code: "use_dpop_nonce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t, tt.app, func(cfg *singpass.Config) {
				hc := e.fake.srv.Client()
				// A short timeout where the timeout is the point; elsewhere
				// a loaded machine (the race detector, 2 MiB answers) must
				// not turn another refusal into a timeout.
				hc.Timeout = 10 * time.Second
				if tt.want == idconnect.ErrProviderTimeout {
					hc.Timeout = 150 * time.Millisecond
				}
				cfg.HTTPClient = hc
			})
			login := newLogin(t)
			cb := e.authorize(t, c, login)
			if tt.setup != nil {
				tt.setup(e)
			}
			if tt.cb != nil {
				tt.cb(&cb)
			}
			res, err := c.Exchange(context.Background(), login, cb)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if res != nil {
				t.Error("a result with an error")
			}
			var perr *idconnect.ProviderError
			if tt.code != "" && (!errors.As(err, &perr) || perr.Code != tt.code) {
				t.Errorf("provider error %#v", perr)
			}
			checkErrorText(t, err, e)
		})
	}
}

// checkErrorText: no URL, token, identity number or provider text in err.
func checkErrorText(t *testing.T, err error, e *env) {
	t.Helper()
	msg := err.Error()
	for _, leak := range []string{"http://", "https://", "127.0.0.1", "S9812381D", "TAN", "elsewhere", "evil", e.fake.subject, "boom", "not approved"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error text carries %q: %s", leak, msg)
		}
	}
}

func TestAuthURLRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		login func(l *idconnect.Login)
		want  error
		code  string
	}{
		{name: "PAR 400 invalid_scope", setup: func(e *env) {
			e.fake.override["par"] = func(w http.ResponseWriter) { oauthError(w, 400, "invalid_scope", "not approved") }
		}, want: idconnect.ErrProviderRefused, code: "invalid_scope"},
		{name: "PAR 502", setup: func(e *env) { e.fake.override["par"] = func(w http.ResponseWriter) { w.WriteHeader(502) } }, want: idconnect.ErrProviderUnavailable},
		{name: "PAR 303", setup: func(e *env) {
			e.fake.override["par"] = func(w http.ResponseWriter) {
				w.Header().Set("Location", "https://elsewhere.example/")
				w.WriteHeader(303)
			}
		}, want: idconnect.ErrProviderUnavailable},
		{name: "PAR without request_uri", setup: func(e *env) {
			e.fake.override["par"] = func(w http.ResponseWriter) { w.WriteHeader(201); w.Write([]byte(`{"expires_in":60}`)) }
		}, want: idconnect.ErrMalformed},
		{name: "PAR slow", setup: func(e *env) {
			e.fake.override["par"] = func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond) }
		}, want: idconnect.ErrProviderTimeout},
		{name: "PAR oversized", setup: func(e *env) {
			e.fake.override["par"] = func(w http.ResponseWriter) { w.WriteHeader(201); w.Write([]byte(strings.Repeat("x", 2<<20))) }
		}, want: idconnect.ErrMalformed},
		{name: "discovery of another issuer", setup: func(e *env) {
			e.fake.override["discovery"] = func(w http.ResponseWriter) {
				w.Write([]byte(`{"issuer":"https://evil.example/fapi","jwks_uri":"https://evil.example/k"}`))
			}
		}, want: idconnect.ErrMalformed},
		{name: "discovery down", setup: func(e *env) { e.fake.override["discovery"] = func(w http.ResponseWriter) { w.WriteHeader(503) } }, want: idconnect.ErrProviderUnavailable},
		{name: "PAR DPoP nonce asked for every time", setup: func(e *env) { e.fake.requireNonce["par"], e.fake.alwaysNonce = true, true }, want: idconnect.ErrProviderRefused, code: "use_dpop_nonce"},
		{name: "login without verifier", login: func(l *idconnect.Login) { l.Verifier = "" }, want: idconnect.ErrInvalidRequest},
		{name: "login with a short verifier", login: func(l *idconnect.Login) { l.Verifier = "abc" }, want: idconnect.ErrInvalidRequest},
		{name: "login without nonce", login: func(l *idconnect.Login) { l.Nonce = "" }, want: idconnect.ErrInvalidRequest},
		{name: "login scope with a space", login: func(l *idconnect.Login) { l.Attributes = []string{"name uinfin"} }, want: idconnect.ErrInvalidRequest},
		{name: "login redirect elsewhere over http", login: func(l *idconnect.Login) { l.RedirectURI = "http://example.com/cb" }, want: idconnect.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t, singpass.Myinfo, func(cfg *singpass.Config) {
				hc := e.fake.srv.Client()
				// A short timeout where the timeout is the point; elsewhere
				// a loaded machine (the race detector, 2 MiB answers) must
				// not turn another refusal into a timeout.
				hc.Timeout = 10 * time.Second
				if tt.want == idconnect.ErrProviderTimeout {
					hc.Timeout = 150 * time.Millisecond
				}
				cfg.HTTPClient = hc
			})
			if tt.setup != nil {
				tt.setup(e)
			}
			login := newLogin(t)
			if tt.login != nil {
				tt.login(login)
			}
			u, err := c.AuthURL(context.Background(), login)
			if !errors.Is(err, tt.want) || u != "" {
				t.Fatalf("AuthURL = %q, %v; want %v", u, err, tt.want)
			}
			var perr *idconnect.ProviderError
			if tt.code != "" && (!errors.As(err, &perr) || perr.Code != tt.code) {
				t.Errorf("provider error %#v", perr)
			}
			checkErrorText(t, err, e)
		})
	}
}

// A DPoP-Nonce challenge at each endpoint is answered by exactly one retry.
func TestDPoPNonceRetry(t *testing.T) {
	for _, endpoint := range []string{"par", "token", "userinfo"} {
		t.Run(endpoint, func(t *testing.T) {
			e := newEnv(t)
			e.fake.requireNonce[endpoint] = true
			c := e.client(t, singpass.Myinfo, nil)
			if _, _, err := e.run(t, c); err != nil {
				t.Fatal(err)
			}
			if n := e.fake.count(endpoint); n != 2 {
				t.Errorf("%s called %d times, want 2", endpoint, n)
			}
		})
	}
	// With an endless supply of new nonces the client stops after one retry.
	e := newEnv(t)
	e.fake.requireNonce["userinfo"], e.fake.alwaysNonce = true, true
	c := e.client(t, singpass.Myinfo, nil)
	if _, _, err := e.run(t, c); !errors.Is(err, idconnect.ErrProviderRefused) {
		t.Fatalf("err %v", err)
	}
	if n := e.fake.count("userinfo"); n != 2 {
		t.Errorf("userinfo called %d times, want 2", n)
	}
}

func TestCallbackIssOptionalWhenNotAdvertised(t *testing.T) {
	e := newEnv(t)
	e.fake.noIssParam = true
	empty := ""
	e.fake.callbackIss = &empty
	if _, _, err := e.run(t, e.client(t, singpass.Myinfo, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestContentEncryptionsAndAudience(t *testing.T) {
	e := newEnv(t)
	e.fake.idEnc, e.fake.userEnc = jose.A256GCM, jose.A256CBC_HS512
	e.fake.assertionAud = "endpoint"
	c := e.client(t, singpass.Myinfo, func(cfg *singpass.Config) { cfg.AssertionAudience = singpass.AudienceEndpoint })
	if _, _, err := e.run(t, c); err != nil {
		t.Fatal(err)
	}
	// The default audience (the issuer) is refused by a server wanting the endpoint.
	if _, err := e.client(t, singpass.Myinfo, nil).AuthURL(context.Background(), newLogin(t)); !errors.Is(err, idconnect.ErrProviderRefused) {
		t.Fatalf("issuer audience against an endpoint-audience server: %v", err)
	}
}

func TestJWKSRotation(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Myinfo, nil)
	if _, _, err := e.run(t, c); err != nil {
		t.Fatal(err)
	}
	// Singpass rotates: its tokens now carry a kid the client's cache lacks.
	e.fake.addSigningKey("sp-sig-2")
	e.clock.Add(time.Minute)
	if _, _, err := e.run(t, c); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.count("jwks"); n != 2 {
		t.Errorf("%d JWKS fetches, want 2", n)
	}
}

func TestDPoPKeyRequired(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Myinfo, nil)
	login := newLogin(t)
	cb := e.authorize(t, c, login)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384JWK, _ := json.Marshal(jose.JSONWebKey{Key: p384})
	order := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	for _, pd := range []map[string]string{
		{singpass.DataDPoPKey: ""},
		{singpass.DataDPoPKey: "{}"},
		{singpass.DataDPoPKey: base64.RawURLEncoding.EncodeToString(make([]byte, 32))}, // zero
		{singpass.DataDPoPKey: base64.RawURLEncoding.EncodeToString(order)},            // not reduced
		{singpass.DataDPoPKey: base64.RawURLEncoding.EncodeToString(make([]byte, 31))},
		{singpass.DataDPoPKey: base64.StdEncoding.EncodeToString(order[1:])},
		{singpass.DataDPoPJWK: "{}"},
		{singpass.DataDPoPJWK: `{"kty":"EC"}`},
		{singpass.DataDPoPJWK: string(p384JWK)},
	} {
		l := *login
		l.ProviderData = pd
		if _, err := c.Exchange(context.Background(), &l, cb); !errors.Is(err, idconnect.ErrInvalidRequest) {
			t.Errorf("DPoP key %.40q: %v", pd, err)
		}
	}
	// Another login's DPoP key is refused by the token endpoint.
	other := newLogin(t)
	e.authorize(t, c, other)
	l := *login
	l.ProviderData = other.ProviderData
	var perr *idconnect.ProviderError
	if _, err := c.Exchange(context.Background(), &l, cb); !errors.As(err, &perr) || perr.Code != "invalid_dpop_proof" {
		t.Errorf("another login's key: %v", err)
	}
}

// A login stored by an earlier version, whose DPoP key is a JWK, still
// completes.
func TestDPoPKeyAsJWKStillRead(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, singpass.Myinfo, nil)
	login := newLogin(t)
	cb := e.authorize(t, c, login)
	d, err := base64.RawURLEncoding.DecodeString(login.ProviderData[singpass.DataDPoPKey])
	if err != nil {
		t.Fatal(err)
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := json.Marshal(jose.JSONWebKey{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	delete(login.ProviderData, singpass.DataDPoPKey)
	login.ProviderData[singpass.DataDPoPJWK] = string(jwk)
	res, err := c.Exchange(context.Background(), login, cb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subject != e.fake.subject {
		t.Errorf("subject %q", res.Subject)
	}
}

func TestNewValidates(t *testing.T) {
	keys, _ := keyset.Generate(nil)
	good := singpass.Config{Issuer: singpass.Staging, ClientID: "abc", Keys: keys, RedirectURI: "https://rp.example/cb"}
	if _, err := singpass.New(good); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(c *singpass.Config)
		want []string
	}{
		{"everything missing", func(c *singpass.Config) { *c = singpass.Config{} }, []string{"Issuer is required", "ClientID is required", "Keys is required", "RedirectURI is required"}},
		{"http issuer", func(c *singpass.Config) { c.Issuer = "http://id.example/fapi" }, []string{"Issuer: http is allowed only on a loopback"}},
		{"relative issuer", func(c *singpass.Config) { c.Issuer = "/fapi" }, []string{"Issuer: not an absolute URL"}},
		{"redirect with fragment", func(c *singpass.Config) { c.RedirectURI = "https://rp.example/cb#x" }, []string{"RedirectURI"}},
		{"custom scheme redirect", func(c *singpass.Config) { c.RedirectURI = "myapp://cb" }, []string{"RedirectURI: scheme"}},
		{"openid in scopes", func(c *singpass.Config) { c.Scopes = []string{"openid", "name"} }, []string{`"openid" is always sent`}},
		{"bad scope", func(c *singpass.Config) { c.Scopes = []string{"Name"} }, []string{"Scopes"}},
		{"context type on Myinfo", func(c *singpass.Config) { c.AuthenticationContextType = "APP_AUTHENTICATION_DEFAULT" }, []string{"Login apps only"}},
		{"unknown app", func(c *singpass.Config) { c.App = 7 }, []string{"App"}},
		{"unknown audience", func(c *singpass.Config) { c.AssertionAudience = 3 }, []string{"AssertionAudience"}},
		{"client ID with a space", func(c *singpass.Config) { c.ClientID = "a b" }, []string{"ClientID"}},
		{"negative leeway", func(c *singpass.Config) { c.Leeway = -time.Second }, []string{"Leeway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := singpass.New(cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Loopback http and the explicit switch.
	for _, iss := range []string{"http://localhost:8080/fapi", "http://127.0.0.1:9/fapi", "http://[::1]:9/fapi"} {
		cfg := good
		cfg.Issuer = iss
		if _, err := singpass.New(cfg); err != nil {
			t.Errorf("%s: %v", iss, err)
		}
	}
	cfg := good
	cfg.Issuer, cfg.AllowInsecureHTTP = "http://emulator.internal/fapi", true
	if _, err := singpass.New(cfg); err != nil {
		t.Errorf("AllowInsecureHTTP: %v", err)
	}
}

func TestItems(t *testing.T) {
	got := singpass.Items([]string{"uinfin", "cpfbalances.oa", "cpfbalances.ma", "vehicles.make", "openid"})
	if strings.Join(got, ",") != "uinfin,cpfbalances,vehicles" {
		t.Errorf("Items = %v", got)
	}
}
