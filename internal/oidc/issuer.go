package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"

	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
)

// Defaults of an Issuer's zero fields.
const (
	// DefaultMaxAge is how long discovery and the JWKS are cached.
	// Singpass asks clients to cache discovery for at least an hour.
	DefaultMaxAge = time.Hour
	// DefaultMinRefetch is the least time between two JWKS fetches caused
	// by unknown kids.
	DefaultMinRefetch = 30 * time.Second
	// DefaultMaxKeys caps the number of keys read from a JWKS.
	DefaultMaxKeys = 64
)

// ErrUnknownKey: no key of the provider's JWKS has the JWS's kid, even
// after a refetch. It wraps idconnect.ErrSignature.
var ErrUnknownKey = fmt.Errorf("%w: no provider key with that kid", idconnect.ErrSignature)

// Metadata is the part of a discovery document the providers use.
type Metadata struct {
	Issuer                             string `json:"issuer"`
	AuthorizationEndpoint              string `json:"authorization_endpoint"`
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	TokenEndpoint                      string `json:"token_endpoint"`
	UserinfoEndpoint                   string `json:"userinfo_endpoint"`
	JWKSURI                            string `json:"jwks_uri"`
	// AuthorizationResponseIssParameterSupported: the provider puts iss on
	// its redirects (RFC 9207), so a callback without one is refused.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// Issuer is one OpenID provider, known by its issuer identifier. Set the
// fields before first use and do not copy it afterwards. It is safe for
// concurrent use.
type Issuer struct {
	// URL is the issuer identifier; discovery's "issuer" must equal it
	// byte for byte.
	URL string
	// Caller sends the requests.
	Caller *Caller
	// Now returns the current time (nil: time.Now). It ages the caches.
	Now func() time.Time
	// MaxAge is how long discovery and the JWKS are cached (0:
	// DefaultMaxAge).
	MaxAge time.Duration
	// MinRefetch is the least time between JWKS fetches caused by an
	// unknown kid (0: DefaultMinRefetch).
	MinRefetch time.Duration
	// MaxKeys caps the keys read from a JWKS (0: DefaultMaxKeys).
	MaxKeys int

	mu        sync.Mutex
	meta      *Metadata
	metaAt    time.Time
	keys      []jose.JSONWebKey
	keysAt    time.Time // when keys were fetched
	lastFetch time.Time // when a JWKS fetch last started
	metaOnce  flight
	keysOnce  flight
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

func (i *Issuer) maxAge() time.Duration {
	if i.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return i.MaxAge
}

func (i *Issuer) provider() string {
	if i.Caller == nil || i.Caller.Provider == "" {
		return "oidc"
	}
	return i.Caller.Provider
}

// DiscoveryURL is where the issuer's discovery document lives.
func (i *Issuer) DiscoveryURL() string {
	return strings.TrimSuffix(i.URL, "/") + "/.well-known/openid-configuration"
}

// Metadata returns the discovery document, fetching it when the cache is
// empty or older than MaxAge.
func (i *Issuer) Metadata(ctx context.Context) (*Metadata, error) {
	i.mu.Lock()
	if m := i.meta; m != nil && i.now().Sub(i.metaAt) < i.maxAge() {
		i.mu.Unlock()
		return m, nil
	}
	i.mu.Unlock()
	err := i.metaOnce.do(ctx, func() error {
		var m Metadata
		if err := i.Caller.GetJSON(ctx, i.DiscoveryURL(), OpDiscovery, &m); err != nil {
			return err
		}
		if err := i.checkMetadata(&m); err != nil {
			return err
		}
		i.mu.Lock()
		i.meta, i.metaAt = &m, i.now()
		i.mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, i.ctxErr(OpDiscovery, err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.meta == nil {
		return nil, fmt.Errorf("%s: %s: %w", i.provider(), OpDiscovery, idconnect.ErrProviderUnavailable)
	}
	return i.meta, nil
}

func (i *Issuer) checkMetadata(m *Metadata) error {
	bad := func(what string) error {
		return fmt.Errorf("%s: %s: %w: %s", i.provider(), OpDiscovery, idconnect.ErrMalformed, what)
	}
	if m.Issuer != i.URL {
		return bad("issuer is not the configured issuer")
	}
	insecureOK := strings.HasPrefix(i.URL, "http://")
	for _, e := range []struct{ name, v string }{
		{"authorization_endpoint", m.AuthorizationEndpoint},
		{"pushed_authorization_request_endpoint", m.PushedAuthorizationRequestEndpoint},
		{"token_endpoint", m.TokenEndpoint},
		{"userinfo_endpoint", m.UserinfoEndpoint},
		{"jwks_uri", m.JWKSURI},
	} {
		if e.v == "" {
			if e.name == "jwks_uri" {
				return bad("no jwks_uri")
			}
			continue
		}
		u, err := url.Parse(e.v)
		if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil ||
			!(u.Scheme == "https" || u.Scheme == "http" && insecureOK) {
			return bad(e.name + " is not an absolute https URL")
		}
	}
	return nil
}

// VerifyJWS verifies a compact JWS signed by the provider with one of algs
// (the caller's allowlist, never discovery's) and returns its payload. The
// key is the JWKS key named by the JWS's kid, or, with no kid, each
// signing key in turn. An unknown kid causes one JWKS refetch (rate
// limited), unless the unverified payload names another issuer.
func (i *Issuer) VerifyJWS(ctx context.Context, compact string, algs []jose.SignatureAlgorithm) ([]byte, error) {
	sigErr := func(what string) error {
		return fmt.Errorf("%s: %w: %s", i.provider(), idconnect.ErrSignature, what)
	}
	kid, err := jwx.KeyID(compact)
	if err != nil {
		return nil, sigErr("refused JWS header")
	}
	// The unverified payload is read for its iss only when the kid is
	// unknown: a known kid is the common case, and the payload (a whole
	// userinfo) is parsed again once verified.
	keys, err := i.keysFor(ctx, kid, func() bool { return i.claimsIssuer(compact) == i.URL })
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseSignedCompact(compact, algs)
	if err != nil || len(obj.Signatures) != 1 {
		return nil, sigErr("algorithm outside the allowlist, or not one compact JWS")
	}
	alg := obj.Signatures[0].Header.Algorithm
	tried := 0
	for _, k := range keys {
		// A key bound to an algorithm verifies that algorithm only: an RSA
		// key published for PS256 must not accept an RS256 signature,
		// though the mathematics would allow it.
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		tried++
		// obj was parsed under the caller's allowlist after jwx.KeyID
		// applied the header rules, and alg is the one this key is bound to
		// (or any of the allowlist's): verifying obj itself saves parsing
		// the JWS again for every key.
		if payload, err := obj.Verify(k.Key); err == nil {
			return payload, nil
		}
	}
	if tried == 0 {
		return nil, sigErr("algorithm " + alg + " is not the one the provider's key is published for")
	}
	return nil, sigErr("signature does not verify")
}

// claimsIssuer reads the unverified iss of a JWS payload ("" if none).
func (i *Issuer) claimsIssuer(compact string) string {
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.Issuer
}

// keysFor returns the signing keys for kid ("" means all of them).
func (i *Issuer) keysFor(ctx context.Context, kid string, mayRefetch func() bool) ([]jose.JSONWebKey, error) {
	i.mu.Lock()
	now := i.now()
	fresh := len(i.keys) > 0 && now.Sub(i.keysAt) < i.maxAge()
	found := pick(i.keys, kid)
	minRefetch := i.MinRefetch
	if minRefetch <= 0 {
		minRefetch = DefaultMinRefetch
	}
	// A stale or empty cache is always refreshed; a fresh one only for an
	// unknown kid, and at most once per minRefetch (decided inside the
	// flight, so that callers arriving during a fetch wait for it).
	i.mu.Unlock()
	if fresh && len(found) > 0 {
		return found, nil
	}
	if !fresh || mayRefetch() {
		err := i.keysOnce.do(ctx, func() error {
			i.mu.Lock()
			now := i.now()
			fresh := len(i.keys) > 0 && now.Sub(i.keysAt) < i.maxAge()
			skip := fresh && (len(pick(i.keys, kid)) > 0 || now.Sub(i.lastFetch) < minRefetch)
			i.mu.Unlock()
			if skip {
				return nil
			}
			return i.fetchKeys(ctx)
		})
		if err != nil {
			return nil, i.ctxErr(OpJWKS, err)
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if found = pick(i.keys, kid); len(found) == 0 {
		return nil, fmt.Errorf("%s: %w", i.provider(), ErrUnknownKey)
	}
	return found, nil
}

func (i *Issuer) fetchKeys(ctx context.Context) error {
	i.mu.Lock()
	i.lastFetch = i.now()
	i.mu.Unlock()
	m, err := i.Metadata(ctx)
	if err != nil {
		return err
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := i.Caller.GetJSON(ctx, m.JWKSURI, OpJWKS, &doc); err != nil {
		return err
	}
	max := i.MaxKeys
	if max <= 0 {
		max = DefaultMaxKeys
	}
	if len(doc.Keys) > max {
		return fmt.Errorf("%s: %s: %w: more than %d keys", i.provider(), OpJWKS, idconnect.ErrMalformed, max)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil {
			continue // a key type we do not know is not one we verify with
		}
		if !k.IsPublic() || k.Use == "enc" || !signingKey(k.Key) {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s: %s: %w: no usable signing key", i.provider(), OpJWKS, idconnect.ErrMalformed)
	}
	i.mu.Lock()
	i.keys, i.keysAt = keys, i.now()
	i.mu.Unlock()
	return nil
}

// ctxErr classifies a waiter's own context error like a transport error.
func (i *Issuer) ctxErr(op string, err error) error {
	if err == context.DeadlineExceeded {
		return fmt.Errorf("%s: %s: %w", i.provider(), op, idconnect.ErrProviderTimeout)
	}
	return err
}

func signingKey(k any) bool {
	switch k.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

func pick(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	for _, k := range keys {
		if k.KeyID == kid {
			return []jose.JSONWebKey{k}
		}
	}
	return nil
}

// flight collapses concurrent calls of one function into one: callers
// arriving while it runs wait for its result.
type flight struct {
	mu sync.Mutex
	c  *call
}

type call struct {
	done chan struct{}
	err  error
}

func (f *flight) do(ctx context.Context, fn func() error) error {
	f.mu.Lock()
	if c := f.c; c != nil {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	f.c = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.c = nil
		f.mu.Unlock()
		close(c.done)
	}()
	c.err = fn()
	return c.err
}
