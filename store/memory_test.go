package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idconnect/idconnect/store"
	"github.com/idconnect/idconnect/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return &store.Memory{} })
}

// fakeClock is the one clock of a test: the store reads it, and so does
// every expiry the test computes.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func TestMemoryMaxEntries(t *testing.T) {
	c := newFakeClock()
	m := &store.Memory{MaxEntries: 2, Now: c.Now}
	ctx := context.Background()
	exp := c.Now().Add(time.Minute)
	for _, k := range []string{"a", "b"} {
		if err := m.Put(ctx, k, nil, exp); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	if err := m.Put(ctx, "c", nil, exp); !errors.Is(err, store.ErrFull) {
		t.Fatalf("Put beyond MaxEntries err = %v, want ErrFull", err)
	}
	if _, err := m.Take(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "c", nil, exp); err != nil {
		t.Fatalf("Put after Take: %v", err)
	}
}

// MaxBytes is a budget of memory: large values fill it sooner than small
// ones, and space comes back when entries are taken.
func TestMemoryMaxBytes(t *testing.T) {
	c := newFakeClock()
	m := &store.Memory{MaxBytes: 4096, Now: c.Now}
	ctx := context.Background()
	exp := c.Now().Add(time.Minute)
	big := make([]byte, 1500)
	if err := m.Put(ctx, "a", big, exp); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "b", big, exp); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "c", big, exp); !errors.Is(err, store.ErrFull) {
		t.Fatalf("third 1500-byte Put under a 4096-byte budget: err = %v, want ErrFull", err)
	}
	if err := m.Put(ctx, "small", []byte("x"), exp); err != nil {
		t.Fatalf("a small entry still fits: %v", err)
	}
	if _, err := m.Take(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "c", big, exp); err != nil {
		t.Fatalf("Put after Take freed space: %v", err)
	}
}

// Expired entries leave without anyone taking them, a few per call, so a
// store that only sees new Puts does not fill up with dead logins.
func TestMemorySweepsExpired(t *testing.T) {
	c := newFakeClock()
	m := &store.Memory{MaxEntries: 1000, Now: c.Now}
	ctx := context.Background()
	for i := range 1000 {
		if err := m.Put(ctx, fmt.Sprint("old", i), []byte("v"), c.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(time.Minute)
	// The store is full of expired entries; new Puts must succeed and the
	// dead ones must drain.
	for i := range 1000 {
		if err := m.Put(ctx, fmt.Sprint("new", i), []byte("v"), c.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Put %d into a store of expired entries: %v", i, err)
		}
	}
	if n := m.Len(); n != 1000 {
		t.Fatalf("Len = %d after all old entries expired and 1000 new ones arrived, want 1000", n)
	}
	// Taken entries leave stale queue items behind; they must not keep
	// anything alive or block later sweeps.
	for i := range 1000 {
		if _, err := m.Take(ctx, fmt.Sprint("new", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Put(ctx, "new0", []byte("again"), c.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute) // the stale item for the first "new0" expires; the second one must survive it
	for range 100 {
		if err := m.Put(ctx, "filler", nil, c.Now()); err != nil && !errors.Is(err, store.ErrExists) {
			t.Fatal(err)
		}
	}
	if v, err := m.Take(ctx, "new0"); err != nil || string(v) != "again" {
		t.Fatalf("re-put entry: Take = %q, %v; want it kept until its own expiry", v, err)
	}
}

// BenchmarkMemoryPutLarge measures one Put into a store holding a million
// entries, half of them expired: the cost of expiry is spread over calls,
// so it stays near the cost of a map insert.
func BenchmarkMemoryPutLarge(b *testing.B) {
	c := newFakeClock()
	m := &store.Memory{MaxBytes: 1 << 30, Now: c.Now}
	ctx := context.Background()
	value := make([]byte, 600)
	for i := range 1_000_000 {
		ttl := time.Minute
		if i%2 == 0 {
			ttl = time.Second
		}
		if err := m.Put(ctx, fmt.Sprint("k", i), value, c.Now().Add(ttl)); err != nil {
			b.Fatal(err)
		}
	}
	c.Add(2 * time.Second)
	b.ResetTimer()
	for i := range b.N {
		if err := m.Put(ctx, fmt.Sprint("b", i), value, c.Now().Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}

// An expiry beyond what Unix nanoseconds hold (after 2262) stays in the
// future, and one before 1678 in the past.
func TestMemoryFarExpiry(t *testing.T) {
	c := newFakeClock()
	m := &store.Memory{Now: c.Now}
	ctx := context.Background()
	if err := m.Put(ctx, "far", []byte("v"), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "past", []byte("v"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Take(ctx, "far"); err != nil || string(v) != "v" {
		t.Fatalf("far expiry: %q, %v", v, err)
	}
	if _, err := m.Take(ctx, "past"); err != store.ErrNotFound {
		t.Fatalf("zero expiry: %v, want ErrNotFound", err)
	}
}
