package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/store/redis/redistest"
)

// This file runs the real binary: `idconnect serve` instances and an
// `idconnect emulate myinfo` provider as processes, sharing one
// redis-server, behind a reverse proxy of the test's that is their one
// public origin.

// binDir holds the binary built once per test run; TestMain removes it.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// idconnectBinary builds this command once per test run (without the race
// detector: the processes are the system under test, not the test) and
// returns its path.
func idconnectBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if binDir, binErr = os.MkdirTemp("", "idconnect-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "idconnect")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// randomKey is base64 of 32 random bytes, as IDCONNECT_*_KEY want.
func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// freeLoopbackAddr returns a 127.0.0.1 address that was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a process of the binary, its stderr captured.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when it has exited
}

// startProc starts the binary with args and exactly env (plus PATH), and
// stops it (SIGTERM, then SIGKILL after 10 s) when the test ends.
func startProc(t *testing.T, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(idconnectBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{name: name, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop ends the process gracefully (SIGTERM) within a bound.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 10 s of SIGTERM", p.name)
	}
}

// kill ends the process at once (SIGKILL), as a crash would.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// waitFor waits, within 20 s, for re to match the process's output, and
// returns the first submatch.
func (p *proc) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", p.name, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 20 s:\n%s", p.name, p.stderr)
		}
	}
}

var listeningRe = regexp.MustCompile(`msg="idconnect listening" addr=([0-9.:]+)`)

// routeHeader tells the test's proxy which instance a request goes to; the
// proxy removes it.
const routeHeader = "X-Test-Instance"

// frontProxy is the one public origin of the instances: it forwards each
// request to the instance its routeHeader names, else to the first.
type frontProxy struct {
	*httptest.Server
	mu      sync.Mutex
	targets map[string]*url.URL
	order   []string
}

func startFrontProxy(t *testing.T) *frontProxy {
	t.Helper()
	fp := &frontProxy{targets: map[string]*url.URL{}}
	transport := &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			name := r.In.Header.Get(routeHeader)
			r.Out.Header.Del(routeHeader)
			fp.mu.Lock()
			target := fp.targets[name]
			if target == nil && len(fp.order) > 0 {
				target = fp.targets[fp.order[0]]
			}
			fp.mu.Unlock()
			if target == nil {
				target = &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
			}
			r.SetURL(target)
			r.Out.Host = r.In.Host // the public host, as a load balancer keeps it
			r.SetXForwarded()
		},
		Transport: transport,
		ErrorLog:  nil,
	}
	fp.Server = httptest.NewServer(rp)
	t.Cleanup(fp.Close)
	return fp
}

func (fp *frontProxy) set(name, baseURL string) {
	u, err := url.Parse(baseURL)
	if err != nil {
		panic(err)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if _, ok := fp.targets[name]; !ok {
		fp.order = append(fp.order, name)
	}
	fp.targets[name] = u
}

// routed sends requests for the proxy's host to the instance that route
// names.
type routed struct {
	host  string
	route func(*http.Request) string
	next  http.RoundTripper
}

func (r *routed) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == r.host {
		if name := r.route(req); name != "" {
			req = req.Clone(req.Context())
			req.Header.Set(routeHeader, name)
		}
	}
	return r.next.RoundTrip(req)
}

// cluster is one redis-server, one Myinfo emulator process, and instances
// of `idconnect serve` behind one proxy.
type cluster struct {
	t         *testing.T
	redis     *redistest.Server
	proxy     *frontProxy
	emulator  *proc
	env       map[string]string // shared by every instance
	secret    string            // the Myinfo client secret
	instances map[string]*instance
	transport *http.Transport // the browsers' connection pool
}

type instance struct {
	*proc
	url string // http://127.0.0.1:PORT, bypassing the proxy
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t, instances: map[string]*instance{}}
	c.redis = redistest.Start(t)
	c.proxy = startFrontProxy(t)
	c.transport = &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(c.transport.CloseIdleConnections)
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "client-key.pem"), filepath.Join(dir, "myinfo-cert.pem")
	sb := make([]byte, 20)
	rand.Read(sb)
	c.secret = hex.EncodeToString(sb)
	redirect := c.proxy.URL + "/callback"
	var emuAddr string
	for attempt := 0; ; attempt++ { // the free port may be taken before the emulator binds it
		emuAddr = freeLoopbackAddr(t)
		c.emulator = startProc(t, "emulator", nil, "emulate", "myinfo", "-addr", emuAddr,
			"-client-key-out", keyPath, "-cert-out", certPath, "-client-secret", c.secret, "-redirect-uri", redirect)
		if waitEither(c.emulator, "Myinfo v3 emulator", 20*time.Second) {
			break
		}
		if attempt == 2 {
			t.Fatalf("the emulator did not start:\n%s", c.emulator.stderr)
		}
	}
	c.env = map[string]string{
		"IDCONNECT_ADDR":                 "127.0.0.1:0",
		"IDCONNECT_REDIRECT_URL":         redirect,
		"IDCONNECT_MYINFO_BASE_URL":      "http://" + emuAddr + "/com/v3",
		"IDCONNECT_MYINFO_CLIENT_ID":     sampleClientID,
		"IDCONNECT_MYINFO_CLIENT_SECRET": c.secret,
		"IDCONNECT_MYINFO_CLIENT_KEY":    keyPath,
		"IDCONNECT_MYINFO_CERT":          certPath,
		"IDCONNECT_REDIS_URL":            c.redis.URL(),
		"IDCONNECT_RESULT_KEY":           randomKey(t),
		"IDCONNECT_COOKIE_KEY":           randomKey(t),
		// Every browser of the test comes from the proxy's loopback
		// address; the per-client limit has tests of its own.
		"IDCONNECT_LOGIN_BURST":      "1000000",
		"IDCONNECT_SHUTDOWN_TIMEOUT": "5s",
	}
	return c
}

// waitEither waits until the process prints want (true) or exits (false).
func waitEither(p *proc, want string, bound time.Duration) bool {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if strings.Contains(p.stderr.String(), want) {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// start runs an instance called name and puts it behind the proxy. When
// the test ends its log is checked for personal data, the client secret
// and seen().
func (c *cluster) start(name string, seen func() []string) *instance {
	t := c.t
	t.Helper()
	p := startProc(t, "instance "+name, c.env, "serve")
	addr := p.waitFor(t, listeningRe)
	in := &instance{proc: p, url: "http://" + addr}
	c.instances[name] = in
	c.proxy.set(name, in.url)
	t.Cleanup(func() {
		// Registered after startProc's stop, so this runs first: the
		// metrics of a live instance, then (after stop) its whole log.
		select {
		case <-p.done:
		default:
			if m := plainGet(t, in.url+"/metrics"); m.status == http.StatusOK {
				checkTextClean(t, "/metrics of instance "+name, m.body, c.secret, seen()...)
			} else {
				t.Errorf("/metrics of instance %s: %d", name, m.status)
			}
		}
		p.stop(t)
		checkTextClean(t, "the log of instance "+name, p.stderr.String(), c.secret, seen()...)
	})
	return in
}

// browser is a browser with its own cookie jar whose requests to the
// public origin go to the instance route names ("" for the proxy's
// default).
func (c *cluster) browser(route func(*http.Request) string) *http.Client {
	client := browserClient(c.t)
	client.Transport = &routed{host: c.proxy.Listener.Addr().String(), route: route, next: c.transport}
	return client
}

// byStep routes a seed login's three steps: start, callback, person.
func byStep(start, callback, person string) func(*http.Request) string {
	return func(r *http.Request) string {
		switch r.URL.Path {
		case "/users/me/external/myinfo-redirect-login":
			return start
		case "/callback":
			return callback
		case "/users/me/external/myinfo":
			return person
		}
		return ""
	}
}

func plainGet(t *testing.T, u string) answer {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return answer{status: -1, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// seenValues collects the codes, states and other one-time values the test
// saw in URLs, to be looked for where they must not be.
type seenValues struct {
	mu   sync.Mutex
	vals []string
}

func (s *seenValues) addURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range []string{"code", "state", "request_uri", "nonce", "result"} {
		if v := u.Query().Get(name); len(v) >= 8 {
			s.vals = append(s.vals, v)
		}
	}
}

func (s *seenValues) add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals = append(s.vals, v...)
}

func (s *seenValues) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.vals...)
}

// sodataUINFIN is the person's uinfin in a seed person answer.
var sodataUINFINRe = regexp.MustCompile(`"uinfin":"([A-Z0-9]+)"`)

// seedLogin runs a whole seed login in client c for persona and returns
// the uinfin of the answer; it fails the test on any other outcome.
func seedLogin(t *testing.T, c *http.Client, base, persona string, seen *seenValues) string {
	t.Helper()
	start := startLogin(t, c, base)
	seen.addURL(start)
	cb := authorise(t, c, base, start, persona, "allow")
	seen.addURL(cb)
	page := get(t, c, cb)
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("callback page: %d %s", page.status, page.body)
	}
	person := get(t, c, base+"/users/me/external/myinfo?code="+url.QueryEscape(m[1]))
	u := sodataUINFINRe.FindStringSubmatch(person.body)
	if person.status != http.StatusOK || u == nil {
		t.Fatalf("person answer: %d %s", person.status, person.body)
	}
	return u[1]
}

// TestClusterCrossInstance: a login started on one instance finishes on
// another; an instance killed mid-flow leaves its logins to the others;
// Redis stopped makes the instances unready and refuse new logins with
// STORE_UNAVAILABLE while staying alive, and they recover when it is back.
func TestClusterCrossInstance(t *testing.T) {
	seen := &seenValues{}
	c := startCluster(t)
	a := c.start("A", seen.list)
	b := c.start("B", seen.list)
	base := c.proxy.URL

	t.Run("started on A, finished on B", func(t *testing.T) {
		for _, route := range [][3]string{{"A", "B", "B"}, {"A", "B", "A"}, {"B", "A", "B"}} {
			br := c.browser(byStep(route[0], route[1], route[2]))
			if got := seedLogin(t, br, base, "S6005048A", seen); got != "S6005048A" {
				t.Fatalf("route %v: uinfin %s", route, got)
			}
		}
		// The pending login, before its person call, is in Redis sealed:
		// scanned by the privacy test; here: the one login is found.
		br := c.browser(byStep("A", "B", "A"))
		start := startLogin(t, br, base)
		seen.addURL(start)
		if n := countKeys(t, c.redis.Addr, "idconnect:login:state:*"); n != 1 {
			t.Fatalf("%d pending logins in Redis after a start on A, want 1", n)
		}
		cb := authorise(t, br, base, start, "S8214727F", "allow")
		seen.addURL(cb)
		m := codeRe.FindStringSubmatch(get(t, br, cb).body)
		if m == nil {
			t.Fatal("no code from B")
		}
		if n := countKeys(t, c.redis.Addr, "idconnect:login:code:*"); n != 1 {
			t.Fatalf("%d codes waiting in Redis after B's callback, want 1", n)
		}
		person := get(t, br, base+"/users/me/external/myinfo?code="+m[1])
		if u := sodataUINFINRe.FindStringSubmatch(person.body); u == nil || u[1] != "S8214727F" {
			t.Fatalf("person on A: %d %s", person.status, person.body)
		}
		// The code is spent for both instances.
		again := c.browser(func(*http.Request) string { return "B" })
		again.Jar = br.Jar
		if r := get(t, again, base+"/users/me/external/myinfo?code="+m[1]); r.status != http.StatusBadRequest || envelopeCode(t, r) != "LOGIN_UNKNOWN" {
			t.Fatalf("code replayed on B: %d %s", r.status, r.body)
		}
	})

	t.Run("instance killed mid-flow", func(t *testing.T) {
		k := c.start("K", seen.list)
		// One browser between start and callback, another between callback
		// and person, both on K when it dies.
		br1 := c.browser(byStep("K", "A", "B"))
		start := startLogin(t, br1, base)
		seen.addURL(start)
		cb1 := authorise(t, br1, base, start, "S9164083Z", "allow")
		seen.addURL(cb1)
		br2 := c.browser(byStep("K", "K", "A"))
		start = startLogin(t, br2, base)
		seen.addURL(start)
		cb2 := authorise(t, br2, base, start, "G7391054X", "allow")
		seen.addURL(cb2)
		m2 := codeRe.FindStringSubmatch(get(t, br2, cb2).body)
		if m2 == nil {
			t.Fatal("no code from K")
		}
		k.kill()
		if r := get(t, c.browser(func(*http.Request) string { return "K" }), base+"/healthz"); r.status != http.StatusBadGateway {
			t.Fatalf("the killed instance still answers: %d", r.status)
		}
		m1 := codeRe.FindStringSubmatch(get(t, br1, cb1).body)
		if m1 == nil {
			t.Fatal("A did not take the callback of a login K started")
		}
		for _, tc := range []struct {
			br   *http.Client
			code string
			want string
		}{{br1, m1[1], "S9164083Z"}, {br2, m2[1], "G7391054X"}} {
			person := get(t, tc.br, base+"/users/me/external/myinfo?code="+tc.code)
			if u := sodataUINFINRe.FindStringSubmatch(person.body); u == nil || u[1] != tc.want {
				t.Fatalf("person after K died: %d %s", person.status, person.body)
			}
		}
	})

	t.Run("Redis down and back", func(t *testing.T) {
		c.redis.Stop()
		// Each call that needs Redis takes the client's retries (about
		// 1.7 s) to give up: the checks run at once, each bounded.
		type check struct {
			what, url string
			client    *http.Client
			status    int
			code      string
		}
		var checks []*check
		for _, name := range []string{"A", "B"} {
			in := c.instances[name]
			checks = append(checks,
				&check{what: "/readyz of " + name, url: in.url + "/readyz", status: http.StatusServiceUnavailable},
				&check{what: "/healthz of " + name, url: in.url + "/healthz", status: http.StatusOK},
				&check{what: "a new login on " + name, url: base + "/users/me/external/myinfo-redirect-login",
					client: c.browser(func(*http.Request) string { return name }), status: http.StatusServiceUnavailable, code: "STORE_UNAVAILABLE"})
		}
		answers := make([]answer, len(checks))
		var wg sync.WaitGroup
		began := time.Now()
		for i, ck := range checks {
			wg.Go(func() {
				client := ck.client
				if client == nil {
					client = &http.Client{}
				}
				client.Timeout = 5 * time.Second
				resp, err := client.Get(ck.url)
				if err != nil {
					answers[i] = answer{status: -1, body: err.Error()}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				answers[i] = answer{resp.StatusCode, string(b), resp.Header}
			})
		}
		wg.Wait()
		for i, ck := range checks {
			r := answers[i]
			if r.status != ck.status || (ck.code != "" && envelopeCode(t, r) != ck.code) {
				t.Errorf("%s with Redis down: %d %s, want %d %s", ck.what, r.status, r.body, ck.status, ck.code)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("with Redis down, the answers took %s", time.Since(began).Round(time.Millisecond))
		c.redis.Restart()
		for _, in := range []*instance{a, b} {
			deadline := time.Now().Add(10 * time.Second)
			for r := plainGet(t, in.url+"/readyz"); r.status != http.StatusOK; r = plainGet(t, in.url+"/readyz") {
				if time.Now().After(deadline) {
					t.Fatalf("/readyz 10 s after Redis came back: %d %s", r.status, r.body)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		br := c.browser(byStep("B", "A", "B"))
		if got := seedLogin(t, br, base, "S6005048A", seen); got != "S6005048A" {
			t.Fatalf("after Redis came back: uinfin %s", got)
		}
	})
}

// countKeys counts the keys matching pattern in the Redis at addr.
func countKeys(t *testing.T, addr, pattern string) int {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := client.Keys(ctx, pattern).Result()
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

// tryLogin is seedLogin for a goroutine of its own: it returns an error
// instead of failing the test, and the person answer's body.
func tryLogin(c *http.Client, base, persona string) (body string, seen []string, err error) {
	fetch := func(u string) (answer, error) {
		resp, err := c.Get(u)
		if err != nil {
			return answer{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, string(b), resp.Header}, err
	}
	a, err := fetch(base + "/users/me/external/myinfo-redirect-login")
	if err != nil {
		return "", nil, fmt.Errorf("start: %w", err)
	}
	var start struct{ Data struct{ URL string } }
	if a.status != http.StatusOK || json.Unmarshal([]byte(a.body), &start) != nil || start.Data.URL == "" {
		return "", nil, fmt.Errorf("start: %d %s", a.status, a.body)
	}
	if a, err = fetch(start.Data.URL + "&persona=" + persona + "&consent=allow"); err != nil {
		return "", nil, fmt.Errorf("authorise: %w", err)
	}
	cb := a.header.Get("Location")
	if a.status != http.StatusFound || !strings.HasPrefix(cb, base+"/callback?") {
		return "", nil, fmt.Errorf("authorise: %d to %q", a.status, cb)
	}
	if a, err = fetch(cb); err != nil {
		return "", nil, fmt.Errorf("callback: %w", err)
	}
	m := codeRe.FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil {
		return "", nil, fmt.Errorf("callback: %d %s", a.status, a.body)
	}
	if u, err := url.Parse(cb); err == nil {
		seen = append(seen, u.Query().Get("state"), u.Query().Get("code"))
	}
	if a, err = fetch(base + "/users/me/external/myinfo?code=" + url.QueryEscape(m[1])); err != nil {
		return "", seen, fmt.Errorf("person: %w", err)
	}
	if a.status != http.StatusOK {
		return "", seen, fmt.Errorf("person: %d %s", a.status, a.body)
	}
	return a.body, seen, nil
}

// TestClusterThousandLogins: 1,000 logins at once, 50 at a time, spread
// over two instances (each login's steps on different instances), each
// browser with its own cookies and a persona of its own: every one
// completes with its own person's data.
func TestClusterThousandLogins(t *testing.T) {
	const (
		logins  = 1000
		workers = 50
		bound   = 45 * time.Second
	)
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	seen := &seenValues{}
	c := startCluster(t)
	c.start("A", seen.list)
	c.start("B", seen.list)
	base := c.proxy.URL
	names := [2]string{"A", "B"}

	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	jobs := make(chan int)
	var (
		mu       sync.Mutex
		failures []string
		done     int
		perStart = map[string]int{}
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	began := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				p := people[i%len(people)]
				// Start on one instance, the callback on the other, the
				// person call on either.
				first, other := names[i%2], names[(i+1)%2]
				br := c.browser(byStep(first, other, names[(i/2)%2]))
				br.Timeout = 20 * time.Second
				body, vals, err := tryLogin(br, base, p.ID)
				if err != nil {
					fail("login %d (%s, started on %s): %v", i, p.ID, first, err)
					continue
				}
				u := sodataUINFINRe.FindStringSubmatch(body)
				if u == nil || u[1] != p.ID {
					fail("login %d asked for %s and got %s", i, p.ID, body)
					continue
				}
				for _, q := range people {
					if q.ID != p.ID && strings.Contains(body, q.ID) {
						fail("login %d for %s holds %s", i, p.ID, q.ID)
					}
				}
				if i%10 == 0 { // a sample, to keep the log scans short
					seen.add(vals...)
				}
				mu.Lock()
				done++
				perStart[first]++
				mu.Unlock()
			}
		})
	}
feed:
	for i := range logins {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	t.Logf("%d logins in %s", done, time.Since(began).Round(time.Millisecond))
	for i, f := range failures {
		if i == 10 {
			t.Errorf("… and %d more failures", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if done != logins {
		t.Fatalf("%d of %d logins completed within %s", done, logins, bound)
	}
	if perStart["A"] != logins/2 || perStart["B"] != logins/2 {
		t.Fatalf("starts per instance: %v", perStart)
	}
	if n := countKeys(t, c.redis.Addr, "idconnect:login:*"); n != 0 {
		t.Fatalf("%d logins left in Redis after every login finished", n)
	}
}
