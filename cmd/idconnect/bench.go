package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/keyset"
)

// benchOptions are the load harness's settings (idconnect bench -h).
type benchOptions struct {
	bin       string   // the idconnect binary the emulators and the service run from
	providers []string // v3, fapi, oneid
	logins    int      // complete logins of the load phase (and of the half-rate phase)
	conc      int      // browsers at once in the load phase
	rate      float64  // when > 0, the load phase starts logins at this rate instead
	warmup    int      // logins before anything is measured
	unloaded  int      // one-at-a-time logins that give the unloaded latency
	half      bool     // run a phase at half the measured throughput
	pending   int      // started-only logins that measure memory per pending login
	floor     int      // iterations of the crypto floor
	timeout   time.Duration
	profiles  string // when set, a directory for each provider's CPU profile of the service
}

// benchResult is one provider's row of the report.
type benchResult struct {
	Provider       string
	Logins, Errors int
	Mixups         int
	LoginsPerSec   float64
	P50, P95, P99  time.Duration
	UnloadedP50    time.Duration
	HalfRate       float64
	HalfP99        time.Duration
	CPUPerLogin    time.Duration // the service's CPU (user+system) per login of the load phase
	Floor          time.Duration // the crypto floor of one login, timed in this process
	PeakRSS        int64         // the service's VmHWM after the load phases, bytes
	PendingBytes   float64       // RSS growth per pending login
	FirstErrors    []string      // a few error messages, for the report
}

// bench runs the load harness: for each provider, its emulator and the
// service in separate processes on loopback, driven through the service's
// generic routes by cookie-jar clients that take the emulator's persona
// and consent shortcut. Every answer is checked against the persona the
// login asked for: an error or a mix-up fails the run.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := benchOptions{}
	providers := fs.String("providers", "v3,fapi,oneid", "the `providers` to drive, comma-separated: v3 (Myinfo v3), fapi (Singpass FAPI 2.0), oneid")
	fs.IntVar(&o.logins, "n", 400, "complete logins per provider in the load phase (and in the half-rate phase)")
	fs.IntVar(&o.conc, "c", 16, "concurrent browsers in the load phase")
	fs.Float64Var(&o.rate, "rate", 0, "start logins at this fixed `rate` per second in the load phase instead of at concurrency -c (open loop)")
	fs.IntVar(&o.warmup, "warmup", 20, "logins per provider before anything is measured")
	fs.IntVar(&o.unloaded, "unloaded", 50, "one-at-a-time logins per provider that measure the unloaded latency")
	fs.BoolVar(&o.half, "half", true, "run a phase at half the load phase's throughput (open loop) and report its p99")
	fs.IntVar(&o.pending, "pending", 5000, "logins started and left pending on a fresh service, to measure memory per pending login (0: skip)")
	fs.IntVar(&o.floor, "floor", 300, "iterations of each provider's crypto floor")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.StringVar(&o.profiles, "cpuprofile", "", "write the service's CPU profile of each provider's load phases to `dir`/PROVIDER.pprof")
	fs.StringVar(&o.bin, "bin", "", "the idconnect `binary` to run the emulators and the service from (default: this one)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "bench takes flags only")
		return errUsage
	}
	var errs []error
	for _, p := range splitList(*providers) {
		if _, ok := benchKinds[p]; !ok {
			errs = append(errs, fmt.Errorf("-providers: unknown provider %q (want v3, fapi, oneid)", p))
		}
		o.providers = append(o.providers, p)
	}
	if len(o.providers) == 0 {
		errs = append(errs, errors.New("-providers: name at least one provider"))
	}
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{{"n", o.logins, 1}, {"c", o.conc, 1}, {"warmup", o.warmup, 0}, {"unloaded", o.unloaded, 0}, {"pending", o.pending, 0}, {"floor", o.floor, 1}} {
		// Every loop of the harness is bounded by these.
		if f.v < f.min || f.v > 1_000_000 {
			errs = append(errs, fmt.Errorf("-%s %d: want %d to 1000000", f.name, f.v, f.min))
		}
	}
	if o.conc > 4096 {
		errs = append(errs, errors.New("-c: at most 4096"))
	}
	if o.rate < 0 || math.IsNaN(o.rate) || math.IsInf(o.rate, 0) {
		errs = append(errs, errors.New("-rate: want a positive number of logins per second"))
	}
	if o.timeout <= 0 {
		errs = append(errs, errors.New("-timeout: want a positive duration"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if o.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding this binary (use -bin): %w", err)
		}
		o.bin = exe
	}
	if err := checkProc(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var results []benchResult
	for _, p := range o.providers {
		fmt.Fprintf(stderr, "bench %s: starting the emulator and the service\n", p)
		r, err := benchProvider(ctx, o, benchKinds[p], stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		results = append(results, r)
	}
	printBench(stdout, o, results)
	var failed []string
	for _, r := range results {
		if r.Errors > 0 || r.Mixups > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d errors, %d mix-ups (first: %s)", r.Provider, r.Errors, r.Mixups, strings.Join(r.FirstErrors, "; ")))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("the run failed:\n%s", strings.Join(failed, "\n"))
	}
	return nil
}

// benchKind is what differs between the providers the harness drives.
type benchKind struct {
	name  string // the harness's name: v3, fapi, oneid
	route string // the provider's name in the service's generic routes
	// start runs the emulator and returns the service's environment.
	start func(ctx context.Context, r *benchRig) ([]string, error)
	// people are the logins the harness asks for, in turn.
	people func() ([]benchPerson, error)
	// floor does the cryptography of n logins and returns the time of one.
	floor func(n int) (time.Duration, error)
}

var benchKinds = map[string]benchKind{
	"v3":    {name: "v3", route: "myinfo", start: startMyinfoRig, people: myinfoPeople, floor: myinfoFloor},
	"fapi":  {name: "fapi", route: "singpass", start: startSingpassRig, people: myinfoPeople, floor: singpassFloor},
	"oneid": {name: "oneid", route: "oneid", start: startOneIDRig, people: oneidPeople, floor: oneidFloor},
}

// benchPerson is one persona the harness logs in as, and what the answer
// must say for it.
type benchPerson struct {
	param   string // the emulator's persona= value
	subject string // the answer's subject, when the provider gives it ("" for FAPI's opaque UUID)
	idNum   string // the person's id_number, when the provider gives one
	name    string // the person's name, when checked
}

func myinfoPeople() ([]benchPerson, error) {
	people, err := personas.Myinfo()
	if err != nil {
		return nil, err
	}
	var out []benchPerson
	for _, p := range people {
		out = append(out, benchPerson{param: p.ID, idNum: p.ID})
	}
	return out, nil
}

func oneidPeople() ([]benchPerson, error) {
	people, err := personas.OneID()
	if err != nil {
		return nil, err
	}
	var out []benchPerson
	for _, p := range people {
		out = append(out, benchPerson{param: p.ID, subject: p.Subject, name: p.Name})
	}
	return out, nil
}

// benchRig is one provider's emulator and service processes.
type benchRig struct {
	o        benchOptions
	kind     benchKind
	dir      string // temporary files: keys, certificates
	emuAddr  string
	svcAddr  string
	emulator *child
	service  *child
	stderr   io.Writer
}

func (r *benchRig) svcURL() string { return "http://" + r.svcAddr }

func benchProvider(ctx context.Context, o benchOptions, kind benchKind, stderr io.Writer) (benchResult, error) {
	res := benchResult{Provider: kind.name}
	dir, err := os.MkdirTemp("", "idconnect-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	rig := &benchRig{o: o, kind: kind, dir: dir, stderr: stderr}
	if rig.emuAddr, err = freePort(); err != nil {
		return res, err
	}
	if rig.svcAddr, err = freePort(); err != nil {
		return res, err
	}
	env, err := kind.start(ctx, rig)
	if rig.emulator != nil {
		defer rig.emulator.stop()
	}
	if err != nil {
		return res, err
	}
	people, err := kind.people()
	if err != nil {
		return res, err
	}
	loadEnv := env
	if o.profiles != "" {
		path, err := filepath.Abs(filepath.Join(o.profiles, kind.name+".pprof"))
		if err != nil {
			return res, err
		}
		loadEnv = append(slices.Clip(env), "IDCONNECT_CPU_PROFILE="+path)
	}
	if rig.service, err = startBenchService(ctx, o.bin, loadEnv, rig.svcURL()); err != nil {
		return res, err
	}
	d := newDriver(rig.svcURL(), kind.route, people, o.conc)
	defer d.close()
	svcStopped := false
	stopService := func() {
		if !svcStopped {
			rig.service.stop()
			svcStopped = true
		}
	}
	defer stopService()
	fail := func(phase string, err error) (benchResult, error) {
		return res, fmt.Errorf("%s: %w\nservice log (tail):\n%s\nemulator log (tail):\n%s", phase, err, rig.service.out.String(), rig.emulator.out.String())
	}

	// Warm up: connections, discovery and key caches, the heap.
	if o.warmup > 0 {
		w := d.closedLoop(ctx, o.warmup, min(o.conc, o.warmup))
		res.add(w)
		if ctx.Err() != nil {
			return fail("warm-up", ctx.Err())
		}
	}
	if o.unloaded > 0 {
		u := d.closedLoop(ctx, o.unloaded, 1)
		res.add(u)
		res.UnloadedP50 = u.percentile(0.50)
	}
	cpu0, err := processCPU(rig.service.pid())
	if err != nil {
		return fail("reading the service's CPU time", err)
	}
	var load phaseResult
	if o.rate > 0 {
		load = d.openLoop(ctx, o.logins, o.rate)
	} else {
		load = d.closedLoop(ctx, o.logins, o.conc)
	}
	cpu1, err := processCPU(rig.service.pid())
	if err != nil {
		return fail("reading the service's CPU time", err)
	}
	res.add(load)
	if ctx.Err() != nil {
		return fail("load", ctx.Err())
	}
	res.Logins = load.ok
	res.LoginsPerSec = float64(load.ok) / load.wall.Seconds()
	res.P50, res.P95, res.P99 = load.percentile(0.50), load.percentile(0.95), load.percentile(0.99)
	if load.ok > 0 {
		res.CPUPerLogin = (cpu1 - cpu0) / time.Duration(load.ok)
	}
	if o.half && o.rate == 0 && res.LoginsPerSec > 0 {
		res.HalfRate = res.LoginsPerSec / 2
		h := d.openLoop(ctx, o.logins, res.HalfRate)
		res.add(h)
		res.HalfP99 = h.percentile(0.99)
	}
	if res.PeakRSS, err = procStatusBytes(rig.service.pid(), "VmHWM"); err != nil {
		return fail("reading the service's peak RSS", err)
	}
	stopService()
	if ctx.Err() != nil {
		return fail("load", ctx.Err())
	}

	if o.pending > 0 {
		// A fresh service, so that the growth is the pending logins' and
		// not the load phases' garbage.
		svc, err := startBenchService(ctx, o.bin, env, rig.svcURL())
		if err != nil {
			return res, err
		}
		rig.service, svcStopped = svc, false
		res.add(d.closedLoop(ctx, min(o.warmup+1, 20), 1))
		time.Sleep(500 * time.Millisecond)
		before, err := procStatusBytes(svc.pid(), "VmRSS")
		if err != nil {
			return fail("reading the service's RSS", err)
		}
		started, err := d.startOnly(ctx, o.pending, o.conc)
		if err != nil {
			return fail("pending logins", err)
		}
		time.Sleep(500 * time.Millisecond)
		after, err := procStatusBytes(svc.pid(), "VmRSS")
		if err != nil {
			return fail("reading the service's RSS", err)
		}
		res.PendingBytes = float64(after-before) / float64(started)
		stopService()
	}

	f, err := kind.floor(o.floor)
	if err != nil {
		return res, fmt.Errorf("crypto floor: %w", err)
	}
	res.Floor = f
	return res, nil
}

// add counts a phase's failures into the result.
func (r *benchResult) add(p phaseResult) {
	r.Errors += p.errors
	r.Mixups += p.mixups
	for _, e := range p.firstErrors {
		if len(r.FirstErrors) < 3 {
			r.FirstErrors = append(r.FirstErrors, e)
		}
	}
}

// printBench writes the report table.
func printBench(w io.Writer, o benchOptions, results []benchResult) {
	mode := fmt.Sprintf("concurrency %d", o.conc)
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f/s", o.rate)
	}
	fmt.Fprintf(w, "idconnect bench: %d logins per provider at %s, %d unloaded, %d pending; crypto floor over %d logins; crypto: %s\n", o.logins, mode, o.unloaded, o.pending, o.floor, cryptoBackend())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "provider\tlogins\terrors\tmix-ups\tlogins/s\tp50 ms\tp95 ms\tp99 ms\tunloaded p50\thalf-rate p99\tCPU ms/login\tfloor ms\tratio\tpeak RSS MiB\tB/pending\t")
	for _, r := range results {
		ratio := math.NaN()
		if r.Floor > 0 {
			ratio = float64(r.CPUPerLogin) / float64(r.Floor)
		}
		half := "-"
		if r.HalfRate > 0 {
			half = fmt.Sprintf("%.1f @%.0f/s", ms(r.HalfP99), r.HalfRate)
		}
		pending := "-"
		if o.pending > 0 {
			pending = fmt.Sprintf("%.0f", r.PendingBytes)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%s\t%.2f\t%.3f\t%.2f\t%.1f\t%s\t\n",
			r.Provider, r.Logins, r.Errors, r.Mixups, r.LoginsPerSec, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.UnloadedP50), half,
			ms(r.CPUPerLogin), ms(r.Floor), ratio, float64(r.PeakRSS)/(1<<20), pending)
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// freePort returns a 127.0.0.1 address with a port that was free
// a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// benchEnv is the environment of the harness's children: this process's,
// without any idconnect or seed setting that could point them elsewhere.
func benchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "IDCONNECT_") || strings.HasPrefix(k, "MYINFO_") || strings.HasPrefix(k, "KASA_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// serviceEnv is the environment every service of the harness shares.
func (r *benchRig) serviceEnv(extra ...string) []string {
	return benchEnv(append([]string{
		"IDCONNECT_ADDR=" + r.svcAddr,
		"IDCONNECT_REDIRECT_URL=" + r.svcURL() + "/callback",
		// The harness is one client starting many logins.
		"IDCONNECT_LOGIN_BURST=1000000000",
		"IDCONNECT_LOG_FORMAT=text",
	}, extra...)...)
}

func startMyinfoRig(ctx context.Context, r *benchRig) ([]string, error) {
	keyPath, certPath := filepath.Join(r.dir, "client.pem"), filepath.Join(r.dir, "myinfo-cert.pem")
	var err error
	r.emulator, err = startChild(ctx, r.o.bin, []string{"emulate", "myinfo", "-addr", r.emuAddr, "-client-key-out", keyPath, "-cert-out", certPath,
		"-redirect-uri", r.svcURL() + "/callback," + r.svcURL() + "/callback/myinfo"}, benchEnv())
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, "http://"+r.emuAddr+"/com/v3/authorise", r.emulator, false); err != nil {
		return nil, err
	}
	return r.serviceEnv(
		"IDCONNECT_MYINFO_BASE_URL=http://"+r.emuAddr+"/com/v3",
		"IDCONNECT_MYINFO_CLIENT_ID="+sampleClientID,
		"IDCONNECT_MYINFO_CLIENT_SECRET="+sampleClientSecret,
		"IDCONNECT_MYINFO_CLIENT_KEY="+keyPath,
		"IDCONNECT_MYINFO_CERT="+certPath,
	), nil
}

func startSingpassRig(ctx context.Context, r *benchRig) ([]string, error) {
	keys, err := keyset.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	b, err := keys.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	keysPath := filepath.Join(r.dir, "keys.json")
	if err := os.WriteFile(keysPath, b, 0o600); err != nil {
		return nil, err
	}
	const clientID = "idconnect-bench"
	r.emulator, err = startChild(ctx, r.o.bin, []string{"emulate", "singpass", "-addr", r.emuAddr, "-client-id", clientID,
		"-client-jwks-url", r.svcURL() + "/.well-known/jwks.json",
		"-redirect-uri", r.svcURL() + "/callback," + r.svcURL() + "/callback/singpass"}, benchEnv())
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, "http://"+r.emuAddr+"/.well-known/openid-configuration", r.emulator, true); err != nil {
		return nil, err
	}
	return r.serviceEnv(
		"IDCONNECT_SINGPASS_ISSUER=http://"+r.emuAddr,
		"IDCONNECT_SINGPASS_CLIENT_ID="+clientID,
		"IDCONNECT_SINGPASS_KEYS="+keysPath,
	), nil
}

func startOneIDRig(ctx context.Context, r *benchRig) ([]string, error) {
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	const clientID = "idconnect-bench"
	var err error
	r.emulator, err = startChild(ctx, r.o.bin, []string{"emulate", "oneid", "-addr", r.emuAddr, "-client-id", clientID,
		"-client-secret", hex.EncodeToString(secret), "-redirect-uri", r.svcURL() + "/callback/oneid"}, benchEnv())
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, "http://"+r.emuAddr+"/.well-known/openid-configuration", r.emulator, true); err != nil {
		return nil, err
	}
	return r.serviceEnv(
		"IDCONNECT_ONEID_ISSUER=http://"+r.emuAddr,
		"IDCONNECT_ONEID_CLIENT_ID="+clientID,
		"IDCONNECT_ONEID_CLIENT_SECRET="+hex.EncodeToString(secret),
	), nil
}

// startBenchService runs `idconnect serve` with env and waits until it is ready.
func startBenchService(ctx context.Context, bin string, env []string, base string) (*child, error) {
	svc, err := startChild(ctx, bin, []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, base+"/readyz", svc, true); err != nil {
		svc.stop()
		return nil, err
	}
	return svc, nil
}

// child is a process the harness started.
type child struct {
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
	err  error
}

func startChild(ctx context.Context, bin string, args, env []string) (*child, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	c := &child{cmd: cmd, out: &tailBuffer{max: 16 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	setChildAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s %s: %w", filepath.Base(bin), args[0], err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the process to end (SIGTERM, then SIGKILL after 10 s) and
// waits for it.
func (c *child) stop() {
	if c == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	terminate(c.cmd.Process)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// waitHTTP polls u until it answers (200 when wantOK), c exits, or 30 s
// pass.
func waitHTTP(ctx context.Context, u string, c *child, wantOK bool) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", c.cmd.Args[1], c.err, c.out.String())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || !wantOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s was not ready at %s within 30 s:\n%s", c.cmd.Args[1], u, c.out.String())
}

// tailBuffer keeps the last max bytes written to it: a child's log, shown
// when the run fails.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// driver plays the browsers.
type driver struct {
	base      string // the service's origin
	route     string // the provider's name in /login/{name}
	people    []benchPerson
	transport *http.Transport
	next      atomic.Uint64 // the next persona
}

func newDriver(base, route string, people []benchPerson, conc int) *driver {
	// Every browser shares one pool of kept-alive connections, big enough
	// for the concurrency, so that the service's cost is logins, not TCP
	// handshakes. Only loopback is ever dialled.
	var dialer net.Dialer
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("bench: refusing to dial %q: loopback only", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        4*conc + 16,
		MaxIdleConnsPerHost: 2*conc + 8,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &driver{base: base, route: route, people: people, transport: t}
}

func (d *driver) close() { d.transport.CloseIdleConnections() }

// browser is a fresh cookie jar on the shared transport that stops at
// every redirect.
func (d *driver) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport:     d.transport,
		Jar:           jar,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errMixup marks an answer for another person than the one asked for.
var errMixup = errors.New("MIX-UP")

// login runs one complete login as p: start, the emulator's authorize with
// the persona and consent shortcut, the callback, and checks the answer.
func (d *driver) login(ctx context.Context, p benchPerson) error {
	c := d.browser()
	authURL, err := d.start(ctx, c)
	if err != nil {
		return err
	}
	status, header, body, err := fetch(ctx, c, authURL+"&persona="+url.QueryEscape(p.param)+"&consent=allow")
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	loc := header.Get("Location")
	if status != http.StatusFound || !strings.HasPrefix(loc, d.base+"/callback/"+d.route+"?") {
		return fmt.Errorf("authorize: HTTP %d to %q: %.200s", status, loc, body)
	}
	status, _, body, err = fetch(ctx, c, loc)
	if err != nil {
		return fmt.Errorf("callback: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("callback: HTTP %d: %.300s", status, body)
	}
	return checkAnswer(body, d.route, p)
}

// checkAnswer checks a finished login's answer against the persona asked
// for. An answer about anyone else wraps errMixup.
func checkAnswer(body []byte, route string, p benchPerson) error {
	var a struct {
		Message string
		Data    struct {
			Provider, Subject string
			Person            struct {
				IDNumber struct{ Value string } `json:"id_number"`
				Name     struct{ Value string }
			}
		}
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Message != "OK" {
		return fmt.Errorf("callback: not an OK answer: %.300s", body)
	}
	switch {
	case a.Data.Provider != route:
		return fmt.Errorf("%w: the answer is from provider %q, not %q", errMixup, a.Data.Provider, route)
	case p.subject != "" && a.Data.Subject != p.subject:
		return fmt.Errorf("%w: asked for persona %s, got another subject", errMixup, p.param)
	case p.idNum != "" && a.Data.Person.IDNumber.Value != p.idNum:
		return fmt.Errorf("%w: asked for persona %s, got another id_number", errMixup, p.param)
	case p.name != "" && a.Data.Person.Name.Value != p.name:
		return fmt.Errorf("%w: asked for persona %s, got another name", errMixup, p.param)
	case a.Data.Subject == "":
		return errors.New("callback: the answer has no subject")
	}
	return nil
}

// start begins a login with browser c and returns the authorize URL.
func (d *driver) start(ctx context.Context, c *http.Client) (string, error) {
	status, _, body, err := fetch(ctx, c, d.base+"/login/"+d.route)
	if err != nil {
		return "", fmt.Errorf("start: %w", err)
	}
	var a struct {
		Message string
		Data    struct{ URL string }
	}
	if status != http.StatusOK || json.Unmarshal(body, &a) != nil || a.Data.URL == "" {
		return "", fmt.Errorf("start: HTTP %d: %.300s", status, body)
	}
	return a.Data.URL, nil
}

// fetch GETs u with c and reads the whole answer (at most 1 MiB).
func fetch(ctx context.Context, c *http.Client, u string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b, err
}

// phaseResult is what one phase measured.
type phaseResult struct {
	ok, errors, mixups int
	latencies          []time.Duration // of the successful logins
	wall               time.Duration
	firstErrors        []string
}

func (p *phaseResult) percentile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	s := slices.Clone(p.latencies)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// recorder collects the outcomes of concurrent logins.
type recorder struct {
	mu sync.Mutex
	p  phaseResult
}

func (r *recorder) record(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.p.ok++
		r.p.latencies = append(r.p.latencies, d)
	case errors.Is(err, errMixup):
		r.p.mixups++
	default:
		r.p.errors++
	}
	if err != nil && len(r.p.firstErrors) < 3 {
		r.p.firstErrors = append(r.p.firstErrors, err.Error())
	}
}

func (d *driver) person() benchPerson {
	return d.people[(d.next.Add(1)-1)%uint64(len(d.people))]
}

// closedLoop runs n logins with conc browsers, each starting its next
// login when its last one ends.
func (d *driver) closedLoop(ctx context.Context, n, conc int) phaseResult {
	var rec recorder
	var issued atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Go(func() {
			for issued.Add(1) <= int64(n) && ctx.Err() == nil {
				p := d.person()
				t := time.Now()
				err := d.login(ctx, p)
				rec.record(time.Since(t), err)
			}
		})
	}
	wg.Wait()
	rec.p.wall = time.Since(t0)
	return rec.p
}

// openLoop starts n logins at a fixed rate whatever the answers' pace, at
// most 4096 at once. A login's latency counts from when it was due, so
// time spent waiting to start is not hidden.
func (d *driver) openLoop(ctx context.Context, n int, rate float64) phaseResult {
	var rec recorder
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4096)
	interval := time.Duration(float64(time.Second) / rate)
	t0 := time.Now()
	for i := range n {
		due := t0.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		p := d.person()
		wg.Go(func() {
			defer func() { <-slots }()
			err := d.login(ctx, p)
			rec.record(time.Since(due), err)
		})
	}
	wg.Wait()
	rec.p.wall = time.Since(t0)
	return rec.p
}

// startOnly starts n logins with conc browsers and leaves them pending. It
// returns how many started; any failure is an error.
func (d *driver) startOnly(ctx context.Context, n, conc int) (int, error) {
	var started, issued atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			c := d.browser()
			for issued.Add(1) <= int64(n) && ctx.Err() == nil {
				if _, err := d.start(ctx, c); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				started.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return int(started.Load()), firstErr
}

// bytesField parses a /proc status value such as "1234 kB".
func bytesField(v string) (int64, error) {
	v = strings.TrimSpace(v)
	num, unit, _ := strings.Cut(v, " ")
	var n int64
	if _, err := fmt.Sscan(num, &n); err != nil {
		return 0, fmt.Errorf("reading %q: %w", v, err)
	}
	if strings.TrimSpace(unit) == "kB" {
		n <<= 10
	}
	return n, nil
}

// statusField returns a field of a /proc/PID/status text.
func statusField(status []byte, name string) (string, bool) {
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(k) == name {
			return string(v), true
		}
	}
	return "", false
}
