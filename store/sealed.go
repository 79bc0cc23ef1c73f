package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"
)

// SealKeySize is the size of the key NewSealed takes: an AES-256 key.
const SealKeySize = 32

// ErrSealed reports a value that does not open: it was sealed under another
// key (instances configured with different sealing keys), altered, or
// moved from the key it was stored under. The value has been taken all the
// same, so it is gone: refusing it is the point. It does not match
// ErrNotFound, because it means a fault to fix (configuration, or someone
// writing to the store), not a state that is merely unknown.
var ErrSealed = errors.New("store: sealed value does not open (wrong sealing key, or the value was altered or moved)")

// sealVersion is the first byte of every sealed value, so that the format
// can change without misreading old values.
const sealVersion = 1

// Sealed is a Store that keeps values sealed in the Store it wraps: what
// the inner store holds reveals nothing of them and cannot be changed or
// moved undetected. Use it around any store outside the process (Redis),
// since pending logins carry secrets (the PKCE verifier, the DPoP private
// key) and results carry personal data.
//
// A sealed value is a version byte, a random nonce and the AEAD's
// ciphertext and tag. The store key is the additional data, so a value
// copied to another key does not open there. With AES-GCM's 96-bit random
// nonces, rotate the key well before 2^32 values have been sealed under it.
//
// Instances that share the inner store must share the key. Sealed is safe
// for concurrent use if the inner Store is.
type Sealed struct {
	// Store holds the sealed values. Required.
	Store Store
	// AEAD seals and opens them. Required; NewSealed makes AES-256-GCM.
	AEAD cipher.AEAD
	// Rand is the source of nonces; nil means crypto/rand.
	Rand io.Reader
}

var _ Store = (*Sealed)(nil)

// NewSealed returns s sealed with AES-256-GCM under key, which must be
// SealKeySize random bytes.
func NewSealed(s Store, key []byte) (*Sealed, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("store: a sealing key must be %d bytes, not %d", SealKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: sealing key: %w", err)
	}
	return &Sealed{Store: s, AEAD: aead}, nil
}

// Put implements Store: it seals value, bound to key, and puts it.
func (s *Sealed) Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	ns := s.AEAD.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(value)+s.AEAD.Overhead())
	out[0] = sealVersion
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, out[1:]); err != nil {
		return fmt.Errorf("store: sealing: reading a nonce: %w", err)
	}
	out = s.AEAD.Seal(out, out[1:], value, []byte(key))
	return s.Store.Put(ctx, key, out, expiresAt)
}

// Take implements Store: it takes the value under key and opens it. A
// value that does not open is refused with ErrSealed.
func (s *Sealed) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	b, err := s.Store.Take(ctx, key)
	if err != nil {
		return nil, err
	}
	ns := s.AEAD.NonceSize()
	if len(b) < 1+ns+s.AEAD.Overhead() || b[0] != sealVersion {
		return nil, ErrSealed
	}
	plain, err := s.AEAD.Open(nil, b[1:1+ns], b[1+ns:], []byte(key))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

func (s *Sealed) check() error {
	if s.Store == nil || s.AEAD == nil {
		return errors.New("store: Sealed needs a Store and an AEAD")
	}
	return nil
}

// Ping lets a readiness probe see through the seal: it asks the inner
// store's Ping(ctx) error or Ready(ctx) error method, as store/redis has,
// and reports nil for a store with neither (Memory is always ready).
func (s *Sealed) Ping(ctx context.Context) error {
	switch in := s.Store.(type) {
	case interface{ Ping(context.Context) error }:
		return in.Ping(ctx)
	case interface{ Ready(context.Context) error }:
		return in.Ready(ctx)
	}
	return nil
}
