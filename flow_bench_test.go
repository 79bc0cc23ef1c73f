package idconnect_test

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/store"
	redisstore "github.com/idconnect/idconnect/store/redis"
	"github.com/idconnect/idconnect/store/redis/redistest"
)

// measuringStore counts the bytes the Flow puts, to report the size of a
// stored login.
type measuringStore struct {
	store.Store
	puts, bytes atomic.Int64
}

func (m *measuringStore) Put(ctx context.Context, key string, value []byte, exp time.Time) error {
	m.puts.Add(1)
	m.bytes.Add(int64(len(key) + len(value)))
	return m.Store.Put(ctx, key, value, exp)
}

// BenchmarkFlow measures the Flow's own work for one login, Start then
// Finish (Callback and Redeem), with each store: in memory, sealed in
// memory, and sealed in a real redis-server, as the service keeps them.
// The provider does nothing, so this is the state handling alone: random
// values, binding hashes, the login's encoding and the store's round
// trips. stored-B/op is the key and value the Flow puts per store write.
func BenchmarkFlow(b *testing.B) {
	sealKey := make([]byte, 32)
	rand.Read(sealKey)
	stores := []struct {
		name string
		make func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return &store.Memory{} }},
		{"sealed", func(b *testing.B) store.Store {
			s, err := store.NewSealed(&store.Memory{}, sealKey)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"redis", func(b *testing.B) store.Store {
			srv := redistest.Start(b)
			client, err := redisstore.NewClient(srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { client.Close() })
			s, err := store.NewSealed(redisstore.New(client, redisstore.Options{Prefix: "bench:"}), sealKey)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			ms := &measuringStore{Store: st.make(b)}
			f := &idconnect.Flow{Providers: map[string]idconnect.Provider{"test": &recordingProvider{}}, Store: ms}
			rec := httptest.NewRecorder()
			browser, err := f.BindBrowser(rec, httptest.NewRequest("GET", "/", nil))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			opts := idconnect.StartOptions{Attributes: []string{"name", "dob", "birthcountry", "nationality", "uinfin", "sex", "regadd"}, Purpose: "idconnect-myinfo-connector"}
			b.ReportAllocs()
			for b.Loop() {
				_, authURL, err := f.Start(ctx, "test", browser, opts)
				if err != nil {
					b.Fatal(err)
				}
				u, _ := url.Parse(authURL)
				cb := idconnect.Callback{Code: "code-" + u.Query().Get("state")[:8], State: u.Query().Get("state")}
				if _, _, err := f.Finish(ctx, "test", cb, browser); err != nil {
					b.Fatal(err)
				}
			}
			if n := ms.puts.Load(); n > 0 {
				b.ReportMetric(float64(ms.bytes.Load())/float64(n), "stored-B/op")
			}
		})
	}
}

// BenchmarkPendingLogin starts logins as the service does (the provider's
// default attributes, purpose and redirect URI) and leaves them waiting in a
// memory store, then reports the live heap each one holds after a
// collection (live-B/login): the store's entry and the encoded login.
// "myinfo-v3" is a Myinfo v3 login, which keeps no nonce or PKCE verifier;
// "oidc" keeps both, as a OneID login does. The process's RSS per pending
// login is over twice that, since the collector lets the heap grow to twice
// the live data (GOGC=100).
func BenchmarkPendingLogin(b *testing.B) {
	defaults := idconnect.LoginDefaults{
		Attributes:  []string{"name", "dob", "birthcountry", "nationality", "uinfin", "sex", "regadd"},
		Purpose:     "idconnect-myinfo-connector",
		RedirectURI: "http://127.0.0.1:3001/callback",
	}
	for _, bc := range []struct {
		name     string
		provider idconnect.Provider
	}{
		{"myinfo-v3", noNonceProvider{&defaultingProvider{defaults: defaults}}},
		{"oidc", &defaultingProvider{defaults: defaults}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := &store.Memory{MaxBytes: 4 << 30}
			f := &idconnect.Flow{Providers: map[string]idconnect.Provider{"test": bc.provider}, Store: m}
			rec := httptest.NewRecorder()
			browser, err := f.BindBrowser(rec, httptest.NewRequest("GET", "/", nil))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			// The service's /login/{provider} asks for /callback/{provider}.
			opts := idconnect.StartOptions{RedirectURI: defaults.RedirectURI + "/myinfo"}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				if _, _, err := f.Start(ctx, "test", browser, opts); err != nil {
					b.Fatal(err)
				}
				n++
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "live-B/login")
			runtime.KeepAlive(m)
		})
	}
}

// noNonceProvider clears the Flow's nonce and verifier in AuthURL, as
// Myinfo v3's client does.
type noNonceProvider struct{ *defaultingProvider }

func (p noNonceProvider) AuthURL(ctx context.Context, l *idconnect.Login) (string, error) {
	l.Nonce, l.Verifier = "", ""
	return p.defaultingProvider.AuthURL(ctx, l)
}
