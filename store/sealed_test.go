package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idconnect/idconnect/store"
	"github.com/idconnect/idconnect/store/storetest"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, store.SealKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func newSealed(t *testing.T, inner store.Store, key []byte) *store.Sealed {
	t.Helper()
	s, err := store.NewSealed(inner, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealedConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		return newSealed(t, &store.Memory{}, newKey(t))
	})
}

// A login as the Flow stores it for Singpass FAPI: the DPoP private key
// and the PKCE verifier are the secrets sealing keeps from the store.
var secretLogin = []byte(`{"id":"0f3a","provider":"singpass","state":"c3RhdGUtc2VjcmV0LXZhbHVl",` +
	`"verifier":"dmVyaWZpZXItc2VjcmV0LXZhbHVlLTMyYnl0ZXM","provider_data":{"dpop_key":` +
	`{"kty":"EC","crv":"P-256","d":"ZC1wcml2YXRlLWtleS1zY2FsYXItdmFsdWUtaGVyZQ",` +
	`"x":"eC1jb29yZGluYXRl","y":"eS1jb29yZGluYXRl"}}}`)

func TestSealedInnerHoldsNoPlaintext(t *testing.T) {
	ctx := context.Background()
	inner := &store.Memory{}
	s := newSealed(t, inner, newKey(t))
	exp := time.Now().Add(time.Minute)
	if err := s.Put(ctx, "k", secretLogin, exp); err != nil {
		t.Fatal(err)
	}
	raw, err := inner.Take(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	// No 6-byte run of the plaintext survives in what the store holds
	// (a chance match of 6 given bytes is about 2^-48 per position).
	const window = 6
	for i := 0; i+window <= len(secretLogin); i++ {
		if bytes.Contains(raw, secretLogin[i:i+window]) {
			t.Fatalf("the inner store holds plaintext %q (at %d)", secretLogin[i:i+window], i)
		}
	}
	if len(raw) <= len(secretLogin) {
		t.Fatalf("sealed value is %d bytes for %d of plaintext: no room for nonce and tag", len(raw), len(secretLogin))
	}

	// The same value sealed twice differs: the nonce is fresh each time.
	if err := s.Put(ctx, "k", secretLogin, exp); err != nil {
		t.Fatal(err)
	}
	raw2, err := inner.Take(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw, raw2) {
		t.Fatal("sealing the same value twice gave the same bytes: the nonce is reused")
	}
}

func TestSealedRefuses(t *testing.T) {
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	key := newKey(t)

	// sealedRaw returns what the inner store holds for secretLogin under k.
	sealedRaw := func(t *testing.T, k string) []byte {
		inner := &store.Memory{}
		if err := newSealed(t, inner, key).Put(ctx, k, secretLogin, exp); err != nil {
			t.Fatal(err)
		}
		raw, err := inner.Take(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	tests := []struct {
		name string
		key  []byte                  // the key Take opens with
		at   string                  // the store key the value is found under
		edit func(raw []byte) []byte // what happened to it in the store
	}{
		{"moved to another key", key, "state:other", func(b []byte) []byte { return b }},
		{"wrong sealing key", newKey(t), "state:a", func(b []byte) []byte { return b }},
		{"ciphertext bit flipped", key, "state:a", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"tag bit flipped", key, "state:a", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }},
		{"nonce bit flipped", key, "state:a", func(b []byte) []byte { b[2] ^= 1; return b }},
		{"unknown version", key, "state:a", func(b []byte) []byte { b[0] = 2; return b }},
		{"truncated", key, "state:a", func(b []byte) []byte { return b[:20] }},
		{"empty", key, "state:a", func(b []byte) []byte { return nil }},
		{"plaintext planted", key, "state:a", func([]byte) []byte { return append([]byte(nil), secretLogin...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := &store.Memory{}
			if err := inner.Put(ctx, tt.at, tt.edit(sealedRaw(t, "state:a")), exp); err != nil {
				t.Fatal(err)
			}
			got, err := newSealed(t, inner, tt.key).Take(ctx, tt.at)
			if !errors.Is(err, store.ErrSealed) {
				t.Fatalf("Take = %q, %v; want ErrSealed", got, err)
			}
			if errors.Is(err, store.ErrNotFound) {
				t.Fatal("ErrSealed matches ErrNotFound: a fault would pass for an unknown state")
			}
			if inner.Len() != 0 {
				t.Fatal("the refused value is still in the store")
			}
		})
	}

	t.Run("the untouched value opens", func(t *testing.T) {
		inner := &store.Memory{}
		if err := inner.Put(ctx, "state:a", sealedRaw(t, "state:a"), exp); err != nil {
			t.Fatal(err)
		}
		got, err := newSealed(t, inner, key).Take(ctx, "state:a")
		if err != nil || !bytes.Equal(got, secretLogin) {
			t.Fatalf("Take = %q, %v; want the login", got, err)
		}
	})
}

// The inner store's errors come through unchanged, so callers branch on
// them as on any store.
func TestSealedPassesErrors(t *testing.T) {
	ctx := context.Background()
	s := newSealed(t, &store.Memory{MaxEntries: 1}, newKey(t))
	exp := time.Now().Add(time.Minute)
	if err := s.Put(ctx, "a", []byte("1"), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a", []byte("2"), exp); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Put on a present key: err = %v, want ErrExists", err)
	}
	if err := s.Put(ctx, "b", []byte("2"), exp); !errors.Is(err, store.ErrFull) {
		t.Fatalf("Put past MaxEntries: err = %v, want ErrFull", err)
	}
	if _, err := s.Take(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Take of a missing key: err = %v, want ErrNotFound", err)
	}
}

func TestNewSealedKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := store.NewSealed(&store.Memory{}, make([]byte, n)); err == nil {
			t.Errorf("NewSealed accepted a %d-byte key", n)
		}
	}
	var s store.Sealed // no Store, no AEAD: an error, not a panic
	if err := s.Put(context.Background(), "k", nil, time.Now().Add(time.Minute)); err == nil {
		t.Error("a Sealed without AEAD stored a value")
	}
	if _, err := s.Take(context.Background(), "k"); err == nil {
		t.Error("a Sealed without AEAD took a value")
	}
}

func ExampleNewSealed() {
	key := make([]byte, store.SealKeySize) // in production: 32 random bytes shared by all instances
	inner := &store.Memory{}               // in production: a store outside the process, such as Redis
	s, err := store.NewSealed(inner, key)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_ = s.Put(ctx, "state:1", []byte(`{"verifier":"secret"}`), time.Now().Add(time.Minute))

	v, err := s.Take(ctx, "state:1")
	fmt.Printf("%s %v\n", v, err)
	_, err = s.Take(ctx, "state:1")
	fmt.Println(err)
	// Output:
	// {"verifier":"secret"} <nil>
	// store: not found
}

type pingStore struct {
	store.Store
	err error
}

func (p pingStore) Ping(context.Context) error { return p.err }

type readyStore struct {
	store.Store
	err error
}

func (r readyStore) Ready(context.Context) error { return r.err }

// A readiness probe sees the inner store's health through the seal.
func TestSealedPing(t *testing.T) {
	ctx := context.Background()
	down := errors.New("inner store down")
	for _, tt := range []struct {
		inner store.Store
		want  error
	}{
		{pingStore{&store.Memory{}, down}, down},
		{readyStore{&store.Memory{}, down}, down},
		{pingStore{&store.Memory{}, nil}, nil},
		{&store.Memory{}, nil},
	} {
		if err := newSealed(t, tt.inner, newKey(t)).Ping(ctx); err != tt.want {
			t.Errorf("Ping around %T = %v, want %v", tt.inner, err, tt.want)
		}
	}
}
