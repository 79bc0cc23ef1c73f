//go:build interop

package oidcprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	// providerVersion is the oidc-provider pinned by package-lock.json.
	providerVersion = "9.13.3"

	installTimeout = 3 * time.Minute  // npm ci
	startTimeout   = 30 * time.Second // node start and discovery 200
	stopTimeout    = 5 * time.Second  // SIGTERM to exit, before SIGKILL
	requestTimeout = 10 * time.Second // every HTTP request of the tests
	maxBody        = 1 << 20          // bytes read from any answer
	maxLog         = 16 << 10         // bytes of peer output kept for failure reports
)

// Profiles of server.js (OP_PROFILE).
const (
	profileFAPI  = ""      // FAPI 2.0 shaped like Singpass (fapi.js), the default
	profileOneID = "oneid" // OIDC code flow shaped like UK OneID (oneid.js)
)

// providerConfig is the one static client of an oidc-provider peer and
// the peer's profile.
type providerConfig struct {
	// Profile is profileFAPI (the default) or profileOneID.
	Profile      string
	ClientID     string
	RedirectURIs []string
	// JWKSURI is the client's public JWKS URL (e.g. from serveJWKS, or our
	// service's /.well-known/jwks.json); JWKS is the same inline. Set one
	// with the FAPI profile, neither with OneID's.
	JWKSURI string
	JWKS    *jose.JSONWebKeySet
	// ClientSecret is the client_secret (client_secret_basic): required
	// with the OneID profile, unused with FAPI's.
	ClientSecret string
	// IDTokenEnc and UserinfoEnc override the JWE enc (defaults
	// A256CBC-HS512 and A256GCM, as Singpass). FAPI only.
	IDTokenEnc, UserinfoEnc string
	// DPoPNonce makes the provider require DPoP server nonces. FAPI only.
	DPoPNonce bool
	// Persons (OP_PERSONS) are, with the FAPI profile, Myinfo v3 persons
	// (NRIC → item → JSON) for userinfo's person_info, an NRIC the peer
	// lacks becoming an account; with OneID's, personas (a key such as
	// "janet-davidson" → OneID /userinfo claim → JSON) instead of the
	// built-in "janet" (seed 002's Janet Davidson).
	Persons map[string]map[string]json.RawMessage
	// DefaultPersona (OneID only, OP_DEFAULT_PERSONA) is the Persons key
	// logged in when the authorization request has no persona= (default:
	// the first key in sorted order).
	DefaultPersona string
	// Accounts (OneID only, OP_ACCOUNTS) are the personas' /accounts
	// answers (persona key → JSON array).
	Accounts map[string]json.RawMessage
	// Scopes (OneID only, OP_SCOPES) are plain scopes the peer accepts
	// beyond OneID's own.
	Scopes []string
	// CallbackISS (OneID only, OP_CALLBACK_ISS) keeps the RFC 9207 iss on
	// the callback and in discovery, which OneID does not document.
	CallbackISS bool
}

// providerPeer is one running oidc-provider.
type providerPeer struct {
	Host      string // 127.0.0.1:port
	Issuer    string // http://127.0.0.1:port (no path)
	Discovery string // Issuer + "/.well-known/openid-configuration"

	out *outputLog
}

// Log returns the tail of the peer's output (its stderr has every error
// with oidc-provider's server-side detail).
func (p *providerPeer) Log() string { return p.out.String() }

// startProvider installs oidc-provider if needed (npm ci), starts server.js
// on a free 127.0.0.1 port with cfg, waits until discovery answers 200 and
// stops it, with its process group, when the test ends. It fails the test,
// never skips it, when node, npm or the package is missing.
func startProvider(t *testing.T, cfg providerConfig) *providerPeer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): the oidc-provider interop tests need Node 20+", err)
	}
	dir := providerDir(t)
	ensureInstalled(t, dir, "oidc-provider", providerVersion)

	env := []string{
		"OP_CLIENT_ID=" + cfg.ClientID,
		"OP_REDIRECT_URIS=" + strings.Join(cfg.RedirectURIs, ","),
		"OP_PORT=0",
	}
	oneID := cfg.Profile == profileOneID
	switch {
	case cfg.Profile != profileFAPI && !oneID:
		t.Fatalf("providerConfig: unknown Profile %q", cfg.Profile)
	case oneID && (cfg.JWKSURI != "" || cfg.JWKS != nil || cfg.IDTokenEnc != "" || cfg.UserinfoEnc != "" || cfg.DPoPNonce):
		t.Fatalf("providerConfig: JWKSURI, JWKS, IDTokenEnc, UserinfoEnc and DPoPNonce are FAPI settings")
	case !oneID && (cfg.ClientSecret != "" || cfg.Accounts != nil || cfg.Scopes != nil || cfg.CallbackISS || cfg.DefaultPersona != ""):
		t.Fatalf("providerConfig: ClientSecret, Accounts, Scopes, CallbackISS and DefaultPersona are OneID settings")
	case oneID && cfg.ClientSecret == "":
		t.Fatalf("providerConfig: the OneID profile needs a ClientSecret")
	case oneID:
		env = append(env, "OP_PROFILE="+profileOneID, "OP_CLIENT_SECRET="+cfg.ClientSecret)
	case cfg.JWKSURI != "" && cfg.JWKS == nil:
		env = append(env, "OP_CLIENT_JWKS_URI="+cfg.JWKSURI)
	case cfg.JWKSURI == "" && cfg.JWKS != nil:
		b, err := json.Marshal(cfg.JWKS)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "OP_CLIENT_JWKS="+string(b))
	default:
		t.Fatalf("providerConfig: set exactly one of JWKSURI and JWKS")
	}
	if cfg.IDTokenEnc != "" {
		env = append(env, "OP_ID_TOKEN_ENC="+cfg.IDTokenEnc)
	}
	if cfg.UserinfoEnc != "" {
		env = append(env, "OP_USERINFO_ENC="+cfg.UserinfoEnc)
	}
	if cfg.DPoPNonce {
		env = append(env, "OP_DPOP_NONCE=1")
	}
	if len(cfg.Persons) > 0 {
		b, err := json.Marshal(cfg.Persons)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "OP_PERSONS="+string(b))
	}
	if len(cfg.Accounts) > 0 {
		b, err := json.Marshal(cfg.Accounts)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "OP_ACCOUNTS="+string(b))
	}
	if len(cfg.Scopes) > 0 {
		env = append(env, "OP_SCOPES="+strings.Join(cfg.Scopes, " "))
	}
	if cfg.CallbackISS {
		env = append(env, "OP_CALLBACK_ISS=1")
	}
	if cfg.DefaultPersona != "" {
		env = append(env, "OP_DEFAULT_PERSONA="+cfg.DefaultPersona)
	}

	cmd := exec.Command(node, "server.js")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(os.Environ()), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &outputLog{ready: make(chan string, 1)}
	cmd.Stdout = out
	cmd.Stderr = out
	// server.js exits when its stdin closes: the peer cannot outlive a test
	// binary that dies without running its cleanups.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("oidc-provider stdin: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting oidc-provider (node server.js): %v", err)
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
			t.Logf("oidc-provider output (last %d bytes at most):\n%s", maxLog, out.String())
		}
	})

	p := &providerPeer{out: out}
	deadline := time.After(startTimeout)
	select {
	case issuer := <-out.ready:
		p.Issuer = issuer
		p.Host = strings.TrimPrefix(issuer, "http://")
		p.Discovery = issuer + "/.well-known/openid-configuration"
	case err := <-exited:
		t.Fatalf("oidc-provider exited before listening (%v); output:\n%s", err, out.String())
	case <-deadline:
		t.Fatalf("oidc-provider did not print its issuer within %v; output:\n%s", startTimeout, out.String())
	}
	waitStatus(t, p.Discovery, http.StatusOK, deadline)
	return p
}

// providerDir is the absolute path of interop/oidcprovider (server.js).
func providerDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var installMu sync.Mutex

// ensureInstalled runs npm ci in dir unless node_modules/<pkg> is version.
// An exclusive lock on dir/.install.lock keeps test binaries of several
// packages (which run in parallel) from installing at the same time.
func ensureInstalled(t *testing.T, dir, pkg, version string) {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if installedVersion(dir, pkg) == version {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("%s %s is not installed in %s and npm is not on PATH (%v): run `make interop`", pkg, version, dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("install lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("install lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if installedVersion(dir, pkg) == version {
		return // another test binary installed it meanwhile
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s failed (%v): run `make interop`; output:\n%s", dir, err, out)
	}
	if got := installedVersion(dir, pkg); got != version {
		t.Fatalf("after npm ci, %s in %s is version %q, want %s", pkg, dir, got, version)
	}
}

func installedVersion(dir, pkg string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	return p.Version
}

// cleanEnv drops the variables that would change the peer's behaviour, so
// that only the ones the test sets count.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OP_") || name == "NODE_OPTIONS" || name == "NODE_ENV" || name == "DEBUG" ||
			strings.HasPrefix(name, "NODE_TLS") || name == "NODE_EXTRA_CA_CERTS" {
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

// outputLog keeps the tail of the peer's output and reports the issuer,
// server.js's first stdout line.
type outputLog struct {
	mu    sync.Mutex
	buf   []byte
	line  []byte
	ready chan string
	found bool
}

var issuerLine = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]{1,5}$`)

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
			if l := bytes.TrimSpace(o.line[:i]); issuerLine.Match(l) {
				o.found = true
				o.ready <- string(l)
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

// httpClient is a client for the tests' back-channel requests to
// 127.0.0.1: bounded in time, and it does not follow redirects.
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

// browser is a cookie-jar client that follows redirects within the
// provider (at most 10) and stops at the first redirect to another host,
// returning that redirect unfollowed.
func (p *providerPeer) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   requestTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			if req.URL.Host != p.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// authorize walks the non-interactive login from authURL
// ({authorization_endpoint}?client_id=…&request_uri=…[&persona=…][&consent=…])
// with a fresh browser and returns the callback URL the provider redirects
// to (redirect_uri?code=…&state=…&iss=…, or ?error=…), without fetching it.
func (p *providerPeer) authorize(t *testing.T, authURL string) *url.URL {
	t.Helper()
	resp, err := p.browser(t).Get(authURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authURL, err)
	}
	body := readBody(t, resp)
	loc, err := resp.Location()
	if resp.StatusCode/100 != 3 || err != nil {
		t.Fatalf("authorize ended at %s with HTTP %d, want a redirect to the redirect_uri; body: %.300s",
			resp.Request.URL, resp.StatusCode, body)
	}
	return loc
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
