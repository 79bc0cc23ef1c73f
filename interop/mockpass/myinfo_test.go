//go:build interop

package mockpass

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/server"
	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

// attributes is what every login asks for: the official demo app's list
// plus the pass attributes of FIN holders. assessableincome is in
// MockPass's allow-list but no persona has it, so MockPass leaves it out of
// its answers and so must we.
var attributes = []string{
	"uinfin", "name", "aliasname", "hanyupinyinname", "sex", "race", "nationality",
	"birthcountry", "dob", "email", "mobileno", "regadd", "housingtype", "hdbtype",
	"marital", "edulevel", "passtype", "passstatus", "passexpirydate",
	"residentialstatus", "noa-basic", "cpfcontributions", "cpfbalances",
	"childrenbirthrecords", "assessableincome",
}

// personas are the MockPass people the walks log in as.
var personas = []struct{ nric, about string }{
	{"S9812381D", "citizen, one child"},
	{"S9912364H", "regadd type Unformatted (Malaysian address)"},
	{"S6005055D", "name with . and :, regadd Unformatted"},
	{"S6005053H", "name with , and % (MY,INFO%BB); noa and cpfcontributions unavailable"},
	{"G1612348Q", "FIN, Work Permit; CPF attributes unavailable"},
	{"F1612347K", "FIN, Work Holiday Pass"},
	{"G1612350T", "FIN, Employment Pass, three children"},
	{"S9812379B", "permanent resident"},
}

// appRedirectURI is the redirect URI of the client-only walks, which stop
// at MockPass's redirect and never connect to it.
const appRedirectURI = "http://127.0.0.1:3001/callback"

func TestMockPass(t *testing.T) {
	m := startMockPass(t)

	t.Run("client", func(t *testing.T) {
		for _, p := range personas {
			t.Run(p.nric, func(t *testing.T) {
				t.Logf("persona %s: %s", p.nric, p.about)
				c := newClient(t, m, appRedirectURI, nil)
				login, res, err := walkClient(t, m, c, p.nric, "allow")
				if err != nil {
					t.Fatalf("token → person against MockPass failed: %v", err)
				}
				checkResult(t, m, p.nric, login.Attributes, res)
			})
		}
	})

	t.Run("client-variants", func(t *testing.T) {
		tests := []struct {
			name string
			mod  func(*myinfo.Config)
		}{
			// txnNo is a query parameter, so it is part of the signed base string.
			{"txnNo", func(c *myinfo.Config) { c.TxnNo = true }},
			{"base URL with trailing slash", func(c *myinfo.Config) { c.BaseURL += "/" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newClient(t, m, appRedirectURI, tt.mod)
				login, res, err := walkClient(t, m, c, "S9812381D", "allow")
				if err != nil {
					t.Fatalf("token → person against MockPass failed: %v", err)
				}
				checkResult(t, m, "S9812381D", login.Attributes, res)
			})
		}
	})

	t.Run("service", func(t *testing.T) {
		for _, p := range personas {
			t.Run(p.nric, func(t *testing.T) {
				svc := startService(t, m, nil)
				b := m.browser(t, p.nric, svc.host)
				code, status, body := svc.walk(t, m, b, p.nric)
				if status != http.StatusOK {
					t.Fatalf("GET /users/me/external/myinfo answered HTTP %d, want 200; body: %.500s", status, body)
				}
				var got struct {
					Message string          `json:"message"`
					Sodata  json.RawMessage `json:"sodata"`
				}
				if err := json.Unmarshal(body, &got); err != nil || got.Message != "OK" || len(got.Sodata) == 0 {
					t.Fatalf(`answer is not {"message":"OK","sodata":{…}} (%v): %.500s`, err, body)
				}
				checkSodata(t, m.persona(t, p.nric), attributes, got.Sodata)

				// MockPass would exchange the code again (its codes are
				// reusable); the service must not.
				status, body = svc.get(t, b, "/users/me/external/myinfo?code="+url.QueryEscape(code))
				checkEnvelope(t, "replayed code", status, body, http.StatusBadRequest, "LOGIN_UNKNOWN")
			})
		}
	})

	// MockPass checks the token call's PKI_SIGN signature with its copy of
	// the client's public key (static/certs/key.pub), over a base string
	// holding its own client secret, and answers 403 when it fails.
	t.Run("refused", func(t *testing.T) {
		wrongKey := newRSAKey(t)
		tests := []struct {
			name   string
			mod    func(*myinfo.Config)
			secret string // must not appear in our error
		}{
			{"wrong client key", func(c *myinfo.Config) { c.ClientKey = wrongKey }, clientSecret},
			{"wrong client secret", func(c *myinfo.Config) { c.ClientSecret = "not-the-client-secret" }, "not-the-client-secret"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				const nric = "S9812381D"
				c := newClient(t, m, appRedirectURI, tt.mod)
				_, _, err := walkClient(t, m, c, nric, "allow")
				if !errors.Is(err, idconnect.ErrProviderRefused) {
					t.Fatalf("err = %v, want one matching idconnect.ErrProviderRefused", err)
				}
				var perr *idconnect.ProviderError
				if !errors.As(err, &perr) || perr.StatusCode != http.StatusForbidden || perr.Op != "token" {
					t.Fatalf("err = %v, want a *idconnect.ProviderError for op token with status 403", err)
				}
				// MockPass's 403 message echoes the expected base string,
				// which holds the client secret and the person's NRIC.
				for _, leak := range []string{tt.secret, nric, "POST&", "&code="} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("error text %q contains %q from MockPass's base string", err, leak)
					}
				}

				svc := startService(t, m, tt.mod)
				_, status, body := svc.walk(t, m, m.browser(t, nric, svc.host), nric)
				checkEnvelope(t, "person route", status, body, http.StatusForbidden, "PROVIDER_REFUSED")
			})
		}
	})

	// With a certificate other than MockPass's, the first signature the
	// client checks, the access token's, fails; the person JWS is never
	// reached (MockPass signs both with the same key).
	t.Run("untrusted provider certificate", func(t *testing.T) {
		const nric = "S9812381D"
		mod := func(c *myinfo.Config) { c.ProviderKey = &newRSAKey(t).PublicKey }
		_, _, err := walkClient(t, m, newClient(t, m, appRedirectURI, mod), nric, "allow")
		if !errors.Is(err, idconnect.ErrSignature) {
			t.Fatalf("err = %v, want one matching idconnect.ErrSignature", err)
		}
		svc := startService(t, m, mod)
		_, status, body := svc.walk(t, m, m.browser(t, nric, svc.host), nric)
		checkEnvelope(t, "person route", status, body, http.StatusBadGateway, "PROVIDER_SIGNATURE_INVALID")
	})

	t.Run("consent denied", func(t *testing.T) {
		const nric = "S9812381D"
		t.Run("flow", func(t *testing.T) {
			_, res, err := walkClient(t, m, newClient(t, m, appRedirectURI, nil), nric, "deny")
			if !errors.Is(err, idconnect.ErrConsentDenied) || res != nil {
				t.Fatalf("Finish = (%v, %v), want no result and idconnect.ErrConsentDenied", res, err)
			}
		})
		t.Run("service", func(t *testing.T) {
			svc := startService(t, m, nil)
			b := m.browser(t, nric, svc.host)
			authURL, state := svc.redirectLogin(t, b)
			loc := m.consent(t, b, authURL, nric, "deny")
			q := loc.Query()
			if q.Get("error") != "access_denied" || q.Get("state") != state || q.Has("code") {
				t.Fatalf("denied consent redirected with %v, want error=access_denied, our state and no code", q)
			}
			status, body := svc.get(t, b, loc.RequestURI())
			if status != http.StatusOK || !strings.Contains(string(body), "No data was shared") {
				t.Fatalf("denial callback answered HTTP %d, want 200 and the \"No data was shared\" page; body: %.500s", status, body)
			}
			status, body = svc.get(t, b, loc.RequestURI())
			checkEnvelope(t, "replayed denial callback", status, body, http.StatusBadRequest, "LOGIN_UNKNOWN")
			status, body = svc.get(t, b, "/callback?"+url.Values{"code": {"a-later-code"}, "state": {state}}.Encode())
			checkEnvelope(t, "code for a denied state", status, body, http.StatusBadRequest, "LOGIN_UNKNOWN")
		})
	})
}

// newClient is our Myinfo client for MockPass, with MockPass's shipped
// client key and certificate; mod, if set, changes the configuration.
func newClient(t *testing.T, m *mockPass, redirectURI string, mod func(*myinfo.Config)) *myinfo.Client {
	t.Helper()
	cfg := myinfo.Config{
		BaseURL:      m.base + "/myinfo/v3",
		ClientID:     clientID,
		ClientSecret: idconnect.Secret(clientSecret),
		ClientKey:    m.clientKey,
		ProviderKey:  m.providerKey,
		RedirectURI:  redirectURI,
		Attributes:   attributes,
		Purpose:      purpose,
		HTTPClient:   &http.Client{Timeout: peer.RequestTimeout},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := myinfo.New(cfg)
	if err != nil {
		t.Fatalf("myinfo.New: %v", err)
	}
	return c
}

func newFlow(c *myinfo.Client) *idconnect.Flow {
	return &idconnect.Flow{Providers: map[string]idconnect.Provider{"myinfo": c}, Store: &store.Memory{}}
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// walkClient logs in to MockPass as nric through a Flow, answers the
// consent form with decision, and finishes the login with the code (or
// error) MockPass redirected with.
func walkClient(t *testing.T, m *mockPass, c *myinfo.Client, nric, decision string) (*idconnect.Login, *idconnect.Result, error) {
	t.Helper()
	flow := newFlow(c)
	secret := make([]byte, 32)
	rand.Read(secret)
	browserSecret := base64.RawURLEncoding.EncodeToString(secret)

	login, authURL, err := flow.Start(t.Context(), "myinfo", browserSecret, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Flow.Start: %v", err)
	}
	checkAuthURL(t, c, authURL, login)
	redirect, err := url.Parse(appRedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	loc := m.consent(t, m.browser(t, nric, redirect.Host), authURL, nric, decision)
	if loc.Host != redirect.Host || loc.Path != redirect.Path {
		t.Fatalf("MockPass redirected to %s://%s%s, want our redirect URI %s", loc.Scheme, loc.Host, loc.Path, appRedirectURI)
	}
	if got := loc.Query().Get("state"); got != login.State {
		t.Fatalf("MockPass returned state %q, want ours %q", got, login.State)
	}
	// MockPass adds scope, client_id and iss to the callback: the parser
	// must let them through.
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatalf("ParseCallback(%v): %v", loc.Query(), err)
	}
	_, res, err := flow.Finish(t.Context(), "myinfo", cb, browserSecret)
	return login, res, err
}

// checkAuthURL checks the authorise URL our client built.
func checkAuthURL(t *testing.T, c *myinfo.Client, authURL string, login *idconnect.Login) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("authorise URL %q: %v", authURL, err)
	}
	if want := c.BaseURL() + "/authorise"; u.Scheme+"://"+u.Host+u.Path != want {
		t.Errorf("authorise URL %s, want it at %s", authURL, want)
	}
	q := u.Query()
	want := map[string]string{
		"client_id":    clientID,
		"attributes":   strings.Join(attributes, ","),
		"state":        login.State,
		"redirect_uri": login.RedirectURI,
		"purpose":      purpose,
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorise URL has %s=%q, want %q", k, q.Get(k), v)
		}
	}
}

// checkResult compares a verified result with MockPass's data for nric.
func checkResult(t *testing.T, m *mockPass, nric string, attrs []string, res *idconnect.Result) {
	t.Helper()
	persona := m.persona(t, nric)
	if res.Subject != nric {
		t.Errorf("Subject = %q, want %q", res.Subject, nric)
	}
	var raw map[string]any
	if err := json.Unmarshal(res.Raw, &raw); err != nil {
		t.Fatalf("Result.Raw is not a JSON object: %v", err)
	}
	if d := diffKeys(raw, picked(t, persona, attrs)); len(d) > 0 {
		t.Errorf("verified person JSON differs from v3.json (the requested attributes of %s) in: %s", nric, strings.Join(d, ", "))
	}
	sodata, err := myinfo.Flatten(attrs, res.Raw)
	if err != nil {
		t.Fatalf("Flatten: %v", err)
	}
	checkSodata(t, persona, attrs, sodata)

	// The normalised person, for the attributes every persona has.
	var want struct {
		Name   struct{ Value string }
		Regadd struct {
			Type         string
			Postal       struct{ Value string }
			Line1, Line2 struct{ Value string }
		}
	}
	if err := json.Unmarshal(mustJSON(t, picked(t, persona, []string{"name", "regadd"})), &want); err != nil {
		t.Fatal(err)
	}
	p := res.Person
	if p == nil {
		t.Fatal("Result.Person is nil")
	}
	if p.IDNumber == nil || p.IDNumber.Value != nric {
		t.Errorf("Person.IDNumber = %+v, want %s", p.IDNumber, nric)
	}
	if p.Name == nil || p.Name.Value != want.Name.Value {
		t.Errorf("Person.Name = %+v, want %q", p.Name, want.Name.Value)
	}
	var reg *idconnect.Address
	for i := range p.Addresses {
		if p.Addresses[i].Kind == "registered" {
			reg = &p.Addresses[i]
		}
	}
	switch {
	case want.Regadd.Type == "Unformatted":
		lines := []string{want.Regadd.Line1.Value, want.Regadd.Line2.Value}
		if reg == nil || reg.Format != "lines" || !slices.Equal(reg.Lines, lines) {
			t.Errorf("registered address = %+v, want format lines with %q", reg, lines)
		}
	case want.Regadd.Postal.Value != "":
		if reg == nil || reg.Format != "structured" || reg.PostalCode != want.Regadd.Postal.Value {
			t.Errorf("registered address = %+v, want a structured address with postal code %s", reg, want.Regadd.Postal.Value)
		}
	default:
		// FIN holders' regadd in v3.json is all empty strings (source 3):
		// nothing to normalise.
		if reg != nil {
			t.Errorf("registered address = %+v, want none: the persona's regadd is empty", reg)
		}
	}
}

// checkSodata compares a sodata object with the seed's flattening of
// MockPass's data: the same members, in the requested order.
func checkSodata(t *testing.T, persona map[string]json.RawMessage, attrs []string, sodata []byte) {
	t.Helper()
	want, wantOrder := flattened(t, persona, attrs)
	var got map[string]any
	if err := json.Unmarshal(sodata, &got); err != nil {
		t.Fatalf("sodata is not a JSON object: %v: %.300s", err, sodata)
	}
	if d := diffKeys(got, want); len(d) > 0 {
		t.Errorf("sodata differs from v3.json flattened in: %s", strings.Join(d, ", "))
	}
	order, err := objectKeys(sodata)
	if err != nil {
		t.Fatalf("sodata: %v", err)
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("sodata members are in order %v, want the requested order %v", order, wantOrder)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// service is our HTTP service (server.New) in an httptest server, its
// Myinfo client pointed at MockPass and redirecting to its own /callback.
type service struct {
	url  string // http://127.0.0.1:port
	host string // 127.0.0.1:port
}

func startService(t *testing.T, m *mockPass, mod func(*myinfo.Config)) *service {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	host := ts.Listener.Addr().String()
	if ip, _, _ := net.SplitHostPort(host); ip != "127.0.0.1" {
		t.Fatalf("httptest listens on %s, want 127.0.0.1", host)
	}
	srv, err := server.New(server.Config{SeedProvider: "myinfo", Flow: newFlow(newClient(t, m, "http://"+host+"/callback", mod))})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return &service{url: ts.URL, host: host}
}

// get fetches path from the service with the browser b.
func (s *service) get(t *testing.T, b *http.Client, path string) (int, []byte) {
	t.Helper()
	resp, err := b.Get(s.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", strings.SplitN(path, "?", 2)[0], err)
	}
	body := readBody(t, resp)
	return resp.StatusCode, []byte(body)
}

// redirectLogin calls the seed's first route and returns the authorise URL
// and state it hands out.
func (s *service) redirectLogin(t *testing.T, b *http.Client) (authURL, state string) {
	t.Helper()
	status, body := s.get(t, b, "/users/me/external/myinfo-redirect-login")
	var got struct {
		Message string
		Data    struct{ URL, State string }
	}
	if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || got.Message != "OK" || got.Data.URL == "" || got.Data.State == "" {
		t.Fatalf(`redirect-login answered HTTP %d %.300s, want 200 {"message":"OK","data":{"url","state"}}`, status, body)
	}
	return got.Data.URL, got.Data.State
}

// walk runs the seed flow in the browser b: redirect-login, MockPass's
// login and consent (allow), our /callback page, and the person route. It
// returns the code and the person route's answer.
func (s *service) walk(t *testing.T, m *mockPass, b *http.Client, nric string) (code string, status int, body []byte) {
	t.Helper()
	authURL, state := s.redirectLogin(t, b)
	if !strings.HasPrefix(authURL, m.base+"/myinfo/v3/authorise?") {
		t.Fatalf("redirect-login URL %q does not point at MockPass's authorise endpoint", authURL)
	}
	loc := m.consent(t, b, authURL, nric, "allow")
	q := loc.Query()
	code = q.Get("code")
	if loc.Host != s.host || loc.Path != "/callback" || code == "" || q.Get("state") != state {
		t.Fatalf("MockPass redirected to %s://%s%s with %v, want our /callback with a code and state %q", loc.Scheme, loc.Host, loc.Path, q, state)
	}
	status, page := s.get(t, b, loc.RequestURI())
	if status != http.StatusOK || !strings.Contains(string(page), `<span id="code-container">`+code+`</span>`) {
		t.Fatalf("/callback answered HTTP %d, want 200 and the page showing the code; body: %.500s", status, page)
	}
	status, body = s.get(t, b, "/users/me/external/myinfo?code="+url.QueryEscape(code))
	return code, status, body
}

// checkEnvelope checks an error answer in the seed's envelope.
func checkEnvelope(t *testing.T, what string, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var env struct {
		Message string
		Code    string
		Error   struct{ Title, Description, Code string }
	}
	if err := json.Unmarshal(body, &env); err != nil || status != wantStatus || env.Code != wantCode || env.Error.Code != wantCode || env.Message == "" {
		t.Errorf("%s: HTTP %d %.300s, want %d with the seed's error envelope, code %s", what, status, body, wantStatus, wantCode)
	}
}
