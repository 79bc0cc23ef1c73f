//go:build interop

package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	InstallTimeout = 3 * time.Minute  // npm ci
	StartTimeout   = 30 * time.Second // node start and the peer's first answer
	StopTimeout    = 5 * time.Second  // SIGTERM to exit, before SIGKILL
	RequestTimeout = 10 * time.Second // every HTTP request of the tests
	MaxBody        = 1 << 20          // bytes read from any answer
	MaxLog         = 16 << 10         // bytes of peer output kept for failure reports

	// PeersEnv names the folder holding peers that are not npm packages
	// (e.g. mockpass-fapi/).
	PeersEnv = "IDCONNECT_PEERS_DIR"
)

// NodePath is the path of node, failing the test with need (e.g. "the
// oidc-provider interop tests need Node 20+") when it is not on PATH.
func NodePath(t *testing.T, need string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): %s", err, need)
	}
	return node
}

// NodeConfig is one Node peer process.
type NodeConfig struct {
	Name   string   // the peer in messages, e.g. "oidc-provider"
	Node   string   // the node binary (NodePath)
	Script string   // e.g. "server.js"; it must exit when its stdin closes
	Args   []string // after Script
	Dir    string   // working directory ("" for the test's)
	Env    []string // the whole environment
	// ReadyLine matches the (trimmed) output line that says the peer
	// listens; Node.Ready is its first group, or the whole line without
	// groups. ReadyWhat names it in the timeout message, e.g. "print its
	// issuer" or "report its port".
	ReadyLine *regexp.Regexp
	ReadyWhat string
}

// Node is one running Node peer.
type Node struct {
	Ready string // what ReadyLine matched
	// Deadline fires StartTimeout after the start: pass it to WaitStatus
	// (or a check of one's own) to bound the whole start.
	Deadline <-chan time.Time

	out *outputLog
}

// Log returns the tail of the peer's output (at most MaxLog bytes).
func (n *Node) Log() string { return n.out.String() }

// StartNode starts cfg in its own process group with stdin a pipe, waits
// for its ready line (at most StartTimeout) and, when the test ends,
// closes stdin, sends SIGTERM to the group and SIGKILL after StopTimeout;
// the output is logged when the test failed.
func StartNode(t *testing.T, cfg NodeConfig) *Node {
	t.Helper()
	cmd := exec.Command(cfg.Node, append([]string{cfg.Script}, cfg.Args...)...)
	cmd.Dir = cfg.Dir
	cmd.Env = cfg.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &outputLog{ready: make(chan string, 1), readyLine: cfg.ReadyLine}
	cmd.Stdout = out
	cmd.Stderr = out
	// The script exits when its stdin closes: the peer cannot outlive a
	// test binary that dies without running its cleanups.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%s stdin: %v", cfg.Name, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s (node %s): %v", cfg.Name, cfg.Script, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(StopTimeout):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output (last %d bytes at most):\n%s", cfg.Name, MaxLog, out.String())
		}
	})

	n := &Node{out: out}
	deadline := time.After(StartTimeout)
	n.Deadline = deadline
	select {
	case n.Ready = <-out.ready:
	case err := <-exited:
		t.Fatalf("%s exited before listening (%v); output:\n%s", cfg.Name, err, out.String())
	case <-deadline:
		t.Fatalf("%s did not %s within %v; output:\n%s", cfg.Name, cfg.ReadyWhat, StartTimeout, out.String())
	}
	return n
}

// WaitStatus polls url until it answers want, a bounded number of times
// and until deadline.
func WaitStatus(t *testing.T, url string, want int, deadline <-chan time.Time) {
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
			t.Fatalf("%s did not answer %d within %v: %v", url, want, StartTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not answer %d after 100 attempts: %v", url, want, last)
}

// outputLog keeps the tail of a peer's output and reports its ready line.
type outputLog struct {
	mu        sync.Mutex
	buf       []byte
	line      []byte
	ready     chan string
	readyLine *regexp.Regexp
	found     bool
}

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if len(o.buf) > MaxLog {
		o.buf = o.buf[len(o.buf)-MaxLog:]
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
			if m := o.readyLine.FindSubmatch(bytes.TrimSpace(o.line[:i])); m != nil {
				o.found = true
				o.ready <- string(m[len(m)-1])
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

var installMu sync.Mutex

// EnsureInstalled runs npm ci in dir unless node_modules/<pkg> is version.
// An exclusive lock on dir/.install.lock keeps test binaries of several
// packages (which run in parallel) from installing at the same time.
func EnsureInstalled(t *testing.T, dir, pkg, version string) {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if InstalledVersion(dir, pkg) == version {
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
	if InstalledVersion(dir, pkg) == version {
		return // another test binary installed it meanwhile
	}
	ctx, cancel := context.WithTimeout(context.Background(), InstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s failed (%v): run `make interop`; output:\n%s", dir, err, out)
	}
	if got := InstalledVersion(dir, pkg); got != version {
		t.Fatalf("after npm ci, %s in %s is version %q, want %s", pkg, dir, got, version)
	}
}

// InstalledVersion is the version of dir/node_modules/<pkg>, "" when it
// is not installed.
func InstalledVersion(dir, pkg string) string {
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

// PeersDir is $IDCONNECT_PEERS_DIR, or ../shared/peers relative to the
// repository root; a relative value is taken relative to the root.
func PeersDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(PeersEnv)
	if dir == "" {
		dir = filepath.Join("..", "shared", "peers")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(RepoRoot(t), dir)
	}
	return filepath.Clean(dir)
}

// RepoRoot is the nearest parent of the working directory with a go.mod.
func RepoRoot(t *testing.T) string {
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
