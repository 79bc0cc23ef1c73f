package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/store"
)

// stubProvider is a Provider whose exchange returns a fixed verified
// person. These tests are about the HTTP edge; the Myinfo protocol is
// tested with real cryptography in provider/myinfo and end to end in
// cmd/idconnect.
type stubProvider struct {
	exchanges    atomic.Int32
	lastRedirect atomic.Value // the redirect URI of the latest AuthURL
	exchange     func(ctx context.Context) (*idconnect.Result, error)
}

func (p *stubProvider) Name() string { return "myinfo" }

func (p *stubProvider) AuthURL(_ context.Context, l *idconnect.Login) (string, error) {
	l.Attributes = []string{"uinfin", "name"}
	if l.RedirectURI == "" {
		l.RedirectURI = "http://rp.example/callback"
	}
	p.lastRedirect.Store(l.RedirectURI)
	return "https://idp.example/authorise?state=" + url.QueryEscape(l.State), nil
}

func (p *stubProvider) Exchange(ctx context.Context, _ *idconnect.Login, _ idconnect.Callback) (*idconnect.Result, error) {
	p.exchanges.Add(1)
	if p.exchange != nil {
		return p.exchange(ctx)
	}
	return &idconnect.Result{Provider: "myinfo", Subject: "S6005048A",
		Raw: json.RawMessage(`{"uinfin":{"value":"S6005048A"},"name":{"value":"ANDY LAU"}}`)}, nil
}

// Flatten returns the raw person as sodata: the flattening itself is
// provider/myinfo's, tested there.
func (p *stubProvider) Flatten(_ *idconnect.Login, res *idconnect.Result) (json.RawMessage, error) {
	return res.Raw, nil
}

type testServer struct {
	*Server
	provider *stubProvider
	logs     *bytes.Buffer
}

func newTestServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	p := &stubProvider{}
	logs := &bytes.Buffer{}
	cfg := Config{
		Flow:         &idconnect.Flow{Providers: map[string]idconnect.Provider{"myinfo": p}, Store: &store.Memory{}},
		SeedProvider: "myinfo",
		Logger:       slog.New(slog.NewTextHandler(logs, nil)),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, provider: p, logs: logs}
}

// do sends one request from remote, carrying cookies.
func (ts *testServer) do(method, target, remote string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if remote != "" {
		req.RemoteAddr = remote
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// start begins a login from remote and returns its state and cookies.
func (ts *testServer) start(t *testing.T, remote string) (string, []*http.Cookie) {
	t.Helper()
	rec := ts.do("GET", "/users/me/external/myinfo-redirect-login", remote, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("redirect-login: %d %s", rec.Code, rec.Body)
	}
	var body struct{ Data struct{ State string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Data.State == "" {
		t.Fatalf("redirect-login answer %s", rec.Body)
	}
	return body.Data.State, rec.Result().Cookies()
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var env struct{ Code string }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("not a JSON envelope (%d): %q", rec.Code, rec.Body)
	}
	return env.Code
}

// Every answer, success or error, page or JSON, forbids framing, sniffing,
// caching and Referer leaks.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	state, cookies := ts.start(t, "")
	routes := []struct{ method, target string }{
		{"GET", "/"},
		{"GET", "/healthz"},
		{"GET", "/users/me/external/myinfo-redirect-login"},
		{"GET", "/users/me/external/myinfo/redirect-login"},
		{"GET", "/callback?state=nope&code=x"},
		{"GET", "/callback?state=" + url.QueryEscape(state) + "&error=access_denied"},
		{"GET", "/users/me/external/myinfo?code=nope"},
		{"GET", "/no/such/route"},
		{"POST", "/callback"},
		{"GET", "/callback?state=" + strings.Repeat("s", MaxQueryBytes)},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.target[:min(len(rt.target), 50)], func(t *testing.T) {
			rec := ts.do(rt.method, rt.target, "", cookies)
			h := rec.Header()
			for name, want := range map[string]string{
				"Cache-Control":          "no-store",
				"Referrer-Policy":        "no-referrer",
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
}

var nonceRe = regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`)

// Pages run only their own script: every script and style element carries
// the answer's nonce, which changes with every answer.
func TestPagesUseNonces(t *testing.T) {
	ts := newTestServer(t, nil)
	seen := map[string]bool{}
	for _, page := range []func() *httptest.ResponseRecorder{
		func() *httptest.ResponseRecorder { return ts.do("GET", "/", "", nil) },
		func() *httptest.ResponseRecorder {
			state, cookies := ts.start(t, "")
			return ts.do("GET", "/callback?code=c1&state="+url.QueryEscape(state), "", cookies)
		},
		func() *httptest.ResponseRecorder {
			state, cookies := ts.start(t, "")
			return ts.do("GET", "/callback?error=access_denied&state="+url.QueryEscape(state), "", cookies)
		},
	} {
		rec := page()
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("page answered %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		m := nonceRe.FindStringSubmatch(rec.Header().Get("Content-Security-Policy"))
		if m == nil {
			t.Fatalf("no script nonce in %q", rec.Header().Get("Content-Security-Policy"))
		}
		if seen[m[1]] {
			t.Fatalf("nonce %q reused", m[1])
		}
		seen[m[1]] = true
		body := rec.Body.String()
		for _, tag := range []string{"<script", "<style"} {
			n := strings.Count(body, tag)
			if with := strings.Count(body, tag+` nonce="`+m[1]+`"`); with != n {
				t.Errorf("%d of %d %s elements carry the nonce", with, n, tag)
			}
		}
	}
}

// The code is provider input that lands in the callback page's HTML and
// script; nothing in it can end the script or the element.
func TestCallbackPageEscapesCode(t *testing.T) {
	for _, code := range []string{
		`</script><script>alert(1)</script>`,
		`'+alert(1)+'`,
		`";alert(1);//`,
		`<img src=x onerror=alert(1)>`,
		"\u2028alert(1)",
	} {
		t.Run(code, func(t *testing.T) {
			ts := newTestServer(t, nil)
			state, cookies := ts.start(t, "")
			rec := ts.do("GET", "/callback?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(state), "", cookies)
			if rec.Code != http.StatusOK {
				t.Fatalf("callback: %d %s", rec.Code, rec.Body)
			}
			body := rec.Body.String()
			shown := regexp.MustCompile(`id="code-container">([^<]*)</span>`).FindStringSubmatch(body)
			if shown == nil || html.UnescapeString(shown[1]) != code {
				t.Fatalf("the code-container does not hold the escaped code:\n%s", body)
			}
			if n := strings.Count(body, "<script"); n != 1 {
				t.Fatalf("%d script elements, want 1", n)
			}
			// The script gets the code back as a JavaScript string literal.
			m := regexp.MustCompile(`encodeURIComponent\(("(?:[^"\\]|\\.)*")\)`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no string literal handed to encodeURIComponent in:\n%s", body)
			}
			var got string
			if err := json.Unmarshal([]byte(m[1]), &got); err != nil || got != code {
				t.Fatalf("the script's literal %s decodes to %q (%v), want the code", m[1], got, err)
			}
		})
	}
}

// HEAD (which ServeMux routes to GET handlers) and other methods neither
// store a login nor spend a state or a code.
func TestSideEffectRoutesAnswerGETOnly(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, method := range []string{"HEAD", "POST", "PUT", "DELETE"} {
		rec := ts.do(method, "/users/me/external/myinfo-redirect-login", "", nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET" || len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s redirect-login: %d, Allow %q, cookies %v", method, rec.Code, rec.Header().Get("Allow"), rec.Result().Cookies())
		}
	}
	if n := ts.flow.Store.(*store.Memory).Len(); n != 0 {
		t.Fatalf("%d logins stored by non-GET starts", n)
	}

	state, cookies := ts.start(t, "")
	cb := "/callback?code=c1&state=" + url.QueryEscape(state)
	for _, method := range []string{"HEAD", "POST"} {
		if rec := ts.do(method, cb, "", cookies); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%s callback: %d", method, rec.Code)
		}
	}
	if rec := ts.do("GET", cb, "", cookies); rec.Code != http.StatusOK {
		t.Fatalf("GET callback after HEAD and POST: %d %s (the state was spent)", rec.Code, rec.Body)
	}
	person := "/users/me/external/myinfo?code=c1"
	for _, method := range []string{"HEAD", "POST"} {
		if rec := ts.do(method, person, "", cookies); rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%s person: %d", method, rec.Code)
		}
	}
	if n := ts.provider.exchanges.Load(); n != 0 {
		t.Fatalf("provider called %d times by HEAD or POST", n)
	}
	if rec := ts.do("GET", person, "", cookies); rec.Code != http.StatusOK {
		t.Fatalf("GET person after HEAD and POST: %d %s (the code was spent)", rec.Code, rec.Body)
	}
}

// A flood of starts from one client is refused with 429 once past its
// burst, and another client's login still works from start to finish.
func TestStartFloodFromOneClient(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.StartLimiter = &ratelimit.TokenBucket{Burst: 5} })
	const flooder, person = "192.0.2.7:4000", "198.51.100.9:5000"
	limited := 0
	for range 200 {
		rec := ts.do("GET", "/users/me/external/myinfo-redirect-login", flooder, nil)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			limited++
			if rec.Header().Get("Retry-After") == "" || errorCode(t, rec) != "TOO_MANY_LOGINS" {
				t.Fatalf("429 without Retry-After or code: %v %s", rec.Header(), rec.Body)
			}
		default:
			t.Fatalf("flood answer %d %s", rec.Code, rec.Body)
		}
	}
	if limited != 195 {
		t.Fatalf("%d of 200 starts refused, want 195 past the burst of 5", limited)
	}
	if n := ts.flow.Store.(*store.Memory).Len(); n != 5 {
		t.Fatalf("the flood stored %d logins, want 5", n)
	}
	state, cookies := ts.start(t, person)
	if rec := ts.do("GET", "/callback?code=c1&state="+url.QueryEscape(state), person, cookies); rec.Code != http.StatusOK {
		t.Fatalf("the other client's callback: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("GET", "/users/me/external/myinfo?code=c1", person, cookies); rec.Code != http.StatusOK {
		t.Fatalf("the other client's person call: %d %s", rec.Code, rec.Body)
	}
}

// When the store is at its budget a start is a clear 503, not a 500.
func TestStartWhenStoreFull(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Flow.Store = &store.Memory{MaxEntries: 1} })
	ts.start(t, "192.0.2.1:1")
	rec := ts.do("GET", "/users/me/external/myinfo-redirect-login", "192.0.2.2:1", nil)
	if rec.Code != http.StatusServiceUnavailable || errorCode(t, rec) != "BUSY" {
		t.Fatalf("start into a full store: %d %s", rec.Code, rec.Body)
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct {
		name, header, remote, value, want string
	}{
		{"IPv4", "", "192.0.2.7:4000", "", "192.0.2.7"},
		{"IPv6 keyed by /64", "", "[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", "", "[::ffff:192.0.2.7]:1", "", "192.0.2.7"},
		{"header ignored unless configured", "", "192.0.2.7:4000", "203.0.113.5", "192.0.2.7"},
		{"X-Forwarded-For: the proxy's entry, last", "X-Forwarded-For", "10.0.0.1:1", "198.51.100.1, 203.0.113.5", "203.0.113.5"},
		{"X-Real-IP", "X-Real-IP", "10.0.0.1:1", "203.0.113.5", "203.0.113.5"},
		{"configured header absent", "X-Real-IP", "10.0.0.1:1", "", "10.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{ipHeader: http.CanonicalHeaderKey(tc.header)}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.value != "" {
				r.Header.Set("X-Forwarded-For", tc.value)
				r.Header.Set("X-Real-IP", tc.value)
			}
			if got := s.clientKey(r); got != tc.want {
				t.Fatalf("clientKey = %q, want %q", got, tc.want)
			}
		})
	}
}

// A browser that goes away during the exchange is logged as "client
// closed", not as a failure of ours.
func TestClientClosedIsNotAFailure(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ts.provider.exchange = func(ctx context.Context) (*idconnect.Result, error) {
		cancel() // the browser leaves while the provider is being called
		<-ctx.Done()
		return nil, fmt.Errorf("myinfo: person: %w", ctx.Err())
	}
	state, cookies := ts.start(t, "")
	ts.do("GET", "/callback?code=c1&state="+url.QueryEscape(state), "", cookies)
	req := httptest.NewRequest("GET", "/users/me/external/myinfo?code=c1", nil).WithContext(ctx)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	ts.ServeHTTP(httptest.NewRecorder(), req)
	logs := ts.logs.String()
	if !strings.Contains(logs, `msg="client closed"`) || !strings.Contains(logs, "status=499") || strings.Contains(logs, "status=500") {
		t.Fatalf("logs:\n%s", logs)
	}
}

// A provider's own words never reach the log: only its status and code.
func TestLogsLeaveOutProviderText(t *testing.T) {
	ts := newTestServer(t, nil)
	const leak = "S1111111D TAN XIAO HUI client_secret=hunter2"
	ts.provider.exchange = func(context.Context) (*idconnect.Result, error) {
		return nil, fmt.Errorf("myinfo: person: %w", &idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 401, Code: "401", Description: leak})
	}
	state, cookies := ts.start(t, "")
	ts.do("GET", "/callback?code=c1&state="+url.QueryEscape(state), "", cookies)
	rec := ts.do("GET", "/users/me/external/myinfo?code=c1", "", cookies)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	logs := ts.logs.String()
	for _, word := range []string{"S1111111D", "TAN", "hunter2", "client_secret"} {
		if strings.Contains(logs, word) || strings.Contains(rec.Body.String(), word) {
			t.Fatalf("%q leaked:\nlog: %s\nbody: %s", word, logs, rec.Body)
		}
	}
	if !strings.Contains(logs, "provider.status=401") || !strings.Contains(logs, "provider.op=person") {
		t.Fatalf("the log line lacks the provider's status and operation:\n%s", logs)
	}
}

func TestNewRequiresFlow(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Flow") {
		t.Fatalf("New(Config{}) err = %v", err)
	}
	_, err := New(Config{Flow: &idconnect.Flow{Providers: map[string]idconnect.Provider{}}, SeedProvider: "myinfo"})
	if err == nil || !strings.Contains(err.Error(), `"myinfo"`) {
		t.Fatalf("New with a seed provider the Flow lacks: err = %v", err)
	}
	s, err := New(Config{Flow: &idconnect.Flow{Providers: map[string]idconnect.Provider{}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/users/me/external/myinfo-redirect-login", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("seed route without a seed provider: %d", rec.Code)
	}
}

func TestNewRequiresFlattenerForSeedRoutes(t *testing.T) {
	flow := &idconnect.Flow{Providers: map[string]idconnect.Provider{"myinfo": &struct{ idconnect.Provider }{&stubProvider{}}}, Store: &store.Memory{}}
	if _, err := New(Config{Flow: flow, SeedProvider: "myinfo"}); err == nil || !strings.Contains(err.Error(), "sodata") {
		t.Fatalf("New with a seed provider that has no sodata: err = %v", err)
	}
}

// The generic routes start and finish a login with the provider named in
// the path, register /callback/{provider} as the redirect URI, and answer
// with the same envelope and error mapping as the seed routes.
func TestGenericRoutes(t *testing.T) {
	other := &stubProvider{}
	ts := newTestServer(t, func(c *Config) {
		c.PublicURL = "https://rp.example/"
		c.Flow.Providers["other"] = other
	})
	rec := ts.do("GET", "/login/other", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/login/other: %d %s", rec.Code, rec.Body)
	}
	var start struct{ Data struct{ URL, State string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &start); err != nil || start.Data.State == "" {
		t.Fatalf("/login/other answer %s", rec.Body)
	}
	cookies := rec.Result().Cookies()

	// The state belongs to "other": the seed callback and another
	// provider's callback do not know it, and do not spend it.
	if rec := ts.do("GET", "/callback/myinfo?code=c1&state="+url.QueryEscape(start.Data.State), "", cookies); rec.Code != http.StatusBadRequest || errorCode(t, rec) != "LOGIN_UNKNOWN" {
		t.Fatalf("state at /callback/myinfo: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("GET", "/callback?code=c1&state="+url.QueryEscape(start.Data.State), "", cookies); rec.Code != http.StatusBadRequest || errorCode(t, rec) != "LOGIN_UNKNOWN" {
		t.Fatalf("state at the seed /callback: %d %s", rec.Code, rec.Body)
	}
	rec = ts.do("GET", "/callback/other?code=c1&state="+url.QueryEscape(start.Data.State), "", cookies)
	if rec.Code != http.StatusOK {
		t.Fatalf("/callback/other: %d %s", rec.Code, rec.Body)
	}
	var done struct {
		Message string
		Data    struct {
			Provider, Subject string
			Sodata            json.RawMessage
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil || done.Message != "OK" || done.Data.Provider != "other" || done.Data.Subject != "S6005048A" || len(done.Data.Sodata) == 0 {
		t.Fatalf("/callback/other answer %s", rec.Body)
	}
	if n := other.exchanges.Load(); n != 1 {
		t.Fatalf("provider \"other\" exchanged %d times", n)
	}
	if rec := ts.do("GET", "/callback/other?code=c1&state="+url.QueryEscape(start.Data.State), "", cookies); rec.Code != http.StatusBadRequest || errorCode(t, rec) != "LOGIN_UNKNOWN" {
		t.Fatalf("replayed /callback/other: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("GET", "/login/nope", "", nil); rec.Code != http.StatusNotFound || errorCode(t, rec) != "UNKNOWN_PROVIDER" {
		t.Fatalf("/login/nope: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("HEAD", "/login/other", "", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("HEAD /login/other: %d", rec.Code)
	}
}

// The redirect URI of a generic login is PublicURL/callback/{provider}.
func TestGenericLoginRedirectURI(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.PublicURL = "https://rp.example" })
	rec := ts.do("GET", "/login/myinfo", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/login/myinfo: %d %s", rec.Code, rec.Body)
	}
	got, _ := ts.provider.lastRedirect.Load().(string)
	if got != "https://rp.example/callback/myinfo" {
		t.Fatalf("redirect URI %q", got)
	}
}

func TestJWKSRoute(t *testing.T) {
	const set = `{"keys":[{"kty":"EC","crv":"P-256","x":"x","y":"y","use":"sig","kid":"k1"}]}`
	ts := newTestServer(t, func(c *Config) { c.JWKS = json.RawMessage(set) })
	rec := ts.do("GET", "/.well-known/jwks.json", "", nil)
	if rec.Code != http.StatusOK || rec.Body.String() != set || rec.Header().Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("jwks: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if rec := newTestServer(t, nil).do("GET", "/.well-known/jwks.json", "", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("jwks without keys: %d", rec.Code)
	}
}

// A document the provider issued (OneID's PDF report) is handed out once,
// through a link, to the browser that finished the login.
func TestDocumentsAreHandedOutOnce(t *testing.T) {
	pdf := []byte("%PDF-1.4 test")
	ts := newTestServer(t, func(c *Config) { c.PublicURL = "https://rp.example" })
	ts.provider.exchange = func(context.Context) (*idconnect.Result, error) {
		return &idconnect.Result{Provider: "myinfo", Subject: "s", Raw: json.RawMessage(`{}`),
			Documents: []idconnect.Document{{Name: "report", ContentType: "application/pdf", Data: pdf}}}, nil
	}
	rec := ts.do("GET", "/login/myinfo", "", nil)
	var start struct{ Data struct{ State string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &start); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	rec = ts.do("GET", "/callback/myinfo?code=c&state="+url.QueryEscape(start.Data.State), "", cookies)
	var done struct {
		Data struct{ Documents map[string]string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	link := done.Data.Documents["report"]
	if !strings.HasPrefix(link, "/documents/") {
		t.Fatalf("no report link in %s", rec.Body)
	}
	_, otherCookies := ts.start(t, "")
	if rec := ts.do("GET", link, "", otherCookies); rec.Code != http.StatusNotFound || errorCode(t, rec) != "DOCUMENT_UNKNOWN" {
		t.Fatalf("another browser fetched the document: %d", rec.Code)
	}
	if rec := ts.do("HEAD", link, "", cookies); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("HEAD on the document: %d", rec.Code)
	}
	rec = ts.do("GET", link, "", cookies)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), pdf) || rec.Header().Get("Content-Type") != "application/pdf" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename=report.pdf` {
		t.Fatalf("document: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	if rec := ts.do("GET", link, "", cookies); rec.Code != http.StatusNotFound {
		t.Fatalf("second download: %d", rec.Code)
	}
}
