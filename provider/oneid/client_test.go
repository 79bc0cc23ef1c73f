package oneid_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/oneid"
)

// env is one test's fake OneID and clock.
type env struct {
	clock *clock
	fake  *fakeOneID
}

func newEnv(t testing.TB) *env {
	c := newClock()
	return &env{clock: c, fake: newFake(t, c)}
}

func (e *env) config(mods ...func(*oneid.Config)) oneid.Config {
	cfg := oneid.Config{
		Issuer:       e.fake.issuer(),
		ClientID:     fakeClientID,
		ClientSecret: fakeClientSecret,
		RedirectURI:  redirectURI,
		HTTPClient:   e.fake.srv.Client(),
		Now:          e.clock.Now,
	}
	for _, m := range mods {
		m(&cfg)
	}
	return cfg
}

func (e *env) client(t testing.TB, mods ...func(*oneid.Config)) *oneid.Client {
	t.Helper()
	c, err := oneid.New(e.config(mods...))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func scopes(s ...string) func(*oneid.Config) {
	return func(c *oneid.Config) { c.Scopes = s }
}

var allScopes = []string{"profile", "date_of_birth", "address", "email", "phone", "fraud", "age_over_18", "accounts", "accounts.balances"}

func random43() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// login runs AuthURL and the browser's trip to OneID, and returns the
// login and the callback.
func (e *env) login(t testing.TB, c *oneid.Client) (*idconnect.Login, idconnect.Callback) {
	t.Helper()
	login := &idconnect.Login{State: random43(), Nonce: random43(), Verifier: random43()}
	authURL, err := c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	browser := e.fake.srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := idconnect.ParseCallback(back.Query())
	if err != nil {
		t.Fatal(err)
	}
	if cb.State != login.State {
		t.Fatal("state not returned")
	}
	return login, cb
}

func (e *env) run(t testing.TB, c *oneid.Client) (*idconnect.Result, error) {
	t.Helper()
	login, cb := e.login(t, c)
	return c.Exchange(context.Background(), login, cb)
}

func TestAuthURL(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, scopes("profile", "product:age_check", "age_over_18"))
	login := &idconnect.Login{State: random43(), Nonce: random43(), Verifier: random43()}
	raw, err := c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, e.fake.issuer()+"/v2/authorize"; got != want {
		t.Errorf("endpoint %q, want %q", got, want)
	}
	if strings.Contains(u.RawQuery, "+") {
		t.Errorf("spaces encoded as '+': %s", u.RawQuery)
	}
	q := u.Query()
	sum := sha256.Sum256([]byte(login.Verifier))
	want := map[string]string{
		"response_type":         "code",
		"client_id":             fakeClientID,
		"redirect_uri":          redirectURI,
		"scope":                 "openid profile product:age_check age_over_18",
		"state":                 login.State,
		"nonce":                 login.Nonce,
		"code_challenge":        base64.RawURLEncoding.EncodeToString(sum[:]),
		"code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("parameters %v", q)
	}
	if !reflect.DeepEqual(login.Attributes, []string{"profile", "product:age_check", "age_over_18"}) {
		t.Errorf("attributes %v", login.Attributes)
	}
	if login.RedirectURI != redirectURI {
		t.Errorf("redirect URI %q", login.RedirectURI)
	}

	// A login's own scopes are checked for dependencies too.
	bad := &idconnect.Login{State: random43(), Nonce: random43(), Verifier: random43(), Attributes: []string{"accounts.balances"}}
	if _, err := c.AuthURL(context.Background(), bad); !errors.Is(err, idconnect.ErrInvalidRequest) {
		t.Errorf("accounts.balances without accounts: %v", err)
	}
	// A login without a PKCE verifier is refused.
	if _, err := c.AuthURL(context.Background(), &idconnect.Login{State: random43(), Nonce: random43()}); !errors.Is(err, idconnect.ErrInvalidRequest) {
		t.Errorf("no verifier: %v", err)
	}
}

func TestExchangeAll(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, scopes(allScopes...), func(c *oneid.Config) { c.FetchReport = true })
	res, err := e.run(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provider != "oneid" || res.Subject != "6f35afb8-42ee-5b82-88be-29ee7dc0f762" {
		t.Errorf("provider %q subject %q", res.Provider, res.Subject)
	}
	d := res.Model.(*oneid.Data)
	if len(d.Accounts) != 1 || d.Accounts[0].Balance == nil || *d.Accounts[0].Balance != (oneid.Balance{Amount: "123.45", Currency: "GBP"}) {
		t.Errorf("accounts %+v", d.Accounts)
	}
	if over, known := d.AgeVerification.Over(18); !over || !known {
		t.Errorf("age verification %v", d.AgeVerification)
	}
	if d.Fraud == nil || d.Userinfo == nil || d.Unverified == nil {
		t.Errorf("userinfo parts missing: %+v", d)
	}
	if !reflect.DeepEqual(d.Scopes, allScopes) {
		t.Errorf("scopes %v", d.Scopes)
	}
	if len(res.Documents) != 1 || res.Documents[0].Name != "report" || res.Documents[0].ContentType != "application/pdf" || string(res.Documents[0].Data) != string(samplePDF) {
		t.Errorf("documents %+v", res.Documents)
	}
	if !json.Valid(res.Raw) || !strings.Contains(string(res.Raw), `"unverified_claims"`) {
		t.Errorf("raw is not the userinfo answer: %s", res.Raw)
	}
	for _, ep := range []string{"token", "userinfo", "ageverification", "accounts", "report"} {
		if n := e.fake.count(ep); n != 1 {
			t.Errorf("%s called %d times", ep, n)
		}
	}
}

// Each resource is called only when a scope that opens it was granted.
func TestResourcesByScope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
		grant  *string // token answer's scope
		calls  map[string]int
	}{
		{"age only", []string{"age_over_18", "product:age_check"}, nil, map[string]int{"userinfo": 0, "ageverification": 1, "accounts": 0}},
		{"profile only", []string{"profile"}, nil, map[string]int{"userinfo": 1, "ageverification": 0, "accounts": 0}},
		{"accounts", []string{"accounts"}, nil, map[string]int{"userinfo": 0, "ageverification": 0, "accounts": 1}},
		{"asked, not granted", []string{"profile", "accounts"}, ptr("openid profile"), map[string]int{"userinfo": 1, "accounts": 0}},
		{"granted, not asked", []string{"profile"}, ptr("openid profile accounts"), map[string]int{"userinfo": 1, "accounts": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.tokenScope = tc.grant
			res, err := e.run(t, e.client(t, scopes(tc.scopes...)))
			if err != nil {
				t.Fatal(err)
			}
			for ep, n := range tc.calls {
				if got := e.fake.count(ep); got != n {
					t.Errorf("%s called %d times, want %d", ep, got, n)
				}
			}
			if e.fake.count("report") != 0 {
				t.Error("report fetched without FetchReport")
			}
			if tc.calls["userinfo"] == 0 && string(res.Raw) != "{}" {
				t.Errorf("raw %s without userinfo", res.Raw)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// noBalance checks that no balance is anywhere in the result.
func noBalance(t *testing.T, res *idconnect.Result) {
	t.Helper()
	for _, a := range res.Model.(*oneid.Data).Accounts {
		if a.Balance != nil {
			t.Errorf("balance in the model: %+v", a.Balance)
		}
	}
	all, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"123.45", "balance"} {
		if strings.Contains(string(all), s) {
			t.Errorf("%q in the result: %s", s, all)
		}
	}
}

func TestBalanceNotGranted(t *testing.T) {
	e := newEnv(t)
	res, err := e.run(t, e.client(t, scopes("accounts")))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.(*oneid.Data).Accounts) != 1 {
		t.Fatal("no account")
	}
	noBalance(t, res)
}

// OneID sending balances without accounts.balances: they are dropped.
func TestBalanceSentAnyway(t *testing.T) {
	e := newEnv(t)
	e.fake.alwaysBalances = true
	res, err := e.run(t, e.client(t, scopes("accounts")))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.(*oneid.Data).Accounts) != 1 {
		t.Fatal("no account")
	}
	noBalance(t, res)
}

// accounts.balances asked for but not granted in the token answer's
// scope: balances OneID sends anyway are dropped.
func TestBalanceAskedNotGranted(t *testing.T) {
	e := newEnv(t)
	e.fake.alwaysBalances = true
	e.fake.tokenScope = ptr("openid accounts")
	res, err := e.run(t, e.client(t, scopes("accounts", "accounts.balances")))
	if err != nil {
		t.Fatal(err)
	}
	noBalance(t, res)
}

func TestIDTokenRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*env, *testing.T)
		want   error
		phrase string
	}{
		{"wrong nonce", func(e *env, t *testing.T) {
			e.fake.idClaims = func(c map[string]any) { c["nonce"] = "another-login-nonce" }
		}, idconnect.ErrTokenInvalid, "nonce"},
		{"no nonce", func(e *env, t *testing.T) {
			e.fake.idClaims = func(c map[string]any) { delete(c, "nonce") }
		}, idconnect.ErrTokenInvalid, "nonce"},
		{"signed by another key", func(e *env, t *testing.T) {
			e.fake.signWith = newRSAKey(t)
		}, idconnect.ErrSignature, "does not verify"},
		{"RS256 when PS256 was published", func(e *env, t *testing.T) {
			e.fake.signAlg = jose.RS256
		}, idconnect.ErrSignature, "algorithm"},
		{"ES256 with the RSA key's kid", func(e *env, t *testing.T) {
			e.fake.signAlg, e.fake.signWith = jose.ES256, newECKey(t)
		}, idconnect.ErrSignature, "algorithm"},
		{"HS256", func(e *env, t *testing.T) {
			e.fake.override["token"] = func(w http.ResponseWriter, r *http.Request) {
				s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
				obj, _ := s.Sign([]byte(`{}`))
				tok, _ := obj.CompactSerialize()
				_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": tok})
			}
		}, idconnect.ErrSignature, "algorithm"},
		{"expired", func(e *env, t *testing.T) {
			now := e.clock.Now()
			e.fake.idClaims = func(c map[string]any) {
				c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-2*time.Minute).Unix()
			}
		}, idconnect.ErrTokenInvalid, "expired"},
		{"issued in the future", func(e *env, t *testing.T) {
			now := e.clock.Now()
			e.fake.idClaims = func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }
		}, idconnect.ErrTokenInvalid, "iat"},
		{"another audience", func(e *env, t *testing.T) {
			e.fake.idClaims = func(c map[string]any) { c["aud"] = "another-client" }
		}, idconnect.ErrTokenInvalid, "aud"},
		{"another issuer", func(e *env, t *testing.T) {
			e.fake.idClaims = func(c map[string]any) { c["iss"] = "https://controller.myoneid.co.uk" }
		}, idconnect.ErrTokenInvalid, "iss"},
		{"unknown kid", func(e *env, t *testing.T) {
			e.fake.kid = "rotated-away"
			e.fake.override["jwks"] = func(w http.ResponseWriter, r *http.Request) {
				k := sharedRSA(t)
				_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "oneid-sig-1", Use: "sig", Algorithm: "PS256"}}})
			}
		}, idconnect.ErrSignature, "kid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e, t)
			c := e.client(t, scopes("profile"))
			res, err := e.run(t, c)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.phrase) {
				t.Fatalf("got %v, want %v naming %q", err, tc.want, tc.phrase)
			}
			if res != nil {
				t.Error("a result with the error")
			}
			if e.fake.count("userinfo") != 0 {
				t.Error("userinfo called with a refused id_token")
			}
		})
	}
}

// Without an alg on the published JWK, the RSA key verifies PS256 and
// RS256 (the key type decides).
func TestJWKWithoutAlg(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.PS256, jose.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			e := newEnv(t)
			e.fake.jwkAlg, e.fake.signAlg = "-", alg
			if _, err := e.run(t, e.client(t, scopes("profile"))); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCallbackIssuer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		iss      *string
		required bool
		ok       bool
	}{
		{"absent, not advertised", nil, false, true},
		{"right", nil, false, true},
		{"another", ptr("https://controller.myoneid.co.uk"), false, false},
		{"absent, advertised", nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.issParam = tc.required
			e.fake.callbackIss = tc.iss
			if tc.name == "right" {
				e.fake.callbackIss = ptr(e.fake.issuer())
			}
			_, err := e.run(t, e.client(t, scopes("profile")))
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && !errors.Is(err, idconnect.ErrInvalidRequest) {
				t.Fatalf("got %v, want ErrInvalidRequest", err)
			}
			if !tc.ok && e.fake.count("token") != 0 {
				t.Error("code redeemed despite a bad iss")
			}
		})
	}
}

func TestSubjectMismatch(t *testing.T) {
	e := newEnv(t)
	e.fake.subject = "another-person"
	_, err := e.run(t, e.client(t, scopes("profile")))
	if !errors.Is(err, idconnect.ErrSubjectMismatch) {
		t.Fatalf("got %v", err)
	}
}

func TestReportRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*fakeOneID)
		cap    int64
		phrase string
	}{
		{"HTML", func(f *fakeOneID) { f.reportType, f.reportBody = "text/html", []byte("<html>%PDF-</html>") }, 0, "Content-Type"},
		{"PDF type, not a PDF", func(f *fakeOneID) { f.reportBody = []byte("<html>not a pdf</html>") }, 0, "not a PDF"},
		{"empty", func(f *fakeOneID) { f.reportBody = []byte{} }, 0, "not a PDF"},
		{"over the cap", func(f *fakeOneID) {}, int64(len(samplePDF) - 1), "larger than"},
		{"declared over the cap", func(f *fakeOneID) {
			// Refused on the Content-Length, before the body (shorter
			// than declared here) is read.
			f.override["report"] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/pdf")
				w.Header().Set("Content-Length", "104857600")
				_, _ = w.Write(samplePDF)
			}
		}, 1 << 20, "larger than"},
		{"over the cap, streamed", func(f *fakeOneID) {
			f.override["report"] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/pdf")
				_, _ = w.Write(samplePDF[:20])
				w.(http.Flusher).Flush() // chunked: no Content-Length
				_, _ = w.Write(samplePDF[20:])
			}
		}, int64(len(samplePDF) - 1), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.setup(e.fake)
			c := e.client(t, scopes("profile"), func(c *oneid.Config) { c.FetchReport, c.MaxReportBytes = true, tc.cap })
			res, err := e.run(t, c)
			if !errors.Is(err, idconnect.ErrMalformed) || !strings.Contains(err.Error(), tc.phrase) {
				t.Fatalf("got %v, want ErrMalformed naming %q", err, tc.phrase)
			}
			if res != nil {
				t.Error("partial result")
			}
			if oneid.RequestID(err) != e.fake.requestID {
				t.Errorf("no request id: %#v", err)
			}
		})
	}
	// Exactly at the cap is fine.
	e := newEnv(t)
	c := e.client(t, scopes("profile"), func(c *oneid.Config) { c.FetchReport, c.MaxReportBytes = true, int64(len(samplePDF)) })
	if _, err := e.run(t, c); err != nil {
		t.Fatal(err)
	}
}

// A failed call keeps OneID's x-request-id: an error status in the
// *idconnect.ProviderError's RequestID, anything else in a *CallError.
func TestRequestID(t *testing.T) {
	for _, ep := range []string{"token", "userinfo", "accounts", "ageverification", "report"} {
		t.Run(ep, func(t *testing.T) {
			e := newEnv(t)
			e.fake.override[ep] = func(w http.ResponseWriter, r *http.Request) {
				oauthError(w, 400, "invalid_request", "Janet Davidson's request was bad")
			}
			c := e.client(t, scopes("profile", "age_over_18", "accounts"), func(c *oneid.Config) { c.FetchReport = true })
			_, err := e.run(t, c)
			var pe *idconnect.ProviderError
			if !errors.As(err, &pe) || pe.Code != "invalid_request" || pe.Op != ep || !errors.Is(err, idconnect.ErrProviderRefused) {
				t.Fatalf("got %v", err)
			}
			if pe.RequestID != e.fake.requestID || oneid.RequestID(err) != e.fake.requestID {
				t.Fatalf("request id %q", pe.RequestID)
			}
			if strings.Count(err.Error(), e.fake.requestID) != 1 {
				t.Errorf("request id not once in %q", err)
			}
			if strings.Contains(err.Error(), "Janet") {
				t.Errorf("provider text in %q", err)
			}
		})
	}
	// A malformed answer keeps it in a CallError; an unsafe one is dropped.
	e := newEnv(t)
	e.fake.override["userinfo"] = func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[]`)) }
	_, err := e.run(t, e.client(t, scopes("profile")))
	var ce *oneid.CallError
	if !errors.Is(err, idconnect.ErrMalformed) || !errors.As(err, &ce) || ce.RequestID != e.fake.requestID || ce.Op != "userinfo" ||
		oneid.RequestID(err) != e.fake.requestID || !strings.Contains(err.Error(), e.fake.requestID) {
		t.Fatalf("got %v", err)
	}
	e = newEnv(t)
	e.fake.requestID = "bad id with spaces <script>"
	e.fake.override["userinfo"] = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }
	_, err = e.run(t, e.client(t, scopes("profile")))
	if oneid.RequestID(err) != "" || !errors.Is(err, idconnect.ErrProviderUnavailable) || strings.Contains(err.Error(), "script") {
		t.Fatalf("got %v", err)
	}
}

func TestRedirectRefused(t *testing.T) {
	e := newEnv(t)
	e.fake.override["userinfo"] = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusTemporaryRedirect)
	}
	_, err := e.run(t, e.client(t, scopes("profile")))
	if !errors.Is(err, idconnect.ErrProviderUnavailable) || strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("got %v", err)
	}
}

func TestMalformedResources(t *testing.T) {
	for _, tc := range []struct {
		ep, body, scope string
	}{
		{"userinfo", `{"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762","birthdate":"01/06/1985"}`, "profile"},
		{"userinfo", `{"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762","name":42}`, "profile"},
		{"userinfo", `{"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762","fraud":{"identityFraudScore":9}}`, "fraud"},
		{"ageverification", `{"age_over_18":"yes"}`, "age_over_18"},
		{"ageverification", `{}`, "age_over_18"},
		{"accounts", `{"accounts":[]}`, "accounts"},
		{"accounts", `[{"sort_code":"12-34-56","account_number":"12345678"}]`, "accounts"},
		{"accounts", `[{"iban":"GB98 MIDL 0700 9312 3456 78"}]`, "accounts"},
		{"accounts", `[{"balance":{"amount":1.5e3,"currency":"GBP"}}]`, "accounts"},
		{"accounts", `[{"balance":{"amount":"12,50","currency":"GBP"}}]`, "accounts"},
	} {
		t.Run(tc.ep+" "+tc.body, func(t *testing.T) {
			e := newEnv(t)
			e.fake.override[tc.ep] = func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tc.body)) }
			sc := []string{tc.scope}
			if tc.scope == "accounts" {
				sc = append(sc, "accounts.balances")
			}
			_, err := e.run(t, e.client(t, scopes(sc...)))
			if !errors.Is(err, idconnect.ErrMalformed) {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), "1985") || strings.Contains(err.Error(), "12-34") {
				t.Errorf("a value in %q", err)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		q       url.Values
		want    error // sentinel; nil for no error
		sub     string
		pe      bool // an *idconnect.ProviderError inside
		unavail bool
	}{
		{"UserCancelled", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.UserCancelled"}}, idconnect.ErrConsentDenied, "UserCancelled", false, false},
		{"UserCancelled as oneid_error", url.Values{"error": {"access_denied"}, "oneid_error": {"OneID.OIDC.Redirect.UserCancelled"}}, idconnect.ErrConsentDenied, "UserCancelled", false, false},
		{"RequestDenied", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.RequestDenied"}}, idconnect.ErrConsentDenied, "RequestDenied", false, false},
		{"SessionExpired", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SessionExpired"}}, oneid.ErrSessionExpired, "SessionExpired", false, false},
		{"SessionNotFound", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SessionNotFound"}}, oneid.ErrSessionExpired, "SessionNotFound", false, false},
		{"SpamGuardBlocked", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SpamGuardBlocked"}}, oneid.ErrSpamGuardBlocked, "SpamGuardBlocked", false, false},
		{"SpamGuardBlocked without prefix", url.Values{"error": {"access_denied"}, "oneid_error": {"SpamGuardBlocked"}}, oneid.ErrSpamGuardBlocked, "SpamGuardBlocked", false, false},
		{"IDScanFlagged", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.IDScanFlagged"}}, idconnect.ErrProviderRefused, "IDScanFlagged", true, false},
		{"unknown sub-code", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.BankOnFire"}}, idconnect.ErrConsentDenied, "BankOnFire", false, false},
		{"server_error, unknown sub-code", url.Values{"error": {"server_error"}, "error_oneid": {"OneID.OIDC.Redirect.server_error"}}, idconnect.ErrProviderUnavailable, "server_error", true, true},
		{"temporarily_unavailable", url.Values{"error": {"temporarily_unavailable"}}, idconnect.ErrProviderUnavailable, "", true, true},
		{"invalid_scope", url.Values{"error": {"invalid_scope"}}, idconnect.ErrProviderRefused, "", true, false},
		{"sub-code alone", url.Values{"oneid_error": {"OneID.OIDC.Redirect.UserCancelled"}}, idconnect.ErrConsentDenied, "UserCancelled", false, false},
		{"both names agree", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.UserCancelled"}, "oneid_error": {"OneID.OIDC.Redirect.UserCancelled"}}, idconnect.ErrConsentDenied, "UserCancelled", false, false},
		{"both names differ", url.Values{"error": {"access_denied"}, "error_oneid": {"UserCancelled"}, "oneid_error": {"SessionExpired"}}, idconnect.ErrInvalidRequest, "", false, false},
		{"repeated", url.Values{"error": {"access_denied"}, "error_oneid": {"UserCancelled", "SessionExpired"}}, idconnect.ErrInvalidRequest, "", false, false},
		{"too long", url.Values{"error": {"access_denied"}, "error_oneid": {strings.Repeat("x", 2000)}}, idconnect.ErrInvalidRequest, "", false, false},
		{"no error", url.Values{"code": {"c"}, "state": {"s"}}, nil, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := oneid.ParseError(tc.q)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == idconnect.ErrInvalidRequest {
				return
			}
			var oe *oneid.Error
			if !errors.As(err, &oe) || oe.SubCode != tc.sub {
				t.Fatalf("got %#v, want sub-code %q", err, tc.sub)
			}
			if tc.sub != "" && !strings.Contains(err.Error(), tc.sub) {
				t.Errorf("message %q lacks the sub-code", err)
			}
			var pe *idconnect.ProviderError
			if errors.As(err, &pe) != tc.pe {
				t.Errorf("ProviderError inside: %v, want %v", !tc.pe, tc.pe)
			}
			if errors.Is(err, idconnect.ErrProviderUnavailable) != tc.unavail {
				t.Errorf("unavailable: %v", !tc.unavail)
			}
			// The kinds never overlap.
			n := 0
			for _, s := range []error{idconnect.ErrConsentDenied, oneid.ErrSessionExpired, oneid.ErrSpamGuardBlocked} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n > 1 {
				t.Errorf("%v matches %d kinds", err, n)
			}
		})
	}
	// The description never reaches the message.
	err := oneid.ParseError(url.Values{"error": {"access_denied"}, "error_description": {"Janet Davidson cancelled"}, "error_oneid": {"OneID.OIDC.Redirect.UserCancelled"}})
	if strings.Contains(err.Error(), "Janet") {
		t.Errorf("description in %q", err)
	}
	if fmt.Sprint(oneid.ErrSessionExpired) == "" || !errors.Is(oneid.ErrSessionExpired, idconnect.ErrStateExpired) {
		t.Error("ErrSessionExpired does not match idconnect.ErrStateExpired")
	}
}

func TestConfig(t *testing.T) {
	good := oneid.Config{Issuer: oneid.Sandbox, ClientID: "id", ClientSecret: "secret", RedirectURI: "https://rp.example/callback"}
	if _, err := oneid.New(good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*oneid.Config)
		want []string // every problem, reported at once
	}{
		{"empty", func(c *oneid.Config) { *c = oneid.Config{} }, []string{"Issuer is required", "ClientID is required", "ClientSecret is required", "RedirectURI is required"}},
		{"http issuer", func(c *oneid.Config) { c.Issuer = "http://controller.myoneid.co.uk" }, []string{"Issuer: http is allowed only on a loopback host"}},
		{"issuer with query", func(c *oneid.Config) { c.Issuer = "https://x.example?a=b" }, []string{"Issuer: must not have a query"}},
		{"balances without accounts", func(c *oneid.Config) { c.Scopes = []string{"profile", "accounts.balances"} }, []string{`"accounts.balances" needs "accounts"`}},
		{"bank address without accounts", func(c *oneid.Config) { c.Scopes = []string{"accounts.bank_address"} }, []string{`needs "accounts"`}},
		{"bad scopes", func(c *oneid.Config) { c.Scopes = []string{"a b"} }, []string{"not a scope token"}},
		{"repeated scope", func(c *oneid.Config) { c.Scopes = []string{"profile", "profile"} }, []string{"repeated"}},
		{"report path", func(c *oneid.Config) { c.ReportPath = "//evil.example/x" }, []string{"ReportPath"}},
		{"several", func(c *oneid.Config) {
			c.RedirectURI, c.Leeway, c.MaxReportBytes = "ftp://x", time.Hour, -1
		}, []string{"RedirectURI", "Leeway", "MaxReportBytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			_, err := oneid.New(cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") && tc.name != "empty" {
				t.Errorf("secret in %q", err)
			}
		})
	}
	for _, ok := range []func(*oneid.Config){
		func(c *oneid.Config) { c.Issuer, c.RedirectURI = "http://127.0.0.1:8080", "http://localhost/cb" },
		func(c *oneid.Config) { c.Issuer, c.AllowInsecureHTTP = "http://oneid.internal", true },
		func(c *oneid.Config) {
			c.Scopes = []string{"openid", "product:age_check", "age_over_18", "accounts", "accounts.balances"}
		},
		func(c *oneid.Config) { c.Issuer = oneid.Production },
	} {
		cfg := good
		ok(&cfg)
		if _, err := oneid.New(cfg); err != nil {
			t.Errorf("refused: %v", err)
		}
	}
	// The secret redacts itself.
	if s := fmt.Sprintf("%v %+v", good, good); strings.Contains(s, "secret") && !strings.Contains(s, "[redacted]") {
		t.Errorf("secret printed: %s", s)
	}
}

// Exchange given an error callback (a Flow that passes it on) classifies
// it like ParseError.
func TestExchangeErrorCallback(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	_, err := c.Exchange(context.Background(), &idconnect.Login{}, idconnect.Callback{Error: "access_denied", State: "s"})
	if !errors.Is(err, idconnect.ErrConsentDenied) || e.fake.count("discovery") != 0 {
		t.Fatalf("got %v", err)
	}
}
