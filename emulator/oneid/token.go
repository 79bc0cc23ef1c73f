package oneid

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// accessGrant is what an (opaque) access token stands for.
type accessGrant struct {
	clientID string
	persona  string
	scopes   []string
	expires  time.Time
}

// handleToken serves POST /token: HTTP Basic client authentication, the
// code (once, within CodeTTL), redirect_uri and PKCE; it answers
// {"access_token","token_type":"Bearer","expires_in","scope","id_token"}.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	form, e := readForm(r)
	if e != nil {
		writeError(w, e)
		return
	}
	c, e := s.authenticate(r, form)
	if e != nil {
		writeTokenError(w, e)
		return
	}
	if gt := form.Get("grant_type"); gt != "authorization_code" {
		writeError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", `grant_type must be "authorization_code"`})
		return
	}
	code := form.Get("code")
	if code == "" || len(code) > MaxTokenBytes {
		writeError(w, badRequest("code is required: the code from the callback"))
		return
	}
	// The code is burnt from here on, whatever the outcome.
	g, e := s.takeCode(code)
	if e != nil {
		writeError(w, e)
		return
	}
	ru, ruSent := form["redirect_uri"]
	verifier, verifierSent := form["code_verifier"]
	switch {
	case g.req.clientID != c.ID:
		e = badGrant("the authorization code was issued to another client")
	case ruSent && ru[0] != g.req.redirectURI:
		e = badGrant("redirect_uri must equal the one of the authorization request, " + g.req.redirectURI)
	case !ruSent && s.cfg.RequireTokenRedirectURI:
		e = badRequest("redirect_uri is required (RequireTokenRedirectURI): send the authorization request's")
	case g.req.challenge == "" && verifierSent:
		e = badGrant("code_verifier was sent, but the authorization request had no code_challenge")
	case g.req.challenge != "" && !verifierSent:
		e = badGrant("code_verifier is required: the authorization request sent a code_challenge")
	case g.req.challenge != "" && !isPKCEVerifier(verifier[0]):
		e = badGrant("code_verifier must be 43 to 128 characters of letters, digits, - . _ ~")
	case g.req.challenge != "" && !pkceMatches(verifier[0], g.req.challenge):
		e = badGrant("PKCE failed: the base64url SHA-256 of code_verifier does not equal the code_challenge of the authorization request")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	now := s.now()
	at, err := s.newUUID()
	if err != nil {
		writeError(w, errServer)
		return
	}
	ag := &accessGrant{clientID: c.ID, persona: g.persona, scopes: g.req.scopes, expires: now.Add(s.ttl.token)}
	answer := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(s.ttl.token / time.Second),
		"scope":        strings.Join(g.req.scopes, " "),
	}
	if hasScope(g.req.scopes, "openid") {
		idToken, e := s.idToken(c, &g, now)
		if e != nil {
			writeError(w, e)
			return
		}
		answer["id_token"] = idToken
	}
	s.mu.Lock()
	s.tokens.Put(at, ag, now, ag.expires)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, answer)
}

// writeTokenError writes a token error; a 401 invalid_client carries the
// Basic challenge (RFC 6749 §5.2).
func writeTokenError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="OneID", charset="UTF-8"`)
	}
	writeError(w, e)
}

// parseBasicAuth reads an "Authorization: Basic …" value into the raw
// user and password (before RFC 6749 §2.3.1's form-decoding).
func parseBasicAuth(h string) (user, pass string, ok bool) {
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
			return "", "", false
		}
	}
	user, pass, ok = strings.Cut(string(b), ":")
	if !ok || user == "" {
		return "", "", false
	}
	return user, pass, true
}

// formDecoded returns the RFC 6749 §2.3.1 (form-urlencoded) decoding of v,
// or v when it does not decode.
func formDecoded(v string) string {
	d, err := url.QueryUnescape(v)
	if err != nil {
		return v
	}
	return d
}

// secretEqual compares a presented secret with the registered one in
// constant time (over SHA-256 digests, so lengths do not leak either).
func secretEqual(presented, registered string) bool {
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(registered))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// authenticate checks client_secret_basic: one Authorization: Basic
// header whose user is a registered client_id and password its secret,
// each as sent or form-decoded (RFC 6749 §2.3.1 asks clients to encode;
// many do not).
func (s *Server) authenticate(r *http.Request, form url.Values) (*client, *oauthError) {
	invalid := func(desc string) *oauthError {
		return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
	}
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		if form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
			return nil, invalid("OneID authenticates clients with HTTP Basic only (client_secret_basic): " +
				"send Authorization: Basic base64(client_id:client_secret), not credentials in the body")
		}
		return nil, invalid("client authentication is required: send Authorization: Basic base64(client_id:client_secret)")
	}
	if len(vals) > 1 {
		return nil, badRequest("send one Authorization header")
	}
	user, pass, ok := parseBasicAuth(vals[0])
	if !ok {
		return nil, invalid("the Authorization header must be Basic base64(client_id:client_secret)")
	}
	if form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
		return nil, badRequest("use one client authentication method: HTTP Basic, without client_secret or client_assertion in the body")
	}
	c := s.clients[user]
	if c == nil {
		c = s.clients[formDecoded(user)]
	}
	if c == nil {
		return nil, invalid("the client_id in the Basic credentials is not a registered client")
	}
	if id := form.Get("client_id"); id != "" && id != c.ID {
		return nil, badRequest("client_id in the body differs from the one in the Basic credentials")
	}
	// Both comparisons always run, so the time does not tell which failed.
	raw, dec := secretEqual(pass, c.Secret), secretEqual(formDecoded(pass), c.Secret)
	if !raw && !dec {
		return nil, invalid("the client secret is wrong: use the client_secret of this client_id, for this environment")
	}
	return c, nil
}

// isPKCEVerifier reports whether v is an RFC 7636 code_verifier.
func isPKCEVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// isPKCEChallenge reports whether c is an S256 code_challenge: 43
// unpadded base64url characters (32 bytes).
func isPKCEChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// pkceMatches reports whether verifier hashes (S256) to challenge.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// idToken builds the ID token: a PS256 JWS (typ JWT, kid) of iss, aud,
// sub, iat, exp and nonce (when the authorization request had one).
func (s *Server) idToken(c *client, g *grant, now time.Time) (string, *oauthError) {
	claims := map[string]any{
		"iss": s.issuer,
		"aud": c.ID,
		"sub": s.people[g.persona].sub,
		"iat": now.Unix(),
		"exp": now.Add(s.ttl.idToken).Unix(),
	}
	if g.req.nonce != "" {
		claims["nonce"] = g.req.nonce
	}
	f := &s.faults
	if f.IDTokenWrongNonce() {
		claims["nonce"] = "emulator-wrong-nonce-" + g.req.nonce
	}
	if f.IDTokenExpired() {
		exp := now.Add(-10 * time.Minute)
		claims["exp"], claims["iat"] = exp.Unix(), exp.Add(-s.ttl.idToken).Unix()
	}
	key, alg := s.signKey, jose.PS256
	if f.IDTokenForeignKey() {
		k, err := s.foreignKey()
		if err != nil {
			return "", errServer
		}
		key = k
	}
	if f.IDTokenRS256() {
		alg = jose.RS256
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", errServer
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", errServer
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", errServer
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", errServer
	}
	return out, nil
}

// foreignKey returns the foreign-key fault's RSA key, generating it on
// first use.
func (s *Server) foreignKey() (*rsa.PrivateKey, error) {
	s.otherOnce.Do(func() { s.otherKey, s.otherErr = rsa.GenerateKey(rand.Reader, 2048) })
	return s.otherKey, s.otherErr
}
