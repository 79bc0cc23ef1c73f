// Package softhsm makes throwaway SoftHSM2 tokens for tests: each token
// lives in its own temporary directory, named by a SOFTHSM2_CONF set for
// the test only, so tests touch no token of the machine's.
package softhsm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Test PINs of the tokens made here.
const (
	PIN   = "2718281828"
	SOPIN = "3141592653"
)

// modulePaths are where Debian, Ubuntu and Fedora put the SoftHSM2 module.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Module returns the path of the SoftHSM2 PKCS#11 module
// ($IDCONNECT_SOFTHSM_MODULE, or a usual place). A missing module fails
// the test: make deps installs softhsm2.
func Module(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("IDCONNECT_SOFTHSM_MODULE"); p != "" {
		return p
	}
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("SoftHSM2 is not installed (libsofthsm2.so not found; `make deps` installs the Debian package softhsm2, or set IDCONNECT_SOFTHSM_MODULE)")
	return ""
}

// NewToken makes an empty token labelled label with PIN and SOPIN in a
// temporary directory, points SOFTHSM2_CONF at it for the rest of the
// test (so the test must not be parallel), and returns the module path.
func NewToken(t testing.TB, label string) string {
	t.Helper()
	module := Module(t)
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		t.Fatal("softhsm2-util is not on PATH (`make deps` installs the Debian package softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SOPIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}
