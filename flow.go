package idconnect

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/idconnect/idconnect/store"
)

// Default lifetimes.
const (
	DefaultLoginTTL = 10 * time.Minute
	// DefaultCodeTTL bounds the time between the callback and the code's
	// redemption (the seed's callback page forwards at once).
	DefaultCodeTTL = 5 * time.Minute
)

// expiredGrace is how long an expired login stays recognisable.
const expiredGrace = 5 * time.Minute

// Names of the cookie that binds logins to a browser. Under https it is the
// __Host- form, which browsers accept only when Secure, host-only and with
// Path=/, so that no subdomain or plain-http page can plant one.
const (
	BrowserCookie       = "idconnect_browser"
	SecureBrowserCookie = "__Host-idconnect_browser"
)

// browserMACSize is the length of the MAC that proves a binding cookie was
// minted here.
const browserMACSize = 16

// canonicalBase64 accepts only the one encoding a value has.
var canonicalBase64 = base64.RawURLEncoding.Strict()

// Flow orchestrates logins: it owns state, browser binding, expiry and
// single use, and delegates the protocol to a [Provider]. Set the fields,
// then use it concurrently; do not change them afterwards.
type Flow struct {
	// Providers by name. Required.
	Providers map[string]Provider
	// Store keeps pending logins. Required; use a shared store (Redis) when
	// several instances serve one callback URL.
	Store store.Store
	// LoginTTL is how long a started login may wait for its callback
	// (0 means DefaultLoginTTL).
	LoginTTL time.Duration
	// CodeTTL is how long a code recorded by Callback may wait for Redeem
	// (0 means DefaultCodeTTL).
	CodeTTL time.Duration
	// SecureCookie makes the binding cookie Secure and names it with the
	// __Host- prefix. Set it whenever the public URL (the redirect URI) is
	// https, so that it holds behind a TLS-terminating proxy; it is also
	// in force for any request that arrives over TLS.
	SecureCookie bool
	// CookieKey authenticates the binding cookies this Flow mints (HMAC-
	// SHA256), so that a client cannot choose its own binding. Instances
	// that share a Store must share the key. Nil means a random key made at
	// first use, good for one process.
	CookieKey []byte
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of state and binding secrets; nil means crypto/rand.
	Rand io.Reader

	keyOnce sync.Once
	key     []byte
	keyErr  error
}

// StartOptions override a provider's configured defaults for one login.
// Zero fields keep the provider's defaults.
type StartOptions struct {
	Attributes  []string
	Purpose     string
	RedirectURI string
}

func (f *Flow) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Flow) randomBytes(n int) ([]byte, error) {
	r := f.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("idconnect: reading randomness: %w", err)
	}
	return b, nil
}

func (f *Flow) random(n int) (string, error) {
	b, err := f.randomBytes(n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func ttlOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// BindBrowser returns the browser-binding secret for r, minting one when r
// carries none that this Flow minted, and sets the HttpOnly, SameSite=Lax
// cookie on w. The cookie is set again even when it exists, so that it
// outlives the login starting now.
func (f *Flow) BindBrowser(w http.ResponseWriter, r *http.Request) (string, error) {
	secret := f.BrowserSecret(r)
	if secret == "" {
		var err error
		if secret, err = f.mintBrowser(); err != nil {
			return "", err
		}
	}
	secure := f.secure(r)
	http.SetCookie(w, &http.Cookie{
		Name:     browserCookieName(secure),
		Value:    secret,
		Path:     "/",
		MaxAge:   int(ttlOr(f.LoginTTL, DefaultLoginTTL) / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
	return secret, nil
}

// BrowserSecret returns the binding secret carried by r, or "" when it has
// none, or one this Flow did not mint (a malformed, forged or
// client-chosen value).
func (f *Flow) BrowserSecret(r *http.Request) string {
	c, err := r.Cookie(browserCookieName(f.secure(r)))
	if err != nil {
		return ""
	}
	random, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(random) != 43 || len(mac) != 22 {
		return ""
	}
	// Strict decoding: the last character of unpadded base64 has spare
	// bits, and a lenient decoder would take several spellings of one
	// MAC, so one minted binding would have several values.
	if _, err := canonicalBase64.DecodeString(random); err != nil {
		return ""
	}
	got, err := canonicalBase64.DecodeString(mac)
	if err != nil {
		return ""
	}
	want, err := f.browserMAC(random)
	if err != nil || !hmac.Equal(got, want) {
		return ""
	}
	return c.Value
}

func (f *Flow) secure(r *http.Request) bool { return f.SecureCookie || r.TLS != nil }

func browserCookieName(secure bool) string {
	if secure {
		return SecureBrowserCookie
	}
	return BrowserCookie
}

// mintBrowser makes a binding secret: 32 random bytes and their MAC.
func (f *Flow) mintBrowser() (string, error) {
	random, err := f.random(32)
	if err != nil {
		return "", err
	}
	mac, err := f.browserMAC(random)
	if err != nil {
		return "", err
	}
	return random + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

func (f *Flow) browserMAC(random string) ([]byte, error) {
	key, err := f.cookieKey()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("idconnect browser binding v1\x00"))
	m.Write([]byte(random))
	return m.Sum(nil)[:browserMACSize], nil
}

func (f *Flow) cookieKey() ([]byte, error) {
	if f.CookieKey != nil {
		return f.CookieKey, nil
	}
	f.keyOnce.Do(func() { f.key, f.keyErr = f.randomBytes(32) })
	return f.key, f.keyErr
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Store keys are hashes of the provider, the state (or code) and the
// browser binding: a shared store never holds a usable state or code; a
// request from another browser finds nothing to take, so it cannot spend
// the real browser's login; and a state brought to another provider's
// callback is simply unknown there.
func stateKey(provider, state, browser string) string {
	return "state:" + bindingHash(provider, state, browser)
}

func codeKey(provider, code, browser string) string {
	return "code:" + bindingHash(provider, code, browser)
}

func bindingHash(provider, value, browser string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s|%d:%s|%s", len(provider), provider, len(value), value, browser)
	return hex.EncodeToString(h.Sum(nil))
}

// Start begins a login with the named provider for the browser holding
// browser (from [Flow.BindBrowser]). It returns the stored login and the URL
// to send the browser to.
func (f *Flow) Start(ctx context.Context, provider, browser string, opts StartOptions) (*Login, string, error) {
	p, ok := f.Providers[provider]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownProvider, provider)
	}
	if browser == "" {
		return nil, "", fmt.Errorf("%w: no browser binding", ErrInvalidRequest)
	}
	var state, nonce, verifier, id string
	for _, v := range []struct {
		dst *string
		n   int
	}{{&state, 32}, {&nonce, 32}, {&verifier, 32}, {&id, 16}} {
		var err error
		if *v.dst, err = f.random(v.n); err != nil {
			return nil, "", err
		}
	}
	now := f.now()
	login := &Login{
		ID:          id,
		Provider:    provider,
		State:       state,
		Nonce:       nonce,
		Verifier:    verifier,
		Attributes:  opts.Attributes,
		Purpose:     opts.Purpose,
		RedirectURI: opts.RedirectURI,
		BrowserHash: hashHex(browser),
		CreatedAt:   now,
		ExpiresAt:   now.Add(ttlOr(f.LoginTTL, DefaultLoginTTL)),
	}
	authURL, err := p.AuthURL(ctx, login)
	if err != nil {
		return nil, "", err
	}
	if err := f.put(ctx, stateKey(provider, state, browser), login); err != nil {
		return nil, "", err
	}
	return login, authURL, nil
}

// withoutDefaults returns login as it is stored: without its provider's
// name, which the store key binds already, and without the attributes,
// purpose and redirect URI its provider would give it anyway (see
// [Defaulter]). A redirect URI under the default one's path (the service's
// /callback/{provider} beside the default /callback) keeps only the rest of
// its path, which starts with "/" where a redirect URI cannot. login itself
// is not changed.
func (f *Flow) withoutDefaults(login *Login) *Login {
	stored := *login
	stored.Provider = ""
	d, ok := f.Providers[login.Provider].(Defaulter)
	if !ok {
		return &stored
	}
	def := d.LoginDefaults()
	if len(def.Attributes) > 0 && slices.Equal(login.Attributes, def.Attributes) {
		stored.Attributes = nil
	}
	if login.Purpose == def.Purpose {
		stored.Purpose = ""
	}
	switch {
	case login.RedirectURI == def.RedirectURI:
		stored.RedirectURI = ""
	case def.RedirectURI != "" && strings.HasPrefix(login.RedirectURI, def.RedirectURI+"/"):
		stored.RedirectURI = login.RedirectURI[len(def.RedirectURI):]
	}
	return &stored
}

// withDefaults puts back what [Flow.withoutDefaults] left out of a login
// taken for provider: its provider, and the provider's defaults for its
// empty attributes, purpose and redirect URI, as they were when AuthURL
// filled them.
func (f *Flow) withDefaults(provider string, login *Login) {
	if login.Provider == "" {
		login.Provider = provider
	}
	d, ok := f.Providers[provider].(Defaulter)
	if !ok {
		return
	}
	def := d.LoginDefaults()
	if len(login.Attributes) == 0 {
		login.Attributes = slices.Clone(def.Attributes)
	}
	if login.Purpose == "" {
		login.Purpose = def.Purpose
	}
	if login.RedirectURI == "" || strings.HasPrefix(login.RedirectURI, "/") {
		login.RedirectURI = def.RedirectURI + login.RedirectURI
	}
}

func (f *Flow) put(ctx context.Context, key string, login *Login) error {
	b := encodeLogin(f.withoutDefaults(login))
	// The store keeps the login a little past its expiry so that a late
	// callback is told "expired" rather than "unknown".
	if err := f.Store.Put(ctx, key, b, login.ExpiresAt.Add(expiredGrace)); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("%w: duplicate key", ErrStateUnknown)
		}
		return fmt.Errorf("idconnect: storing login: %w", err)
	}
	return nil
}

// take removes the login under key and checks its expiry and browser.
// A request with no binding at all is told so before the store is touched
// (the usual cause is blocked cookies); a wrong binding finds no login.
func (f *Flow) take(ctx context.Context, key func(provider, value, browser string) string, provider, value, browser string) (*Login, error) {
	if _, ok := f.Providers[provider]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, provider)
	}
	if browser == "" {
		return nil, ErrBrowserMismatch
	}
	b, err := f.Store.Take(ctx, key(provider, value, browser))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrStateUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("idconnect: reading login: %w", err)
	}
	login, err := decodeLogin(b)
	if err != nil {
		return nil, fmt.Errorf("idconnect: decoding login: %w", err)
	}
	f.withDefaults(provider, login)
	if !f.now().Before(login.ExpiresAt) {
		return nil, ErrStateExpired
	}
	// The key already binds the browser; this second check keeps a store
	// that returned the wrong entry from handing over another's login.
	want, _ := hex.DecodeString(login.BrowserHash)
	got := sha256.Sum256([]byte(browser))
	if subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil, ErrBrowserMismatch
	}
	return login, nil
}

// Callback handles the provider's redirect to the named provider's
// callback: it takes the login for cb.State (once: a replay gets
// ErrStateUnknown), checks expiry and the browser binding, reports a
// provider error or denied consent, and records cb.Code (and cb.Issuer) for
// [Flow.Redeem]. The login is consumed whatever the outcome.
func (f *Flow) Callback(ctx context.Context, provider string, cb Callback, browser string) (*Login, error) {
	if cb.State == "" {
		return nil, fmt.Errorf("%w: missing state", ErrInvalidRequest)
	}
	login, err := f.take(ctx, stateKey, provider, cb.State, browser)
	if err != nil {
		return nil, err
	}
	if cb.Error != "" {
		if p, ok := f.Providers[provider].(CallbackErrorer); ok {
			return login, p.CallbackError(login, cb)
		}
		if cb.Error == "access_denied" {
			return login, ErrConsentDenied
		}
		return login, &ProviderError{Provider: login.Provider, Op: "authorise", StatusCode: authoriseErrorStatus(cb.Error), Code: cb.Error, Description: cb.ErrorDescription}
	}
	if cb.Code == "" {
		return login, fmt.Errorf("%w: missing code", ErrInvalidRequest)
	}
	login.CallbackIssuer = cb.Issuer
	login.ExpiresAt = f.now().Add(ttlOr(f.CodeTTL, DefaultCodeTTL))
	if err := f.put(ctx, codeKey(provider, cb.Code, browser), login); err != nil {
		return login, err
	}
	return login, nil
}

// authoriseErrorStatus maps an authorise error code to an HTTP-like status,
// so that ProviderError classifies it: Myinfo reports server trouble as
// "500" and maintenance as "503".
func authoriseErrorStatus(code string) int {
	switch code {
	case "500", "server_error":
		return http.StatusInternalServerError
	case "503", "temporarily_unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// Redeem takes the login recorded for code by [Flow.Callback] (once),
// checks the browser binding again, and exchanges the code with the
// provider.
func (f *Flow) Redeem(ctx context.Context, provider, code, browser string) (*Login, *Result, error) {
	if code == "" {
		return nil, nil, fmt.Errorf("%w: missing code", ErrInvalidRequest)
	}
	login, err := f.take(ctx, codeKey, provider, code, browser)
	if err != nil {
		return nil, nil, err
	}
	res, err := f.Providers[provider].Exchange(ctx, login, Callback{Code: code, State: login.State, Issuer: login.CallbackIssuer})
	if err != nil {
		return login, nil, err
	}
	return login, res, nil
}

// Finish runs [Flow.Callback] and [Flow.Redeem] in one step, for callers
// that handle the provider's redirect and the exchange in one request.
func (f *Flow) Finish(ctx context.Context, provider string, cb Callback, browser string) (*Login, *Result, error) {
	login, err := f.Callback(ctx, provider, cb, browser)
	if err != nil {
		return login, nil, err
	}
	return f.Redeem(ctx, provider, cb.Code, browser)
}

// Provider returns the provider registered under name.
func (f *Flow) Provider(name string) (Provider, bool) {
	p, ok := f.Providers[name]
	return p, ok
}
