package redistest_test

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idconnect/idconnect/store/redis/redistest"
)

// fatalTB records Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Without redis-server the test fails (never skips), saying how to get it.
func TestStartWithoutRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.Start(f)
		t.Error("Start returned without redis-server on PATH")
	}()
	<-done
	if !strings.Contains(f.msg, "redis-server") || !strings.Contains(f.msg, "make test") {
		t.Fatalf("Start failed with %q; want it to name redis-server and make test", f.msg)
	}
}

func TestStartStopRestart(t *testing.T) {
	srv := redistest.Start(t)
	if !strings.HasPrefix(srv.Addr, "127.0.0.1:") || srv.URL() != "redis://"+srv.Addr {
		t.Fatalf("Addr %q, URL %q", srv.Addr, srv.URL())
	}
	answers := func() bool {
		c, err := net.DialTimeout("tcp", srv.Addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		fmt.Fprint(c, "PING\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line == "+PONG\r\n"
	}
	if !answers() {
		t.Fatal("a started server does not answer PING")
	}
	srv.Stop()
	if answers() {
		t.Fatal("a stopped server answers PING")
	}
	srv.Stop() // twice is fine
	srv.Restart()
	if !answers() {
		t.Fatal("a restarted server does not answer PING")
	}
	srv.Restart() // a running server too
	if !answers() {
		t.Fatal("a server restarted while running does not answer PING")
	}
}
