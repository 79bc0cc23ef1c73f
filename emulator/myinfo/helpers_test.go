package myinfo

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
)

// The test client below builds PKI_SIGN requests on its own (its own base
// string and header), so the emulator is not tested against itself.

const (
	testClientID = "STG2-MYINFO-SELF-TEST"
	testSecret   = "s3cret-not-real"
	testRedirect = "http://localhost:3001/callback"
	testPersona  = "S6005048A"
	testAttrs    = "name,dob,sex,nationality,uinfin,regadd"
)

// testKeys are the RSA keys of one test: the client's and the provider's.
type testKeys struct {
	client   *rsa.PrivateKey
	provider *rsa.PrivateKey
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestKeys(t testing.TB) testKeys {
	return testKeys{client: newRSAKey(t), provider: newRSAKey(t)}
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// env is one emulator on httptest with its keys and clock.
type env struct {
	t      *testing.T
	keys   testKeys
	clock  *testClock
	emu    *Server
	srv    *httptest.Server
	base   string // URL of the handler root
	client *http.Client
}

func newEnv(t *testing.T, keys testKeys, mutate func(*Config)) *env {
	t.Helper()
	return newEnvAt(t, keys, "", mutate)
}

// newEnvAt serves the emulator under prefix (with http.StripPrefix, as the
// service mounts it), with PublicURL set to match when prefix is not "".
func newEnvAt(t *testing.T, keys testKeys, prefix string, mutate func(*Config)) *env {
	t.Helper()
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	clock := &testClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	cfg := Config{
		Personas:        ps,
		ClientID:        testClientID,
		ClientSecret:    testSecret,
		ClientPublicKey: &keys.client.PublicKey,
		RedirectURIs:    []string{testRedirect},
		SigningKey:      keys.provider,
		Now:             clock.Now,
	}
	if prefix != "" {
		cfg.PublicURL = srv.URL + prefix + "/"
	}
	if mutate != nil {
		mutate(&cfg)
	}
	emu, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler = emu
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, emu))
		handler = mux
	}
	return &env{
		t: t, keys: keys, clock: clock, emu: emu, srv: srv, base: srv.URL + prefix,
		client: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// authoriseURL builds an authorise URL with the standard parameters plus
// extra (which override).
func (e *env) authoriseURL(api string, extra url.Values) string {
	q := url.Values{
		"client_id":    {testClientID},
		"attributes":   {testAttrs},
		"purpose":      {"testing <the> emulator"},
		"state":        {"st-123 /+?"},
		"redirect_uri": {testRedirect},
	}
	for k, v := range extra {
		if len(v) == 0 || v[0] == "" {
			q.Del(k)
			continue
		}
		q[k] = v
	}
	return e.base + "/" + api + "/v3/authorise?" + q.Encode()
}

func (e *env) get(u string) *http.Response {
	e.t.Helper()
	resp, err := e.client.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// code runs the authorise shortcut for persona and returns the code.
func (e *env) code(api, persona, attrs string) string {
	e.t.Helper()
	resp := e.get(e.authoriseURL(api, url.Values{"persona": {persona}, "consent": {"allow"}, "attributes": {attrs}}))
	readBody(e.t, resp)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorise: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != "st-123 /+?" {
		e.t.Fatalf("state = %q", got)
	}
	c := loc.Query().Get("code")
	if len(c) < 43 {
		e.t.Fatalf("code %q too short", c)
	}
	return c
}

// signOpts changes how the test client signs.
type signOpts struct {
	key       *rsa.PrivateKey // default: the client key
	appID     string          // default: testClientID
	nonce     string          // default: random
	ts        time.Time       // default: the clock
	signedURL string          // default: the request URL
	method    string          // signature_method; default RS256
	spaces    bool            // ", " separators
	omit      string          // a parameter to leave out of the base string
}

// testBaseString is the test client's own base string builder.
func testBaseString(method, u string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{method, u}
	for _, k := range keys {
		parts = append(parts, k+"="+params[k])
	}
	return strings.Join(parts, "&")
}

// pkiHeader signs method+u+params and returns the Authorization value.
func (e *env) pkiHeader(method, u string, params url.Values, o signOpts) string {
	e.t.Helper()
	if o.key == nil {
		o.key = e.keys.client
	}
	if o.appID == "" {
		o.appID = testClientID
	}
	if o.nonce == "" {
		b := make([]byte, 20)
		_, _ = rand.Read(b)
		o.nonce = hex.EncodeToString(b)
	}
	if o.ts.IsZero() {
		o.ts = e.clock.Now()
	}
	if o.signedURL != "" {
		u = o.signedURL
	}
	if o.method == "" {
		o.method = "RS256"
	}
	ts := strconv.FormatInt(o.ts.UnixMilli(), 10)
	all := map[string]string{"app_id": o.appID, "nonce": o.nonce, "signature_method": o.method, "timestamp": ts}
	for k := range params {
		if k != o.omit {
			all[k] = params.Get(k)
		}
	}
	sum := sha256.Sum256([]byte(testBaseString(method, u, all)))
	sig, err := rsa.SignPKCS1v15(nil, o.key, crypto.SHA256, sum[:])
	if err != nil {
		e.t.Fatal(err)
	}
	sep := ","
	if o.spaces {
		sep = ", "
	}
	// The Node connector's field order.
	return "PKI_SIGN " + strings.Join([]string{
		`timestamp="` + ts + `"`, `nonce="` + o.nonce + `"`, `app_id="` + o.appID + `"`,
		`signature_method="` + o.method + `"`, `signature="` + base64.StdEncoding.EncodeToString(sig) + `"`,
	}, sep)
}

// tokenForm is a token request body for code.
func tokenForm(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {testRedirect},
		"client_id":     {testClientID},
		"client_secret": {testSecret},
	}
}

// tokenRequest POSTs form to the token API, signed unless o is nil.
func (e *env) tokenRequest(api string, form url.Values, o *signOpts) *http.Response {
	e.t.Helper()
	u := e.base + "/" + api + "/v3/token"
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if o != nil {
		req.Header.Set("Authorization", e.pkiHeader("POST", u, form, *o))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// token exchanges code and returns the access token.
func (e *env) token(api, code string) string {
	e.t.Helper()
	resp := e.tokenRequest(api, tokenForm(code), &signOpts{})
	body := readBody(e.t, resp)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("token: status %d: %s", resp.StatusCode, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		e.t.Fatal(err)
	}
	return tr.AccessToken
}

// personRequest GETs the person API. path is the path after /{api}/v3/
// (e.g. "person/S6005048A/"); the query is sent with %2C commas, the base
// string uses raw values. o nil: sandbox style "Bearer <token>".
func (e *env) personRequest(api, path string, q url.Values, token string, o *signOpts) *http.Response {
	e.t.Helper()
	u := e.base + "/" + api + "/v3/" + path
	req, err := http.NewRequest(http.MethodGet, u+"?"+q.Encode(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if o != nil {
		req.Header.Set("Authorization", e.pkiHeader("GET", u, q, *o)+",Bearer "+token)
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func personQuery(attrs string) url.Values {
	return url.Values{"client_id": {testClientID}, "attributes": {attrs}}
}

// openPerson decrypts (RSA-OAEP, A256GCM only) and verifies (RS256 only) a
// person answer, and returns the JWS payload. It insists on the quoted
// plaintext unless bare.
func openPerson(t testing.TB, body string, dec *rsa.PrivateKey, verify *rsa.PublicKey, bare bool) (map[string]json.RawMessage, error) {
	t.Helper()
	jwe, err := jose.ParseEncrypted(body, []jose.KeyAlgorithm{jose.RSA_OAEP}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatalf("parse JWE: %v", err)
	}
	if jwe.Header.KeyID == "" {
		t.Error("JWE header has no kid")
	}
	plain, err := jwe.Decrypt(dec)
	if err != nil {
		return nil, err
	}
	jwsText := string(plain)
	if bare {
		if strings.HasPrefix(jwsText, `"`) {
			t.Fatalf("BareJWS: plaintext is quoted")
		}
	} else if err := json.Unmarshal(plain, &jwsText); err != nil {
		t.Fatalf("plaintext is not a JSON string: %v", err)
	}
	jws, err := jose.ParseSigned(jwsText, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse JWS: %v", err)
	}
	payload, err := jws.Verify(verify)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

// apiErr decodes a Myinfo error body and checks its status and
// Content-Type.
func apiErr(t testing.TB, resp *http.Response, status int) apiError {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Code != status {
		t.Fatalf("code = %d, want %d", e.Code, status)
	}
	if strings.Contains(body, testSecret) {
		t.Fatalf("error body echoes the client secret")
	}
	return e
}

// forgeToken signs arbitrary access-token claims with key (a test of what
// the person API accepts).
func forgeToken(t testing.TB, key *rsa.PrivateKey, claims accessClaims) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
