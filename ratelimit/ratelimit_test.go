package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idconnect/idconnect/ratelimit"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestTokenBucket(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := &ratelimit.TokenBucket{Burst: 3, Every: 10 * time.Second, Now: c.Now}
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
	c.Add(10 * time.Second)
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

// Memory is bounded by MaxKeys, and a flood of new keys does not reset a
// limited client that is still active.
func TestTokenBucketMaxKeys(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := &ratelimit.TokenBucket{Burst: 1, Every: time.Minute, MaxKeys: 10, Now: c.Now}
	for i := range 100 {
		if err := l.Allow(ctx, fmt.Sprint("k", i)); err != nil {
			t.Fatalf("new key %d: %v", i, err)
		}
		c.Add(time.Second)
	}
	c.Add(time.Minute) // every bucket has refilled: all can be forgotten
	if err := l.Allow(ctx, "limited"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(ctx, "fresh"); err != nil {
		t.Fatalf("a new key when full of refilled buckets: %v", err)
	}
	if err := l.Allow(ctx, "limited"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("the limited client was forgotten while refilled buckets were there to drop: err = %v", err)
	}
}

func TestTokenBucketCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&ratelimit.TokenBucket{}).Allow(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
