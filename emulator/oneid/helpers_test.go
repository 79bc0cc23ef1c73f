package oneid

// The test relying party below is written from OneID's documentation
// (seed 002, research §1) with go-jose and the standard library; it shares
// no code with the emulator's checks.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/idconnect/idconnect/emulator/personas"
)

const (
	clientID     = "test-client-0123"
	clientSecret = "s3cret+with/odd=chars"
	otherID      = "other-client"
	otherSecret  = "other-secret"
	testRedirect = "https://rp.test/callback"
	allScopes    = "openid profile date_of_birth address email phone age_over_18 accounts accounts.balances fraud"
)

// clock is the one clock of a test: the emulator reads it, and every time
// the test computes or checks comes from it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_795_000_000, 0)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// signingKey is one RSA key for every test of the package (generating
// 2048-bit keys per test is slow).
func signingKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testKey = k
	})
	return testKey
}

// env is one emulator on an httptest server with one clock, and a test
// relying party that discovered it.
type env struct {
	t       *testing.T
	clock   *clock
	srv     *Server
	hs      *httptest.Server
	issuer  string
	hc      *http.Client // never follows redirects
	disco   map[string]any
	jwks    jose.JSONWebKeySet
	people  []personas.OneIDPersona
	logs    *bytes.Buffer
	logMu   *sync.Mutex
	lastReq string // x-request-id of the last answer
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newEnv(t *testing.T, mods ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	var h http.Handler = http.NotFoundHandler()
	e.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.hs.Close)
	e.issuer = e.hs.URL + "/oneid"
	ps, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	e.people = ps
	cfg := Config{
		Issuer:   e.issuer,
		Personas: ps,
		Clients: []Client{
			{ID: clientID, Secret: clientSecret, RedirectURIs: []string{testRedirect}, Name: "Test shop"},
			{ID: otherID, Secret: otherSecret, RedirectURIs: []string{testRedirect}, Scopes: []string{"profile"}},
		},
		SigningKey: signingKey(t),
		Now:        e.clock.Now,
		Logger:     slog.New(slog.NewJSONHandler(lockedWriter{e.logMu, e.logs}, nil)),
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	mux := http.NewServeMux()
	mux.Handle("/oneid/", http.StripPrefix("/oneid", srv))
	h = mux
	e.hc = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, body := e.get(e.issuer+PathDiscovery, "")
	if resp.StatusCode != 200 {
		t.Fatalf("discovery: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &e.disco); err != nil {
		t.Fatal(err)
	}
	resp, body = e.get(e.endpoint("jwks_uri"), "")
	if resp.StatusCode != 200 {
		t.Fatalf("jwks: %d", resp.StatusCode)
	}
	if err := json.Unmarshal(body, &e.jwks); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) endpoint(name string) string {
	s, _ := e.disco[name].(string)
	if s == "" {
		e.t.Fatalf("discovery has no %s", name)
	}
	return s
}

func (e *env) persona(id string) personas.OneIDPersona {
	for _, p := range e.people {
		if p.ID == id {
			return p
		}
	}
	e.t.Fatalf("no persona %s", id)
	return personas.OneIDPersona{}
}

// do sends r and reads the whole answer, checking x-request-id.
func (e *env) do(r *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.hc.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		e.t.Fatal(err)
	}
	id := resp.Header.Get("x-request-id")
	if len(id) != 36 || id == e.lastReq {
		e.t.Errorf("%s %s: x-request-id %q, want a fresh UUID on every answer", r.Method, r.URL.Path, id)
	}
	e.lastReq = id
	return resp, body
}

// get sends GET url with a bearer token ("" for none).
func (e *env) get(u, token string) (*http.Response, []byte) {
	e.t.Helper()
	r, err := http.NewRequest("GET", u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(r)
}

// login is one login of the test relying party.
type login struct {
	e        *env
	scope    string
	state    string
	nonce    string
	verifier string
	redirect string
	clientID string
	secret   string
	extra    url.Values // added to the authorization URL
}

func randID(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (e *env) newLogin(scope string) *login {
	return &login{e: e, scope: scope, state: randID(e.t), nonce: randID(e.t), verifier: randID(e.t),
		redirect: testRedirect, clientID: clientID, secret: clientSecret, extra: url.Values{}}
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL is the authorization URL, from discovery's endpoint.
func (l *login) authURL() string {
	q := url.Values{"client_id": {l.clientID}, "response_type": {"code"}, "redirect_uri": {l.redirect},
		"scope": {l.scope}, "state": {l.state}, "nonce": {l.nonce},
		"code_challenge": {challengeOf(l.verifier)}, "code_challenge_method": {"S256"}}
	for k, v := range l.extra {
		q[k] = v
	}
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	return l.e.endpoint("authorization_endpoint") + "?" + q.Encode()
}

// callback follows the authorization URL with persona= and consent= and
// returns the callback's query (the redirect must go to the redirect URI).
func (l *login) callback(persona, consent string) url.Values {
	l.e.t.Helper()
	l.extra.Set("persona", persona)
	l.extra.Set("consent", consent)
	resp, body := l.e.get(l.authURL(), "")
	return l.e.callbackOf(resp, body)
}

func (e *env) callbackOf(resp *http.Response, body []byte) url.Values {
	e.t.Helper()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: %d, want a redirect: %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), testRedirect+"?") {
		e.t.Fatalf("redirect to %q, want %s", resp.Header.Get("Location"), testRedirect)
	}
	return u.Query()
}

// code runs the login to a code for persona.
func (l *login) code(persona string) string {
	l.e.t.Helper()
	q := l.callback(persona, "allow")
	if q.Get("state") != l.state || q.Get("code") == "" || q.Get("error") != "" {
		l.e.t.Fatalf("callback %v: want code and our state", q)
	}
	if q.Has("iss") {
		l.e.t.Error("the callback carries iss; OneID is not known to send it")
	}
	return q.Get("code")
}

// tokenRequest posts to the token endpoint with form and, unless user is
// "", Basic credentials encoded per RFC 6749 §2.3.1.
func (e *env) tokenRequest(form url.Values, user, pass string) (int, map[string]any, http.Header) {
	e.t.Helper()
	r, err := http.NewRequest("POST", e.endpoint("token_endpoint"), strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, body := e.do(r)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		e.t.Fatalf("token answer is not JSON: %s", body)
	}
	return resp.StatusCode, m, resp.Header
}

func (l *login) tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {l.redirect},
		"code_verifier": {l.verifier}}
}

// tokens is a successful token answer.
type tokens struct {
	access, idToken, scope string
	expiresIn              float64
}

// exchange swaps code for tokens, failing the test on an error.
func (l *login) exchange(code string) tokens {
	l.e.t.Helper()
	status, m, _ := l.e.tokenRequest(l.tokenForm(code), l.clientID, l.secret)
	if status != 200 {
		l.e.t.Fatalf("token: %d %v", status, m)
	}
	if m["token_type"] != "Bearer" {
		l.e.t.Errorf("token_type %v, want Bearer", m["token_type"])
	}
	at, _ := m["access_token"].(string)
	id, _ := m["id_token"].(string)
	sc, _ := m["scope"].(string)
	exp, _ := m["expires_in"].(float64)
	return tokens{access: at, idToken: id, scope: sc, expiresIn: exp}
}

// idClaims are the ID token claims the test RP reads.
type idClaims struct {
	jwt.Claims
	Nonce string `json:"nonce"`
}

// verifyIDToken checks an ID token the way an OneID relying party must:
// PS256 only, the JWKS key of its kid, iss, aud, exp/iat (on the test's
// clock, one minute of leeway) and nonce.
func (l *login) verifyIDToken(tok string) (*idClaims, error) {
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		return nil, err
	}
	keys := l.e.jwks.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		return nil, errString("no JWKS key for the kid")
	}
	var c idClaims
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		return nil, err
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: l.e.issuer, AnyAudience: jwt.Audience{l.clientID},
		Time: l.e.clock.Now()}, time.Minute); err != nil {
		return nil, err
	}
	if c.Nonce != l.nonce {
		return nil, errString("nonce mismatch")
	}
	return &c, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// jsonEq compares two JSON documents by value.
func jsonEq(t testing.TB, got, want []byte) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// postForm posts a form as a browser page would and returns the status
// and body.
func (e *env) postForm(u string, form url.Values) (int, []byte) {
	e.t.Helper()
	r, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := e.do(r)
	return resp.StatusCode, body
}
