package singpass_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/keyset"
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

// fakeSingpass is a hand-written Singpass FAPI 2.0 provider for the
// client's tests. It checks what the client sends (assertion, DPoP, PKCE,
// redirect URI) and has knobs for every fault the tests need.
type fakeSingpass struct {
	t     testing.TB
	srv   *httptest.Server
	clock *clock
	rp    *keyset.Set // the client's keys (the fake reads their public half)

	mu       sync.Mutex
	signKeys []*ecdsa.PrivateKey
	signKids []string
	pars     map[string]*parRecord // request_uri → PAR
	codes    map[string]*parRecord
	tokens   map[string]*parRecord
	hits     map[string]int

	// Knobs. Zero values give the real service's behaviour.
	clientID      string
	subject       string
	noIssParam    bool                                 // discovery lacks authorization_response_iss_parameter_supported
	callbackIss   *string                              // iss on the redirect (nil: the issuer)
	requireNonce  map[string]bool                      // endpoint → answer use_dpop_nonce until the nonce is sent
	alwaysNonce   bool                                 // ask for a new nonce every time (the retry must stop)
	tokenType     string                               // "" → DPoP
	idClaims      func(map[string]any)                 // edits the id_token claims
	userClaims    func(map[string]any)                 // edits the userinfo claims
	signWith      *ecdsa.PrivateKey                    // signs tokens with this key instead
	signKid       string                               // kid in the tokens' JWS header (default the current key's)
	idEnc         jose.ContentEncryption               // default A256CBC-HS512
	userEnc       jose.ContentEncryption               // default A256GCM
	encryptTo     *ecdsa.PublicKey                     // encrypt to another key
	tamper        bool                                 // flip a byte of the JWE ciphertext
	override      map[string]func(http.ResponseWriter) // endpoint → canned answer
	assertionAud  string                               // expected aud ("" → issuer)
	person        map[string]any
	subAttributes map[string]any
}

type parRecord struct {
	form      url.Values
	jkt       string
	challenge string
	nonce     string
	sub       string
}

func newFake(t testing.TB, c *clock, rp *keyset.Set) *fakeSingpass {
	f := &fakeSingpass{
		t: t, clock: c, rp: rp, clientID: "test-client-0123456789abcdefghij",
		subject: "d45d8f21-6178-4713-b962-8635ed2a945a",
		pars:    map[string]*parRecord{}, codes: map[string]*parRecord{}, tokens: map[string]*parRecord{},
		hits: map[string]int{}, requireNonce: map[string]bool{}, override: map[string]func(http.ResponseWriter){},
		person: map[string]any{
			"uinfin": map[string]any{"lastupdated": "2026-01-15", "source": "1", "classification": "C", "value": "S9812381D"},
			"name":   map[string]any{"lastupdated": "2026-01-15", "source": "1", "classification": "C", "value": "TAN XIAO HUI"},
			"sex":    map[string]any{"lastupdated": "2026-01-15", "source": "1", "classification": "C", "code": "F", "desc": "FEMALE"},
		},
		subAttributes: map[string]any{"account_type": "standard", "identity_number": "S9812381D", "identity_coi": "SG", "name": "TAN XIAO HUI"},
	}
	f.addSigningKey("sp-sig-1")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fapi/.well-known/openid-configuration", f.wrap("discovery", f.discovery))
	mux.HandleFunc("GET /.well-known/keys", f.wrap("jwks", f.jwks))
	mux.HandleFunc("POST /fapi/par", f.wrap("par", f.par))
	mux.HandleFunc("GET /fapi/auth", f.wrap("auth", f.auth))
	mux.HandleFunc("POST /fapi/token", f.wrap("token", f.token))
	mux.HandleFunc("GET /fapi/userinfo", f.wrap("userinfo", f.userinfo))
	f.srv = httptest.NewServer(mux)
	if t != nil { // nil in the Example, which closes the server itself
		t.Cleanup(f.srv.Close)
	}
	return f
}

func (f *fakeSingpass) issuer() string { return f.srv.URL + "/fapi" }

func (f *fakeSingpass) addSigningKey(kid string) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fatal(f.t, err)
	}
	f.mu.Lock()
	f.signKeys, f.signKids = append(f.signKeys, k), append(f.signKids, kid)
	f.mu.Unlock()
	return k
}

func (f *fakeSingpass) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[endpoint]
}

func (f *fakeSingpass) wrap(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[name]++
		o := f.override[name]
		f.mu.Unlock()
		if o != nil {
			o(w)
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

func (f *fakeSingpass) discovery(w http.ResponseWriter, r *http.Request) {
	iss := f.issuer()
	m := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/auth",
		"pushed_authorization_request_endpoint": iss + "/par",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              f.srv.URL + "/.well-known/keys",
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"authorization_response_iss_parameter_supported": !f.noIssParam,
	}
	_ = json.NewEncoder(w).Encode(m)
}

func (f *fakeSingpass) jwks(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var set jose.JSONWebKeySet
	for i, k := range f.signKeys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: f.signKids[i], Use: "sig"})
	}
	_ = json.NewEncoder(w).Encode(set)
}

// checkAssertion verifies the client assertion against the RP's public
// signing key.
func (f *fakeSingpass) checkAssertion(form url.Values, endpoint string) string {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "client_assertion_type"
	}
	obj, err := jose.ParseSignedCompact(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "assertion parse"
	}
	h := obj.Signatures[0].Protected
	if h.ExtraHeaders["typ"] != "JWT" {
		return "assertion typ"
	}
	var pub any
	for _, k := range f.rp.Public().Keys {
		if k.KeyID == h.KeyID && k.Use == "sig" {
			pub = k.Key
		}
	}
	if pub == nil {
		return "assertion kid"
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return "assertion signature"
	}
	var c struct {
		Iss, Sub, Aud, Jti string
		Iat, Exp           int64
	}
	if json.Unmarshal(payload, &c) != nil {
		return "assertion claims"
	}
	wantAud := f.issuer()
	if f.assertionAud == "endpoint" {
		wantAud = endpoint
	}
	now := f.clock.Now().Unix()
	switch {
	case c.Iss != f.clientID || c.Sub != f.clientID:
		return "assertion iss/sub"
	case c.Aud != wantAud:
		return "assertion aud"
	case c.Jti == "":
		return "assertion jti"
	case c.Exp-c.Iat > 120 || c.Exp < now || c.Iat > now+60:
		return "assertion time"
	}
	return ""
}

// checkDPoP verifies a DPoP proof and returns its key's thumbprint.
func (f *fakeSingpass) checkDPoP(r *http.Request, endpoint, accessToken, nonce string) (string, string) {
	obj, err := jose.ParseSignedCompact(r.Header.Get("DPoP"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", "dpop parse"
	}
	h := obj.Signatures[0].Protected
	if h.ExtraHeaders["typ"] != "dpop+jwt" || h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		return "", "dpop header"
	}
	payload, err := obj.Verify(h.JSONWebKey)
	if err != nil {
		return "", "dpop signature"
	}
	var c struct {
		Jti, Htm, Htu, Ath, Nonce string
		Iat                       int64
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", "dpop claims"
	}
	now := f.clock.Now().Unix()
	switch {
	case c.Htm != r.Method || c.Htu != endpoint || c.Jti == "" || c.Iat > now+60 || c.Iat < now-120:
		return "", "dpop claims"
	case accessToken != "" && c.Ath != athOf(accessToken):
		return "", "dpop ath"
	case nonce != "" && c.Nonce != nonce:
		return "", "use_dpop_nonce"
	}
	tp, _ := h.JSONWebKey.Thumbprint(crypto.SHA256)
	return base64.RawURLEncoding.EncodeToString(tp), ""
}

func athOf(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// nonceFor returns the DPoP nonce an endpoint wants ("" for none).
func (f *fakeSingpass) nonceFor(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.requireNonce[endpoint] {
		return ""
	}
	if f.alwaysNonce {
		return fmt.Sprintf("nonce-%s-%d", endpoint, f.hits[endpoint])
	}
	return "nonce-" + endpoint
}

func (f *fakeSingpass) dpopRefused(w http.ResponseWriter, endpoint, problem, nonce string, status int) {
	if problem == "use_dpop_nonce" {
		w.Header().Set("DPoP-Nonce", nonce)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="nonce required"`)
			w.WriteHeader(status)
			return
		}
		oauthError(w, status, "use_dpop_nonce", "nonce required")
		return
	}
	oauthError(w, status, "invalid_dpop_proof", problem)
}

func (f *fakeSingpass) par(w http.ResponseWriter, r *http.Request) {
	endpoint := f.issuer() + "/par"
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "form")
		return
	}
	nonce := f.nonceFor("par")
	jkt, problem := f.checkDPoP(r, endpoint, "", nonce)
	if problem != "" {
		f.dpopRefused(w, "par", problem, nonce, http.StatusBadRequest)
		return
	}
	if p := f.checkAssertion(r.PostForm, endpoint); p != "" {
		oauthError(w, 401, "invalid_client", p)
		return
	}
	form := r.PostForm
	scope := strings.Fields(form.Get("scope"))
	switch {
	case form.Get("client_id") != f.clientID:
		oauthError(w, 400, "invalid_client", "client_id")
		return
	case len(scope) == 0 || scope[0] != "openid":
		oauthError(w, 400, "invalid_scope", "openid")
		return
	case form.Get("response_type") != "code" || form.Get("code_challenge_method") != "S256" || len(form.Get("code_challenge")) != 43:
		oauthError(w, 400, "invalid_request", "pkce")
		return
	case form.Get("state") == "" || form.Get("nonce") == "" || form.Get("redirect_uri") == "":
		oauthError(w, 400, "invalid_request", "state/nonce/redirect_uri")
		return
	}
	uri := "urn:ietf:params:oauth:request_uri:" + randomString(15)
	f.mu.Lock()
	f.pars[uri] = &parRecord{form: form, jkt: jkt, challenge: form.Get("code_challenge")}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"request_uri": uri, "expires_in": 60})
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// auth approves at once and redirects with code, state and iss.
func (f *fakeSingpass) auth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	rec := f.pars[q.Get("request_uri")]
	delete(f.pars, q.Get("request_uri"))
	f.mu.Unlock()
	if rec == nil || q.Get("client_id") != f.clientID || len(q) != 2 {
		http.Error(w, "invalid_request_uri", http.StatusBadRequest)
		return
	}
	code := randomString(24)
	f.mu.Lock()
	f.codes[code] = rec
	f.mu.Unlock()
	v := url.Values{"code": {code}, "state": {rec.form.Get("state")}}
	iss := f.issuer()
	if f.callbackIss != nil {
		iss = *f.callbackIss
	}
	if iss != "" {
		v.Set("iss", iss)
	}
	http.Redirect(w, r, rec.form.Get("redirect_uri")+"?"+v.Encode(), http.StatusFound)
}

func (f *fakeSingpass) token(w http.ResponseWriter, r *http.Request) {
	endpoint := f.issuer() + "/token"
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "form")
		return
	}
	nonce := f.nonceFor("token")
	jkt, problem := f.checkDPoP(r, endpoint, "", nonce)
	if problem != "" {
		f.dpopRefused(w, "token", problem, nonce, http.StatusBadRequest)
		return
	}
	if p := f.checkAssertion(r.PostForm, endpoint); p != "" {
		oauthError(w, 401, "invalid_client", p)
		return
	}
	form := r.PostForm
	f.mu.Lock()
	rec := f.codes[form.Get("code")]
	delete(f.codes, form.Get("code"))
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case rec == nil || form.Get("grant_type") != "authorization_code":
		oauthError(w, 400, "invalid_grant", "code")
		return
	case rec.jkt != jkt:
		oauthError(w, 400, "invalid_dpop_proof", "Incoming DPOP Proof JWT does not match the initial dpop_jkt sent at PAR endpoint")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != rec.challenge:
		oauthError(w, 400, "invalid_grant", "pkce")
		return
	case form.Get("redirect_uri") != rec.form.Get("redirect_uri"):
		oauthError(w, 400, "invalid_grant", "redirect_uri")
		return
	}
	now := f.clock.Now()
	claims := map[string]any{
		"iss": f.issuer(), "sub": f.subject, "sub_type": "user", "aud": f.clientID,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "nonce": rec.form.Get("nonce"),
		"amr": []string{"pwd", "otp-sms"}, "acr": "urn:singpass:authentication:loa:2",
	}
	for _, s := range strings.Fields(rec.form.Get("scope")) {
		if s == "user.identity" || s == "name" && rec.form.Get("authentication_context_type") != "" {
			claims["sub_attributes"] = f.subAttributes
		}
	}
	if f.idClaims != nil {
		f.idClaims(claims)
	}
	enc := f.idEnc
	if enc == "" {
		enc = jose.A256CBC_HS512
	}
	idToken := f.seal(claims, enc)
	at := randomString(32)
	rec.sub = f.subject
	f.mu.Lock()
	f.tokens[at] = rec
	f.mu.Unlock()
	tt := f.tokenType
	if tt == "" {
		tt = "DPoP"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": tt, "id_token": idToken, "expires_in": 1800})
}

func (f *fakeSingpass) userinfo(w http.ResponseWriter, r *http.Request) {
	endpoint := f.issuer() + "/userinfo"
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
	f.mu.Lock()
	rec := f.tokens[at]
	f.mu.Unlock()
	if !ok || rec == nil {
		w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token"`)
		oauthError(w, 401, "invalid_token", "token")
		return
	}
	nonce := f.nonceFor("userinfo")
	jkt, problem := f.checkDPoP(r, endpoint, at, nonce)
	if problem != "" {
		f.dpopRefused(w, "userinfo", problem, nonce, http.StatusUnauthorized)
		return
	}
	if jkt != rec.jkt {
		oauthError(w, 401, "invalid_dpop_proof", "key")
		return
	}
	person := map[string]any{}
	for _, s := range strings.Fields(rec.form.Get("scope")) {
		item, _, _ := strings.Cut(s, ".")
		if v, ok := f.person[item]; ok {
			person[item] = v
		}
	}
	claims := map[string]any{"person_info": person, "iss": f.issuer(), "sub": rec.sub, "aud": f.clientID, "iat": f.clock.Now().Unix()}
	if f.userClaims != nil {
		f.userClaims(claims)
	}
	enc := f.userEnc
	if enc == "" {
		enc = jose.A256GCM
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(f.seal(claims, enc)))
}

// seal signs claims (ES256, a Singpass key) and encrypts the JWS to the
// RP's newest decryption key (ECDH-ES+A256KW, cty JWT).
func (f *fakeSingpass) seal(claims map[string]any, enc jose.ContentEncryption) string {
	f.mu.Lock()
	key, kid := f.signKeys[len(f.signKeys)-1], f.signKids[len(f.signKids)-1]
	f.mu.Unlock()
	if f.signWith != nil {
		key = f.signWith
	}
	if f.signKid != "" {
		kid = f.signKid
	}
	jws := signCompact(f.t, key, kid, claims)
	var encKey jose.JSONWebKey
	for _, k := range f.rp.Public().Keys {
		if k.Use == "enc" {
			encKey = k
		}
	}
	to := any(encKey.Key)
	if f.encryptTo != nil {
		to = f.encryptTo
	}
	return encryptCompact(f.t, jws, to, encKey.KeyID, enc, f.tamper)
}

// fatal stops the test, or panics without one (in the Example).
func fatal(t testing.TB, err error) {
	if t == nil {
		panic(err)
	}
	t.Helper()
	t.Fatal(err)
}

func signCompact(t testing.TB, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		fatal(t, err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		fatal(t, err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

func encryptCompact(t testing.TB, plain string, to any, kid string, enc jose.ContentEncryption, tamper bool) string {
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: to, KeyID: kid}, (&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		fatal(t, err)
	}
	obj, err := e.Encrypt([]byte(plain))
	if err != nil {
		fatal(t, err)
	}
	out, _ := obj.CompactSerialize()
	if tamper {
		parts := strings.Split(out, ".")
		ct, _ := base64.RawURLEncoding.DecodeString(parts[3])
		ct[len(ct)/2] ^= 1
		parts[3] = base64.RawURLEncoding.EncodeToString(ct)
		out = strings.Join(parts, ".")
	}
	return out
}
