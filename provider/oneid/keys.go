package oneid

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/internal/oidc"
)

// signatureAlgorithms is the ID token's allowlist, pinned here and never
// taken from discovery: OneID signs with PS256; RS256 and ES256 are the
// other algorithms an OIDC provider's keys commonly carry.
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.PS256, jose.RS256, jose.ES256}

const (
	minRefetch = 30 * time.Second
	maxKeys    = 64
)

// keySet is OneID's JWKS, cached. Unlike oidc.Issuer.VerifyJWS it binds
// each key to its published algorithm: a key whose JWK says "alg":"PS256"
// never verifies an RS256 signature, although the RSA key could.
//
// It refetches on an unknown kid (at most once per minRefetch, and never
// for a token naming another issuer). Fetches are serialised under mu.
type keySet struct {
	issuer *oidc.Issuer
	caller *oidc.Caller
	now    func() time.Time
	maxAge time.Duration

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	keysAt    time.Time
	lastFetch time.Time
}

// verify checks a compact JWS signed by OneID and returns its payload.
func (s *keySet) verify(ctx context.Context, compact string) ([]byte, error) {
	sigErr := func(what string) error {
		return fmt.Errorf("%s: id_token: %w: %s", s.caller.Provider, idconnect.ErrSignature, what)
	}
	kid, err := jwx.KeyID(compact)
	if err != nil {
		return nil, sigErr("refused JWS header")
	}
	alg, err := headerAlg(compact)
	if err != nil || !slices.Contains(signatureAlgorithms, alg) {
		return nil, sigErr("algorithm not allowed")
	}
	keys, err := s.keysFor(ctx, kid, unverifiedIssuer(compact) == s.issuer.URL)
	if err != nil {
		return nil, err
	}
	published := false
	for _, k := range keys {
		if !keyAllows(k, alg) {
			continue
		}
		published = true
		if payload, err := jwx.Verify(compact, k.Key, []jose.SignatureAlgorithm{alg}); err == nil {
			return payload, nil
		}
	}
	if !published {
		return nil, sigErr("no published key is for the token's algorithm")
	}
	return nil, sigErr("signature does not verify")
}

// keyAllows reports whether k may verify alg: its JWK alg, when given,
// must be alg; without one, the key type decides (RSA: PS256 or RS256;
// P-256: ES256).
func keyAllows(k jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if k.Algorithm != "" {
		return k.Algorithm == string(alg)
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return alg == jose.PS256 || alg == jose.RS256
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && pub.Curve == elliptic.P256()
	}
	return false
}

func headerAlg(compact string) (jose.SignatureAlgorithm, error) {
	seg, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", err
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", err
	}
	return jose.SignatureAlgorithm(h.Alg), nil
}

// unverifiedIssuer reads the iss of a JWS payload before verification, to
// decide whether an unknown kid is worth a refetch.
func unverifiedIssuer(compact string) string {
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

// keysFor returns the keys for kid ("" means all), fetching the JWKS when
// the cache is empty or stale, or (at most once per minRefetch) when kid
// is unknown and mayRefetch.
func (s *keySet) keysFor(ctx context.Context, kid string, mayRefetch bool) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	fresh := len(s.keys) > 0 && now.Sub(s.keysAt) < s.maxAge
	found := pickKeys(s.keys, kid)
	if !fresh || len(found) == 0 && mayRefetch && now.Sub(s.lastFetch) >= minRefetch {
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
		found = pickKeys(s.keys, kid)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: id_token: %w", s.caller.Provider, oidc.ErrUnknownKey)
	}
	return found, nil
}

// fetch reads the JWKS; s.mu is held.
func (s *keySet) fetch(ctx context.Context) error {
	s.lastFetch = s.now()
	m, err := s.issuer.Metadata(ctx)
	if err != nil {
		return err
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := s.caller.GetJSON(ctx, m.JWKSURI, oidc.OpJWKS, &doc); err != nil {
		return err
	}
	if len(doc.Keys) > maxKeys {
		return fmt.Errorf("%s: %s: %w: more than %d keys", s.caller.Provider, oidc.OpJWKS, idconnect.ErrMalformed, maxKeys)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil {
			continue // a key type we do not know is not one we verify with
		}
		if !k.IsPublic() || k.Use == "enc" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s: %s: %w: no usable signing key", s.caller.Provider, oidc.OpJWKS, idconnect.ErrMalformed)
	}
	s.keys, s.keysAt = keys, s.now()
	return nil
}

func pickKeys(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
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
