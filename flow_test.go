package idconnect_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/store"
)

// recordingProvider is a Provider whose Exchange records what it was given.
// Flow tests are about state handling; provider protocols are tested with
// real cryptography in their own packages.
type recordingProvider struct {
	exchanges atomic.Int32
}

func (p *recordingProvider) Name() string { return "test" }

func (p *recordingProvider) AuthURL(_ context.Context, l *idconnect.Login) (string, error) {
	if l.RedirectURI == "" {
		l.RedirectURI = "https://rp.example/callback"
	}
	return "https://idp.example/authorise?state=" + url.QueryEscape(l.State), nil
}

func (p *recordingProvider) Exchange(_ context.Context, l *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	p.exchanges.Add(1)
	return &idconnect.Result{Provider: "test", Subject: "sub-" + cb.Code}, nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newFlow(t *testing.T) (*idconnect.Flow, *recordingProvider, *clock) {
	t.Helper()
	p := &recordingProvider{}
	c := &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	return &idconnect.Flow{
		Providers: map[string]idconnect.Provider{"test": p},
		Store:     &store.Memory{Now: c.Now},
		Now:       c.Now,
	}, p, c
}

// browser mints a binding secret the way the server does.
func browser(t *testing.T, f *idconnect.Flow) string {
	t.Helper()
	rec := httptest.NewRecorder()
	secret, err := f.BindBrowser(rec, httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestFlowHappyPath(t *testing.T) {
	f, p, _ := newFlow(t)
	ctx := context.Background()
	b := browser(t, f)
	login, authURL, err := f.Start(ctx, "test", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(login.State) != 43 {
		t.Errorf("state %q is not 32 random bytes in base64url", login.State)
	}
	if !strings.Contains(authURL, url.QueryEscape(login.State)) {
		t.Errorf("auth URL %q lacks the state", authURL)
	}
	if _, err := f.Callback(ctx, idconnect.Callback{Code: "c1", State: login.State}, b); err != nil {
		t.Fatalf("Callback: %v", err)
	}
	_, res, err := f.Redeem(ctx, "c1", b)
	if err != nil {
		t.Fatalf("Redeem: %v", err)
	}
	if res.Subject != "sub-c1" || p.exchanges.Load() != 1 {
		t.Errorf("result %+v after %d exchanges", res, p.exchanges.Load())
	}
}

func TestFlowRefusals(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error
		want error
	}{
		{"replayed state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c2", State: state}, b)
			return err
		}, idconnect.ErrStateUnknown},
		{"unknown state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state + "x"}, b)
			return err
		}, idconnect.ErrStateUnknown},
		{"expired state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			c.Add(idconnect.DefaultLoginTTL + time.Second)
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b)
			return err
		}, idconnect.ErrStateExpired},
		{"other browser at callback", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, browser(t, f))
			return err
		}, idconnect.ErrBrowserMismatch},
		{"no browser at callback", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, "")
			return err
		}, idconnect.ErrBrowserMismatch},
		{"consent denied", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, idconnect.Callback{Error: "access_denied", State: state}, b)
			return err
		}, idconnect.ErrConsentDenied},
		{"provider error at authorise", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, idconnect.Callback{Error: "503", State: state}, b)
			return err
		}, idconnect.ErrProviderUnavailable},
		{"replayed code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.Redeem(ctx, "c", b); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.Redeem(ctx, "c", b)
			return err
		}, idconnect.ErrStateUnknown},
		{"code from another browser", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.Redeem(ctx, "c", browser(t, f))
			return err
		}, idconnect.ErrBrowserMismatch},
		{"unknown code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, _, err := f.Redeem(ctx, "never-issued", b)
			return err
		}, idconnect.ErrStateUnknown},
		{"expired code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			c.Add(idconnect.DefaultCodeTTL + time.Second)
			_, _, err := f.Redeem(ctx, "c", b)
			return err
		}, idconnect.ErrStateExpired},
		{"long-expired state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			c.Add(time.Hour)
			_, err := f.Callback(ctx, idconnect.Callback{Code: "c", State: state}, b)
			return err
		}, idconnect.ErrStateUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p, c := newFlow(t)
			b := browser(t, f)
			login, _, err := f.Start(ctx, "test", b, idconnect.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.run(t, f, c, b, login.State)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.name != "replayed code" && p.exchanges.Load() != 0 {
				t.Errorf("provider was called %d times on a refused login", p.exchanges.Load())
			}
		})
	}
}

// A login past its TTL is refused by the Flow's own check, not only by the
// store's: the store keeps an expired login a little longer (so that a late
// callback hears "expired"), and a shared store may run on a clock of its own.
// The store here shares the test's one fake clock.
func TestFlowChecksExpiryItself(t *testing.T) {
	f, p, c := newFlow(t)
	b := browser(t, f)
	login, _, err := f.Start(context.Background(), "test", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(idconnect.DefaultLoginTTL + time.Second) // past the TTL, inside the store's grace
	_, err = f.Callback(context.Background(), idconnect.Callback{Code: "c", State: login.State}, b)
	if !errors.Is(err, idconnect.ErrStateExpired) {
		t.Fatalf("err = %v, want ErrStateExpired", err)
	}
	if p.exchanges.Load() != 0 {
		t.Errorf("provider called for an expired login")
	}
}

func TestFlowConcurrentCallbacksOneWins(t *testing.T) {
	f, _, _ := newFlow(t)
	b := browser(t, f)
	login, _, err := f.Start(context.Background(), "test", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.Callback(context.Background(), idconnect.Callback{Code: "c" + string(rune('a'+i)), State: login.State}, b); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d callbacks succeeded, want 1", wins.Load())
	}
}

func TestBindBrowserCookie(t *testing.T) {
	f, _, _ := newFlow(t)
	rec := httptest.NewRecorder()
	secret, err := f.BindBrowser(rec, httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies", len(cookies))
	}
	c := cookies[0]
	if c.Name != idconnect.BrowserCookie || c.Value != secret || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie %+v is not an HttpOnly SameSite=Lax binding cookie", c)
	}
	// A request that carries the cookie keeps it.
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(c)
	rec2 := httptest.NewRecorder()
	again, err := f.BindBrowser(rec2, req)
	if err != nil || again != secret {
		t.Errorf("BindBrowser with cookie = %q, %v; want the same secret", again, err)
	}
	if got := rec2.Result().Cookies(); len(got) != 1 || got[0].Value != secret || got[0].MaxAge <= 0 {
		t.Errorf("cookie not refreshed with the same value: %+v", got)
	}
	// Over TLS the cookie is Secure.
	tlsReq := httptest.NewRequest("GET", "https://rp.example/", nil)
	rec3 := httptest.NewRecorder()
	if _, err := f.BindBrowser(rec3, tlsReq); err != nil {
		t.Fatal(err)
	}
	if !rec3.Result().Cookies()[0].Secure {
		t.Error("cookie set over TLS is not Secure")
	}
}

func TestStartUnknownProvider(t *testing.T) {
	f, _, _ := newFlow(t)
	if _, _, err := f.Start(context.Background(), "nope", browser(t, f), idconnect.StartOptions{}); !errors.Is(err, idconnect.ErrUnknownProvider) {
		t.Fatalf("err = %v", err)
	}
}
