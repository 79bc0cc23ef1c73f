package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idconnect/idconnect/store"
	"github.com/idconnect/idconnect/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return &store.Memory{} })
}

func TestMemoryMaxEntries(t *testing.T) {
	m := &store.Memory{MaxEntries: 2}
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
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
