package singpass

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// authenticateClient checks private_key_jwt client authentication on a
// form sent to endpoint (the PAR or token URL): the assertion's signature
// against the client's JWKS, iss = sub = client_id, aud, the time window
// and jti replay. The jti is remembered only once the signature verified.
func (s *Server) authenticateClient(ctx context.Context, form url.Values, endpoint string) (*client, *oauthError) {
	switch t := form.Get("client_assertion_type"); t {
	case assertionType:
	case "":
		return nil, badClient("client authentication is private_key_jwt: send client_assertion_type=" + assertionType + " and a client_assertion")
	default:
		return nil, badClient("client_assertion_type must be " + assertionType)
	}
	raw := form.Get("client_assertion")
	if raw == "" {
		return nil, badClient("client_assertion is missing: send a JWT signed with your signing key (ES256)")
	}
	a, err := parseClientAssertion(raw)
	if err != nil {
		return nil, badClient(err.Error())
	}
	c := s.clients[a.claims.Iss]
	switch {
	case a.claims.Iss == "":
		return nil, badClient("the client_assertion needs iss, your client_id")
	case c == nil:
		return nil, badClient("unknown client: the client_assertion iss " + quote(a.claims.Iss) + " is not a registered client_id")
	case a.claims.Sub != a.claims.Iss:
		return nil, badClient("the client_assertion sub must equal iss, your client_id " + quote(c.ID))
	}
	if id := form.Get("client_id"); id != "" && id != c.ID {
		return nil, badClient("client_id " + quote(id) + " differs from the client_assertion iss " + quote(c.ID))
	}
	switch {
	case a.hasTyp && !strings.EqualFold(a.typ, "JWT"):
		return nil, badClient(`the client_assertion header typ must be "JWT", not ` + quote(a.typ))
	case !a.hasTyp && s.cfg.RequireAssertionTyp:
		return nil, badClient(`the client_assertion header needs typ "JWT"`)
	}
	if e := s.verifyAssertionSignature(ctx, c, a); e != nil {
		return nil, e
	}

	// Audience.
	okAud := slices.Contains(a.claims.Aud, s.issuer)
	if !okAud && s.cfg.AcceptEndpointAudience {
		okAud = slices.Contains(a.claims.Aud, endpoint)
	}
	if !okAud {
		return nil, badClient("the client_assertion aud must be the issuer " + quote(s.issuer) + " (the issuer field of the discovery document)")
	}

	// Time.
	now := s.now()
	switch {
	case a.claims.Exp == nil:
		return nil, badClient("the client_assertion needs exp")
	case a.claims.Iat == nil:
		return nil, badClient("the client_assertion needs iat")
	}
	iat, exp := time.Unix(int64(*a.claims.Iat), 0), time.Unix(int64(*a.claims.Exp), 0)
	switch {
	case exp.Sub(iat) > MaxAssertionLifetime:
		return nil, badClient("the client_assertion exp must be at most 120 seconds after its iat")
	case !exp.After(iat):
		return nil, badClient("the client_assertion exp must be after its iat")
	case !now.Before(exp.Add(ClockSkew)):
		return nil, badClient("the client_assertion has expired: make a fresh one for every request")
	case iat.After(now.Add(ClockSkew)):
		return nil, badClient("the client_assertion iat is in the future: check your clock")
	case a.claims.Nbf != nil && time.Unix(int64(*a.claims.Nbf), 0).After(now.Add(ClockSkew)):
		return nil, badClient("the client_assertion nbf is in the future: check your clock")
	}

	// Replay.
	if a.claims.Jti == "" || len(a.claims.Jti) > 512 {
		return nil, badClient("the client_assertion needs a jti, unique for every request")
	}
	s.mu.Lock()
	res := s.jtis.add("assertion\x00"+c.ID+"\x00"+a.claims.Jti, int64(*a.claims.Iat), now, exp.Add(ClockSkew))
	s.mu.Unlock()
	switch res {
	case replayRepeated:
		return nil, badClient("the client_assertion jti was used before: make a new assertion, with a new jti, for every request")
	case replayTooOld:
		return nil, badClient("the client_assertion iat is older than the emulator's replay memory after a flood; send a fresh assertion")
	}
	return c, nil
}

// verifyAssertionSignature verifies a's signature with the client's
// signing keys: the key under a's kid, or, without a kid, each signing key
// in turn. An unknown kid refetches the JWKS (at most every
// JWKSRefetchInterval).
func (s *Server) verifyAssertionSignature(ctx context.Context, c *client, a *assertion) *oauthError {
	keys, e := s.clientKeys(ctx, c, a.kid)
	if e != nil {
		return e
	}
	tried := false
	for _, k := range keys {
		if k.Use == "enc" || (a.kid != "" && k.KeyID != a.kid) {
			continue
		}
		if _, ok := k.Key.(*ecdsa.PublicKey); !ok {
			continue
		}
		tried = true
		if _, err := a.jws.Verify(k); err == nil {
			return nil
		}
	}
	switch {
	case !tried && a.kid != "":
		return badClient("no signing key with kid " + quote(a.kid) + " in the client's JWKS")
	case !tried:
		return badClient("the client's JWKS holds no EC signing key (use \"sig\")")
	case a.kid != "":
		return badClient("the client_assertion signature does not verify with the key " + quote(a.kid) + " of the client's JWKS")
	}
	return badClient("the client_assertion signature verifies with no signing key of the client's JWKS")
}

// clientKeys returns the client's public keys: the static JWKS and the
// fetched one. The fetched one is refreshed when older than JWKSCacheTTL,
// or when kid is set, found nowhere, and the last fetch is at least
// JWKSRefetchInterval old.
func (s *Server) clientKeys(ctx context.Context, c *client, kid string) ([]jose.JSONWebKey, *oauthError) {
	var static []jose.JSONWebKey
	if c.JWKS != nil {
		static = c.JWKS.Keys
	}
	if c.JWKSURL == "" {
		return static, nil
	}
	has := func(keys []jose.JSONWebKey) bool {
		return slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid })
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	stale := c.fetched == nil || !now.Before(c.fetchedAt.Add(JWKSCacheTTL))
	unknown := kid != "" && !has(static) && !has(c.fetched) && !now.Before(c.lastAttempt.Add(JWKSRefetchInterval))
	if stale || unknown {
		c.lastAttempt = now
		keys, err := s.fetchJWKS(ctx, c.JWKSURL)
		if err != nil {
			return nil, &oauthError{http.StatusBadRequest, "upstream_dependency_error", "the client's JWKS could not be fetched from its registered URL: " + err.Error()}
		}
		c.fetched, c.fetchedAt = keys, now
	}
	return append(slices.Clip(static), c.fetched...), nil
}

// fetchJWKS fetches a JWKS: 200, at most MaxJWKSBytes, no redirect, within
// JWKSFetchTimeout. Its errors are teaching messages without the body.
func (s *Server) fetchJWKS(ctx context.Context, u string) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, JWKSFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errors.New("the URL is not valid")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.httpClient.Do(req)
	if err != nil {
		if errors.Is(err, errRedirect) {
			return nil, errors.New("it answered with a redirect, which Singpass does not follow; register the final URL")
		}
		if ctx.Err() != nil {
			return nil, errors.New("it did not answer within 3 seconds")
		}
		return nil, errors.New("the request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New("it answered HTTP " + resp.Status + ", not 200")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, errors.New("its body could not be read")
	}
	if len(body) > MaxJWKSBytes {
		return nil, errors.New("it is larger than 256 KiB")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("it is not a JWKS ({\"keys\":[…]} of valid public keys)")
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return nil, errors.New("it holds a private key; publish public keys only")
		}
	}
	return set.Keys, nil
}

// encryptionKey chooses the client's key to encrypt to, as Singpass does:
// an EC key with use "enc", the strongest curve, then the strongest
// ECDH-ES key wrap, then the first. A key without alg counts as
// ECDH-ES+A256KW.
func (s *Server) encryptionKey(ctx context.Context, c *client) (jose.JSONWebKey, jose.KeyAlgorithm, *oauthError) {
	keys, e := s.clientKeys(ctx, c, "")
	if e != nil {
		return jose.JSONWebKey{}, "", e
	}
	strength := map[string]int{string(jose.ECDH_ES_A128KW): 1, string(jose.ECDH_ES_A192KW): 2, string(jose.ECDH_ES_A256KW): 3, "": 3}
	var best jose.JSONWebKey
	bestRank := -1
	for _, k := range keys {
		pub, ok := k.Key.(*ecdsa.PublicKey)
		st, okAlg := strength[k.Algorithm]
		if !ok || !okAlg || k.Use != "enc" {
			continue
		}
		if rank := pub.Curve.Params().BitSize*10 + st; rank > bestRank {
			best, bestRank = k, rank
		}
	}
	if bestRank < 0 {
		return jose.JSONWebKey{}, "", &oauthError{http.StatusBadRequest, "invalid_client",
			`the client's JWKS holds no encryption key: add an EC key with use "enc" and alg ECDH-ES+A256KW (or A192KW, A128KW)`}
	}
	alg := jose.KeyAlgorithm(best.Algorithm)
	if alg == "" {
		alg = jose.ECDH_ES_A256KW
	}
	return best, alg, nil
}

// quote quotes a client-supplied value for an error description, cut short.
func quote(v string) string {
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
