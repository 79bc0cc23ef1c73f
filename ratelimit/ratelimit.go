// Package ratelimit bounds how fast one client may start logins, so that a
// flood from one address cannot fill the pending-login store and lock out
// everyone else. [Limiter] is the interface the service uses; [TokenBucket]
// is the in-process implementation. A shared implementation (Redis) lets
// several instances enforce one limit.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrLimited reports a request refused because its client is over its
// rate. The error returned by a Limiter is a *LimitError that matches it.
var ErrLimited = errors.New("ratelimit: too many requests")

// LimitError is a refusal with the time after which a retry can succeed.
type LimitError struct {
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: retry after %s", ErrLimited, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrLimited) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimited }

// Limiter decides whether the client identified by key may go ahead with one
// more request. It returns nil when it may, a *LimitError when it may not,
// and any other error when the limiter itself failed.
type Limiter interface {
	Allow(ctx context.Context, key string) error
}

// Defaults of a TokenBucket whose fields are zero: a person who starts a
// login, goes back and starts again a few times never notices; a script
// holds at most Burst + TTL/Every pending logins (about 170 in the default
// 15 minutes a login may be kept).
const (
	DefaultBurst   = 20
	DefaultEvery   = 6 * time.Second
	DefaultMaxKeys = 100_000
)

// TokenBucket is a per-key token bucket kept in process memory: each key
// may make Burst requests at once and then one every Every. The zero value
// uses the defaults above. It is safe for concurrent use.
//
// Its memory is bounded by MaxKeys. When full, it forgets buckets that have
// refilled (they hold no information), and failing that an arbitrary one:
// under a flood from more addresses than MaxKeys a forgotten client gets a
// fresh burst, which the store's own budget still bounds.
type TokenBucket struct {
	Burst   int
	Every   time.Duration
	MaxKeys int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

var _ Limiter = (*TokenBucket)(nil)

// Allow implements Limiter.
func (l *TokenBucket) Allow(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	burst, every := float64(l.burst()), l.every()
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+float64(elapsed)/float64(every))
		b.last = now
	}
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(every))
		return &LimitError{RetryAfter: wait}
	}
	b.tokens--
	return nil
}

// makeRoom ensures a new bucket fits under MaxKeys.
func (l *TokenBucket) makeRoom(now time.Time) {
	if l.buckets == nil {
		l.buckets = make(map[string]*bucket)
	}
	maxKeys := l.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if len(l.buckets) < maxKeys {
		return
	}
	refill := time.Duration(l.burst()) * l.every()
	for k, b := range l.buckets {
		if now.Sub(b.last) >= refill {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < maxKeys {
			break
		}
		delete(l.buckets, k)
	}
}

func (l *TokenBucket) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return DefaultBurst
}

func (l *TokenBucket) every() time.Duration {
	if l.Every > 0 {
		return l.Every
	}
	return DefaultEvery
}

func (l *TokenBucket) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
