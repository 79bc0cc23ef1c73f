//go:build interop

package openidclient

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	// clientVersion is the openid-client pinned by package-lock.json.
	clientVersion = "6.8.9"
	// rpTimeout bounds one rp.js run unless rpConfig.Timeout says otherwise.
	rpTimeout = 30 * time.Second
)

// rpConfig is one rp.js login (see rp.js for the meaning of each setting).
type rpConfig struct {
	Issuer      string // e.g. the emulator's …/fapi, or peer.OIDCProvider.Issuer
	ClientID    string
	RedirectURI string
	// Keys is the client's private JWK set: an ES256 sig key and a P-256
	// ECDH-ES+A256KW enc key (peer.ClientKeys.JWKS(true)). runRP writes it to a
	// 0600 file in t.TempDir().
	Keys  jose.JSONWebKeySet
	Scope string // default "openid"
	// Persona and Consent are the query shortcuts appended to the
	// authorization URL; empty means rp.js's defaults (S6005048A, allow).
	// Use "-" to send none.
	Persona, Consent string
	AssertionTyp     string        // typ header of the client assertion ("" = none, as openid-client)
	RequireISS       bool          // the callback must carry iss whatever discovery says
	Encs             []string      // allowed JWE enc values (default A256GCM, A256CBC-HS512)
	Timeout          time.Duration // default rpTimeout
	// CACert makes node trust an https issuer's test certificate (e.g.
	// httptest.Server.Certificate()), through NODE_EXTRA_CA_CERTS.
	CACert *x509.Certificate
	// NoUserinfo skips the userinfo call (a Singpass Login app); the
	// result's Userinfo is then nil.
	NoUserinfo bool
	// PARParams are extra PAR parameters (e.g. authentication_context_type).
	PARParams url.Values
}

// rpResult is rp.js's output for a completed login.
type rpResult struct {
	Sub           string         `json:"sub"`
	IDTokenClaims map[string]any `json:"id_token_claims"`
	Userinfo      map[string]any `json:"userinfo"`
}

// rpError is a failed rp.js run: its exit status and its stderr ("rp.js:
// <message>" for failures it detected).
type rpError struct {
	ExitCode int
	Stderr   string
}

func (e *rpError) Error() string {
	return fmt.Sprintf("rp.js exited with status %d: %s", e.ExitCode, strings.TrimSpace(e.Stderr))
}

// runRP runs `node rp.js` for one login with cfg, bounded by cfg.Timeout
// (the process group is killed after it), and returns the parsed result,
// or an *rpError when rp.js fails. It fails the test, never skips it, when
// node, npm or openid-client is missing.
func runRP(t *testing.T, cfg rpConfig) (*rpResult, error) {
	t.Helper()
	node := peer.NodePath(t, "the openid-client interop tests need Node 20+")
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	peer.EnsureInstalled(t, dir, "openid-client", clientVersion)

	keys, err := json.Marshal(cfg.Keys)
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(t.TempDir(), "rp-private-jwks.json")
	if err := os.WriteFile(jwksFile, keys, 0o600); err != nil {
		t.Fatal(err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = rpTimeout
	}
	env := []string{
		"RP_ISSUER=" + cfg.Issuer,
		"RP_CLIENT_ID=" + cfg.ClientID,
		"RP_REDIRECT_URI=" + cfg.RedirectURI,
		"RP_JWKS_FILE=" + jwksFile,
		// rp.js gives up a little before the process is killed, with a message.
		fmt.Sprintf("RP_TIMEOUT_MS=%d", (timeout - timeout/10).Milliseconds()),
	}
	opt := func(name, v string) {
		switch v {
		case "":
		case "-":
			env = append(env, name+"=")
		default:
			env = append(env, name+"="+v)
		}
	}
	opt("RP_SCOPE", cfg.Scope)
	opt("RP_PERSONA", cfg.Persona)
	opt("RP_CONSENT", cfg.Consent)
	opt("RP_ASSERTION_TYP", cfg.AssertionTyp)
	opt("RP_ENCS", strings.Join(cfg.Encs, ","))
	if cfg.RequireISS {
		env = append(env, "RP_REQUIRE_ISS=1")
	}
	if cfg.NoUserinfo {
		env = append(env, "RP_USERINFO=0")
	}
	if len(cfg.PARParams) > 0 {
		env = append(env, "RP_PAR_PARAMS="+cfg.PARParams.Encode())
	}
	if cfg.CACert != nil {
		caFile := filepath.Join(filepath.Dir(jwksFile), "ca.pem")
		if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cfg.CACert.Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "NODE_EXTRA_CA_CERTS="+caFile)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "rp.js")
	cmd.Dir = dir
	cmd.Env = append(rpCleanEnv(os.Environ()), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("rp.js against %s: %v", cfg.Issuer, time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		return nil, &rpError{ExitCode: -1, Stderr: fmt.Sprintf("killed after %v; stderr: %s", timeout, stderr.String())}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil, &rpError{ExitCode: exit.ExitCode(), Stderr: stderr.String()}
	}
	if err != nil {
		t.Fatalf("running node rp.js: %v", err)
	}
	var res rpResult
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil || res.Sub == "" {
		return nil, fmt.Errorf("rp.js exited 0 without a result (%v); stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
	return &res, nil
}

// mustRunRP is runRP that fails the test when rp.js fails.
func mustRunRP(t *testing.T, cfg rpConfig) *rpResult {
	t.Helper()
	res, err := runRP(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// rpCleanEnv drops the variables that would change rp.js's behaviour.
func rpCleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RP_") || name == "NODE_OPTIONS" || strings.HasPrefix(name, "NODE_TLS") ||
			name == "NODE_EXTRA_CA_CERTS" || name == "HTTP_PROXY" || name == "HTTPS_PROXY" ||
			name == "http_proxy" || name == "https_proxy" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
