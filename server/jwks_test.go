package server

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestJWKSAt: the published set follows the server's clock, so a key set
// whose rotation times pass changes what is served without a restart.
func TestJWKSAt(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	takeover := now.Add(time.Hour)
	ts := newTestServer(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.JWKSAt = func(at time.Time) ([]byte, error) {
			if at.Before(takeover) {
				return []byte(`{"keys":["before"]}`), nil
			}
			return []byte(`{"keys":["after"]}`), nil
		}
	})
	if rec := ts.do("GET", "/.well-known/jwks.json", "", nil); rec.Code != http.StatusOK || rec.Body.String() != `{"keys":["before"]}` {
		t.Fatalf("before the takeover: %d %s", rec.Code, rec.Body)
	}
	now = takeover
	if rec := ts.do("GET", "/.well-known/jwks.json", "", nil); rec.Code != http.StatusOK || rec.Body.String() != `{"keys":["after"]}` {
		t.Fatalf("at the takeover: %d %s", rec.Code, rec.Body)
	}
	broken := newTestServer(t, func(c *Config) {
		c.JWKSAt = func(time.Time) ([]byte, error) { return nil, errors.New("empty set") }
	})
	if rec := broken.do("GET", "/.well-known/jwks.json", "", nil); rec.Code != http.StatusInternalServerError {
		t.Fatalf("a failing set: %d %s", rec.Code, rec.Body)
	}
}
