package idconnect_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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
	c := &clock{now: time.Unix(1_700_000_000, 0)} // the test's one clock: Flow and store read it
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
	if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c1", State: login.State}, b); err != nil {
		t.Fatalf("Callback: %v", err)
	}
	_, res, err := f.Redeem(ctx, "test", "c1", b)
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
			if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c2", State: state}, b)
			return err
		}, idconnect.ErrStateUnknown},
		{"unknown state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state + "x"}, b)
			return err
		}, idconnect.ErrStateUnknown},
		{"expired state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			c.Add(idconnect.DefaultLoginTTL + time.Second)
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b)
			return err
		}, idconnect.ErrStateExpired},
		{"other browser at callback", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, browser(t, f))
			return err
		}, idconnect.ErrStateUnknown},
		{"no browser at callback", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, "")
			return err
		}, idconnect.ErrBrowserMismatch},
		{"consent denied", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, "test", idconnect.Callback{Error: "access_denied", State: state}, b)
			return err
		}, idconnect.ErrConsentDenied},
		{"provider error at authorise", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, err := f.Callback(ctx, "test", idconnect.Callback{Error: "503", State: state}, b)
			return err
		}, idconnect.ErrProviderUnavailable},
		{"replayed code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.Redeem(ctx, "test", "c", b); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.Redeem(ctx, "test", "c", b)
			return err
		}, idconnect.ErrStateUnknown},
		{"code from another browser", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.Redeem(ctx, "test", "c", browser(t, f))
			return err
		}, idconnect.ErrStateUnknown},
		{"unknown code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			_, _, err := f.Redeem(ctx, "test", "never-issued", b)
			return err
		}, idconnect.ErrStateUnknown},
		{"expired code", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b); err != nil {
				t.Fatal(err)
			}
			c.Add(idconnect.DefaultCodeTTL + time.Second)
			_, _, err := f.Redeem(ctx, "test", "c", b)
			return err
		}, idconnect.ErrStateExpired},
		{"long-expired state", func(t *testing.T, f *idconnect.Flow, c *clock, b, state string) error {
			c.Add(time.Hour)
			_, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: state}, b)
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
	_, err = f.Callback(context.Background(), "test", idconnect.Callback{Code: "c", State: login.State}, b)
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
			if _, err := f.Callback(context.Background(), "test", idconnect.Callback{Code: "c" + string(rune('a'+i)), State: login.State}, b); err == nil {
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
	if c.Name != idconnect.BrowserCookie || c.Value != secret || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
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
}

// Under https (the request over TLS, or SecureCookie for a TLS-terminating
// proxy) the cookie is Secure and carries the __Host- prefix, and only that
// name is read.
func TestBindBrowserSecure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secure bool
		url    string
	}{
		{"over TLS", false, "https://rp.example/"},
		{"behind a TLS proxy", true, "http://rp.example/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := newFlow(t)
			f.SecureCookie = tc.secure
			rec := httptest.NewRecorder()
			secret, err := f.BindBrowser(rec, httptest.NewRequest("GET", tc.url, nil))
			if err != nil {
				t.Fatal(err)
			}
			c := rec.Result().Cookies()[0]
			if c.Name != idconnect.SecureBrowserCookie || !c.Secure || c.Path != "/" || c.Domain != "" {
				t.Fatalf("cookie %+v: want a Secure, host-only __Host- cookie", c)
			}
			req := httptest.NewRequest("GET", tc.url, nil)
			req.AddCookie(c)
			if got := f.BrowserSecret(req); got != secret {
				t.Errorf("BrowserSecret = %q, want the minted secret", got)
			}
			plain := httptest.NewRequest("GET", tc.url, nil)
			plain.AddCookie(&http.Cookie{Name: idconnect.BrowserCookie, Value: secret})
			if got := f.BrowserSecret(plain); got != "" {
				t.Errorf("the plain-named cookie was accepted under https")
			}
		})
	}
}

// A client cannot choose its binding: only values this Flow minted (with
// its key) are read back, and anything else is replaced by a fresh one.
func TestBrowserSecretRefusesUnminted(t *testing.T) {
	f, _, _ := newFlow(t)
	minted := browser(t, f)
	other := &idconnect.Flow{Providers: f.Providers, Store: f.Store} // another key
	foreign := browser(t, other)
	random, _, _ := strings.Cut(minted, ".")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, minted[len(minted)-1])
	respelled := minted[:len(minted)-1] + string(alphabet[last|1]) // same MAC bytes, spare bits set
	flipped := "A" + minted[1:]
	if minted[0] == 'A' {
		flipped = "B" + minted[1:]
	}
	for _, tc := range []struct{ name, value string }{
		{"chosen by the client", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"minted by another key", foreign},
		{"MAC of another value", flipped},
		{"MAC spelled with spare bits set", respelled},
		{"no MAC", random},
		{"truncated MAC", minted[:len(minted)-1]},
		{"MAC not base64", random + ".!!!!!!!!!!!!!!!!!!!!!!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: idconnect.BrowserCookie, Value: tc.value})
			if got := f.BrowserSecret(req); got != "" {
				t.Fatalf("BrowserSecret accepted %q", tc.value)
			}
			rec := httptest.NewRecorder()
			got, err := f.BindBrowser(rec, req)
			if err != nil {
				t.Fatal(err)
			}
			if got == tc.value {
				t.Fatal("BindBrowser kept the unminted value")
			}
		})
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: idconnect.BrowserCookie, Value: minted})
	if f.BrowserSecret(req) != minted {
		t.Fatal("a minted value was refused")
	}
}

// A callback or code use from the wrong browser does not spend the real
// browser's login: someone who learned the state or the code cannot spoil it.
func TestWrongBrowserLeavesLoginIntact(t *testing.T) {
	ctx := context.Background()
	f, p, _ := newFlow(t)
	victim, attacker := browser(t, f), browser(t, f)
	login, _, err := f.Start(ctx, "test", victim, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: login.State}, attacker); !errors.Is(err, idconnect.ErrStateUnknown) {
		t.Fatalf("callback from the wrong browser: err = %v, want ErrStateUnknown", err)
	}
	if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: login.State}, victim); err != nil {
		t.Fatalf("the real browser's callback after the wrong one: %v", err)
	}
	if _, _, err := f.Redeem(ctx, "test", "c", attacker); !errors.Is(err, idconnect.ErrStateUnknown) {
		t.Fatalf("code from the wrong browser: err = %v, want ErrStateUnknown", err)
	}
	if _, _, err := f.Redeem(ctx, "test", "c", victim); err != nil {
		t.Fatalf("the real browser's redemption after the wrong one: %v", err)
	}
	if n := p.exchanges.Load(); n != 1 {
		t.Fatalf("provider called %d times, want once", n)
	}
}

func TestStartUnknownProvider(t *testing.T) {
	f, _, _ := newFlow(t)
	if _, _, err := f.Start(context.Background(), "nope", browser(t, f), idconnect.StartOptions{}); !errors.Is(err, idconnect.ErrUnknownProvider) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzBrowserSecret feeds arbitrary cookie values to BrowserSecret: it never
// panics, returns the value itself or nothing, and accepts nothing that a
// client could make up (only values with this Flow's MAC).
func FuzzBrowserSecret(f *testing.F) {
	// Fixed key and randomness, so that every fuzzing process mints the
	// same value.
	flow := &idconnect.Flow{CookieKey: []byte("fuzz-key-fuzz-key-fuzz-key-fuzz!"), Rand: strings.NewReader(strings.Repeat("r", 32))}
	minted, err := flow.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(minted)
	f.Add("")
	f.Add(".")
	f.Add(strings.Repeat("A", 43) + "." + strings.Repeat("A", 22))
	f.Fuzz(func(t *testing.T, value string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", idconnect.BrowserCookie+"="+value)
		got := flow.BrowserSecret(req)
		if got != "" && got != value {
			t.Fatalf("BrowserSecret(%q) = %q", value, got)
		}
		if got != "" && got != minted {
			// Any other accepted value would be a MAC forgery: with a
			// 128-bit MAC the fuzzer cannot find one by chance.
			t.Fatalf("BrowserSecret accepted %q, which this Flow never minted", value)
		}
	})
}

// Every login gets its own nonce and PKCE verifier from the Flow, long
// enough for FAPI (at least 43 characters of base64url), and a state
// brought to another provider's callback is unknown there.
func TestFlowMintsPerLoginSecretsAndKeysByProvider(t *testing.T) {
	ctx := context.Background()
	f, _, _ := newFlow(t)
	other := &recordingProvider{}
	f.Providers["other"] = other
	b := browser(t, f)
	a, _, err := f.Start(ctx, "test", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := f.Start(ctx, "test", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*idconnect.Login{a, c} {
		if len(l.Nonce) != 43 || len(l.Verifier) != 43 || l.Provider != "test" {
			t.Fatalf("login %+v: want 43-character nonce and verifier and provider \"test\"", l)
		}
	}
	if a.Nonce == c.Nonce || a.Verifier == c.Verifier || a.Nonce == a.Verifier || a.State == a.Nonce {
		t.Fatal("per-login secrets repeat")
	}
	if _, err := f.Callback(ctx, "other", idconnect.Callback{Code: "c", State: a.State}, b); !errors.Is(err, idconnect.ErrStateUnknown) {
		t.Fatalf("state at another provider's callback: err = %v, want ErrStateUnknown", err)
	}
	if _, err := f.Callback(ctx, "nope", idconnect.Callback{Code: "c", State: a.State}, b); !errors.Is(err, idconnect.ErrUnknownProvider) {
		t.Fatalf("state at an unknown provider's callback: err = %v, want ErrUnknownProvider", err)
	}
	// Neither refusal spent the login.
	if _, err := f.Callback(ctx, "test", idconnect.Callback{Code: "c", State: a.State, Issuer: "https://idp.example"}, b); err != nil {
		t.Fatalf("the right provider's callback after the wrong ones: %v", err)
	}
	login, _, err := f.Redeem(ctx, "test", "c", b)
	if err != nil {
		t.Fatal(err)
	}
	if login.CallbackIssuer != "https://idp.example" {
		t.Fatalf("CallbackIssuer = %q: the redirect's iss must reach Exchange", login.CallbackIssuer)
	}
}

// errorProvider reads its own error sub-codes from an error callback.
type errorProvider struct{ recordingProvider }

func (p *errorProvider) CallbackError(_ *idconnect.Login, cb idconnect.Callback) error {
	if cb.Extra.Get("sub") == "SessionExpired" {
		return idconnect.ErrStateExpired
	}
	return idconnect.ErrConsentDenied
}

// A provider that implements CallbackErrorer decides what its error
// callbacks mean; the login is spent either way.
func TestFlowAsksProviderAboutErrorCallbacks(t *testing.T) {
	ctx := context.Background()
	f, _, _ := newFlow(t)
	f.Providers["sub"] = &errorProvider{}
	b := browser(t, f)
	login, _, err := f.Start(ctx, "sub", b, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cb := idconnect.Callback{State: login.State, Error: "access_denied", Extra: url.Values{"sub": {"SessionExpired"}}}
	if _, err := f.Callback(ctx, "sub", cb, b); !errors.Is(err, idconnect.ErrStateExpired) {
		t.Fatalf("err = %v, want the provider's reading (ErrStateExpired), not access_denied's", err)
	}
	if _, err := f.Callback(ctx, "sub", cb, b); !errors.Is(err, idconnect.ErrStateUnknown) {
		t.Fatalf("the error callback did not spend the login: %v", err)
	}
}

// defaultingProvider fills a login's empty attributes, purpose and redirect
// URI as Myinfo's client does, tells the Flow so (idconnect.Defaulter), and
// records the login its Exchange is given.
type defaultingProvider struct {
	recordingProvider
	defaults  idconnect.LoginDefaults
	exchanged *idconnect.Login
}

func (p *defaultingProvider) LoginDefaults() idconnect.LoginDefaults { return p.defaults }

func (p *defaultingProvider) AuthURL(_ context.Context, l *idconnect.Login) (string, error) {
	if len(l.Attributes) == 0 {
		l.Attributes = append([]string(nil), p.defaults.Attributes...)
	}
	if l.Purpose == "" {
		l.Purpose = p.defaults.Purpose
	}
	if l.RedirectURI == "" {
		l.RedirectURI = p.defaults.RedirectURI
	}
	return "https://idp.example/authorise?state=" + url.QueryEscape(l.State), nil
}

func (p *defaultingProvider) Exchange(ctx context.Context, l *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	c := *l
	p.exchanged = &c
	return p.recordingProvider.Exchange(ctx, l, cb)
}

// recordingStore keeps a copy of every value put, to show what is stored.
type recordingStore struct {
	store.Store
	mu     sync.Mutex
	values [][]byte
}

func (s *recordingStore) Put(ctx context.Context, key string, value []byte, exp time.Time) error {
	s.mu.Lock()
	s.values = append(s.values, append([]byte(nil), value...))
	s.mu.Unlock()
	return s.Store.Put(ctx, key, value, exp)
}

// notDefaulter is defaultingProvider without its LoginDefaults: the Flow
// stores its logins whole.
type notDefaulter struct{ p *defaultingProvider }

func (n notDefaulter) Name() string { return "test" }
func (n notDefaulter) AuthURL(ctx context.Context, l *idconnect.Login) (string, error) {
	return n.p.AuthURL(ctx, l)
}
func (n notDefaulter) Exchange(ctx context.Context, l *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	return n.p.Exchange(ctx, l, cb)
}

// A login is stored without the attributes, purpose and redirect URI its
// provider gives it by default, a redirect URI under the default one as the
// rest of its path, and without its provider's name; Exchange gets them all
// back. A login's own values are stored and come back as they were.
func TestFlowStoresLoginWithoutProviderDefaults(t *testing.T) {
	defaults := idconnect.LoginDefaults{
		Attributes:  []string{"name", "dob", "birthcountry", "nationality", "uinfin", "sex", "regadd"},
		Purpose:     "idconnect-myinfo-connector",
		RedirectURI: "http://127.0.0.1:3001/callback",
	}
	ctx := context.Background()
	const name = "test/provider" // stored as is, if stored
	for _, tc := range []struct {
		opts  idconnect.StartOptions
		saved int // stored bytes saved by the Defaulter
	}{
		{idconnect.StartOptions{}, 111},
		{idconnect.StartOptions{RedirectURI: defaults.RedirectURI}, 111},
		// The service's /callback/{provider}: the stored login keeps only
		// "/myinfo", which a login stored whole has as well.
		{idconnect.StartOptions{RedirectURI: defaults.RedirectURI + "/myinfo"}, 111},
		{idconnect.StartOptions{Attributes: []string{"uinfin", "name"}, Purpose: "another purpose", RedirectURI: "http://127.0.0.1:3001/callbacks"}, 0},
	} {
		opts := tc.opts
		want := idconnect.LoginDefaults{Attributes: opts.Attributes, Purpose: opts.Purpose, RedirectURI: opts.RedirectURI}
		if opts.Purpose == "" {
			want.Attributes, want.Purpose = defaults.Attributes, defaults.Purpose
		}
		if want.RedirectURI == "" {
			want.RedirectURI = defaults.RedirectURI
		}
		var sizes [2][]int // stored sizes with the Defaulter, and without
		for i, wrap := range []func(*defaultingProvider) idconnect.Provider{
			func(p *defaultingProvider) idconnect.Provider { return p },
			func(p *defaultingProvider) idconnect.Provider { return notDefaulter{p} },
		} {
			f, _, _ := newFlow(t)
			rs := &recordingStore{Store: f.Store}
			p := &defaultingProvider{defaults: defaults}
			f.Store, f.Providers[name] = rs, wrap(p)
			b := browser(t, f)
			started, _, err := f.Start(ctx, name, b, opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.Finish(ctx, name, idconnect.Callback{Code: "c", State: started.State}, b); err != nil {
				t.Fatal(err)
			}
			got := p.exchanged
			if got == nil || got.Provider != name || !slices.Equal(got.Attributes, want.Attributes) || got.Purpose != want.Purpose || got.RedirectURI != want.RedirectURI {
				t.Fatalf("options %+v: Exchange got %+v, want %+v", opts, got, want)
			}
			for _, v := range rs.values {
				if strings.Contains(string(v), name) {
					t.Errorf("options %+v: the stored login names its provider", opts)
				}
				sizes[i] = append(sizes[i], len(v))
			}
		}
		if len(sizes[0]) != 2 || sizes[0][0] != sizes[0][1] {
			t.Fatalf("options %+v: stored sizes %v, want two equal ones (the login, then with its code)", opts, sizes[0])
		}
		// The defaults take 111 bytes when stored (their strings, lengths
		// and tags); a login with its own values stores them all.
		if saved := sizes[1][0] - sizes[0][0]; saved != tc.saved {
			t.Errorf("options %+v: stored %v bytes with the Defaulter, %v without: %d saved, want %d", opts, sizes[0], sizes[1], saved, tc.saved)
		}
	}
}
