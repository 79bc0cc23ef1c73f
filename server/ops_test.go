package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/store"
)

// clock is the one fake clock of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// recordingStore remembers every value put into it.
type recordingStore struct {
	store.Store
	mu   sync.Mutex
	puts [][]byte
}

func (s *recordingStore) Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	s.mu.Lock()
	s.puts = append(s.puts, append([]byte(key+"="), value...))
	s.mu.Unlock()
	return s.Store.Put(ctx, key, value, expiresAt)
}

const testAPIKey = "test-api-key-0123456789-0123456789"

// handoffServer is a test server with the result handoff on, every part on
// clk.
func handoffServer(t *testing.T, clk *clock) (*testServer, *recordingStore) {
	t.Helper()
	results := &recordingStore{Store: &store.Memory{Now: clk.Now}}
	ts := newTestServer(t, func(c *Config) {
		c.Flow.Now = clk.Now
		c.Flow.Store = &store.Memory{Now: clk.Now}
		c.StartLimiter = &ratelimit.TokenBucket{Now: clk.Now}
		c.PublicURL = "https://rp.example"
		c.ReturnURL = "https://app.example/done?tab=kyc"
		c.APIKey = idconnect.Secret(testAPIKey)
		c.Results = results
		c.Documents = &store.Memory{Now: clk.Now}
		c.Now = clk.Now
	})
	return ts, results
}

// finishHandoff runs a generic login to its callback and returns the
// redirect's Location.
func finishHandoff(t *testing.T, ts *testServer, route string) *url.URL {
	t.Helper()
	state, cookies := ts.start(t, "")
	rec := ts.do("GET", route+"?code=c&state="+url.QueryEscape(state), "", cookies)
	if rec.Code != http.StatusFound {
		t.Fatalf("%s: %d %s", route, rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("the redirect has a body: %q", rec.Body)
	}
	return loc
}

func (ts *testServer) fetch(handle, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/results/"+handle, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	ts.ServeHTTP(rec, req)
	return rec
}

// With a return URL, the generic callback and the seed callback send the
// browser back to the application with a handle and nothing personal; the
// backend fetches the result once, with the API key, within ResultTTL.
func TestResultHandoff(t *testing.T) {
	for _, route := range []string{"/callback/myinfo", "/callback"} {
		t.Run(route, func(t *testing.T) {
			clk := newClock()
			ts, results := handoffServer(t, clk)
			loc := finishHandoff(t, ts, route)
			handle := loc.Query().Get("result")
			if loc.Host != "app.example" || loc.Path != "/done" || loc.Query().Get("tab") != "kyc" || len(handle) != 43 {
				t.Fatalf("redirect to %s", loc)
			}
			for _, pii := range []string{"S6005048A", "ANDY", "LAU"} {
				if strings.Contains(loc.String(), pii) {
					t.Fatalf("the redirect carries %q: %s", pii, loc)
				}
			}
			// Sealed at rest: no value in the results store holds the data.
			for _, v := range results.puts {
				if bytes.Contains(v, []byte("S6005048A")) || bytes.Contains(v, []byte("ANDY LAU")) {
					t.Fatalf("a result is stored in the clear: %q", v)
				}
				if bytes.Contains(v, []byte(handle)) {
					t.Fatalf("the store holds the handle itself: %q", v)
				}
			}
			steps := []struct {
				name       string
				auth       string
				wantStatus int
				wantCode   string
			}{
				{"no key", "", http.StatusUnauthorized, "RESULT_UNAUTHORIZED"},
				{"wrong key", "Bearer " + testAPIKey + "x", http.StatusUnauthorized, "RESULT_UNAUTHORIZED"},
				{"key as Basic", "Basic " + testAPIKey, http.StatusUnauthorized, "RESULT_UNAUTHORIZED"},
				{"first fetch", "Bearer " + testAPIKey, http.StatusOK, ""},
				{"second fetch", "bearer " + testAPIKey, http.StatusGone, "RESULT_USED"},
				{"third fetch", "Bearer " + testAPIKey, http.StatusGone, "RESULT_USED"},
			}
			for _, st := range steps {
				rec := ts.fetch(handle, st.auth)
				if rec.Code != st.wantStatus {
					t.Fatalf("%s: %d %s", st.name, rec.Code, rec.Body)
				}
				if st.wantCode != "" {
					if got := errorCode(t, rec); got != st.wantCode {
						t.Fatalf("%s: code %s", st.name, got)
					}
					if st.wantStatus == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
						t.Fatalf("%s: no WWW-Authenticate", st.name)
					}
					continue
				}
				var body struct {
					Message string
					Data    struct {
						Provider, Subject string
						Person            *idconnect.Person
						Sodata            json.RawMessage
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Message != "OK" || body.Data.Provider != "myinfo" ||
					body.Data.Subject != "S6005048A" || !bytes.Contains(body.Data.Sodata, []byte("ANDY LAU")) {
					t.Fatalf("%s: answer %s", st.name, rec.Body)
				}
			}
			if rec := ts.fetch("nope", "Bearer "+testAPIKey); rec.Code != http.StatusNotFound || errorCode(t, rec) != "RESULT_UNKNOWN" {
				t.Fatalf("unknown handle: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// A result not fetched within ResultTTL is gone, and a late fetch is told
// so; long after, the handle is forgotten.
func TestResultExpires(t *testing.T) {
	clk := newClock()
	ts, _ := handoffServer(t, clk)
	handle := finishHandoff(t, ts, "/callback/myinfo").Query().Get("result")
	clk.Add(ResultTTL)
	for range 2 {
		if rec := ts.fetch(handle, "Bearer "+testAPIKey); rec.Code != http.StatusGone || errorCode(t, rec) != "RESULT_EXPIRED" {
			t.Fatalf("late fetch: %d %s", rec.Code, rec.Body)
		}
	}
	clk.Add(resultMarkTTL)
	if rec := ts.fetch(handle, "Bearer "+testAPIKey); rec.Code != http.StatusNotFound || errorCode(t, rec) != "RESULT_UNKNOWN" {
		t.Fatalf("fetch long after: %d %s", rec.Code, rec.Body)
	}
	// Just inside the limit it works.
	handle = finishHandoff(t, ts, "/callback/myinfo").Query().Get("result")
	clk.Add(ResultTTL - time.Second)
	if rec := ts.fetch(handle, "Bearer "+testAPIKey); rec.Code != http.StatusOK {
		t.Fatalf("fetch in time: %d %s", rec.Code, rec.Body)
	}
}

// A failed callback sends the browser back to the application with the
// error's code, and nothing else.
func TestResultHandoffErrors(t *testing.T) {
	clk := newClock()
	ts, _ := handoffServer(t, clk)
	state, cookies := ts.start(t, "")
	ts.provider.exchange = func(context.Context) (*idconnect.Result, error) {
		return nil, &idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 401, Description: "S6005048A is not allowed"}
	}
	for _, tc := range []struct{ name, target, want string }{
		{"provider refusal", "/callback/myinfo?code=c&state=" + url.QueryEscape(state), "PROVIDER_REFUSED"},
		{"replay", "/callback/myinfo?code=c&state=" + url.QueryEscape(state), "LOGIN_UNKNOWN"},
		{"consent denied", "/callback/myinfo?error=access_denied&state=x", "LOGIN_UNKNOWN"},
		{"bad query", "/callback/myinfo?code=c", "INVALID_PARAM"},
		{"seed callback", "/callback?code=c&state=nope", "LOGIN_UNKNOWN"},
	} {
		rec := ts.do("GET", tc.target, "", cookies)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc == nil || loc.Query().Get("error") != tc.want || loc.Query().Get("result") != "" || strings.Contains(loc.String(), "S6005048A") {
			t.Errorf("%s: %d to %q", tc.name, rec.Code, rec.Header().Get("Location"))
		}
	}
	// Consent denied on a live login.
	state, cookies = ts.start(t, "")
	rec := ts.do("GET", "/callback?error=access_denied&state="+url.QueryEscape(state), "", cookies)
	if loc, _ := url.Parse(rec.Header().Get("Location")); rec.Code != http.StatusFound || loc.Query().Get("error") != "CONSENT_DENIED" {
		t.Errorf("consent denied: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// A handed-off result carries its documents inline: the backend has no
// browser cookie for a /documents link.
func TestResultHandoffInlineDocuments(t *testing.T) {
	clk := newClock()
	ts, _ := handoffServer(t, clk)
	pdf := []byte("%PDF-1.4 test")
	ts.provider.exchange = func(context.Context) (*idconnect.Result, error) {
		return &idconnect.Result{Provider: "myinfo", Subject: "s", Raw: json.RawMessage(`{}`),
			Documents: []idconnect.Document{{Name: "report", ContentType: "application/pdf", Data: pdf}}}, nil
	}
	handle := finishHandoff(t, ts, "/callback/myinfo").Query().Get("result")
	rec := ts.fetch(handle, "Bearer "+testAPIKey)
	var body struct {
		Data struct {
			Documents       map[string]string
			InlineDocuments map[string]struct {
				ContentType string `json:"content_type"`
				Data        []byte
			} `json:"inline_documents"`
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("fetch: %d %s", rec.Code, rec.Body)
	}
	d := body.Data.InlineDocuments["report"]
	if d.ContentType != "application/pdf" || !bytes.Equal(d.Data, pdf) || body.Data.Documents != nil {
		t.Fatalf("documents in %s", rec.Body)
	}
}

func TestNewHandoffConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no API key", func(c *Config) { c.ReturnURL = "https://app.example/done" }, "APIKey"},
		{"relative URL", func(c *Config) { c.ReturnURL = "/done"; c.APIKey = "k" }, "ReturnURL"},
		{"fragment", func(c *Config) { c.ReturnURL = "https://app.example/#x"; c.APIKey = "k" }, "ReturnURL"},
		{"short key", func(c *Config) { c.ReturnURL = "https://app.example/"; c.APIKey = "k"; c.ResultKey = make([]byte, 16) }, "ResultKey"},
	} {
		cfg := Config{Flow: &idconnect.Flow{Providers: map[string]idconnect.Provider{"myinfo": &stubProvider{}}, Store: &store.Memory{}}}
		tc.mutate(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Without a return URL there is no /results route and the callbacks
// answer as before.
func TestNoHandoffWithoutReturnURL(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.PublicURL = "https://rp.example" })
	if rec := ts.do("GET", "/results/x", "", nil); rec.Code != http.StatusNotFound || errorCode(t, rec) != "NOT_FOUND" {
		t.Fatalf("/results without handoff: %d %s", rec.Code, rec.Body)
	}
}

// readyStore is a store whose readiness a test sets.
type readyStore struct {
	store.Memory
	err error
}

func (s *readyStore) Ready(context.Context) error { return s.err }

// pingStore is a store with a Ping, as store/redis has.
type pingStore struct {
	store.Memory
	err error
}

func (s *pingStore) Ping(context.Context) error { return s.err }

// /readyz asks every store that can tell; /healthz stays up whatever
// happens.
func TestReadyz(t *testing.T) {
	logins := &readyStore{}
	docs := &readyStore{}
	results := &pingStore{}
	ts := newTestServer(t, func(c *Config) {
		c.Flow.Store = logins
		c.Documents = docs
		c.PublicURL = "https://rp.example"
		c.ReturnURL, c.APIKey, c.Results = "https://app.example/", "k", results
	})
	for _, tc := range []struct {
		name                           string
		loginsErr, docsErr, resultsErr error
		drain                          bool
		wantStatus                     int
	}{
		{"ready", nil, nil, nil, false, http.StatusOK},
		{"login store down", errors.New("dial tcp 10.0.0.1:6379: refused"), nil, nil, false, http.StatusServiceUnavailable},
		{"document store down", nil, errors.New("down"), nil, false, http.StatusServiceUnavailable},
		{"result store (Ping) down", nil, nil, errors.New("down"), false, http.StatusServiceUnavailable},
		{"draining", nil, nil, nil, true, http.StatusServiceUnavailable},
	} {
		logins.err, docs.err, results.err = tc.loginsErr, tc.docsErr, tc.resultsErr
		if tc.drain {
			ts.Drain()
		}
		rec := ts.do("GET", "/readyz", "", nil)
		if rec.Code != tc.wantStatus {
			t.Errorf("%s: /readyz %d %s", tc.name, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK && (errorCode(t, rec) != "NOT_READY" || strings.Contains(rec.Body.String(), "10.0.0.1")) {
			t.Errorf("%s: /readyz answer %s", tc.name, rec.Body)
		}
		if rec := ts.do("GET", "/healthz", "", nil); rec.Code != http.StatusOK {
			t.Errorf("%s: /healthz %d", tc.name, rec.Code)
		}
	}
	// The memory store has no check: always ready.
	if rec := newTestServer(t, nil).do("GET", "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("memory store: /readyz %d", rec.Code)
	}
}

// A sane X-Request-Id is echoed, anything else replaced; every log line of
// the request carries the id.
func TestRequestID(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"uuid", "3f0c8a4e-6a4b-4c8e-9d7e-0b1f2a3c4d5e", true},
		{"trace id", "00-abc.def_1:2", true},
		{"none", "", false},
		{"spaces", "hello world", false},
		{"NRIC-ish with quote", `S6005048A"`, false},
		{"too long", strings.Repeat("a", 129), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			req := httptest.NewRequest("GET", "/users/me/external/myinfo?code=", nil)
			if tc.sent != "" {
				req.Header.Set("X-Request-Id", tc.sent)
			}
			rec := httptest.NewRecorder()
			ts.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if tc.kept && got != tc.sent || !tc.kept && (got == tc.sent || !saneRequestID(got) || len(got) != 32) {
				t.Fatalf("sent %q, answered %q", tc.sent, got)
			}
			lines := strings.Split(strings.TrimSpace(ts.logs.String()), "\n")
			if len(lines) < 2 {
				t.Fatalf("expected a failure line and a request line:\n%s", ts.logs)
			}
			for _, l := range lines {
				if !strings.Contains(l, "request_id="+got) {
					t.Errorf("a log line without the request id: %s", l)
				}
			}
		})
	}
}

// JSON logs carry the request id as a field.
func TestRequestIDInJSONLogs(t *testing.T) {
	var buf bytes.Buffer
	ts := newTestServer(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-Id", "req-1")
	ts.ServeHTTP(httptest.NewRecorder(), req)
	var line struct {
		Msg       string
		RequestID string `json:"request_id"`
		Route     string
		Status    int
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.RequestID != "req-1" || line.Route != "GET /healthz" || line.Status != 200 {
		t.Fatalf("log line %s (%v)", buf.String(), err)
	}
}

func TestOperation(t *testing.T) {
	for path, want := range map[string]string{
		"/com/v3/person/S6005048A/":         "person",
		"/com/v3/person/S6005048A":          "person",
		"/com/v3/token":                     "token",
		"/emulator/singpass/fapi/par":       "par",
		"/.well-known/openid-configuration": "discovery",
		"/.well-known/keys":                 "jwks",
		"/userinfo/report":                  "report",
		"/userinfo":                         "userinfo",
		"/v2/accounts":                      "accounts",
		"/S6005048A":                        "other",
		"/":                                 "other",
	} {
		if got := operation(path); got != want {
			t.Errorf("operation(%q) = %q, want %q", path, got, want)
		}
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

// /metrics counts logins by provider and reason, times provider calls and
// store operations, and holds nothing a client chose.
func TestMetrics(t *testing.T) {
	m := NewMetrics()
	ts := newTestServer(t, func(c *Config) {
		c.Metrics = m
		c.PublicURL = "https://rp.example"
		c.Flow.Store = m.Store("logins", c.Flow.Store)
	})
	state, cookies := ts.start(t, "")
	if rec := ts.do("GET", "/callback/myinfo?code=c&state="+url.QueryEscape(state), "", cookies); rec.Code != http.StatusOK {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	ts.do("GET", "/callback/myinfo?code=c&state="+url.QueryEscape(state), "", cookies) // replay
	ts.do("GET", "/login/S6005048A", "", nil)                                          // a client-chosen name
	ts.do("GET", "/users/me/external/myinfo?code=S6005048A", "", nil)                  // unknown code

	// An outbound call through the instrumented transport.
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer idp.Close()
	c := &http.Client{Transport: m.Transport("myinfo", nil)}
	resp, err := c.Get(idp.URL + "/com/v3/person/S6005048A/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := scrape(t, ts)
	for _, want := range []string{
		`idconnect_logins_started_total{provider="myinfo"} 1`,
		`idconnect_logins_finished_total{provider="myinfo"} 1`,
		`idconnect_logins_failed_total{provider="myinfo",reason="LOGIN_UNKNOWN"} 1`,
		`idconnect_logins_failed_total{provider="myinfo",reason="BROWSER_MISMATCH"} 1`,
		`idconnect_logins_failed_total{provider="unknown",reason="UNKNOWN_PROVIDER"} 1`,
		`idconnect_provider_request_duration_seconds_count{operation="person",provider="myinfo",result="2xx"} 1`,
		`idconnect_store_operation_duration_seconds_count{operation="put",result="ok",store="logins"}`,
		`idconnect_store_operation_duration_seconds_count{operation="take",result="not_found",store="logins"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	for _, bad := range []string{"S6005048A", state} {
		if strings.Contains(out, bad) {
			t.Errorf("/metrics holds %q", bad)
		}
	}
}

// Every API route the server registers is described in /openapi.json,
// and every path there is a route.
func TestOpenAPICoversRoutes(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.PublicURL = "https://rp.example"
		c.JWKS = json.RawMessage(`{"keys":[]}`)
		c.ReturnURL = "https://app.example/done"
		c.APIKey = "k"
		c.Demo = http.NotFoundHandler()
		c.DemoReturnURL = "https://rp.example/demo/return"
	})
	rec := ts.do("GET", "/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Code != http.StatusOK || doc.OpenAPI != "3.1.0" {
		t.Fatalf("/openapi.json: %d %v", rec.Code, err)
	}
	registered := map[string]bool{}
	for _, p := range ts.patterns {
		if _, after, ok := strings.Cut(p, " "); ok {
			p = after
		}
		registered[strings.ReplaceAll(p, "{$}", "")] = true
	}
	var described []string
	for p, ops := range doc.Paths {
		described = append(described, p)
		if !registered[p] {
			t.Errorf("%s is described but not registered", p)
		}
		if _, ok := ops["get"]; !ok || len(ops) != 1 {
			t.Errorf("%s: every route answers GET only, described %v", p, ops)
		}
	}
	for p := range registered {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("%s is registered but not described", p)
		}
	}
	sort.Strings(described)
	if len(registered) != len(described) {
		t.Errorf("registered %d routes, described %d: %v", len(registered), len(described), described)
	}
}
