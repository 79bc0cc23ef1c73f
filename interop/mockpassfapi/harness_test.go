//go:build interop

package mockpassfapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// The peer, as published in the peers folder (see its README.md).
	peerName      = "mockpass-8887619"
	peerTarball   = peerName + ".tar.gz"
	peerPatch     = "pr833-userinfo-overlay.patch"
	tarballSHA256 = "c5366df39ee8cec241289b065aaab6fbd56dd7bfe6ca32ee10700c76464f4dfd"
	patchSHA256   = "5ec1cebfbe1fb9d4f1ec9626a77ceb0857c1cd25b20ddac9d69e6377f8d4c6c4"

	// peersEnv names the folder holding mockpass-fapi/.
	peersEnv = "IDCONNECT_PEERS_DIR"
	// cacheDir is where prepare.sh unpacks and installs the peer.
	cacheDir = ".peer"
	// stampFile marks a finished install; it holds the two sha256 sums.
	stampFile = ".idconnect-stamp"

	// fapiPath is MockPass's FAPI base path; the issuer is base+fapiPath.
	fapiPath = "/singpass/v3/fapi"

	prepareTimeout = 3 * time.Minute  // unpack, patch, npm ci
	startTimeout   = 30 * time.Second // node start and discovery 200
	stopTimeout    = 5 * time.Second  // SIGTERM to exit, before SIGKILL
	requestTimeout = 10 * time.Second // every HTTP request of the tests
	maxBody        = 1 << 20          // bytes read from any answer
	maxLog         = 16 << 10         // bytes of peer output kept for failure reports
)

// mockPassFAPI is one running MockPass FAPI.
type mockPassFAPI struct {
	Host      string // 127.0.0.1:port
	Base      string // http://127.0.0.1:port
	Issuer    string // Base + "/singpass/v3/fapi"
	Discovery string // Issuer + "/.well-known/openid-configuration"

	out *outputLog
}

// Log returns the tail of the peer's output (morgan logs every request).
func (p *mockPassFAPI) Log() string { return p.out.String() }

// startPeer prepares the peer if needed (prepareMockPass), starts it on a
// free 127.0.0.1 port with FAPI_CLIENT_JWKS_ENDPOINT=jwksURL (the relying
// party's public JWKS, e.g. from peer.ServeJWKS; "" leaves it unset, so MockPass
// uses its bundled static/certs/fapi-rp-public.json), waits until discovery
// answers 200 and stops it, with its process group, when the test ends.
// env adds NAME=value settings. It fails the test, never skips it, when
// node, the peers folder or the install is missing.
func startPeer(t *testing.T, jwksURL string, env ...string) *mockPassFAPI {
	t.Helper()
	dir := prepareMockPass(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): the MockPass FAPI interop tests need Node 20+", err)
	}

	cmd := exec.Command(node, "serve.js", dir, "0")
	cmd.Env = cleanEnv(os.Environ())
	if jwksURL != "" {
		cmd.Env = append(cmd.Env, "FAPI_CLIENT_JWKS_ENDPOINT="+jwksURL)
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &outputLog{ready: make(chan string, 1)}
	cmd.Stdout = out
	cmd.Stderr = out
	// serve.js exits when its stdin closes: the peer cannot outlive a test
	// binary that dies without running its cleanups.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("MockPass FAPI stdin: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting MockPass FAPI (node serve.js): %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("MockPass FAPI output (last %d bytes at most):\n%s", maxLog, out.String())
		}
	})

	p := &mockPassFAPI{out: out}
	deadline := time.After(startTimeout)
	select {
	case port := <-out.ready:
		p.Host = "127.0.0.1:" + port
		p.Base = "http://" + p.Host
		p.Issuer = p.Base + fapiPath
		p.Discovery = p.Issuer + "/.well-known/openid-configuration"
	case err := <-exited:
		t.Fatalf("MockPass FAPI exited before listening (%v); output:\n%s", err, out.String())
	case <-deadline:
		t.Fatalf("MockPass FAPI did not report its port within %v; output:\n%s", startTimeout, out.String())
	}
	waitStatus(t, p.Discovery, http.StatusOK, deadline)
	return p
}

var prepareMu sync.Mutex

// prepareMockPass returns the absolute path of the unpacked, patched and
// installed MockPass, running prepare.sh first when the install is missing
// or was made from other files. It checks the peers folder and the sha256
// of both files itself, so that a wrong folder fails with a clear message.
func prepareMockPass(t *testing.T) string {
	t.Helper()
	prepareMu.Lock()
	defer prepareMu.Unlock()

	src := filepath.Join(peersDir(t), "mockpass-fapi")
	for _, name := range []string{peerTarball, peerPatch} {
		if _, err := os.Stat(filepath.Join(src, name)); err != nil {
			t.Fatalf("MockPass FAPI peer missing: %v. Set %s to the folder holding mockpass-fapi/%s and mockpass-fapi/%s (default: <repository root>/../shared/peers; now %s=%q)",
				err, peersEnv, peerTarball, peerPatch, peersEnv, os.Getenv(peersEnv))
		}
	}
	checkSHA256(t, filepath.Join(src, peerTarball), tarballSHA256)
	checkSHA256(t, filepath.Join(src, peerPatch), patchSHA256)

	abs, err := filepath.Abs(filepath.Join(cacheDir, peerName))
	if err != nil {
		t.Fatal(err)
	}
	if installed(abs) {
		return abs
	}
	// prepare.sh reads the same variable; give it the folder resolved here.
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "prepare.sh")
	cmd.Env = append(os.Environ(), peersEnv+"="+filepath.Dir(src))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("preparing the MockPass FAPI peer (sh interop/mockpassfapi/prepare.sh) failed: %v\n%s", err, out)
	}
	if !installed(abs) {
		t.Fatalf("prepare.sh succeeded but %s has no matching %s and node_modules:\n%s", abs, stampFile, out)
	}
	return abs
}

// installed reports whether dir holds a finished install of the pinned files.
func installed(dir string) bool {
	stamp, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil || strings.TrimSpace(string(stamp)) != tarballSHA256+" "+patchSHA256 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, "node_modules", "express"))
	return err == nil && st.IsDir()
}

// peersDir is $IDCONNECT_PEERS_DIR, or ../shared/peers relative to the
// repository root; a relative value is taken relative to the root.
func peersDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(peersEnv)
	if dir == "" {
		dir = filepath.Join("..", "shared", "peers")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(t), dir)
	}
	return filepath.Clean(dir)
}

// repoRoot is the nearest parent of the working directory with a go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatalf("no go.mod above the working directory: cannot find the repository root")
	return ""
}

func checkSHA256(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("%s has sha256 %s, want %s (the value in the peer's README.md): wrong %s?", path, got, want, peersEnv)
	}
}

// cleanEnv drops the variables that would change MockPass's behaviour, so
// that only the ones the test sets count.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MOCKPASS_"), strings.HasPrefix(name, "FAPI_"),
			strings.HasPrefix(name, "SERVICE_PROVIDER_"), strings.HasPrefix(name, "ENCRYPT_"),
			strings.HasPrefix(name, "SIGN_"), name == "SHOW_LOGIN_PAGE", name == "PORT",
			name == "NODE_OPTIONS", name == "NODE_ENV":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// waitStatus polls url until it answers want, a bounded number of times
// and until deadline.
func waitStatus(t *testing.T, url string, want int, deadline <-chan time.Time) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	var last error
	for range 100 {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-deadline:
			t.Fatalf("%s did not answer %d within %v: %v", url, want, startTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not answer %d after 100 attempts: %v", url, want, last)
}

// outputLog keeps the tail of the peer's output and reports the port from
// serve.js's "MOCKPASS_FAPI_LISTENING <port>" line.
type outputLog struct {
	mu    sync.Mutex
	buf   []byte
	line  []byte
	ready chan string
	found bool
}

var listeningLine = regexp.MustCompile(`^MOCKPASS_FAPI_LISTENING ([0-9]{1,5})$`)

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if len(o.buf) > maxLog {
		o.buf = o.buf[len(o.buf)-maxLog:]
	}
	if !o.found {
		o.line = append(o.line, p...)
		for {
			i := bytes.IndexByte(o.line, '\n')
			if i < 0 {
				if len(o.line) > 4096 {
					o.line = nil
				}
				break
			}
			if m := listeningLine.FindSubmatch(bytes.TrimSpace(o.line[:i])); m != nil {
				o.found = true
				o.ready <- string(m[1])
				o.line = nil
				break
			}
			o.line = o.line[i+1:]
		}
	}
	return len(p), nil
}

func (o *outputLog) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// httpClient is a client for the tests' requests to 127.0.0.1: bounded in
// time, and it does not follow redirects (the tests check each one).
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// readBody reads and closes an answer's body, at most maxBody bytes.
func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		t.Fatalf("reading answer body: %v", err)
	}
	return b
}

// getJSON GETs url, requires 200 and decodes the JSON answer into v.
func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, want 200; body: %.300s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v; body: %.300s", url, err, body)
	}
}

var errNoPersona = errors.New("persona not on the login page")
