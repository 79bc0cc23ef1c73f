package store

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"math"
	"sync"
	"time"
)

// DefaultMaxBytes is the memory budget of a Memory store whose MaxBytes is
// zero: about 200,000 pending logins of the Myinfo v3 size.
const DefaultMaxBytes = 256 << 20

// entryOverhead approximates what one entry costs beyond its key hash and value:
// the map slot, the expiry-queue item and the allocation headers. It makes
// MaxBytes a budget of memory, not of payload.
const entryOverhead = 160

// sweepBatch bounds how many expired entries one Put or Take removes, so
// that expiry never stops the world: a queue of a million entries is
// drained a little on every call, not all at once.
const sweepBatch = 16

// fullSweepBatch bounds the extra sweep a Put makes before it reports
// ErrFull.
const fullSweepBatch = 1024

// Memory is a Store kept in process memory. The zero value is ready to use.
//
// Memory is bounded by a byte budget (MaxBytes) and optionally by a count
// (MaxEntries); a Put beyond either fails with ErrFull rather than growing.
// Expired entries leave through a queue ordered by expiry, a few on every
// call, so no single call pays for a full sweep.
type Memory struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxBytes bounds the memory held by live entries, counting keys,
	// values and a fixed per-entry overhead (0 means DefaultMaxBytes).
	MaxBytes int64
	// MaxEntries bounds the number of live entries (0 means no bound other
	// than MaxBytes).
	MaxEntries int

	mu      sync.Mutex
	entries map[memoryKey]memoryEntry
	bytes   int64
	expiry  expiryQueue
}

// memoryKey is the SHA-256 of a key. The map and the expiry queue hold it
// inline, so a key costs no allocation of its own and every entry's slot
// has one size whatever its key; a pending login is then a single
// allocation (its value) beside its share of the map's and queue's arrays.
type memoryKey [sha256.Size]byte

func keyOf(key string) memoryKey { return sha256.Sum256([]byte(key)) }

// memoryEntry is one value and its expiry in Unix nanoseconds (an int64
// rather than a time.Time, and a string rather than a slice: 24 bytes less
// in every map slot and queue item, which are most of an entry's
// overhead).
type memoryEntry struct {
	value     string
	expiresAt int64
}

func entryCost(value int) int64 {
	return int64(sha256.Size + value + entryOverhead)
}

// unixNano is t in Unix nanoseconds, saturated to the int64 range (years
// 1678 to 2262) so that a far-off expiry stays far off.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// ErrFull reports a Put refused because the store is at its budget.
var ErrFull = errorString("store: full")

type errorString string

func (e errorString) Error() string { return string(e) }

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := unixNano(m.now())
	exp := unixNano(expiresAt)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[memoryKey]memoryEntry)
	}
	k := keyOf(key)
	m.sweep(now, sweepBatch)
	if e, ok := m.entries[k]; ok {
		if now < e.expiresAt {
			return ErrExists
		}
		m.remove(k, e)
	}
	cost := entryCost(len(value))
	if m.full(cost) {
		// Expired entries may still wait in the queue: drain more of them
		// (still a bounded amount) before refusing.
		m.sweep(now, fullSweepBatch)
		if m.full(cost) {
			return ErrFull
		}
	}
	m.entries[k] = memoryEntry{value: string(value), expiresAt: exp}
	m.bytes += cost
	heap.Push(&m.expiry, expiryItem{key: k, expiresAt: exp})
	return nil
}

// Take implements Store.
func (m *Memory) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := unixNano(m.now())
	k := keyOf(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now, sweepBatch)
	e, ok := m.entries[k]
	if !ok {
		return nil, ErrNotFound
	}
	m.remove(k, e)
	if now >= e.expiresAt {
		return nil, ErrNotFound
	}
	return []byte(e.value), nil
}

// Len reports the number of entries held, expired ones not yet swept
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// full reports whether an entry of cost would exceed the budget.
func (m *Memory) full(cost int64) bool {
	maxBytes := m.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return m.bytes+cost > maxBytes || m.MaxEntries > 0 && len(m.entries) >= m.MaxEntries
}

func (m *Memory) remove(k memoryKey, e memoryEntry) {
	delete(m.entries, k)
	m.bytes -= entryCost(len(e.value))
}

// sweep removes up to limit entries that expired by now, earliest first.
// Queue items of entries already taken (or replaced) are dropped on the
// way without counting against limit beyond the queue's own length.
func (m *Memory) sweep(now int64, limit int) {
	for range limit {
		if m.expiry.Len() == 0 || now < m.expiry[0].expiresAt {
			return
		}
		it := heap.Pop(&m.expiry).(expiryItem)
		if e, ok := m.entries[it.key]; ok && e.expiresAt == it.expiresAt {
			m.remove(it.key, e)
		}
	}
}

// expiryItem is one entry's place in the expiry queue. An item outlives a
// taken entry until its own expiry; sweep recognises and drops it then.
type expiryItem struct {
	expiresAt int64 // Unix nanoseconds
	key       memoryKey
}

// expiryQueue is a min-heap of expiry times (container/heap).
type expiryQueue []expiryItem

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].expiresAt < q[j].expiresAt }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(expiryItem)) }
func (q *expiryQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = expiryItem{}
	*q = old[:len(old)-1]
	return it
}
