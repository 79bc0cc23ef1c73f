//go:build interop

// Package browser tests the demo application in a real browser: Debian's
// chromium, headless, driven by playwright-core (pinned in this folder's
// package-lock.json) from demo.test.mjs, against the real service binary
// on loopback with its embedded emulators. A missing node, npm package or
// chromium fails the test.
package browser

import (
	"context"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

// chromiumPath is Debian's chromium, which make test installs.
const chromiumPath = "/usr/bin/chromium"

// playwrightVersion is the playwright-core pinned in package-lock.json.
const playwrightVersion = "1.65.1"

var update = flag.Bool("update", false, "write the README's screenshot, docs/demo.png")

func TestDemoInChromium(t *testing.T) {
	node := peer.NodePath(t, "the browser test drives chromium with playwright-core on Node 20+")
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("chromium is not installed at %s (%v): make test installs Debian's chromium", chromiumPath, err)
	}
	root := peer.RepoRoot(t)
	dir := filepath.Join(root, "interop", "browser")
	peer.EnsureInstalled(t, dir, "playwright-core", playwrightVersion)

	bin := filepath.Join(t.TempDir(), "idconnect")
	build := exec.Command("go", "build", "-o", bin, "./cmd/idconnect")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base := startService(t, bin)

	artifacts := filepath.Join(dir, "artifacts")
	env := append(os.Environ(),
		"DEMO_BASE_URL="+base,
		"REPO_ROOT="+root,
		"ARTIFACTS_DIR="+artifacts,
		"CHROMIUM="+chromiumPath,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	if *update {
		env = append(env, "DEMO_SCREENSHOT="+filepath.Join(root, "docs", "demo.png"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1", "demo.test.mjs")
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // chromium too
	out, err := cmd.CombinedOutput()
	t.Logf("demo.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser test failed (%v); screenshots in %s", err, artifacts)
	}
	for _, name := range []string{"myinfo-S8214727F", "singpass-F3275914U", "oneid-janet-davidson", "corppass-201834567M", "denied", "phone-oneid", "demo"} {
		if st, err := os.Stat(filepath.Join(artifacts, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("no screenshot %s.png: %v", name, err)
		}
	}
}

// startService runs the binary on a free loopback port with no provider
// configured (the embedded emulators, the demo on) and returns its URL.
func startService(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	var logs strings.Builder
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"IDCONNECT_ADDR=" + addr, "IDCONNECT_REDIRECT_URL=" + base + "/callback", "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(peer.StartTimeout)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not answer /healthz within %s: %v", peer.StartTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
