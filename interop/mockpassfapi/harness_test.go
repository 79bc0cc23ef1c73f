//go:build interop

package mockpassfapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	// The peer, as published in the peers folder (see its README.md).
	peerName      = "mockpass-8887619"
	peerTarball   = peerName + ".tar.gz"
	peerPatch     = "pr833-userinfo-overlay.patch"
	tarballSHA256 = "c5366df39ee8cec241289b065aaab6fbd56dd7bfe6ca32ee10700c76464f4dfd"
	patchSHA256   = "5ec1cebfbe1fb9d4f1ec9626a77ceb0857c1cd25b20ddac9d69e6377f8d4c6c4"

	// cacheDir is where prepare.sh unpacks and installs the peer.
	cacheDir = ".peer"
	// stampFile marks a finished install; it holds the two sha256 sums.
	stampFile = ".idconnect-stamp"

	// fapiPath is MockPass's FAPI base path; the issuer is base+fapiPath.
	fapiPath = "/singpass/v3/fapi"

	prepareTimeout = 3 * time.Minute // unpack, patch, npm ci
)

// mockPassFAPI is one running MockPass FAPI.
type mockPassFAPI struct {
	Host      string // 127.0.0.1:port
	Base      string // http://127.0.0.1:port
	Issuer    string // Base + "/singpass/v3/fapi"
	Discovery string // Issuer + "/.well-known/openid-configuration"

	node *peer.Node
}

// Log returns the tail of the peer's output (morgan logs every request).
func (p *mockPassFAPI) Log() string { return p.node.Log() }

// startPeer prepares the peer if needed (prepareMockPass), starts it on a
// free 127.0.0.1 port with FAPI_CLIENT_JWKS_ENDPOINT=jwksURL (the relying
// party's public JWKS, e.g. from peer.ServeJWKS; "" leaves it unset, so
// MockPass uses its bundled static/certs/fapi-rp-public.json), waits until
// discovery answers 200 and stops it, with its process group, when the
// test ends. env adds NAME=value settings. It fails the test, never skips
// it, when node, the peers folder or the install is missing.
func startPeer(t *testing.T, jwksURL string, env ...string) *mockPassFAPI {
	t.Helper()
	dir := prepareMockPass(t)
	node := peer.NodePath(t, "the MockPass FAPI interop tests need Node 20+")
	e := cleanEnv(os.Environ())
	if jwksURL != "" {
		e = append(e, "FAPI_CLIENT_JWKS_ENDPOINT="+jwksURL)
	}
	n := peer.StartNode(t, peer.NodeConfig{
		Name: "MockPass FAPI", Node: node, Script: "serve.js", Args: []string{dir, "0"},
		Env:       append(e, env...),
		ReadyLine: listeningLine, ReadyWhat: "report its port",
	})
	p := &mockPassFAPI{node: n, Host: "127.0.0.1:" + n.Ready}
	p.Base = "http://" + p.Host
	p.Issuer = p.Base + fapiPath
	p.Discovery = p.Issuer + "/.well-known/openid-configuration"
	peer.WaitStatus(t, p.Discovery, http.StatusOK, n.Deadline)
	return p
}

// listeningLine is serve.js's "MOCKPASS_FAPI_LISTENING <port>" line.
var listeningLine = regexp.MustCompile(`^MOCKPASS_FAPI_LISTENING ([0-9]{1,5})$`)

var prepareMu sync.Mutex

// prepareMockPass returns the absolute path of the unpacked, patched and
// installed MockPass, running prepare.sh first when the install is missing
// or was made from other files. It checks the peers folder and the sha256
// of both files itself, so that a wrong folder fails with a clear message.
func prepareMockPass(t *testing.T) string {
	t.Helper()
	prepareMu.Lock()
	defer prepareMu.Unlock()

	src := filepath.Join(peer.PeersDir(t), "mockpass-fapi")
	for _, name := range []string{peerTarball, peerPatch} {
		if _, err := os.Stat(filepath.Join(src, name)); err != nil {
			t.Fatalf("MockPass FAPI peer missing: %v. Set %s to the folder holding mockpass-fapi/%s and mockpass-fapi/%s (default: <repository root>/../shared/peers; now %s=%q)",
				err, peer.PeersEnv, peerTarball, peerPatch, peer.PeersEnv, os.Getenv(peer.PeersEnv))
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
	cmd.Env = append(os.Environ(), peer.PeersEnv+"="+filepath.Dir(src))
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

func checkSHA256(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("%s has sha256 %s, want %s (the value in the peer's README.md): wrong %s?", path, got, want, peer.PeersEnv)
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

var errNoPersona = errors.New("persona not on the login page")
