package idconnect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// BrowserCookie is the name of the cookie that binds logins to a browser.
const BrowserCookie = "idconnect_browser"

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
	// SecureCookie forces the Secure attribute on the binding cookie. It is
	// also set whenever the request came over TLS.
	SecureCookie bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of state and binding secrets; nil means crypto/rand.
	Rand io.Reader
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

func (f *Flow) random(n int) (string, error) {
	r := f.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("idconnect: reading randomness: %w", err)
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
// carries none, and sets the HttpOnly, SameSite=Lax cookie on w. The cookie
// is set again even when it exists, so that it outlives the login starting
// now.
func (f *Flow) BindBrowser(w http.ResponseWriter, r *http.Request) (string, error) {
	secret := BrowserSecret(r)
	if secret == "" {
		var err error
		if secret, err = f.random(32); err != nil {
			return "", err
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name:     BrowserCookie,
		Value:    secret,
		Path:     "/",
		MaxAge:   int(ttlOr(f.LoginTTL, DefaultLoginTTL) / time.Second),
		HttpOnly: true,
		Secure:   f.SecureCookie || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	return secret, nil
}

// BrowserSecret returns the binding secret carried by r, or "" when it has
// none or the cookie is malformed.
func BrowserSecret(r *http.Request) string {
	c, err := r.Cookie(BrowserCookie)
	if err != nil || len(c.Value) != 43 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Keys are hashes so that a shared store never holds a usable state or code.
func stateKey(state string) string { return "state:" + hashHex(state) }
func codeKey(code string) string   { return "code:" + hashHex(code) }

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
	state, err := f.random(32)
	if err != nil {
		return nil, "", err
	}
	id, err := f.random(16)
	if err != nil {
		return nil, "", err
	}
	now := f.now()
	login := &Login{
		ID:          id,
		Provider:    p.Name(),
		State:       state,
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
	if err := f.put(ctx, stateKey(state), login); err != nil {
		return nil, "", err
	}
	return login, authURL, nil
}

func (f *Flow) put(ctx context.Context, key string, login *Login) error {
	b, err := json.Marshal(login)
	if err != nil {
		return fmt.Errorf("idconnect: encoding login: %w", err)
	}
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
func (f *Flow) take(ctx context.Context, key, browser string) (*Login, error) {
	b, err := f.Store.Take(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrStateUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("idconnect: reading login: %w", err)
	}
	var login Login
	if err := json.Unmarshal(b, &login); err != nil {
		return nil, fmt.Errorf("idconnect: decoding login: %w", err)
	}
	if !f.now().Before(login.ExpiresAt) {
		return nil, ErrStateExpired
	}
	want, _ := hex.DecodeString(login.BrowserHash)
	got := sha256.Sum256([]byte(browser))
	if browser == "" || subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil, ErrBrowserMismatch
	}
	return &login, nil
}

// Callback handles the provider's redirect: it takes the login for
// cb.State (once: a replay gets ErrStateUnknown), checks expiry and the
// browser binding, reports a provider error or denied consent, and records
// cb.Code for [Flow.Redeem]. The login is consumed whatever the outcome.
func (f *Flow) Callback(ctx context.Context, cb Callback, browser string) (*Login, error) {
	if cb.State == "" {
		return nil, fmt.Errorf("%w: missing state", ErrInvalidRequest)
	}
	login, err := f.take(ctx, stateKey(cb.State), browser)
	if err != nil {
		return nil, err
	}
	if cb.Error != "" {
		if cb.Error == "access_denied" {
			return login, ErrConsentDenied
		}
		return login, &ProviderError{Provider: login.Provider, Op: "authorise", StatusCode: authoriseErrorStatus(cb.Error), Code: cb.Error, Description: cb.ErrorDescription}
	}
	if cb.Code == "" {
		return login, fmt.Errorf("%w: missing code", ErrInvalidRequest)
	}
	login.ExpiresAt = f.now().Add(ttlOr(f.CodeTTL, DefaultCodeTTL))
	if err := f.put(ctx, codeKey(cb.Code), login); err != nil {
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
func (f *Flow) Redeem(ctx context.Context, code, browser string) (*Login, *Result, error) {
	if code == "" {
		return nil, nil, fmt.Errorf("%w: missing code", ErrInvalidRequest)
	}
	login, err := f.take(ctx, codeKey(code), browser)
	if err != nil {
		return nil, nil, err
	}
	p, ok := f.Providers[login.Provider]
	if !ok {
		return login, nil, fmt.Errorf("%w: %q", ErrUnknownProvider, login.Provider)
	}
	res, err := p.Exchange(ctx, login, Callback{Code: code, State: login.State})
	if err != nil {
		return login, nil, err
	}
	return login, res, nil
}

// Finish runs [Flow.Callback] and [Flow.Redeem] in one step, for callers
// that handle the provider's redirect and the exchange in one request.
func (f *Flow) Finish(ctx context.Context, cb Callback, browser string) (*Login, *Result, error) {
	login, err := f.Callback(ctx, cb, browser)
	if err != nil {
		return login, nil, err
	}
	return f.Redeem(ctx, cb.Code, browser)
}
