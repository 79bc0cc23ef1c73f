package singpass

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// checkDPoP verifies the request's DPoP proof (RFC 9449 §4.3) for the
// endpoint URL: one DPoP header, a proof signed by its embedded ES256 key,
// htm = the request method, htu = endpoint (scheme, host and path), iat
// within MaxProofAge (and ClockSkew), exp (optional) at most 120 s after
// iat, and, when accessToken is set, ath = base64url(SHA-256(accessToken)).
// Then it remembers the jti (per key) and returns the key's thumbprint.
// Call it only once the request is otherwise authenticated, so that only a
// client can fill the replay memory.
func (s *Server) checkDPoP(r *http.Request, endpoint, accessToken string) (string, *oauthError) {
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return "", badProof("a DPoP header is required: a proof JWT (typ dpop+jwt, ES256, your public key in jwk) " +
			"with htm " + strconv.Quote(r.Method) + " and htu " + strconv.Quote(endpoint))
	case 1:
	default:
		return "", badProof("send exactly one DPoP header")
	}
	p, err := parseDPoPProof(vals[0])
	if err != nil {
		return "", badProof(err.Error())
	}
	if p.htm != r.Method {
		return "", badProof("the DPoP proof htm must be " + strconv.Quote(r.Method) + ", the method of this request")
	}
	if got, ok := normalizeURL(p.htu); !ok || got != mustNormalize(endpoint) {
		return "", badProof("the DPoP proof htu must be " + strconv.Quote(endpoint) +
			" (the endpoint from the discovery document, without query or fragment)")
	}
	now := s.now()
	iat := time.Unix(p.iat, 0)
	switch {
	case iat.After(now.Add(ClockSkew)):
		return "", badProof("the DPoP proof iat is in the future: check your clock")
	case iat.Before(now.Add(-MaxProofAge - ClockSkew)):
		return "", badProof("the DPoP proof is too old (iat more than 120 seconds ago): make a fresh proof for every request")
	}
	if p.exp != nil {
		exp := time.Unix(*p.exp, 0)
		switch {
		case exp.Sub(iat) > MaxAssertionLifetime:
			return "", badProof("the DPoP proof exp must be at most 120 seconds after its iat")
		case !now.Before(exp.Add(ClockSkew)):
			return "", badProof("the DPoP proof has expired: make a fresh proof for every request")
		}
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		want := base64.RawURLEncoding.EncodeToString(sum[:])
		switch {
		case !p.hasAth:
			return "", badProof("the DPoP proof needs ath, the base64url SHA-256 of the access token, at the userinfo endpoint")
		case p.ath != want:
			return "", badProof("the DPoP proof ath does not match the access token: it must be the base64url (no padding) SHA-256 of the token's ASCII bytes")
		}
	}
	s.mu.Lock()
	res := s.jtis.add("dpop\x00"+p.jkt+"\x00"+p.jti, p.iat, now, iat.Add(MaxProofAge+2*ClockSkew))
	s.mu.Unlock()
	switch res {
	case replayRepeated:
		return "", badProof("the DPoP proof jti was used before: make a new proof, with a new jti, for every request")
	case replayTooOld:
		return "", badProof("the DPoP proof iat is older than the emulator's replay memory after a flood; send a fresh proof")
	}
	return p.jkt, nil
}

// mustNormalize normalizes one of the emulator's own endpoint URLs.
func mustNormalize(u string) string {
	n, ok := normalizeURL(u)
	if !ok {
		return u
	}
	return n
}
