//go:build unix

package main

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scripts/run-two-instances.sh starts Redis, the emulator and two
// instances; a login started on instance 1 finishes on instance 2; on
// SIGTERM (as on Ctrl-C) it stops every process it started and removes its
// files, within a bound.
func TestRunTwoInstancesScript(t *testing.T) {
	bin := idconnectBinary(t)
	ports := make([]string, 4)
	for i := range ports {
		_, ports[i], _ = net.SplitHostPort(freeLoopbackAddr(t))
	}
	tmp := t.TempDir()
	cmd := exec.Command("sh", filepath.Join("..", "..", "scripts", "run-two-instances.sh"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp, "IDCONNECT_BIN=" + bin,
		"REDIS_PORT=" + ports[0], "EMULATOR_PORT=" + ports[1], "PORT1=" + ports[2], "PORT2=" + ports[3]}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that whatever it leaves behind can be
	// found (and, if the test fails, killed).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // stragglers, if the test failed
	})

	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops everything.") {
		select {
		case err := <-done:
			exited = true
			t.Fatalf("the script exited (%v):\n%s", err, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the script did not start within 30 s:\n%s", out)
		}
	}
	one, two := "http://127.0.0.1:"+ports[2], "http://127.0.0.1:"+ports[3]
	for _, base := range []string{one, two} {
		if !strings.Contains(out.String(), base) {
			t.Errorf("the script does not print %s:\n%s", base, out)
		}
		if h := plainGet(t, base+"/healthz"); h.status != http.StatusOK {
			t.Fatalf("%s/healthz: %d %s", base, h.status, h.body)
		}
		if r := plainGet(t, base+"/readyz"); r.status != http.StatusOK {
			t.Fatalf("%s/readyz: %d %s", base, r.status, r.body)
		}
	}

	// Start on instance 1 (the public URL), finish on instance 2: a
	// cookie jar sends 127.0.0.1's cookies to either port.
	c := browserClient(t)
	start := startLogin(t, c, one)
	cb := authorise(t, c, one, start, "S8214727F", "allow")
	u, _ := url.Parse(cb)
	u.Host = "127.0.0.1:" + ports[3]
	page := get(t, c, u.String())
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("instance 2's callback page: %d %s", page.status, page.body)
	}
	person := get(t, c, two+"/users/me/external/myinfo?code="+url.QueryEscape(m[1]))
	if got := sodataUINFINRe.FindStringSubmatch(person.body); got == nil || got[1] != "S8214727F" {
		t.Fatalf("instance 2's person answer: %d %s", person.status, person.body)
	}

	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		exited = true
	case <-time.After(20 * time.Second):
		t.Fatalf("the script (or a process it started, holding its output) still runs 20 s after SIGTERM:\n%s", out)
	}
	t.Logf("stopped in %s", time.Since(began).Round(time.Millisecond))
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of the script outlive it (kill -0 -%d: %v)", pgid, err)
	}
	for _, p := range ports {
		if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second); err == nil {
			conn.Close()
			t.Errorf("port %s still answers after the script stopped", p)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the script left %v in TMPDIR", left)
	}
}
