package myinfo

import (
	"container/list"
	"time"
)

// fifo is a bounded map whose entries are dropped oldest first: when it is
// full, put evicts the oldest entry to make room, so a new entry is always
// accepted. Bounded memory therefore never locks anyone out: a flood of page
// loads or codes can only push out the flood's own older entries, or, once
// more than the bound arrive within one lifetime, a real user's entry, who
// then starts again; the next login always works. Entries share one lifetime
// per map, so insertion order is expiry order and prune stops at the first
// live entry. A fifo is not safe for concurrent use; the Server guards its
// fifos with its mutex.
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
// if the map is still full, the oldest ones.
func (m *fifo[V]) put(key string, v V, now, expires time.Time) {
	m.prune(now)
	if el, ok := m.items[key]; ok {
		m.order.Remove(el)
		delete(m.items, key)
	}
	for m.order.Len() >= m.max {
		m.remove(m.order.Front())
	}
	m.items[key] = m.order.PushBack(&fifoEntry[V]{key: key, val: v, expires: expires})
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
