package oidc

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/idconnect/idconnect"
)

// DefaultLeeway is the clock skew allowed on exp, iat and nbf when Expect
// has no Leeway.
const DefaultLeeway = 60 * time.Second

// Expect is what an ID token must say.
type Expect struct {
	// Issuer must equal iss exactly.
	Issuer string
	// ClientID must be in aud (a string or an array); azp, when present,
	// must equal it.
	ClientID string
	// Nonce must equal the token's nonce; it is required (never "").
	Nonce string
	// Now is the current time, from the caller's clock.
	Now time.Time
	// Leeway is the clock skew allowed (0: DefaultLeeway).
	Leeway time.Duration
}

// IDClaims are an ID token's standard claims. Raw holds every claim as
// received, for provider-specific ones.
type IDClaims struct {
	Issuer          string
	Subject         string
	Audience        []string
	AuthorizedParty string
	Nonce           string
	Expiry          time.Time
	IssuedAt        time.Time
	Raw             map[string]json.RawMessage
}

// CheckIDToken reads a verified ID-token payload and checks its claims
// against want: iss, aud (and azp), nonce, sub present, exp in the future
// and iat not in the future (both within the leeway), nbf if present.
// Errors wrap idconnect.ErrTokenInvalid (idconnect.ErrMalformed for a
// payload that is not a claims object) and name the failed claim, never
// its value.
func CheckIDToken(payload []byte, want Expect) (*IDClaims, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("id_token: %w: %s", idconnect.ErrTokenInvalid, fmt.Sprintf(format, a...))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("id_token: %w: claims are not a JSON object", idconnect.ErrMalformed)
	}
	c := &IDClaims{Raw: raw}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"iss", &c.Issuer}, {"sub", &c.Subject}, {"nonce", &c.Nonce}, {"azp", &c.AuthorizedParty}} {
		if v, ok := raw[s.name]; ok {
			if err := json.Unmarshal(v, s.dst); err != nil {
				return nil, fail("%s is not a string", s.name)
			}
		}
	}
	if want.Issuer == "" || c.Issuer != want.Issuer {
		return nil, fail("iss is not the issuer")
	}
	if c.Subject == "" {
		return nil, fail("no sub")
	}
	aud, ok := audience(raw["aud"])
	if !ok {
		return nil, fail("aud is missing or not a string or array of strings")
	}
	c.Audience = aud
	if want.ClientID == "" || !contains(aud, want.ClientID) {
		return nil, fail("aud does not name this client")
	}
	if c.AuthorizedParty != "" && c.AuthorizedParty != want.ClientID {
		return nil, fail("azp is another client")
	}
	if want.Nonce == "" || subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(want.Nonce)) != 1 {
		return nil, fail("nonce is not this login's")
	}
	leeway := want.Leeway
	if leeway <= 0 {
		leeway = DefaultLeeway
	}
	var err error
	if c.Expiry, ok, err = numericDate(raw, "exp"); err != nil || !ok {
		return nil, fail("exp is missing or not a number")
	}
	if !want.Now.Before(c.Expiry.Add(leeway)) {
		return nil, fail("expired (exp)")
	}
	if c.IssuedAt, ok, err = numericDate(raw, "iat"); err != nil || !ok {
		return nil, fail("iat is missing or not a number")
	}
	if c.IssuedAt.After(want.Now.Add(leeway)) {
		return nil, fail("issued in the future (iat)")
	}
	nbf, ok, err := numericDate(raw, "nbf")
	if err != nil {
		return nil, fail("nbf is not a number")
	}
	if ok && nbf.After(want.Now.Add(leeway)) {
		return nil, fail("not yet valid (nbf)")
	}
	return c, nil
}

// audience reads aud as a string or a non-empty array of strings.
func audience(raw json.RawMessage) ([]string, bool) {
	if raw == nil {
		return nil, false
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil || len(many) == 0 {
		return nil, false
	}
	return many, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// numericDate reads a NumericDate claim (seconds, possibly fractional).
func numericDate(raw map[string]json.RawMessage, name string) (time.Time, bool, error) {
	v, ok := raw[name]
	if !ok {
		return time.Time{}, false, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, true, fmt.Errorf("%s is not a NumericDate", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
