package keyset

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// jwksServer serves h over TLS on loopback and returns a Checker that
// trusts its certificate and allows loopback, as only tests may.
func jwksServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, Checker) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv, Checker{Transport: srv.Client().Transport, AllowLoopback: true}
}

func serveBody(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(body)
	}
}

// has reports whether one problem's What contains want.
func has(probs []Problem, want string) bool {
	for _, p := range probs {
		if strings.Contains(p.What, want) && p.Why != "" {
			return true
		}
	}
	return false
}

func TestCheckPublished(t *testing.T) {
	s := mustGenerate(t)
	good, _ := s.PublicJSON()
	private, _ := s.MarshalPrivate()
	var onlySig struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(good, &onlySig)
	onlySig.Keys = onlySig.Keys[:1]
	sigOnly, _ := json.Marshal(onlySig)

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    []string // substrings of the problems, all of them
	}{
		{"good", serveBody(good), nil},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere/jwks.json", http.StatusFound)
		}, []string{`HTTP 302 redirect to "/elsewhere/jwks.json"`}},
		// The slow servers never answer: the checker gives up at its
		// Timeout, shortened in the loop below to keep the test quick.
		{"slow answer", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, []string{"no answer within"}},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(good[:10])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, []string{"no answer within"}},
		{"private parts", serveBody(private), []string{`key 0 (kid "` + s.Keys()[0].KeyID + `"): has a private part ("d")`, `key 1 (kid "` + s.Keys()[1].KeyID + `"): has a private part ("d")`}},
		{"no enc key", serveBody(sigOnly), []string{"no EC encryption key"}},
		{"not found", http.NotFound, []string{"HTTP 404"}},
		{"HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>"))
		}, []string{`Content-Type "text/html"`, "not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := jwksServer(t, tt.handler)
			if strings.HasPrefix(tt.name, "slow") {
				// Only the servers that never answer get a short wait; the
				// others keep FetchTimeout, room for a loaded machine.
				c.Timeout = 300 * time.Millisecond
			}
			probs, err := c.Check(context.Background(), srv.URL+"/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !has(probs, w) {
					t.Errorf("no problem %q in %v", w, probs)
				}
			}
			if len(probs) != len(tt.want) {
				t.Errorf("%d problems, want %d: %v", len(probs), len(tt.want), probs)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	privateHost := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("10.1.2.3")}, nil
	}
	for _, tt := range []struct {
		name, url string
		c         Checker
		want      []string
	}{
		{"loopback without the test switch", "https://127.0.0.1/.well-known/jwks.json", Checker{}, []string{"not a public address"}},
		{"localhost", "https://localhost/jwks", Checker{Resolve: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("::1")}, nil
		}}, []string{"resolves to ::1"}},
		{"a private address among public ones", "https://rp.example/jwks", Checker{Resolve: privateHost}, []string{"resolves to 10.1.2.3"}},
		{"http and another port", "http://10.0.0.1:8080/jwks", Checker{}, []string{"the URL is http", "port 8080", "not a public address"}},
		{"not a URL", "jwks.json", Checker{}, []string{"not an absolute"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			probs, err := tt.c.Check(context.Background(), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !has(probs, w) {
					t.Errorf("no problem %q in %v", w, probs)
				}
			}
			if len(probs) != len(tt.want) {
				t.Errorf("%d problems, want %d: %v", len(probs), len(tt.want), probs)
			}
		})
	}
}

func TestCheckJWKS(t *testing.T) {
	s := mustGenerate(t)
	pub := s.Public().Keys
	sigKey, _ := pub[0].MarshalJSON()
	encKey, _ := pub[1].MarshalJSON()
	edit := func(raw []byte, f func(m map[string]any)) map[string]any {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		f(m)
		return m
	}
	set := func(keys ...any) []byte {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return b
	}
	raw := func(b []byte) any { return json.RawMessage(b) }
	for _, tt := range []struct {
		name string
		body []byte
		want []string
	}{
		{"good", set(raw(sigKey), raw(encKey)), nil},
		{"repeated kid", set(raw(sigKey), edit(encKey, func(m map[string]any) { m["kid"] = pub[0].KeyID })), []string{"repeats the kid of key 0"}},
		{"no kid", set(edit(sigKey, func(m map[string]any) { delete(m, "kid") }), raw(encKey)), []string{"has no kid"}},
		{"enc alg", set(raw(sigKey), edit(encKey, func(m map[string]any) { m["alg"] = "RSA-OAEP" })), []string{`encryption key with alg "RSA-OAEP"`}},
		{"no use", set(raw(sigKey), raw(encKey), edit(encKey, func(m map[string]any) { delete(m, "use"); m["kid"] = "third" })), []string{`use ""`}},
		{"off the curve", set(raw(sigKey), edit(encKey, func(m map[string]any) { m["y"] = m["x"] })), []string{"not a valid EC key"}},
		{"RSA and no sig", set(map[string]any{"kty": "RSA", "kid": "r", "use": "sig", "n": "AQAB", "e": "AQAB"}, raw(encKey)), []string{`kty "RSA"`, "no EC signing key"}},
		{"symmetric secret", set(raw(sigKey), raw(encKey), map[string]any{"kty": "oct", "kid": "s", "use": "sig", "k": "c2VjcmV0"}), []string{`has a private part ("k")`, `kty "oct"`}},
		{"not a set", []byte(`[1,2]`), []string{"not a JSON object"}},
		{"capital D", set(raw(sigKey), raw(encKey), edit(encKey, func(m map[string]any) { m["D"] = "AAAA"; m["kid"] = "third" })), []string{`has a private part ("D")`}},
		{"Keys, not keys", []byte(`{"Keys":[` + string(sigKey) + `,` + string(encKey) + `]}`), []string{"not a JSON object"}},
		{"empty", []byte(`{"keys":[]}`), []string{"no EC signing key", "no EC encryption key"}},
	} {
		probs := CheckJWKS(tt.body)
		for _, w := range tt.want {
			if !has(probs, w) {
				t.Errorf("%s: no problem %q in %v", tt.name, w, probs)
			}
		}
		if len(probs) != len(tt.want) {
			t.Errorf("%s: %d problems, want %d: %v", tt.name, len(probs), len(tt.want), probs)
		}
	}
}
