package redislimit_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/ratelimit/redislimit"
	"github.com/idconnect/idconnect/store/redis"
	"github.com/idconnect/idconnect/store/redis/redistest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newClient(t *testing.T, srv *redistest.Server) goredis.UniversalClient {
	t.Helper()
	c, err := redis.NewClient(srv.URL() + "?max_retries=1&dial_timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The same sequence as ratelimit's TestTokenBucket.
func TestLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := &redislimit.Limiter{Client: newClient(t, srv), Burst: 3, Every: 10 * time.Second, Now: c.Now}
	for i := range 3 {
		if err := l.Allow(ctx, "a"); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	err := l.Allow(ctx, "a")
	var le *ratelimit.LimitError
	if !errors.Is(err, ratelimit.ErrLimited) || !errors.As(err, &le) || le.RetryAfter != 10*time.Second {
		t.Fatalf("request past the burst: err = %v, want ErrLimited with RetryAfter 10s", err)
	}
	if err := l.Allow(ctx, "b"); err != nil {
		t.Fatalf("another client is limited by the first one's flood: %v", err)
	}
	c.Add(4 * time.Second)
	if err := l.Allow(ctx, "a"); !errors.As(err, &le) || le.RetryAfter != 6*time.Second {
		t.Fatalf("4s into the interval: err = %v, want RetryAfter 6s", err)
	}
	c.Add(6 * time.Second)
	if err := l.Allow(ctx, "a"); err != nil {
		t.Fatalf("after one interval a token is back: %v", err)
	}
	if err := l.Allow(ctx, "a"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("only one token came back: err = %v", err)
	}
	c.Add(time.Hour)
	for i := range 3 {
		if err := l.Allow(ctx, "a"); err != nil {
			t.Fatalf("refill caps at the burst, request %d: %v", i, err)
		}
	}
	if err := l.Allow(ctx, "a"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("refill went past the burst: err = %v", err)
	}
}

// Step for step, the Redis limiter decides as TokenBucket does, on one
// clock. Every is 8 s and the clock moves by whole seconds, so the
// fractional tokens are exact in binary and the answers must be equal.
func TestSameAsTokenBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	const burst, every = 4, 8 * time.Second
	mem := &ratelimit.TokenBucket{Burst: burst, Every: every, Now: c.Now}
	red := &redislimit.Limiter{Client: newClient(t, srv), Burst: burst, Every: every, Now: c.Now}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"198.51.100.1", "198.51.100.2", "2001:db8::1"}
	var limited int
	for i := range 600 {
		if rng.IntN(3) == 0 {
			c.Add(time.Duration(rng.IntN(12)) * time.Second)
		}
		k := keys[rng.IntN(len(keys))]
		want, got := mem.Allow(ctx, k), red.Allow(ctx, k)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d, key %s: Redis says %v, TokenBucket %v", i, k, got, want)
		}
		var a, b *ratelimit.LimitError
		if errors.As(want, &a) {
			limited++
			if !errors.As(got, &b) || a.RetryAfter != b.RetryAfter {
				t.Fatalf("step %d: RetryAfter %v, TokenBucket %v", i, b, a)
			}
		}
	}
	if limited < 50 {
		t.Fatalf("only %d of 600 requests were limited: the sequence does not exercise limiting", limited)
	}
}

// Two instances (two clients) share one budget.
func TestSharedBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	one := &redislimit.Limiter{Client: newClient(t, srv), Burst: 3, Every: time.Minute, Now: c.Now}
	two := &redislimit.Limiter{Client: newClient(t, srv), Burst: 3, Every: time.Minute, Now: c.Now}
	for i, l := range []*redislimit.Limiter{one, two, one} {
		if err := l.Allow(ctx, "client"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	for i, l := range []*redislimit.Limiter{one, two} {
		if err := l.Allow(ctx, "client"); !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("instance %d past the shared burst: err = %v", i+1, err)
		}
	}
	// A different prefix is a different budget.
	other := &redislimit.Limiter{Client: newClient(t, srv), Prefix: "other:", Burst: 3, Every: time.Minute, Now: c.Now}
	if err := other.Allow(ctx, "client"); err != nil {
		t.Fatalf("another prefix shares the budget: %v", err)
	}
}

// Concurrent requests never spend a token twice.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 4 { // four instances, 16 goroutines each
		l := &redislimit.Limiter{Client: newClient(t, srv), Burst: 10, Every: time.Hour, Now: c.Now}
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := l.Allow(ctx, "flood")
				switch {
				case err == nil:
					allowed.Add(1)
				case !errors.Is(err, ratelimit.ErrLimited):
					t.Errorf("instance %d: %v", i, err)
				}
			}()
		}
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d of 64 concurrent requests were allowed, want the burst of 10", n)
	}
}

// With no Now, Redis's clock refills the bucket.
func TestRedisClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	const every = 300 * time.Millisecond
	l := &redislimit.Limiter{Client: newClient(t, srv), Burst: 2, Every: every}
	for i := range 2 {
		if err := l.Allow(ctx, "k"); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	var le *ratelimit.LimitError
	if err := l.Allow(ctx, "k"); !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > every {
		t.Fatalf("past the burst: err = %v, want RetryAfter in (0, %s]", err, every)
	}
	time.Sleep(le.RetryAfter + 50*time.Millisecond)
	if err := l.Allow(ctx, "k"); err != nil {
		t.Fatalf("after RetryAfter by Redis's clock: %v", err)
	}
	if err := l.Allow(ctx, "k"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("more than one token came back: err = %v", err)
	}
}

// Buckets live under the prefix, hashed, and expire once full again.
func TestKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	client := newClient(t, srv)
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := &redislimit.Limiter{Client: client, Burst: 5, Every: 2 * time.Second, Now: c.Now}
	const addr = "203.0.113.7"
	if err := l.Allow(ctx, addr); err != nil {
		t.Fatal(err)
	}
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], redislimit.DefaultPrefix) {
		t.Fatalf("Redis holds %q, want one key under %q", keys, redislimit.DefaultPrefix)
	}
	if strings.Contains(keys[0], addr) {
		t.Fatalf("the bucket key %q holds the client's address", keys[0])
	}
	// One token spent of five: full again in one interval.
	ttl, err := client.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > 2*time.Second+5*time.Millisecond {
		t.Fatalf("bucket TTL = %s, %v; want about one interval (2s)", ttl, err)
	}
}

// Redis down: an error that is not ErrLimited, so the caller can tell a
// broken limiter from a limited client; Redis back: it works again.
func TestServerStopped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	l := &redislimit.Limiter{Client: newClient(t, srv), Burst: 1, Every: time.Hour}
	if err := l.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	err := l.Allow(ctx, "k")
	if err == nil || errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("Allow with Redis stopped: err = %v, want a failure that is not ErrLimited", err)
	}
	if !strings.HasPrefix(err.Error(), "ratelimit/redislimit: ") {
		t.Errorf("error %q does not say where it failed", err)
	}
	srv.Restart()
	for range 50 {
		if err = l.Allow(ctx, "k"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Allow after restart (an empty Redis, so a full bucket): %v", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Allow(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow with a canceled context: err = %v", err)
	}
	if err := (&redislimit.Limiter{}).Allow(ctx, "k"); err == nil || errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("a Limiter without a Client: err = %v", err)
	}
}

func ExampleLimiter() {
	client, err := redis.NewClient("redis://127.0.0.1:6379/0") // IDCONNECT_REDIS_URL
	if err != nil {
		panic(err)
	}
	defer client.Close()
	// The same limit as the in-memory default, enforced across instances.
	var limiter ratelimit.Limiter = &redislimit.Limiter{Client: client}
	_ = limiter
}
