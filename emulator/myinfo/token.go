package myinfo

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// accessClaims are the access token's claims, shaped like the real Myinfo
// v3 token (research notes §2.7: a staging-modelled token and the claim list
// of GovTechSG's helper), with times in seconds.
type accessClaims struct {
	Sub             string   `json:"sub"`
	AuthLevel       int      `json:"auth_level"`
	AuditTrackingID string   `json:"auditTrackingId"`
	Iss             string   `json:"iss"`
	TokenName       string   `json:"tokenName"`
	TokenType       string   `json:"token_type"`
	AuthGrantID     string   `json:"authGrantId"`
	Aud             string   `json:"aud"`
	Nbf             int64    `json:"nbf"`
	GrantType       string   `json:"grant_type"`
	Scope           []string `json:"scope"`
	AuthTime        int64    `json:"auth_time"` // milliseconds, as observed
	Realm           string   `json:"realm"`
	Exp             int64    `json:"exp"`
	Iat             int64    `json:"iat"`
	ExpiresIn       int64    `json:"expires_in"`
	Jti             string   `json:"jti"`
	ClientID        string   `json:"client_id"`
}

// tokenAudience is the access token's aud, as in the real token.
const tokenAudience = "myinfo"

// tokenResponse is the token API's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// realm is the access token's realm for an API family.
func realm(api string) string { return "/consent/myinfo-" + api }

// handleToken serves POST /{api}/v3/token.
func (s *Server) handleToken(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			writeAPIError(w, http.StatusServiceUnavailable, "Myinfo is under maintenance", "")
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			writeAPIError(w, http.StatusBadRequest, "Content-Type must be application/x-www-form-urlencoded", "")
			return
		}
		if err := r.ParseForm(); err != nil {
			if isTooLarge(err) {
				writeAPIError(w, http.StatusRequestEntityTooLarge, "Request too large", "")
				return
			}
			writeAPIError(w, http.StatusBadRequest, "Malformed request", "")
			return
		}
		// r.Form holds the body and the query: every parameter sent is signed.
		if k := repeatedParam(r.Form); k != "" {
			writeAPIError(w, http.StatusBadRequest, "Repeated parameter", k)
			return
		}
		form := r.PostForm
		clientID := form.Get("client_id")
		if !s.cfg.Sandbox {
			h := r.Header.Get("Authorization")
			if h == "" {
				writeAPIError(w, http.StatusUnauthorized, "No security header given", "Authorization")
				return
			}
			p, _, err := ParsePKISign(h)
			if err != nil {
				writeAPIError(w, http.StatusUnauthorized, "Authorization header must be a valid PKI_SIGN header", "Authorization")
				return
			}
			if !s.checkPKISign(w, r, p, clientID, r.Form) {
				return
			}
		} else if clientID != s.cfg.ClientID {
			writeAPIError(w, http.StatusUnauthorized, "Invalid client_id", "client_id")
			return
		}
		if !s.secretOK(form.Get("client_secret")) {
			writeAPIError(w, http.StatusUnauthorized, "Invalid client secret", "client_secret")
			return
		}
		if gt, ok := form["grant_type"]; ok && gt[0] != "authorization_code" {
			writeAPIError(w, http.StatusBadRequest, "Unsupported grant_type", "grant_type")
			return
		}
		code := form.Get("code")
		if code == "" {
			writeAPIError(w, http.StatusBadRequest, "Missing authorisation code", "code")
			return
		}
		g, reused := s.takeCode(code)
		switch {
		case reused:
			writeAPIError(w, http.StatusBadRequest, "Authorisation code has already been used or has expired", "code")
			return
		case g == nil:
			writeAPIError(w, http.StatusBadRequest, "Invalid authorisation code", "code")
			return
		case g.api != api:
			writeAPIError(w, http.StatusForbidden, "Incorrect API URL", "")
			return
		case form.Get("redirect_uri") != g.redirectURI:
			writeAPIError(w, http.StatusBadRequest, "redirect_uri does not match the authorise request", "redirect_uri")
			return
		case !stateMatches(form, g.state):
			writeAPIError(w, http.StatusBadRequest, "state does not match the authorise request that issued this code", "state")
			return
		}
		tok, err := s.issueToken(r, g)
		if err != nil {
			writeAPIError(w, http.StatusInternalServerError, "Unexpected error", "")
			return
		}
		writeJSON(w, tokenResponse{
			AccessToken: tok,
			TokenType:   "Bearer",
			ExpiresIn:   int64(s.tokenTTL / time.Second),
			Scope:       strings.Join(g.attributes, " "),
		})
	}
}

// stateMatches reports whether the token request's state agrees with the
// authorise request's: it must be equal when given. Absent, empty (the .NET
// connector with no state) or the literal "null" (the Java connector with a
// null state) count as not given, since the seed and those connectors send
// no usable state and the real Myinfo's rule is not documented. A code
// redeemed by someone who sends their own state, as a stolen code injected
// into another session would be, is refused.
func stateMatches(form map[string][]string, want string) bool {
	v, ok := form["state"]
	if !ok || v[0] == "" || v[0] == "null" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(v[0]), []byte(want)) == 1
}

// secretOK compares the client secret in constant time (over hashes, so the
// length does not leak either).
func (s *Server) secretOK(given string) bool {
	a := sha256.Sum256([]byte(given))
	b := sha256.Sum256([]byte(s.cfg.ClientSecret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// issueToken signs an access token for a grant.
func (s *Server) issueToken(r *http.Request, g *grant) (string, error) {
	now := s.now()
	iat := now
	if s.faults.ExpiredToken() {
		iat = now.Add(-s.tokenTTL - time.Hour) // well past any client leeway
	}
	jti, err := s.randomHex(16)
	if err != nil {
		return "", err
	}
	audit, err := s.randomHex(16)
	if err != nil {
		return "", err
	}
	grantID, err := s.randomHex(16)
	if err != nil {
		return "", err
	}
	ttl := int64(s.tokenTTL / time.Second)
	claims := accessClaims{
		Sub:             g.sub,
		AuthLevel:       0,
		AuditTrackingID: audit,
		Iss:             s.baseURL(r) + "/consent/oauth2/consent/myinfo-" + g.api,
		TokenName:       "access_token",
		TokenType:       "Bearer",
		AuthGrantID:     grantID,
		Aud:             tokenAudience,
		Nbf:             iat.Unix(),
		GrantType:       "authorization_code",
		Scope:           g.attributes,
		AuthTime:        iat.UnixMilli(),
		Realm:           realm(g.api),
		Exp:             iat.Unix() + ttl,
		Iat:             iat.Unix(),
		ExpiresIn:       ttl,
		Jti:             jti,
		ClientID:        s.cfg.ClientID,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	key, err := s.signingKey(false)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("zip", "NONE")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// verifyToken checks an access token: RS256 only, signed by the
// configured key, audience myinfo, within nbf..exp. It returns nil claims
// when the token is bad, and whether the only problem is its expiry.
func (s *Server) verifyToken(tok string) (c *accessClaims, expired bool) {
	if tok == "" || len(tok) > MaxQueryBytes {
		return nil, false
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	payload, err := jws.Verify(&s.cfg.SigningKey.PublicKey)
	if err != nil {
		return nil, false
	}
	c = new(accessClaims)
	if err := json.Unmarshal(payload, c); err != nil || c.Aud != tokenAudience || c.Sub == "" {
		return nil, false
	}
	now := s.now().Unix()
	if now < c.Nbf {
		return nil, false
	}
	if now >= c.Exp {
		return nil, true
	}
	return c, false
}

// isTooLarge reports whether err comes from the body size cap.
func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// repeatedParam returns the name of a parameter given more than once, or
// "". A repeated name would make the signature base string ambiguous.
func repeatedParam(v map[string][]string) string {
	for k, vs := range v {
		if len(vs) > 1 {
			return k
		}
	}
	return ""
}
