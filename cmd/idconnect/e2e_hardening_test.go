package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
)

// syncBuffer is a log destination the service may write from many
// goroutines while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// personalData lists, for every Myinfo and OneID persona, values that must
// never appear in a log: identifiers, names, birth dates, emails, phone
// numbers, postal codes and account numbers.
func personalData(t *testing.T) []string {
	t.Helper()
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range people {
		var doc struct {
			UINFIN   struct{ Value string } `json:"uinfin"`
			Name     struct{ Value string } `json:"name"`
			DOB      struct{ Value string } `json:"dob"`
			Email    struct{ Value string } `json:"email"`
			Mobileno struct {
				Nbr struct{ Value string } `json:"nbr"`
			} `json:"mobileno"`
			Regadd struct {
				Postal struct{ Value string } `json:"postal"`
				Street struct{ Value string } `json:"street"`
			} `json:"regadd"`
		}
		if err := json.Unmarshal(p.Myinfo, &doc); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{doc.UINFIN.Value, doc.Name.Value, doc.DOB.Value, doc.Email.Value, doc.Mobileno.Nbr.Value, doc.Regadd.Postal.Value, doc.Regadd.Street.Value} {
			if len(v) >= 5 { // shorter values ("SG", "10") are too common to mean anything
				out = append(out, v)
			}
		}
	}
	oneidPeople, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range oneidPeople {
		var doc struct {
			Name, Email, Birthdate string
			PhoneNumber            string `json:"phone_number"`
			Address                struct {
				Street     string `json:"street_address"`
				PostalCode string `json:"postal_code"`
			}
		}
		if err := json.Unmarshal(p.Userinfo, &doc); err != nil {
			t.Fatal(err)
		}
		var accounts []struct {
			AccountNumber string `json:"account_number"`
			IBAN          string `json:"iban"`
			SortCode      string `json:"sort_code"`
		}
		_ = json.Unmarshal(p.Accounts, &accounts) // shapes are the personas package's to test
		for _, v := range []string{p.Subject, doc.Name, doc.Email, doc.Birthdate, doc.PhoneNumber, doc.Address.Street, doc.Address.PostalCode} {
			if len(v) >= 5 {
				out = append(out, v)
			}
		}
		for _, a := range accounts {
			for _, v := range []string{a.AccountNumber, a.IBAN, a.SortCode} {
				if len(v) >= 5 {
					out = append(out, v)
				}
			}
		}
	}
	// Corppass: the entities (a sole proprietorship's UEN and name are
	// its owner's) and the Corppass accounts' emails.
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entities {
		out = append(out, e.UEN, e.Name)
		for _, u := range e.Users {
			out = append(out, u.Email)
		}
	}
	return out
}

// checkLogClean fails the test if the service's log holds personal data,
// the client secret, or any of seen (codes, states and other values the
// test saw pass in URLs).
func checkLogClean(t *testing.T, logs, secret string, seen ...string) {
	t.Helper()
	checkTextClean(t, "the service's log", logs, secret, seen...)
}

// checkTextClean fails the test if text, found at where, holds personal
// data, secret or any of seen. It quotes the first line holding each.
func checkTextClean(t *testing.T, where, text, secret string, seen ...string) {
	t.Helper()
	forbidden := append(personalData(t), seen...)
	if secret != "" {
		forbidden = append(forbidden, secret)
	}
	for _, v := range forbidden {
		if v == "" {
			continue
		}
		if i := indexValue(text, v); i >= 0 {
			start := strings.LastIndexByte(text[:i], '\n') + 1
			end := len(text)
			if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
				end = i + j
			}
			t.Errorf("%s holds %q: %s", where, v, text[start:end])
		}
	}
}

// indexValue is strings.Index, except that a value of digits only (a
// postal code, a sort code) counts only as a whole number, not inside a
// longer one: a duration such as 0.001234596 holds no sort code 012345.
func indexValue(text, v string) int {
	if strings.Trim(v, "0123456789") != "" {
		return strings.Index(text, v)
	}
	number := func(b byte) bool { return b >= '0' && b <= '9' || b == '.' }
	for off := 0; ; {
		i := strings.Index(text[off:], v)
		if i < 0 {
			return -1
		}
		i += off
		if (i == 0 || !number(text[i-1])) && (i+len(v) == len(text) || !number(text[i+len(v)])) {
			return i
		}
		off = i + 1
	}
}

// scrapeMetrics returns the service's /metrics.
func scrapeMetrics(t *testing.T, svc *service) string {
	t.Helper()
	rec := httptest.NewRecorder()
	svc.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// checkMetricsClean fails the test if /metrics holds personal data, the
// client secret or any of seen, as checkLogClean does for the log.
func checkMetricsClean(t *testing.T, svc *service, seen ...string) {
	t.Helper()
	checkTextClean(t, "/metrics", scrapeMetrics(t, svc), svc.clientSecret.Reveal(), seen...)
}

// Every persona, a denial and every provider fault go through the service;
// its log then holds lines for the failures, and no personal data or
// secret (checkLogClean runs when the test ends).
func TestEndToEndLogsHoldNoPersonalData(t *testing.T) {
	logs := &syncBuffer{}
	// The timeout leaves room for a loaded machine: every exchange runs
	// under it, and only the slow fault below must pass it.
	ts, svc := startServiceWith(t, serviceOptions{env: map[string]string{"IDCONNECT_PROVIDER_TIMEOUT": "2s"}, logs: logs})
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		c := browserClient(t)
		cb := login(t, c, ts.URL, p.ID, "allow")
		page := get(t, c, cb)
		m := codeRe.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("%s: callback page %d %s", p.ID, page.status, page.body)
		}
		if a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusOK {
			t.Fatalf("%s: person %d %s", p.ID, a.status, a.body)
		}
		// A replay, a denial and an error for every persona.
		get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1])
		get(t, c, login(t, c, ts.URL, p.ID, "deny"))
	}
	faults := svc.myinfo.Faults()
	for _, fault := range []struct {
		set    func(bool)
		people []personas.Persona
	}{
		{faults.SetBadSignature, people}, {faults.SetBadPersonSignature, people}, {faults.SetWrongEncryptionKey, people},
		{faults.SetExpiredToken, people}, {faults.SetDown, people},
		// A timeout gets no person data to leak: one persona shows the line.
		{slowFault(faults.SetSlow), people[:1]},
	} {
		set := fault.set
		for _, p := range fault.people {
			c := browserClient(t)
			m := codeRe.FindStringSubmatch(get(t, c, login(t, c, ts.URL, p.ID, "allow")).body)
			set(true)
			a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1])
			set(false)
			if a.status < 500 {
				t.Fatalf("%s under a fault: %d %s", p.ID, a.status, a.body)
			}
		}
	}
	// Singpass and OneID too, so that their operations are in /metrics.
	c := browserClient(t)
	if a := get(t, c, fapiLogin(t, c, ts.URL+"/login/singpass", "S6005048A", "allow", ts.URL+"/callback/singpass")); a.status != http.StatusOK {
		t.Fatalf("singpass: %d %s", a.status, a.body)
	}
	oneidPeople, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range oneidPeople {
		c := browserClient(t)
		resp := get(t, c, oneidStart(t, c, ts.URL)+"&persona="+p.ID+"&consent=allow")
		if a := get(t, c, resp.header.Get("Location")); a.status != http.StatusOK {
			t.Fatalf("oneid %s: %d %s", p.ID, a.status, a.body)
		}
	}
	// The metrics check (checkMetricsClean, when the test ends) is not
	// empty: the labels it guards are there.
	metrics := scrapeMetrics(t, svc)
	for _, want := range []string{`operation="person",provider="myinfo",result="2xx"`, `operation="token",provider="myinfo"`,
		`operation="par",provider="singpass"`, `operation="userinfo",provider="singpass"`, `operation="userinfo",provider="oneid"`,
		`operation="accounts",provider="oneid"`, `operation="report",provider="oneid"`, `provider="myinfo",reason="PROVIDER_SIGNATURE_INVALID"`,
		`idconnect_logins_finished_total{provider="oneid"}`, `store="logins"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	out := logs.String()
	for _, want := range []string{"PROVIDER_SIGNATURE_INVALID", "PROVIDER_DECRYPT_FAILED", "PROVIDER_TOKEN_INVALID", "PROVIDER_UNAVAILABLE", "PROVIDER_TIMEOUT", "LOGIN_UNKNOWN", "consent denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %s line, so the check would be empty:\n%s", want, out)
		}
	}
}

// A flood of login starts from one address is refused once past its burst,
// while a browser at another address logs in from start to finish. The
// flooder connects from 127.0.0.2, the person from 127.0.0.1.
func TestEndToEndFloodLeavesOthersWorking(t *testing.T) {
	ts, _ := startService(t, map[string]string{"IDCONNECT_LOGIN_BURST": "10", "IDCONNECT_LOGIN_INTERVAL": "1m"})
	flooder := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext,
	}}
	var ok, limited atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				resp, err := flooder.Get(ts.URL + "/users/me/external/myinfo-redirect-login")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					t.Errorf("flood answer %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || limited.Load() != 390 {
		t.Fatalf("flood of 400 starts: %d accepted, %d refused; want 10 and 390", ok.Load(), limited.Load())
	}
	c := browserClient(t)
	page := get(t, c, login(t, c, ts.URL, "S6005048A", "allow"))
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the other browser's callback: %d %s", page.status, page.body)
	}
	if a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusOK || !strings.Contains(a.body, `"uinfin":"S6005048A"`) {
		t.Fatalf("the other browser's person call: %d %s", a.status, a.body)
	}
}

// When the pending-login budget is spent, a start is a clear 503, and the
// logins already started still finish.
func TestEndToEndStoreFull(t *testing.T) {
	ts, _ := startService(t, map[string]string{"IDCONNECT_STORE_MAX_BYTES": "65536", "IDCONNECT_LOGIN_BURST": "100000"})
	first := browserClient(t)
	cb := login(t, first, ts.URL, "S6005048A", "allow")
	c := browserClient(t)
	var busy answer
	for i := 0; i < 1000 && busy.status == 0; i++ {
		a := get(t, c, ts.URL+"/users/me/external/myinfo-redirect-login")
		if a.status == http.StatusServiceUnavailable {
			busy = a
		} else if a.status != http.StatusOK {
			t.Fatalf("start %d: %d %s", i, a.status, a.body)
		}
	}
	if busy.status == 0 || envelopeCode(t, busy) != "BUSY" {
		t.Fatalf("1,000 starts into a 64 KiB budget never got 503 BUSY")
	}
	page := get(t, first, cb)
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("a login started before the store filled: callback %d %s", page.status, page.body)
	}
	// Its callback freed the state's space and stored the code's; the
	// exchange still works.
	if a := get(t, first, ts.URL+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusOK {
		t.Fatalf("a login started before the store filled: person %d %s", a.status, a.body)
	}
}

// fakeClock is the one clock of a test that runs the whole service on it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Expiry end to end, on one fake clock shared by the Flow, the store, the
// limiter, the Myinfo client and the emulator.
func TestEndToEndExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	ts, _ := startServiceWith(t, serviceOptions{now: clock.Now})
	t.Run("state", func(t *testing.T) {
		c := browserClient(t)
		cb := login(t, c, ts.URL, "S6005048A", "allow")
		clock.Add(idconnect.DefaultLoginTTL + time.Second)
		if a := get(t, c, cb); a.status != http.StatusBadRequest || envelopeCode(t, a) != "LOGIN_EXPIRED" {
			t.Fatalf("late callback: %d %s", a.status, a.body)
		}
	})
	t.Run("code", func(t *testing.T) {
		c := browserClient(t)
		m := codeRe.FindStringSubmatch(get(t, c, login(t, c, ts.URL, "S6005048A", "allow")).body)
		clock.Add(idconnect.DefaultCodeTTL + time.Second)
		if a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusBadRequest || envelopeCode(t, a) != "LOGIN_EXPIRED" {
			t.Fatalf("late code: %d %s", a.status, a.body)
		}
	})
	t.Run("in time", func(t *testing.T) {
		c := browserClient(t)
		authoriseURL := startLogin(t, c, ts.URL)
		clock.Add(idconnect.DefaultLoginTTL - time.Second) // the person takes their time at the provider
		m := codeRe.FindStringSubmatch(get(t, c, authorise(t, c, ts.URL, authoriseURL, "S6005048A", "allow")).body)
		if m == nil {
			t.Fatal("callback just inside the TTL refused")
		}
		if a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusOK {
			t.Fatalf("person just inside the TTLs: %d %s", a.status, a.body)
		}
	})
}

// In emulator mode the service calls its own listener, even when something
// else answers at the redirect URL's host and port (here a decoy standing
// where a reverse proxy would be; the test's browser reaches the service
// as the proxy would forward it).
func TestEndToEndEmulatorCallsOwnListener(t *testing.T) {
	var decoyHits atomic.Int32
	decoy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		decoyHits.Add(1)
		http.Error(w, "decoy", http.StatusTeapot)
	}))
	defer decoy.Close()
	ts, _ := startServiceWith(t, serviceOptions{redirectHost: decoy.Listener.Addr().String()})
	public := "http://" + decoy.Listener.Addr().String()
	c := browserClient(t)
	var d net.Dialer
	c.Transport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, ts.Listener.Addr().String()) // the "proxy"
	}}
	page := get(t, c, login(t, c, public, "S6005048A", "allow"))
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("callback: %d %s", page.status, page.body)
	}
	if a := get(t, c, public+"/users/me/external/myinfo?code="+m[1]); a.status != http.StatusOK {
		t.Fatalf("person: %d %s", a.status, a.body)
	}
	if n := decoyHits.Load(); n != 0 {
		t.Fatalf("the service called whatever listened at its redirect URL %d times", n)
	}
}

// Behind a TLS-terminating proxy (an https redirect URL, plain http
// inside), the binding cookie is still Secure and __Host-.
func TestEndToEndCookieSecureBehindProxy(t *testing.T) {
	cfg, err := loadServiceConfig(func(k string) string {
		return map[string]string{"IDCONNECT_REDIRECT_URL": "https://rp.example/callback"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := buildService(cfg, nil, "127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	svc.handler.ServeHTTP(rec, httptest.NewRequest("GET", "http://rp.example/users/me/external/myinfo-redirect-login", nil))
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusOK || len(cookies) != 1 {
		t.Fatalf("redirect-login: %d, cookies %v", rec.Code, cookies)
	}
	if c := cookies[0]; c.Name != idconnect.SecureBrowserCookie || !c.Secure || !c.HttpOnly || c.Path != "/" {
		t.Fatalf("cookie %s: want Secure, HttpOnly, __Host-", c)
	}
}

// A client that sends its headers too slowly is cut off by the header
// timeout, not left holding a connection.
func TestServeSlowHeaderTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	limits := defaultLimits
	limits.ReadHeaderTimeout = 200 * time.Millisecond
	go func() {
		done <- serveWithLimits(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), limits)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // far past the timeout under test
	_, err = bufio.NewReader(conn).ReadString('\n')
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		t.Fatal("the server kept a connection whose headers never finished")
	}
	if err == nil {
		return // it answered (408) and closed: also a cut-off
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v", err)
	}
}

// The generic routes run the Myinfo v3 login too, with
// /callback/myinfo as its redirect URI, and answer with the normalised
// person and sodata at once.
func TestEndToEndGenericRoutes(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	a := get(t, c, ts.URL+"/login/myinfo")
	var start struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK {
		t.Fatalf("/login/myinfo: %d %s", a.status, a.body)
	}
	resp := get(t, c, start.Data.URL+"&persona=S6005048A&consent=allow")
	loc := resp.header.Get("Location")
	if resp.status != http.StatusFound || !strings.HasPrefix(loc, ts.URL+"/callback/myinfo?") {
		t.Fatalf("authorise: %d to %q", resp.status, loc)
	}
	done := get(t, c, loc)
	var body struct {
		Message string
		Data    struct {
			Provider, Subject string
			Person            struct {
				Name struct{ Value string } `json:"name"`
			}
			Sodata json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(done.body), &body); err != nil || done.status != http.StatusOK {
		t.Fatalf("/callback/myinfo: %d %s", done.status, done.body)
	}
	if body.Data.Provider != "myinfo" || body.Data.Subject != "S6005048A" || body.Data.Person.Name.Value != "ANDY LAU" || string(body.Data.Sodata) != seedSodata {
		t.Fatalf("/callback/myinfo answer %s", done.body)
	}
	if again := get(t, c, loc); again.status != http.StatusBadRequest || envelopeCode(t, again) != "LOGIN_UNKNOWN" {
		t.Fatalf("replayed /callback/myinfo: %d %s", again.status, again.body)
	}
}
