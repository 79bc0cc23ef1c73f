package singpass

import (
	"container/list"
	"time"
)

// fifo is a bounded map whose entries are dropped oldest first (the idea of
// emulator/myinfo's fifo, copied so the emulators stay independent): when
// it is full, put evicts the oldest entry to make room, so a new entry is
// always accepted. Bounded memory therefore never locks anyone out: a flood
// can only push out older entries, whose owner starts again; the next login
// always works. Entries of one map have nearly the same lifetime, so
// insertion order is close to expiry order and prune stops at the first
// live entry (a later expired entry waits until it reaches the front). A
// fifo is not safe for concurrent use; the Server guards its fifos with its
// mutex.
type fifo[V any] struct {
	max   int
	items map[string]*list.Element // key → element holding a *fifoEntry[V]
	order *list.List               // oldest first
}

type fifoEntry[V any] struct {
	key     string
	val     V
	expires time.Time
}

func newFIFO[V any](max int) *fifo[V] {
	return &fifo[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// put stores v under key until expires, first dropping expired entries and,
// if the map is still full, the oldest ones. It returns the values of live
// entries it evicted to make room (callers that must not forget, such as
// the replay cache, act on them).
func (m *fifo[V]) put(key string, v V, now, expires time.Time) (evicted []V) {
	m.prune(now)
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	for m.order.Len() >= m.max {
		el := m.order.Front()
		if e := el.Value.(*fifoEntry[V]); now.Before(e.expires) {
			evicted = append(evicted, e.val)
		}
		m.remove(el)
	}
	m.items[key] = m.order.PushBack(&fifoEntry[V]{key: key, val: v, expires: expires})
	return evicted
}

// get returns the value under key, expired or not (the caller checks its
// own expiry, to tell an expired entry from an unknown one).
func (m *fifo[V]) get(key string) (V, bool) {
	el, ok := m.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	return el.Value.(*fifoEntry[V]).val, true
}

// delete removes key, if present.
func (m *fifo[V]) delete(key string) {
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
}

// len returns the number of entries, expired ones included.
func (m *fifo[V]) len() int { return m.order.Len() }

// prune drops the expired entries at the front.
func (m *fifo[V]) prune(now time.Time) {
	for el := m.order.Front(); el != nil && !now.Before(el.Value.(*fifoEntry[V]).expires); el = m.order.Front() {
		m.remove(el)
	}
}

func (m *fifo[V]) remove(el *list.Element) {
	delete(m.items, el.Value.(*fifoEntry[V]).key)
	m.order.Remove(el)
}

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
	seen  *fifo[int64] // key → iat (Unix seconds)
	floor int64        // tokens with iat ≤ floor are refused; math.MinInt64 until the first eviction
}

// replayResult is the outcome of replayCache.add.
type replayResult int

const (
	replayFresh    replayResult = iota // recorded
	replayRepeated                     // the key was seen before
	replayTooOld                       // iat at or below the floor
)

func newReplayCache(max int) *replayCache {
	return &replayCache{seen: newFIFO[int64](max), floor: -1 << 63}
}

// add records key (with the token's iat) until until.
func (c *replayCache) add(key string, iat int64, now, until time.Time) replayResult {
	if iat <= c.floor {
		return replayTooOld
	}
	if exp, ok := c.seen.items[key]; ok && now.Before(exp.Value.(*fifoEntry[int64]).expires) {
		return replayRepeated
	}
	for _, old := range c.seen.put(key, iat, now, until) {
		c.floor = max(c.floor, old)
	}
	return replayFresh
}
