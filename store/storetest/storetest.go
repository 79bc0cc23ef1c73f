// Package storetest is the conformance suite for store.Store
// implementations. Every implementation runs RunTests from its own tests.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect/store"
)

// RunTests checks s against the store.Store contract. newStore returns an
// empty store; keys are unique per test so a shared backend is fine.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()
	key := func(t *testing.T, name string) string {
		return fmt.Sprintf("conformance:%s:%d", name, time.Now().UnixNano())
	}

	t.Run("PutTakeOnce", func(t *testing.T) {
		s := newStore(t)
		k := key(t, "once")
		want := []byte(`{"state":"x"}`)
		if err := s.Put(ctx, k, want, time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, err := s.Take(ctx, k)
		if err != nil {
			t.Fatalf("Take: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Take = %q, want %q", got, want)
		}
		if _, err := s.Take(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second Take err = %v, want ErrNotFound", err)
		}
	})

	t.Run("TakeUnknown", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Take(ctx, key(t, "unknown")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Take err = %v, want ErrNotFound", err)
		}
	})

	t.Run("PutExisting", func(t *testing.T) {
		s := newStore(t)
		k := key(t, "exists")
		if err := s.Put(ctx, k, []byte("a"), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := s.Put(ctx, k, []byte("b"), time.Now().Add(time.Minute)); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second Put err = %v, want ErrExists", err)
		}
		got, err := s.Take(ctx, k)
		if err != nil || string(got) != "a" {
			t.Fatalf("Take = %q, %v; want the first value", got, err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		s := newStore(t)
		k := key(t, "expired")
		if err := s.Put(ctx, k, []byte("a"), time.Now().Add(1500*time.Millisecond)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := s.Take(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Take after expiry err = %v, want ErrNotFound", err)
		}
	})

	t.Run("ValueIsCopied", func(t *testing.T) {
		s := newStore(t)
		k := key(t, "copy")
		v := []byte("original")
		if err := s.Put(ctx, k, v, time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		copy(v, "mutated!")
		got, err := s.Take(ctx, k)
		if err != nil || string(got) != "original" {
			t.Fatalf("Take = %q, %v; want %q", got, err, "original")
		}
	})

	t.Run("ConcurrentTakeOnce", func(t *testing.T) {
		s := newStore(t)
		k := key(t, "race")
		if err := s.Put(ctx, k, []byte("a"), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		const takers = 32
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range takers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Take(ctx, k); err == nil {
					wins.Add(1)
				} else if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Take: %v", err)
				}
			}()
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("%d concurrent Takes succeeded, want exactly 1", got)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Put(cctx, key(t, "cancel"), []byte("a"), time.Now().Add(time.Minute)); err == nil {
			t.Fatal("Put with a canceled context succeeded")
		}
	})
}
