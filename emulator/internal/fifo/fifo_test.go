package fifo_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/idconnect/idconnect/emulator/internal/fifo"
)

func TestMap(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := fifo.New[int](2)
	m.Put("a", 1, now, now.Add(time.Minute))
	m.Put("b", 2, now, now.Add(time.Minute))
	if ev := m.Put("c", 3, now, now.Add(time.Minute)); len(ev) != 1 || ev[0] != 1 {
		t.Fatalf("evicted %v, want the oldest live value [1]", ev)
	}
	if _, ok := m.Get("a"); ok || m.Len() != 2 {
		t.Fatalf("a kept or wrong length %d", m.Len())
	}
	if v, ok := m.Get("c"); !ok || v != 3 || !m.Live("c", now) || m.Live("c", now.Add(time.Minute)) {
		t.Fatal("c not kept until its expiry")
	}
	m.Delete("b")
	if m.Len() != 1 {
		t.Fatalf("Len after Delete = %d", m.Len())
	}
	// Expired entries leave before live ones are evicted, and are not
	// reported as evicted.
	if ev := m.Put("d", 4, now.Add(2*time.Minute), now.Add(3*time.Minute)); len(ev) != 0 || m.Len() != 1 {
		t.Fatalf("Put after expiry evicted %v, Len %d", ev, m.Len())
	}
	// A flood never refuses a new entry and never grows past the bound.
	for i := range 1000 {
		m.Put(strconv.Itoa(i), i, now, now.Add(time.Hour))
	}
	if m.Len() != 2 {
		t.Fatalf("Len after a flood = %d, want the bound 2", m.Len())
	}
	m.Prune(now.Add(2 * time.Hour))
	if m.Len() != 0 {
		t.Fatalf("Prune left %d", m.Len())
	}
}
