package store

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store kept in process memory. The zero value is ready to use.
// Expired entries are dropped lazily, and at most every SweepEvery puts by a
// full sweep, so memory stays bounded by the number of live logins.
type Memory struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxEntries bounds the number of live entries (0 means 1,000,000);
	// a Put beyond it fails, so a flood of login starts cannot exhaust memory.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]memoryEntry
	puts    int
}

type memoryEntry struct {
	value     []byte
	expiresAt time.Time
}

// ErrFull reports a Put refused because the store is at MaxEntries.
var ErrFull = errorString("store: full")

type errorString string

func (e errorString) Error() string { return string(e) }

const sweepEvery = 1024

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
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[string]memoryEntry)
	}
	m.puts++
	if m.puts%sweepEvery == 0 {
		for k, e := range m.entries {
			if !now.Before(e.expiresAt) {
				delete(m.entries, k)
			}
		}
	}
	if e, ok := m.entries[key]; ok && now.Before(e.expiresAt) {
		return ErrExists
	}
	limit := m.MaxEntries
	if limit <= 0 {
		limit = 1_000_000
	}
	if len(m.entries) >= limit {
		return ErrFull
	}
	m.entries[key] = memoryEntry{value: append([]byte(nil), value...), expiresAt: expiresAt}
	return nil
}

// Take implements Store.
func (m *Memory) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return nil, ErrNotFound
	}
	delete(m.entries, key)
	if !now.Before(e.expiresAt) {
		return nil, ErrNotFound
	}
	return e.value, nil
}
