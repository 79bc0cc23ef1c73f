package redis_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/store"
	"github.com/idconnect/idconnect/store/redis"
	"github.com/idconnect/idconnect/store/redis/redistest"
	"github.com/idconnect/idconnect/store/storetest"
)

// newClient connects to srv the way the service does, from a URL.
func newClient(t *testing.T, srv *redistest.Server) goredis.UniversalClient {
	t.Helper()
	c, err := redis.NewClient(srv.URL() + "?max_retries=1&dial_timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		return redis.New(c, redis.Options{Prefix: "conformance:" + t.Name() + ":"})
	})
}

// Open owns its client; the URL store passes the suite too.
func TestConformanceOpen(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, err := redis.Open(srv.URL(), redis.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

func TestSealedOnRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	key := make([]byte, store.SealKeySize)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, err := store.NewSealed(redis.New(c, redis.Options{}), key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	logins := redis.New(c, redis.Options{Prefix: "app:login:"})
	results := redis.New(c, redis.Options{Prefix: "app:result:"})
	exp := time.Now().Add(time.Minute)
	if err := logins.Put(ctx, "k", []byte("login"), exp); err != nil {
		t.Fatal(err)
	}
	if err := results.Put(ctx, "k", []byte("result"), exp); err != nil {
		t.Fatalf("the same key under another prefix: %v", err)
	}
	if got, err := c.Get(ctx, "app:login:k").Result(); err != nil || got != "login" {
		t.Fatalf("Redis holds %q, %v under app:login:k; want the login", got, err)
	}
	if got, err := results.Take(ctx, "k"); err != nil || string(got) != "result" {
		t.Fatalf("results.Take = %q, %v", got, err)
	}
	if got, err := logins.Take(ctx, "k"); err != nil || string(got) != "login" {
		t.Fatalf("logins.Take = %q, %v", got, err)
	}
	// The default prefix.
	if err := redis.New(c, redis.Options{}).Put(ctx, "d", []byte("x"), exp); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, redis.DefaultPrefix+"d").Result(); err != nil || n != 1 {
		t.Fatalf("key under the default prefix: exists = %d, %v", n, err)
	}
}

// Put turns expiresAt into a TTL by the store's clock, so a Flow on a fake
// clock gets the lifetime it asked for; Redis then expires by its own.
func TestExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv)

	fake := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := redis.New(c, redis.Options{Prefix: "exp:", Now: func() time.Time { return fake }})
	if err := s.Put(ctx, "fake", []byte("v"), fake.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.PTTL(ctx, "exp:fake").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 10*time.Minute-5*time.Second || ttl > 10*time.Minute+time.Millisecond {
		t.Fatalf("TTL = %s, want 10m by the store's clock", ttl)
	}

	// A value already expired is not stored.
	if err := s.Put(ctx, "past", []byte("v"), fake.Add(-time.Second)); err != nil {
		t.Fatalf("Put of an expired value: %v", err)
	}
	if n, _ := c.Exists(ctx, "exp:past").Result(); n != 0 {
		t.Fatal("an expired value was stored")
	}

	// A sub-millisecond lifetime is rounded up, never down to "no expiry".
	real := redis.New(c, redis.Options{Prefix: "exp:"})
	if err := real.Put(ctx, "short", []byte("v"), time.Now().Add(300*time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if ttl, err := c.PTTL(ctx, "exp:short").Result(); err == nil && ttl == -1 { // -1: no expiry; -2: gone
		t.Fatal("a short-lived value has no TTL: it would never expire")
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := real.Take(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Take after expiry: err = %v, want ErrNotFound", err)
	}
}

// Redis stopped: every call fails with a clear error, neither a panic nor
// ErrNotFound (which the Flow would report as an unknown state); Redis
// back: the same client works again.
func TestServerStopped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	s := redis.New(c, redis.Options{})
	exp := time.Now().Add(time.Minute)
	const secret = "dpop-private-key-material"
	if err := s.Put(ctx, "before", []byte(secret), exp); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	calls := map[string]func() error{
		"put": func() error { return s.Put(ctx, "k", []byte(secret), exp) },
		"take": func() error {
			_, err := s.Take(ctx, "before")
			return err
		},
		"ping": func() error { return s.Ping(ctx) },
	}
	for op, call := range calls {
		start := time.Now()
		err := call()
		if err == nil {
			t.Fatalf("%s with Redis stopped succeeded", op)
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) {
			t.Fatalf("%s with Redis stopped: %v; it passes for a store answer", op, err)
		}
		if !strings.HasPrefix(err.Error(), "store/redis: "+op+": ") {
			t.Errorf("%s error %q does not say where it failed", op, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s error %q contains the value", op, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s took %s to fail", op, d)
		}
	}

	srv.Restart()
	// The restarted server is empty; the client reconnects by itself.
	var err error
	for range 50 {
		if err = s.Ping(ctx); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	if err := s.Put(ctx, "after", []byte("v"), exp); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	if got, err := s.Take(ctx, "after"); err != nil || string(got) != "v" {
		t.Fatalf("Take after restart = %q, %v", got, err)
	}
}

// A call waits no longer than its context allows, and says so.
func TestContextDeadline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	s := redis.New(c, redis.Options{})
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Another connection pauses every write for 5 s: GETDEL and SET hang.
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", 5000, "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	defer admin.Do(ctx, "CLIENT", "UNPAUSE")

	for _, op := range []string{"put", "take"} {
		dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		start := time.Now()
		var err error
		if op == "put" {
			err = s.Put(dctx, "paused", []byte("v"), time.Now().Add(time.Minute))
		} else {
			_, err = s.Take(dctx, "paused")
		}
		cancel()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s waited %s past a 200ms deadline", op, d)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s past its deadline: err = %v, want context.DeadlineExceeded", op, err)
		}
	}

	// A client of the caller's that ignores deadlines still ends at its
	// ReadTimeout; the error then says that the deadline had passed.
	deaf := goredis.NewClient(&goredis.Options{Addr: srv.Addr, ReadTimeout: 300 * time.Millisecond, MaxRetries: -1})
	defer deaf.Close()
	ds := redis.New(deaf, redis.Options{})
	if err := deaf.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := ds.Take(dctx, "paused"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Take on a deadline-deaf client past its deadline: err = %v, want context.DeadlineExceeded", err)
	}

	// A canceled context fails, whatever the client.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, s := range []*redis.Store{s, ds} {
		if _, err := s.Take(cctx, "x"); !errors.Is(err, context.Canceled) {
			t.Errorf("Take with a canceled context: err = %v", err)
		}
		if err := s.Put(cctx, "x", []byte("v"), time.Now().Add(time.Minute)); !errors.Is(err, context.Canceled) {
			t.Errorf("Put with a canceled context: err = %v", err)
		}
	}
}

// Close closes the client Open made, and only that one.
func TestClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	exp := time.Now().Add(time.Minute)

	opened, err := redis.Open(srv.URL(), redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := opened.Put(ctx, "k", []byte("v"), exp); err != nil {
		t.Fatal(err)
	}
	if err := opened.Close(); err != nil {
		t.Fatal(err)
	}
	if err := opened.Put(ctx, "k2", []byte("v"), exp); err == nil {
		t.Fatal("Put after Close succeeded: Close left Open's connection open")
	}

	c := newClient(t, srv)
	if err := redis.New(c, redis.Options{}).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Close of a Store from New closed the caller's client: %v", err)
	}
}

// Redis out of memory (maxmemory, noeviction) is store.ErrFull, which the
// service answers with 503 like a full memory store.
func TestOutOfMemoryIsFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv)
	if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	err := redis.New(c, redis.Options{}).Put(ctx, "k", []byte("v"), time.Now().Add(time.Minute))
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("Put on a full Redis: err = %v, want ErrFull", err)
	}
}

// oldRedis answers like a Redis before 6.2 that knows neither HELLO nor
// GETDEL: every command is unknown. It serves until the test ends.
func oldRedis(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(conn)
				for {
					args, err := readCommand(r)
					if err != nil {
						return
					}
					fmt.Fprintf(conn, "-ERR unknown command '%s', with args beginning with: \r\n", args[0])
				}
			}()
		}
	}()
	return l.Addr().String()
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	var n int
	if _, err := fmt.Fscanf(r, "*%d\r\n", &n); err != nil {
		return nil, err
	}
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("bad command length %d", n)
	}
	args := make([]string, n)
	for i := range args {
		var size int
		if _, err := fmt.Fscanf(r, "$%d\r\n", &size); err != nil {
			return nil, err
		}
		if size < 0 || size > 1<<20 {
			return nil, fmt.Errorf("bad bulk length %d", size)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// A server older than 6.2 fails readiness and Take with a message that
// says what to upgrade.
func TestOldServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := redis.NewClient("redis://" + oldRedis(t) + "?max_retries=0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := redis.New(c, redis.Options{})
	for op, err := range map[string]error{
		"ping": s.Ping(ctx),
		"take": func() error { _, err := s.Take(ctx, "k"); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "Redis 6.2 or later is required") {
			t.Errorf("%s on a pre-6.2 server: err = %v, want it to name the version needed", op, err)
		}
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		cluster bool
		tls     bool
	}{
		{"redis://127.0.0.1:6379", false, false},
		{"redis://user:pw@127.0.0.1:6379/2?dial_timeout=3s", false, false},
		{"rediss://redis.example:6380", false, true},
		{"redis://sentinel1:26379?master_name=mymaster&addr=sentinel2:26379", false, false},
		{"redis://node1:6379?addr=node2:6379&addr=node3:6379", true, false},
		{"redis://node1:6379?cluster=true", true, false},
		{"rediss://node1:6379?cluster=true", true, true},
		{"unix:///run/redis.sock", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := redis.NewClient(tt.url)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			defer c.Close()
			switch c := c.(type) {
			case *goredis.ClusterClient:
				if !tt.cluster {
					t.Fatal("got a Cluster client")
				}
				o := c.Options()
				if !o.ContextTimeoutEnabled {
					t.Error("the client ignores context deadlines")
				}
				if (o.TLSConfig != nil) != tt.tls {
					t.Errorf("TLS = %v, want %v", o.TLSConfig != nil, tt.tls)
				}
			case *goredis.Client:
				if tt.cluster {
					t.Fatal("got a single-node client, want Cluster")
				}
				o := c.Options()
				if !o.ContextTimeoutEnabled {
					t.Error("the client ignores context deadlines")
				}
				if (o.TLSConfig != nil) != tt.tls {
					t.Errorf("TLS = %v, want %v", o.TLSConfig != nil, tt.tls)
				}
			default:
				t.Fatalf("client type %T", c)
			}
		})
	}

	c, err := redis.NewClient("redis://127.0.0.1:6379?context_timeout_enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.(*goredis.Client).Options().ContextTimeoutEnabled {
		t.Error("context_timeout_enabled=false was overridden")
	}

	for _, bad := range []string{
		"http://127.0.0.1:6379",
		"redis://user:s3cr3t-pw@127.0.0.1:6379/notadb",
		"redis://user:s3cr3t-pw@127.0.0.1:port",
		"redis://user:s3cr3t-pw@127.0.0.1:6379?no_such_option=1",
		"redis://user:s3cr3t-pw@127.0.0.1:6379?cluster=maybe",
		"redis://127.0.0.1:6379?password=s3cr3t-pw&dial_timeout=soon",
		"redis://sentinel:26379?master_name=m&sentinel_password=s3cr3t-pw&bad=1",
		"redis://user:s3cr3t-pw@127.0.0.1:6379\x7f",
		"redis://:s3cr3t-pw@127.0.0.1:6379/s3cr3t-pw", // a password pasted where the db goes
	} {
		_, err := redis.NewClient(bad)
		if err == nil {
			t.Errorf("NewClient(%q) accepted it", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("NewClient(%q) error %q reveals the password", bad, err)
		}
	}
}

func Example() {
	// One client for everything the instances share; IDCONNECT_REDIS_URL
	// in the service.
	client, err := redis.NewClient("redis://127.0.0.1:6379/0")
	if err != nil {
		panic(err)
	}
	defer client.Close()

	sealKey := make([]byte, store.SealKeySize) // 32 random bytes, the same on every instance
	logins, err := store.NewSealed(redis.New(client, redis.Options{Prefix: "idconnect:login:"}), sealKey)
	if err != nil {
		panic(err)
	}
	_ = logins // the Flow's Store
}
