// Package redislimit is a [ratelimit.Limiter] kept in Redis, so that every
// instance of the service draws on one budget per client: a flood spread
// over several instances is limited as if it reached one.
//
// Its semantics are those of [ratelimit.TokenBucket]: each key may make
// Burst requests at once, then one every Every. Each bucket is a Redis hash
// (tokens, time of last update) that one Lua script reads, refills, spends
// and writes back, so concurrent requests from any number of instances
// never spend a token twice. A bucket expires once it would have refilled,
// since a missing bucket is a full one: Redis holds only the clients that
// are being limited, each for at most Burst × Every.
//
// Time comes from Redis (the TIME command), the one clock all instances
// share, unless [Limiter.Now] is set. Keys are hashed (SHA-256) before they
// reach Redis, so client addresses are not stored there.
//
// The script needs Redis 4.0 or later; the pending-login store beside it
// (store/redis) needs 6.2.
package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/ratelimit"
)

// DefaultPrefix is put before every bucket's key of a Limiter whose Prefix
// is empty.
const DefaultPrefix = "idconnect:ratelimit:"

// Limiter is a token bucket per key, shared through Redis. Set Client;
// the other fields' zero values mean the defaults of ratelimit.TokenBucket.
// It is safe for concurrent use; do not change its fields once in use.
type Limiter struct {
	// Client is the Redis connection, such as one from store/redis's
	// NewClient. Required.
	Client goredis.Scripter
	// Prefix is put before every bucket's key (empty means DefaultPrefix).
	// Instances that enforce one limit must use the same Prefix, Burst and
	// Every.
	Prefix string
	// Burst is how many requests a key may make at once (0 means
	// ratelimit.DefaultBurst).
	Burst int
	// Every is how often a key gets a request back (0 means
	// ratelimit.DefaultEvery). It is counted in microseconds.
	Every time.Duration
	// Now, when set, replaces Redis's clock. Every instance that shares
	// the buckets must then share the clock too; it is meant for tests,
	// which drive one fake clock.
	Now func() time.Time
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// bucketScript spends one token of the bucket KEYS[1] if it has one.
//
//	ARGV[1] burst, ARGV[2] every (µs), ARGV[3] now (µs), or "" for Redis's TIME
//	returns {1, 0} when allowed, {0, µs until a token is back} when not
//
// Numbers given to redis.call are written with full double precision, so
// the fractional tokens survive the round trip. A missing bucket is full;
// the bucket expires once it would be full again.
var bucketScript = goredis.NewScript(`
local burst = tonumber(ARGV[1])
local every = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[3])
end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens, last = tonumber(b[1]), tonumber(b[2])
if tokens == nil or last == nil then
  tokens, last = burst, now
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) / every)
  last = now
end
local allowed, wait = 0, 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) * every)
else
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'last', last)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * every / 1000) + 1)
return {allowed, wait}
`)

// Allow implements ratelimit.Limiter. It returns a *ratelimit.LimitError
// when key is over its rate, and another error when Redis could not be
// asked (the caller chooses whether to fail open or closed).
func (l *Limiter) Allow(ctx context.Context, key string) error {
	if l.Client == nil {
		return errors.New("ratelimit/redislimit: Limiter has no Client")
	}
	burst, every := l.Burst, l.Every
	if burst <= 0 {
		burst = ratelimit.DefaultBurst
	}
	if every <= 0 {
		every = ratelimit.DefaultEvery
	}
	everyUS := max(every.Microseconds(), 1)
	now := ""
	if l.Now != nil {
		now = fmt.Sprint(l.Now().UnixMicro())
	}
	prefix := l.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	sum := sha256.Sum256([]byte(key))
	res, err := bucketScript.Run(ctx, l.Client, []string{prefix + hex.EncodeToString(sum[:16])},
		burst, everyUS, now).Int64Slice()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("ratelimit/redislimit: %w: %w", cerr, err)
		}
		if strings.HasPrefix(err.Error(), "OOM ") {
			// Redis at maxmemory: the same answer as a full store (BUSY).
			return fmt.Errorf("ratelimit/redislimit: %w: %w", store.ErrFull, err)
		}
		return fmt.Errorf("ratelimit/redislimit: %w: %w", store.ErrUnavailable, err)
	}
	if len(res) != 2 {
		return fmt.Errorf("ratelimit/redislimit: the script answered %d values, want 2", len(res))
	}
	if res[0] == 1 {
		return nil
	}
	return &ratelimit.LimitError{RetryAfter: time.Duration(res[1]) * time.Microsecond}
}
