package oneid_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// clock is the one fake clock of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	fakeClientID     = "oneid-test-client"
	fakeClientSecret = "s3cr:et/+&% x" // needs form-urlencoding in Basic auth
	redirectURI      = "http://localhost:3001/callback/oneid"
)

// A small RSA key shared by the tests keeps them quick; each test that
// needs a foreign key makes its own.
var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func sharedRSA(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

// grant is what /v2/authorize recorded for a code.
type grant struct {
	form  url.Values
	token string
}

// fakeOneID is a hand-written OneID for the client's tests: discovery,
// JWKS, /v2/authorize, /token and the resources. It checks what the client
// sends (Basic auth, PKCE, redirect URI, bearer token) and has a knob for
// every fault the tests need.
type fakeOneID struct {
	t     testing.TB
	srv   *httptest.Server
	clock *clock

	mu     sync.Mutex
	key    crypto.Signer // the published signing key
	kid    string
	codes  map[string]*grant
	tokens map[string]*grant
	hits   map[string]int

	// Knobs. Zero values give the documented behaviour.
	persona        string                  // testdata directory (default "janet")
	subject        string                  // id_token sub ("" → the persona's userinfo sub)
	jwkAlg         string                  // alg of the published JWK ("" → PS256; "-" → none)
	signAlg        jose.SignatureAlgorithm // id_token alg ("" → PS256)
	signWith       crypto.Signer           // sign with this key instead (same kid)
	idClaims       func(map[string]any)    // edits the id_token claims
	issParam       bool                    // discovery advertises authorization_response_iss_parameter_supported
	callbackIss    *string                 // iss on the redirect (nil: none)
	tokenScope     *string                 // token answer's scope (nil: the scopes asked for)
	alwaysBalances bool                    // send balances even without accounts.balances
	reportType     string                  // report Content-Type ("" → application/pdf)
	reportBody     []byte                  // report body (nil → a small PDF)
	requestID      string                  // x-request-id on every answer
	override       map[string]http.HandlerFunc
}

func newFake(t testing.TB, c *clock) *fakeOneID {
	f := &fakeOneID{
		t: t, clock: c, key: sharedRSA(t), kid: "oneid-sig-1", persona: "janet",
		codes: map[string]*grant{}, tokens: map[string]*grant{}, hits: map[string]int{},
		requestID: "5f0c3c6e-8d0e-4a51-9b1e-2b7a7e1b0c42", override: map[string]http.HandlerFunc{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.wrap("discovery", f.discovery))
	mux.HandleFunc("GET /jwks", f.wrap("jwks", f.jwks))
	mux.HandleFunc("GET /v2/authorize", f.wrap("authorize", f.authorize))
	mux.HandleFunc("POST /token", f.wrap("token", f.token))
	mux.HandleFunc("GET /userinfo", f.wrap("userinfo", f.resource("userinfo.json")))
	mux.HandleFunc("GET /ageverification", f.wrap("ageverification", f.resource("ageverification.json")))
	mux.HandleFunc("GET /accounts", f.wrap("accounts", f.accounts))
	mux.HandleFunc("GET /userinfo/report", f.wrap("report", f.report))
	f.srv = httptest.NewServer(mux)
	if t != nil { // nil in the Example, which closes the server itself
		t.Cleanup(f.srv.Close)
	}
	return f
}

func (f *fakeOneID) issuer() string { return f.srv.URL }

func (f *fakeOneID) fatal(err error) {
	if f.t != nil {
		f.t.Helper()
		f.t.Fatal(err)
	}
	panic(err)
}

func (f *fakeOneID) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[endpoint]
}

func (f *fakeOneID) wrap(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[name]++
		o := f.override[name]
		id := f.requestID
		f.mu.Unlock()
		if id != "" {
			w.Header().Set("X-Request-Id", id)
		}
		if o != nil {
			o(w, r)
			return
		}
		h(w, r)
	}
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (f *fakeOneID) discovery(w http.ResponseWriter, r *http.Request) {
	iss := f.issuer()
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/v2/authorize",
		"token_endpoint":                                 iss + "/token",
		"userinfo_endpoint":                              iss + "/userinfo",
		"jwks_uri":                                       iss + "/jwks",
		"id_token_signing_alg_values_supported":          []string{"PS256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic"},
		"authorization_response_iss_parameter_supported": f.issParam,
	})
}

func (f *fakeOneID) jwks(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	alg := f.jwkAlg
	switch alg {
	case "":
		alg = "PS256"
	case "-":
		alg = ""
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: f.key.Public(), KeyID: f.kid, Use: "sig", Algorithm: alg}}}
	_ = json.NewEncoder(w).Encode(set)
}

func (f *fakeOneID) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	scope := strings.Split(q.Get("scope"), " ")
	switch {
	case q.Get("client_id") != fakeClientID:
		oauthError(w, 400, "invalid_client", "client_id")
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		oauthError(w, 400, "invalid_request", "pkce")
		return
	case len(scope) == 0 || scope[0] != "openid":
		oauthError(w, 400, "invalid_scope", "openid")
		return
	case q.Get("state") == "" || q.Get("nonce") == "" || q.Get("redirect_uri") == "":
		oauthError(w, 400, "invalid_request", "state/nonce/redirect_uri")
		return
	}
	code := randomString()
	f.mu.Lock()
	f.codes[code] = &grant{form: q}
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	if f.callbackIss != nil {
		back.Set("iss", *f.callbackIss)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (f *fakeOneID) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if ok {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		ok = err1 == nil && err2 == nil
	}
	if !ok || id != fakeClientID || secret != fakeClientSecret {
		oauthError(w, 401, "invalid_client", "client authentication failed")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "form")
		return
	}
	form := r.PostForm
	f.mu.Lock()
	g := f.codes[form.Get("code")]
	delete(f.codes, form.Get("code"))
	f.mu.Unlock()
	challenge := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case form.Get("grant_type") != "authorization_code" || g == nil:
		oauthError(w, 400, "invalid_grant", "code")
		return
	case form.Get("redirect_uri") != g.form.Get("redirect_uri"):
		oauthError(w, 400, "invalid_grant", "redirect_uri")
		return
	case base64.RawURLEncoding.EncodeToString(challenge[:]) != g.form.Get("code_challenge"):
		oauthError(w, 400, "invalid_grant", "code_verifier")
		return
	}
	g.token = randomString()
	f.mu.Lock()
	f.tokens[g.token] = g
	f.mu.Unlock()
	now := f.clock.Now()
	claims := map[string]any{
		"iss": f.issuer(), "sub": f.sub(), "aud": fakeClientID, "nonce": g.form.Get("nonce"),
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
	if f.idClaims != nil {
		f.idClaims(claims)
	}
	scope := strings.TrimPrefix(g.form.Get("scope"), "openid ")
	if f.tokenScope != nil {
		scope = *f.tokenScope
	}
	answer := map[string]any{
		"access_token": g.token, "token_type": "Bearer", "expires_in": 300,
		"id_token": f.sign(claims),
	}
	if scope != "" {
		answer["scope"] = scope
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

// sign makes the id_token.
func (f *fakeOneID) sign(claims map[string]any) string {
	alg := f.signAlg
	if alg == "" {
		alg = jose.PS256
	}
	key := f.key
	if f.signWith != nil {
		key = f.signWith
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", f.kid))
	if err != nil {
		f.fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		f.fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		f.fatal(err)
	}
	return out
}

func (f *fakeOneID) file(name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", f.persona, name))
	if err != nil {
		f.fatal(err)
	}
	return b
}

// sub is the persona's userinfo sub, unless a test set another.
func (f *fakeOneID) sub() string {
	if f.subject != "" {
		return f.subject
	}
	var u struct{ Sub string }
	if err := json.Unmarshal(f.file("userinfo.json"), &u); err != nil {
		f.fatal(err)
	}
	return u.Sub
}

// bearer returns the grant of the request's access token, or answers 401.
func (f *fakeOneID) bearer(w http.ResponseWriter, r *http.Request) *grant {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	g := f.tokens[tok]
	f.mu.Unlock()
	if !ok || g == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return nil
	}
	return g
}

func (g *grant) has(scope string) bool {
	return slices.Contains(strings.Split(g.form.Get("scope"), " "), scope)
}

func (f *fakeOneID) resource(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.bearer(w, r) == nil {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.file(name))
	}
}

// accounts sends the persona's accounts, without balances unless
// accounts.balances was asked for (or alwaysBalances).
func (f *fakeOneID) accounts(w http.ResponseWriter, r *http.Request) {
	g := f.bearer(w, r)
	if g == nil {
		return
	}
	if !g.has("accounts") {
		oauthError(w, 400, "invalid_scope", "accounts")
		return
	}
	var accts []map[string]any
	if err := json.Unmarshal(f.file("accounts.json"), &accts); err != nil {
		f.fatal(err)
	}
	if !g.has("accounts.balances") && !f.alwaysBalances {
		for _, a := range accts {
			delete(a, "balance")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(accts)
}

// samplePDF is a small PDF file.
var samplePDF = []byte("%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")

func (f *fakeOneID) report(w http.ResponseWriter, r *http.Request) {
	if f.bearer(w, r) == nil {
		return
	}
	ct, body := f.reportType, f.reportBody
	if ct == "" {
		ct = "application/pdf"
	}
	if body == nil {
		body = samplePDF
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(body)
}

// newECKey and newRSAKey make keys for tests that need a foreign one.
func newECKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var _ = fmt.Sprint
