package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seedSodata is seed 000's example answer for ANDY LAU, members in the
// order of the requested attributes.
const seedSodata = `{"name":"ANDY LAU","dob":"1988-10-06","birthcountry":"SG","nationality":"SG","uinfin":"S6005048A","sex":"M","regadd":{"country":{"code":"SG","desc":"SINGAPORE"},"unit":{"value":"10"},"street":{"value":"ANCHORVALE DRIVE"},"lastupdated":"2022-07-14","block":{"value":"319"},"source":"1","postal":{"value":"542319"},"classification":"C","floor":{"value":"38"},"type":"SG","building":{"value":""}}}`

// startService runs the service exactly as `idconnect serve` wires it with
// no configuration (embedded emulator, fresh keys), on a loopback port.
// Its log is checked, when the test ends, for every persona's personal data
// and for the client secret.
func startService(t *testing.T, env map[string]string) (*httptest.Server, *service) {
	t.Helper()
	return startServiceWith(t, serviceOptions{env: env})
}

// serviceOptions adjust startServiceWith.
type serviceOptions struct {
	env map[string]string
	// now is the one clock of the whole service (Flow, store, limiter,
	// client and emulator); nil means the real clock.
	now func() time.Time
	// redirectHost, if set, is the host:port of the redirect URL instead
	// of the listener's (the service sits behind something else there).
	redirectHost string
	// logs, if set, receives the service's log.
	logs *syncBuffer
}

func startServiceWith(t *testing.T, o serviceOptions) (*httptest.Server, *service) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	host := ts.Listener.Addr().String()
	if o.redirectHost != "" {
		host = o.redirectHost
	}
	getenv := func(k string) string {
		if k == "IDCONNECT_REDIRECT_URL" {
			return "http://" + host + "/callback"
		}
		return o.env[k]
	}
	cfg, err := loadServiceConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Emulated {
		t.Fatal("expected the no-configuration (emulated) mode")
	}
	if o.env["IDCONNECT_LOGIN_BURST"] == "" {
		// These tests run many logins from one loopback address; the
		// per-client limit has tests of its own.
		cfg.LoginBurst = 1_000_000
	}
	cfg.Now = o.now
	logs := o.logs
	if logs == nil {
		logs = &syncBuffer{}
	}
	svc, err := buildService(cfg, slog.New(slog.NewTextHandler(logs, nil)), ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = svc.handler
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		checkLogClean(t, logs.String(), svc.clientSecret.Reveal())
		checkMetricsClean(t, svc)
	})
	return ts, svc
}

// browserClient is a cookie-jar client that stops at every redirect, so the
// test sees each hop.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func get(t *testing.T, c *http.Client, u string) answer {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusInternalServerError {
		t.Errorf("GET %s answered 500: %s", u, b)
	}
	return answer{resp.StatusCode, string(b), resp.Header}
}

// envelopeCode checks a seed error envelope and returns its code.
func envelopeCode(t *testing.T, a answer) string {
	t.Helper()
	var env struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Error   struct {
			Title       string          `json:"title"`
			Description string          `json:"description"`
			Code        string          `json:"code"`
			Data        json.RawMessage `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(a.body), &env); err != nil {
		t.Fatalf("not a JSON envelope (%d): %s", a.status, a.body)
	}
	if env.Message == "" || env.Code == "" || env.Error.Code != env.Code || env.Error.Description == "" || string(env.Error.Data) != "null" {
		t.Fatalf("incomplete seed envelope: %s", a.body)
	}
	return env.Code
}

// login starts a login and walks the emulator with the persona and consent
// shortcut, returning the callback URL the emulator redirected to.
func login(t *testing.T, c *http.Client, base, persona, consent string) string {
	t.Helper()
	return authorise(t, c, base, startLogin(t, c, base), persona, consent)
}

// startLogin calls the seed's redirect-login route and returns the
// authorise URL.
func startLogin(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	a := get(t, c, base+"/users/me/external/myinfo-redirect-login")
	if a.status != http.StatusOK {
		t.Fatalf("redirect-login: %d %s", a.status, a.body)
	}
	var start struct {
		Message string `json:"message"`
		Data    struct {
			URL   string `json:"url"`
			State string `json:"state"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || start.Message != "OK" {
		t.Fatalf("redirect-login answer %s: %v", a.body, err)
	}
	if !strings.Contains(start.Data.URL, "state="+start.Data.State) || !strings.Contains(start.Data.URL, "attributes=name,dob,birthcountry,nationality,uinfin,sex,regadd") {
		t.Fatalf("authorise URL %s lacks the state or attributes", start.Data.URL)
	}
	return start.Data.URL
}

// authorise walks the emulator at authoriseURL and returns the callback
// URL it redirects to.
func authorise(t *testing.T, c *http.Client, base, authoriseURL, persona, consent string) string {
	t.Helper()
	resp := get(t, c, authoriseURL+"&persona="+persona+"&consent="+consent)
	if resp.status != http.StatusFound {
		t.Fatalf("authorise: %d %s", resp.status, resp.body)
	}
	loc := resp.header.Get("Location")
	if !strings.HasPrefix(loc, base+"/callback?") {
		t.Fatalf("authorise redirected to %q", loc)
	}
	return loc
}

var codeRe = regexp.MustCompile(`id="code-container">([^<]+)<`)

func TestEndToEndSeedFlow(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	cb := login(t, c, ts.URL, "S6005048A", "allow")

	page := get(t, c, cb)
	m := codeRe.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("callback page: %d %s", page.status, page.body)
	}
	u, _ := url.Parse(cb)
	if code := u.Query().Get("code"); m[1] != code {
		t.Fatalf("page shows code %q, callback had %q", m[1], code)
	}
	if !strings.Contains(page.body, "/users/me/external/myinfo?code=") {
		t.Error("callback page does not forward to the person route")
	}

	person := get(t, c, ts.URL+"/users/me/external/myinfo?code="+url.QueryEscape(m[1]))
	want := `{"message":"OK","sodata":` + seedSodata + "}\n"
	if person.status != http.StatusOK || person.body != want {
		t.Fatalf("person answer %d:\n got %s\nwant %s", person.status, person.body, want)
	}

	t.Run("replayed code", func(t *testing.T) {
		a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+url.QueryEscape(m[1]))
		if a.status != http.StatusBadRequest || envelopeCode(t, a) != "LOGIN_UNKNOWN" {
			t.Fatalf("replayed code: %d %s", a.status, a.body)
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		a := get(t, c, cb)
		if a.status != http.StatusBadRequest || envelopeCode(t, a) != "LOGIN_UNKNOWN" {
			t.Fatalf("replayed callback: %d %s", a.status, a.body)
		}
	})
}

func TestEndToEndRefusals(t *testing.T) {
	ts, _ := startService(t, nil)
	tests := []struct {
		name       string
		run        func(t *testing.T) answer
		wantStatus int
		wantCode   string
	}{
		{"unknown state", func(t *testing.T) answer {
			c := browserClient(t)
			login(t, c, ts.URL, "S6005048A", "allow") // sets the binding cookie
			return get(t, c, ts.URL+"/callback?code=abc&state=forged")
		}, 400, "LOGIN_UNKNOWN"},
		{"callback without the binding cookie", func(t *testing.T) answer {
			cb := login(t, browserClient(t), ts.URL, "S6005048A", "allow")
			return get(t, browserClient(t), cb)
		}, 400, "BROWSER_MISMATCH"},
		{"callback from another browser", func(t *testing.T) answer {
			cb := login(t, browserClient(t), ts.URL, "S6005048A", "allow")
			other := browserClient(t)
			login(t, other, ts.URL, "S8214727F", "allow") // it has a binding of its own
			return get(t, other, cb)
		}, 400, "LOGIN_UNKNOWN"},
		{"code redeemed in another browser", func(t *testing.T) answer {
			c := browserClient(t)
			cb := login(t, c, ts.URL, "S6005048A", "allow")
			get(t, c, cb)
			u, _ := url.Parse(cb)
			other := browserClient(t)
			login(t, other, ts.URL, "S8214727F", "allow")
			return get(t, other, ts.URL+"/users/me/external/myinfo?code="+u.Query().Get("code"))
		}, 400, "LOGIN_UNKNOWN"},
		{"code without the binding cookie", func(t *testing.T) answer {
			return get(t, browserClient(t), ts.URL+"/users/me/external/myinfo?code=nope")
		}, 400, "BROWSER_MISMATCH"},
		{"unknown code", func(t *testing.T) answer {
			c := browserClient(t)
			login(t, c, ts.URL, "S6005048A", "allow")
			return get(t, c, ts.URL+"/users/me/external/myinfo?code=nope")
		}, 400, "LOGIN_UNKNOWN"},
		{"missing code", func(t *testing.T) answer {
			return get(t, browserClient(t), ts.URL+"/users/me/external/myinfo")
		}, 400, "INVALID_PARAM"},
		{"unexpected parameter", func(t *testing.T) answer {
			return get(t, browserClient(t), ts.URL+"/users/me/external/myinfo?code=a&debug=1")
		}, 400, "INVALID_PARAM"},
		{"callback without state", func(t *testing.T) answer {
			return get(t, browserClient(t), ts.URL+"/callback?code=abc")
		}, 400, "INVALID_PARAM"},
		{"oversized value", func(t *testing.T) answer {
			return get(t, browserClient(t), ts.URL+"/callback?code=abc&state="+strings.Repeat("s", 1025))
		}, 400, "INVALID_PARAM"},
		{"oversized query of small values", func(t *testing.T) answer {
			// Each value is under the 1,024-byte value cap; only the
			// 4,096-byte query cap can refuse it.
			q := "code=abc&state=s"
			for i := range 5 {
				q += fmt.Sprintf("&p%d=%s", i, strings.Repeat("x", 1000))
			}
			return get(t, browserClient(t), ts.URL+"/callback?"+q)
		}, 414, "QUERY_TOO_LONG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.run(t)
			if a.status != tt.wantStatus || envelopeCode(t, a) != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestEndToEndConsentDenied(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	cb := login(t, c, ts.URL, "S6005048A", "deny")
	if !strings.Contains(cb, "error=access_denied") {
		t.Fatalf("deny redirected to %s", cb)
	}
	page := get(t, c, cb)
	if page.status != http.StatusOK || !strings.Contains(page.body, "No data was shared") {
		t.Fatalf("denied page: %d %s", page.status, page.body)
	}
	again := get(t, c, cb)
	if again.status != http.StatusBadRequest || envelopeCode(t, again) != "LOGIN_UNKNOWN" {
		t.Fatalf("reused denied state: %d %s", again.status, again.body)
	}
}

// TestEndToEndProviderFaults turns on each emulator fault and checks the
// service answers with a clear gateway error, never a 500 or partial data.
func TestEndToEndProviderFaults(t *testing.T) {
	// The timeout leaves room for the emulator's first "another key"
	// fault, which makes an RSA key in the request (seconds under the race
	// detector or GODEBUG=fips140=on on a busy machine).
	ts, svc := startService(t, map[string]string{"IDCONNECT_PROVIDER_TIMEOUT": "3s"})
	faults := svc.myinfo.Faults()
	tests := []struct {
		name       string
		set        func(on bool)
		wantStatus int
		wantCode   string
	}{
		{"access token signed with another key", faults.SetBadSignature, 502, "PROVIDER_SIGNATURE_INVALID"},
		{"person signed with another key", faults.SetBadPersonSignature, 502, "PROVIDER_SIGNATURE_INVALID"},
		{"wrong encryption key", faults.SetWrongEncryptionKey, 502, "PROVIDER_DECRYPT_FAILED"},
		{"expired token", faults.SetExpiredToken, 502, "PROVIDER_TOKEN_INVALID"},
		{"down", faults.SetDown, 502, "PROVIDER_UNAVAILABLE"},
		{"slow", func(on bool) {
			if on {
				faults.SetSlow(5 * time.Second)
			} else {
				faults.SetSlow(0)
			}
		}, 504, "PROVIDER_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browserClient(t)
			cb := login(t, c, ts.URL, "S6005048A", "allow")
			page := get(t, c, cb)
			m := codeRe.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("callback page: %d %s", page.status, page.body)
			}
			tt.set(true)
			defer tt.set(false)
			a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1])
			if a.status != tt.wantStatus || envelopeCode(t, a) != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tt.wantStatus, tt.wantCode)
			}
			if strings.Contains(a.body, "ANDY") || strings.Contains(a.body, "S6005048A") {
				t.Fatalf("error answer leaks person data: %s", a.body)
			}
		})
	}
}
