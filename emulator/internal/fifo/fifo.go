// Package fifo is the bounded map the emulators keep pending pages, codes
// and request URIs in: when full, a new entry evicts the oldest, so bounded
// memory never locks anyone out. A flood can only push out older entries,
// whose owner starts again; the next login always works. Entries of one map
// have nearly the same lifetime, so insertion order is close to expiry
// order and Prune stops at the first live entry. A Map is not safe for
// concurrent use; its owner guards it.
package fifo

import (
	"container/list"
	"time"
)

// Map is a bounded map whose entries are dropped oldest first: when it is
// full, Put evicts the oldest entry to make room, so a new entry is always
// accepted.
type Map[V any] struct {
	max   int
	items map[string]*list.Element // key → element holding a *entry[V]
	order *list.List               // oldest first
}

type entry[V any] struct {
	key     string
	val     V
	expires time.Time
}

// New returns an empty Map of at most max entries.
func New[V any](max int) *Map[V] {
	return &Map[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

// Put stores v under key until expires, first dropping expired entries and,
// if the map is still full, the oldest ones. It returns the values of live
// entries it evicted to make room (callers that must not forget, such as
// the replay cache, act on them).
func (m *Map[V]) Put(key string, v V, now, expires time.Time) (evicted []V) {
	m.Prune(now)
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	for m.order.Len() >= m.max {
		el := m.order.Front()
		if e := el.Value.(*entry[V]); now.Before(e.expires) {
			evicted = append(evicted, e.val)
		}
		m.remove(el)
	}
	m.items[key] = m.order.PushBack(&entry[V]{key: key, val: v, expires: expires})
	return evicted
}

// Get returns the value under key, expired or not (the caller checks its
// own expiry, to tell an expired entry from an unknown one).
func (m *Map[V]) Get(key string) (V, bool) {
	el, ok := m.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	return el.Value.(*entry[V]).val, true
}

// Live reports whether key is present and not expired at now.
func (m *Map[V]) Live(key string, now time.Time) bool {
	el, ok := m.items[key]
	return ok && now.Before(el.Value.(*entry[V]).expires)
}

// Delete removes key, if present.
func (m *Map[V]) Delete(key string) {
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
}

// Len returns the number of entries, expired ones included.
func (m *Map[V]) Len() int { return m.order.Len() }

// Prune drops the expired entries at the front.
func (m *Map[V]) Prune(now time.Time) {
	for el := m.order.Front(); el != nil && !now.Before(el.Value.(*entry[V]).expires); el = m.order.Front() {
		m.remove(el)
	}
}

func (m *Map[V]) remove(el *list.Element) {
	delete(m.items, el.Value.(*entry[V]).key)
	m.order.Remove(el)
}
