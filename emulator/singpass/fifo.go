package singpass

import (
	"time"

	"github.com/idconnect/idconnect/emulator/internal/fifo"
)

// replayCache remembers the jti of every accepted client assertion and DPoP
// proof for as long as the token could be accepted again. It is bounded and
// never locks anyone out, and never lets a replay through: when full it
// forgets the oldest jti, and from then on refuses every token issued at or
// before that jti's iat (floor), since it can no longer tell whether such a
// token is a replay. A fresh token (iat now) is always above the floor
// unless more than the bound arrived within the same second. Only requests
// that already proved a key (a client assertion whose signature verified, a
// DPoP proof sent with an authenticated request) are remembered, so a
// stranger cannot fill it.
type replayCache struct {
	seen  *fifo.Map[int64] // key → iat (Unix seconds)
	floor int64            // tokens with iat ≤ floor are refused; math.MinInt64 until the first eviction
}

// replayResult is the outcome of replayCache.add.
type replayResult int

const (
	replayFresh    replayResult = iota // recorded
	replayRepeated                     // the key was seen before
	replayTooOld                       // iat at or below the floor
)

func newReplayCache(max int) *replayCache {
	return &replayCache{seen: fifo.New[int64](max), floor: -1 << 63}
}

// add records key (with the token's iat) until until.
func (c *replayCache) add(key string, iat int64, now, until time.Time) replayResult {
	if iat <= c.floor {
		return replayTooOld
	}
	if c.seen.Live(key, now) {
		return replayRepeated
	}
	for _, old := range c.seen.Put(key, iat, now, until) {
		c.floor = max(c.floor, old)
	}
	return replayFresh
}
