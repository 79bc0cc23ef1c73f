// Package store keeps pending logins between the redirect to a provider and
// the provider's callback. A Store is a small key-value map whose only read
// is an atomic, single-use Take: that is what makes every state and code
// usable once. Memory is the in-process implementation; package
// store/storetest is the conformance suite every implementation must pass.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound reports a key that is absent, already taken or expired.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable reports a store that could not be reached or failed (a
// shared store's server down, say): nothing was stored or taken, and the
// same call may succeed later.
var ErrUnavailable = errors.New("store: unavailable")

// ErrExists reports a Put on a key that is already present.
var ErrExists = errors.New("store: key exists")

// Store holds opaque values under string keys until they expire.
// Implementations must be safe for concurrent use, and Take must be atomic:
// of any number of concurrent Takes of one key, at most one succeeds.
type Store interface {
	// Put stores value under key until expiresAt. It fails with ErrExists
	// if the key is present and not yet expired.
	Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error
	// Take returns the value under key and removes it in the same step.
	// It fails with ErrNotFound if the key is absent or expired.
	Take(ctx context.Context, key string) ([]byte, error)
}
