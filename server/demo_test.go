package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idconnect/idconnect"
)

// recordingProvider is a stub provider that remembers each login's
// attributes and redirect URI as the Flow handed them over.
type recordingProvider struct {
	stubProvider
	mu     sync.Mutex
	logins []idconnect.Login
}

func (p *recordingProvider) AuthURL(_ context.Context, l *idconnect.Login) (string, error) {
	p.mu.Lock()
	p.logins = append(p.logins, *l)
	p.mu.Unlock()
	return "https://idp.example/authorise?state=" + url.QueryEscape(l.State), nil
}

func (p *recordingProvider) last() idconnect.Login {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logins[len(p.logins)-1]
}

const demoAPIKey = "demo-api-key-0123456789abcdef0123456789"

// demoServer is a server with the demo on (its application a stub that
// names itself) and no ReturnURL.
func demoServer(t *testing.T) (*testServer, *recordingProvider) {
	t.Helper()
	p := &recordingProvider{}
	ts := newTestServer(t, func(c *Config) {
		c.Flow.Providers["myinfo"] = p
		c.PublicURL = "https://rp.example"
		c.APIKey = demoAPIKey
		c.Demo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-App", "demo")
			w.Write([]byte("demo app: " + r.URL.Path))
		})
		c.DemoReturnURL = "https://rp.example/demo/return"
		c.DemoLogins = map[string]idconnect.StartOptions{"myinfo": {Attributes: []string{"name", "email"}, Purpose: "demo purpose"}}
	})
	return ts, p
}

// demoStart starts a demo login and returns its state and cookies.
func demoStart(t *testing.T, ts *testServer) (string, []*http.Cookie) {
	t.Helper()
	rec := ts.do("GET", "/demo/login/myinfo", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/demo/login/myinfo: %d %s", rec.Code, rec.Body)
	}
	var body struct{ Data struct{ URL, State string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Data.State == "" {
		t.Fatalf("/demo/login answer %s", rec.Body)
	}
	return body.Data.State, rec.Result().Cookies()
}

// A demo login asks for the demo's items, returns to /demo/callback, and
// its result goes to the demo's return URL as a one-time handle that only
// the API key redeems; never to the browser.
func TestDemoLoginIsHandedOff(t *testing.T) {
	ts, p := demoServer(t)
	state, cookies := demoStart(t, ts)
	l := p.last()
	if l.RedirectURI != "https://rp.example/demo/callback/myinfo" {
		t.Errorf("redirect URI %q", l.RedirectURI)
	}
	if !slices.Equal(l.Attributes, []string{"name", "email"}) || l.Purpose != "demo purpose" {
		t.Errorf("demo login asked for %v, purpose %q", l.Attributes, l.Purpose)
	}
	rec := ts.do("GET", "/demo/callback/myinfo?code=c1&state="+url.QueryEscape(state), "", cookies)
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || loc == nil || loc.Host != "rp.example" || loc.Path != "/demo/return" {
		t.Fatalf("demo callback: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if strings.Contains(rec.Body.String(), "ANDY") || strings.Contains(loc.String(), "S6005048A") {
		t.Fatal("person data reached the browser")
	}
	handle := loc.Query().Get("result")
	if rec := ts.do("GET", "/results/"+handle, "", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("result without the key: %d", rec.Code)
	}
	got := ts.fetch(handle, "Bearer "+demoAPIKey)
	if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `"subject":"S6005048A"`) {
		t.Fatalf("result: %d %s", got.Code, got.Body)
	}
}

// Logins started at /login/{provider} are unchanged by the demo: without
// a ReturnURL their callback answers the browser.
func TestDemoLeavesGenericLoginsAlone(t *testing.T) {
	ts, p := demoServer(t)
	rec := ts.do("GET", "/login/myinfo", "", nil)
	var body struct{ Data struct{ State string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/login/myinfo: %d %s", rec.Code, rec.Body)
	}
	if l := p.last(); l.RedirectURI != "https://rp.example/callback/myinfo" || l.Attributes != nil {
		t.Errorf("generic login: redirect %q, attributes %v", l.RedirectURI, l.Attributes)
	}
	rec = ts.do("GET", "/callback/myinfo?code=c1&state="+url.QueryEscape(body.Data.State), "", rec.Result().Cookies())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"subject":"S6005048A"`) {
		t.Fatalf("generic callback: %d %s", rec.Code, rec.Body)
	}
}

// A failed demo login sends the browser to the demo with the error's
// code, whatever failed: a denied consent, an unknown or replayed state,
// a provider error.
func TestDemoCallbackErrorsGoToTheDemo(t *testing.T) {
	ts, p := demoServer(t)
	state, cookies := demoStart(t, ts)
	for _, tc := range []struct {
		name, query, want string
	}{
		{"denied", "error=access_denied&state=" + url.QueryEscape(state), "CONSENT_DENIED"},
		{"replayed", "code=c1&state=" + url.QueryEscape(state), "LOGIN_UNKNOWN"},
		{"no state", "code=c1", "INVALID_PARAM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := ts.do("GET", "/demo/callback/myinfo?"+tc.query, "", cookies)
			loc, _ := url.Parse(rec.Header().Get("Location"))
			if rec.Code != http.StatusFound || loc == nil || loc.Path != "/demo/return" || loc.Query().Get("error") != tc.want {
				t.Fatalf("%d to %q, want ?error=%s", rec.Code, rec.Header().Get("Location"), tc.want)
			}
		})
	}
	p.exchange = func(context.Context) (*idconnect.Result, error) {
		return nil, &idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 503}
	}
	state, cookies = demoStart(t, ts)
	rec := ts.do("GET", "/demo/callback/myinfo?code=c2&state="+url.QueryEscape(state), "", cookies)
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusFound || !strings.HasSuffix(loc, "/demo/return?error=PROVIDER_UNAVAILABLE") {
		t.Fatalf("provider down: %d to %q", rec.Code, loc)
	}
}

// The demo application answers GET / and its paths under /demo/; the
// service keeps /demo/login and /demo/callback, and every API route.
func TestDemoRoutes(t *testing.T) {
	ts, _ := demoServer(t)
	for target, app := range map[string]bool{
		"/":                     true,
		"/demo/assets/app.js":   true,
		"/demo/return?result=x": true,
		"/demo/login/myinfo":    false,
		"/demo/callback/myinfo": false,
		"/healthz":              false,
		"/nowhere":              false,
	} {
		rec := ts.do("GET", target, "", nil)
		if got := rec.Header().Get("X-App") == "demo"; got != app {
			t.Errorf("%s: served by the demo %v, want %v (%d %s)", target, got, app, rec.Code, rec.Body)
		}
	}
	if rec := ts.do("POST", "/demo/login/myinfo", "", nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /demo/login: %d", rec.Code)
	}
}

func TestDemoConfigErrors(t *testing.T) {
	app := http.NotFoundHandler()
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no API key", func(c *Config) {
			c.PublicURL, c.Demo, c.DemoReturnURL = "https://rp.example", app, "https://rp.example/demo/return"
		}, "APIKey"},
		{"no public URL", func(c *Config) { c.Demo, c.APIKey, c.DemoReturnURL = app, "k", "https://rp.example/demo/return" }, "PublicURL"},
		{"relative return", func(c *Config) {
			c.PublicURL, c.Demo, c.APIKey, c.DemoReturnURL = "https://rp.example", app, "k", "/demo/return"
		}, "DemoReturnURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Flow: &idconnect.Flow{Providers: map[string]idconnect.Provider{"myinfo": &stubProvider{}}}}
			tc.mutate(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
