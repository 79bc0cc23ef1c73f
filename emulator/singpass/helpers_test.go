package singpass

// The test relying party below is written from the Singpass documentation
// with go-jose directly; it shares no code with the emulator's checks.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
)

const (
	testIssuer   = "https://singpass.test/fapi"
	myinfoID     = "MyinfoClient0123456789abcdefABCD"
	loginID      = "LoginClient0123456789abcdefABCDE"
	testRedirect = "https://rp.test/callback"
	testPersona  = "S6005048A"
)

// clock is the one clock of a test: the emulator reads it, and every time
// the test computes comes from it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_790_000_000, 0)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// rp is a test relying party: its signing key (client assertions), its
// encryption key (ID token, userinfo) and its JWKS.
type rp struct {
	id      string
	sigKey  *ecdsa.PrivateKey
	sigKID  string
	encKey  *ecdsa.PrivateKey
	encKID  string
	jwksDoc jose.JSONWebKeySet
}

func newRP(t testing.TB, id string) *rp {
	t.Helper()
	sig, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := &rp{id: id, sigKey: sig, sigKID: id + "-sig-1", encKey: enc, encKID: id + "-enc-1"}
	r.jwksDoc = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &sig.PublicKey, KeyID: r.sigKID, Use: "sig", Algorithm: "ES256"},
		{Key: &enc.PublicKey, KeyID: r.encKID, Use: "enc", Algorithm: "ECDH-ES+A256KW"},
	}}
	return r
}

// signJWT signs claims with key, header typ (omitted when ""), and the
// public key embedded when embed.
func signJWT(t testing.TB, key *ecdsa.PrivateKey, kid, typ string, embed bool, claims any) string {
	t.Helper()
	opts := &jose.SignerOptions{EmbedJWK: embed}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	var sk any = key
	if kid != "" {
		sk = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	alg := jose.ES256
	switch key.Curve {
	case elliptic.P384():
		alg = jose.ES384
	case elliptic.P521():
		alg = jose.ES512
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: sk}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randID(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// env is one emulator with one clock, a Myinfo app whose JWKS is served
// over HTTP and a Login app with a pasted JWKS.
type env struct {
	t        *testing.T
	issuer   string // the emulator's issuer (testIssuer unless a test sets another)
	clock    *clock
	srv      *Server
	h        http.Handler
	myinfo   *rp
	login    *rp
	jwksHits int
	jwksMu   sync.Mutex
	jwksSrv  *httptest.Server
	disco    map[string]any
}

func newEnv(t *testing.T, mods ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), myinfo: newRP(t, myinfoID), login: newRP(t, loginID)}
	e.jwksSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.jwksMu.Lock()
		e.jwksHits++
		e.jwksMu.Unlock()
		switch r.URL.Path {
		case "/jwks":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(e.myinfo.jwksDoc)
		case "/moved":
			http.Redirect(w, r, "/jwks", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(e.jwksSrv.Close)
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	loginJWKS := e.login.jwksDoc
	cfg := Config{
		Issuer:   testIssuer,
		Personas: ps,
		Clients: []Client{
			{ID: myinfoID, Kind: MyinfoApp, JWKSURL: e.jwksSrv.URL + "/jwks", RedirectURIs: []string{testRedirect},
				Name: "Test bank", Purpose: "Open an account"},
			{ID: loginID, Kind: LoginApp, JWKS: &loginJWKS, RedirectURIs: []string{testRedirect, "http://localhost:3080/callback"}},
		},
		HTTPClient: e.jwksSrv.Client(),
		Now:        e.clock.Now,
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.issuer = srv, cfg.Issuer
	mux := http.NewServeMux()
	if u, _ := url.Parse(cfg.Issuer); u.Path == "/fapi" {
		mux.Handle("/fapi/", http.StripPrefix("/fapi", srv))
		mux.Handle("/.well-known/keys", srv.JWKSHandler())
	} else {
		mux.Handle("/", srv) // an issuer without a path, as Corppass's
	}
	e.h = mux
	rec := e.do(httptest.NewRequest("GET", cfg.Issuer+"/.well-known/openid-configuration", nil))
	if rec.Code != 200 {
		t.Fatalf("discovery: %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e.disco); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	return rec
}

func (e *env) endpoint(name string) string {
	s, _ := e.disco[name].(string)
	if s == "" {
		e.t.Fatalf("discovery has no %s", name)
	}
	return s
}

// login is one login of a relying party: its state, nonce, PKCE verifier
// and DPoP key, and what the emulator answered.
type login struct {
	e          *env
	rp         *rp
	scope      string
	state      string
	nonce      string
	verifier   string
	dpopKey    *ecdsa.PrivateKey
	requestURI string
	code       string
	access     string
	idToken    string
	redirect   string
	extra      url.Values // added to the PAR form
}

func (e *env) newLogin(r *rp, scope string) *login {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	return &login{e: e, rp: r, scope: scope, state: randID(e.t) + randID(e.t), nonce: randID(e.t) + randID(e.t),
		verifier: randID(e.t) + randID(e.t) + randID(e.t), dpopKey: k, redirect: testRedirect, extra: url.Values{}}
}

// assertionClaims are a fresh client assertion's claims for aud.
func (l *login) assertionClaims(aud string) map[string]any {
	now := l.e.clock.Now().Unix()
	return map[string]any{"iss": l.rp.id, "sub": l.rp.id, "aud": aud, "jti": randID(l.e.t), "iat": now, "exp": now + 60}
}

// assertion is a fresh, correct client assertion.
func (l *login) assertion() string {
	return signJWT(l.e.t, l.rp.sigKey, l.rp.sigKID, "JWT", false, l.assertionClaims(l.e.issuer))
}

// proofClaims are a fresh DPoP proof's claims.
func (l *login) proofClaims(method, htu, token string) map[string]any {
	c := map[string]any{"jti": randID(l.e.t), "htm": method, "htu": htu, "iat": l.e.clock.Now().Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return c
}

// proof is a fresh, correct DPoP proof signed by the login's DPoP key.
func (l *login) proof(method, htu, token string) string {
	return signJWT(l.e.t, l.dpopKey, "", "dpop+jwt", true, l.proofClaims(method, htu, token))
}

func (l *login) challenge() string {
	sum := sha256.Sum256([]byte(l.verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// parForm is a correct PAR body.
func (l *login) parForm() url.Values {
	f := url.Values{
		"response_type": {"code"}, "scope": {l.scope}, "state": {l.state}, "nonce": {l.nonce},
		"client_id": {l.rp.id}, "redirect_uri": {l.redirect},
		"code_challenge": {l.challenge()}, "code_challenge_method": {"S256"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {l.assertion()},
	}
	for k, v := range l.extra {
		f[k] = v
	}
	return f
}

func (l *login) post(endpoint string, form url.Values, dpop string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if dpop != "" {
		r.Header.Set("DPoP", dpop)
	}
	return l.e.do(r)
}

// sendPAR posts form with the proof to the PAR endpoint.
func (l *login) sendPAR(form url.Values, proof string) *httptest.ResponseRecorder {
	return l.post(l.e.endpoint("pushed_authorization_request_endpoint"), form, proof)
}

// par pushes a correct request and keeps its request_uri.
func (l *login) par() {
	l.e.t.Helper()
	par := l.e.endpoint("pushed_authorization_request_endpoint")
	rec := l.sendPAR(l.parForm(), l.proof("POST", par, ""))
	if rec.Code != http.StatusCreated {
		l.e.t.Fatalf("PAR: %d %s", rec.Code, rec.Body)
	}
	var body struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  *int   `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ExpiresIn == nil || *body.ExpiresIn != 60 ||
		!strings.HasPrefix(body.RequestURI, "urn:ietf:params:oauth:request_uri:") {
		l.e.t.Fatalf("PAR answer %s", rec.Body)
	}
	l.requestURI = body.RequestURI
}

// authorize sends the browser to the authorization endpoint with the
// script parameters and returns the callback query.
func (l *login) authorize(extra string) url.Values {
	l.e.t.Helper()
	u := l.e.endpoint("authorization_endpoint") + "?client_id=" + url.QueryEscape(l.rp.id) +
		"&request_uri=" + url.QueryEscape(l.requestURI) + extra
	rec := l.e.do(httptest.NewRequest("GET", u, nil))
	if rec.Code != http.StatusFound {
		l.e.t.Fatalf("authorize: %d %s", rec.Code, rec.Body)
	}
	return l.callback(rec)
}

// callback checks a redirect goes to the redirect URI and returns its query.
func (l *login) callback(rec *httptest.ResponseRecorder) url.Values {
	l.e.t.Helper()
	loc := rec.Header().Get("Location")
	base, query, _ := strings.Cut(loc, "?")
	if base != l.redirect {
		l.e.t.Fatalf("redirect to %q, want %q", loc, l.redirect)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		l.e.t.Fatal(err)
	}
	if q.Get("iss") != l.e.issuer || q.Get("state") != l.state {
		l.e.t.Fatalf("callback iss %q state %q; want the issuer and the login's state", q.Get("iss"), q.Get("state"))
	}
	return q
}

// authorizeCode logs the persona in with consent and keeps the code.
func (l *login) authorizeCode(persona string) {
	l.e.t.Helper()
	q := l.authorize("&persona=" + persona + "&consent=allow")
	if q.Get("code") == "" {
		l.e.t.Fatalf("callback without code: %v", q)
	}
	l.code = q.Get("code")
}

// tokenForm is a correct token body.
func (l *login) tokenForm() url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "code": {l.code}, "redirect_uri": {l.redirect},
		"code_verifier": {l.verifier}, "client_id": {l.rp.id},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {l.assertion()},
	}
}

func (l *login) sendToken(form url.Values, proof string) *httptest.ResponseRecorder {
	return l.post(l.e.endpoint("token_endpoint"), form, proof)
}

// token exchanges the code and keeps the tokens.
func (l *login) token() {
	l.e.t.Helper()
	rec := l.sendToken(l.tokenForm(), l.proof("POST", l.e.endpoint("token_endpoint"), ""))
	if rec.Code != 200 {
		l.e.t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.TokenType != "DPoP" || body.AccessToken == "" || body.IDToken == "" {
		l.e.t.Fatalf("token answer %s", rec.Body)
	}
	l.access, l.idToken = body.AccessToken, body.IDToken
}

func (l *login) sendUserinfo(auth, proof string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", l.e.endpoint("userinfo_endpoint"), nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return l.e.do(r)
}

// userinfo fetches the userinfo JWE.
func (l *login) userinfo() string {
	l.e.t.Helper()
	ui := l.e.endpoint("userinfo_endpoint")
	rec := l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/jwt" {
		l.e.t.Fatalf("userinfo: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	return rec.Body.String()
}

// fullLogin runs PAR, authorize and token for the persona.
func (l *login) fullLogin(persona string) {
	l.e.t.Helper()
	l.par()
	l.authorizeCode(persona)
	l.token()
}

// providerKeys fetches the emulator's JWKS from the discovery jwks_uri.
func (e *env) providerKeys() jose.JSONWebKeySet {
	e.t.Helper()
	rec := e.do(httptest.NewRequest("GET", e.endpoint("jwks_uri"), nil))
	var set jose.JSONWebKeySet
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &set) != nil || len(set.Keys) == 0 {
		e.t.Fatalf("jwks: %d %s", rec.Code, rec.Body)
	}
	return set
}

// openJWT decrypts a compact JWE with the RP's enc key (checking kid, alg,
// enc and cty), then verifies the inner ES256 JWS with the provider's JWKS,
// as two visible steps, and returns the JWE header and the claims.
func (e *env) openJWT(r *rp, token string, enc jose.ContentEncryption) (jose.Header, map[string]any, error) {
	jwe, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{enc})
	if err != nil {
		return jose.Header{}, nil, err
	}
	h := jwe.Header
	if h.KeyID != r.encKID || h.ExtraHeaders["cty"] != "JWT" {
		e.t.Fatalf("JWE header kid %q cty %v; want %q and JWT", h.KeyID, h.ExtraHeaders["cty"], r.encKID)
	}
	inner, err := jwe.Decrypt(r.encKey)
	if err != nil {
		return h, nil, fmt.Errorf("decrypt: %w", err)
	}
	jws, err := jose.ParseSignedCompact(string(inner), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return h, nil, err
	}
	set := e.providerKeys()
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 || keys[0].Use != "sig" {
		e.t.Fatalf("no provider key for kid %q", jws.Signatures[0].Header.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return h, nil, fmt.Errorf("verify: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		e.t.Fatal(err)
	}
	return h, claims, nil
}

// oauthErr decodes an error answer and checks status, code and that the
// description mentions want.
func oauthErr(t *testing.T, rec *httptest.ResponseRecorder, status int, code, want string) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	b, _ := io.ReadAll(rec.Result().Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("answer %d %s is not an OAuth error", rec.Code, b)
	}
	if rec.Code != status || body.Error != code || !strings.Contains(body.Description, want) {
		t.Fatalf("got %d %s %q; want %d %s mentioning %q", rec.Code, body.Error, body.Description, status, code, want)
	}
}

const cryptoSHA256 = crypto.SHA256

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustPersonas(t testing.TB) []personas.Persona {
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
