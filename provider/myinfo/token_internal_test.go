package myinfo

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect"
)

// TestVerifyAccessToken covers the token shapes seen in the wild: the
// "zip":"NONE" header that broke other JWT libraries, and times in
// milliseconds as well as seconds.
func TestVerifyAccessToken(t *testing.T) {
	myinfoKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	// The one clock of this test: the client's Now, never the real time.
	c := &Client{cfg: Config{ClientID: "STG2-MYINFO-SELF-TEST", ProviderKey: &myinfoKey.PublicKey, Leeway: time.Minute, Now: func() time.Time { return now }}}

	signOpts := func(key any, alg jose.SignatureAlgorithm, opts *jose.SignerOptions, claims map[string]any) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(claims)
		obj, err := s.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := obj.CompactSerialize()
		return out
	}
	sign := func(key any, alg jose.SignatureAlgorithm, claims map[string]any) string {
		return signOpts(key, alg, (&jose.SignerOptions{}).WithType("JWT").WithHeader("zip", "NONE"), claims)
	}
	sec := func(d time.Duration) int64 { return now.Add(d).Unix() }
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	// claims returns a valid claim set for S6005048A with edits applied
	// (a nil value deletes the claim).
	claims := func(edits ...any) map[string]any {
		m := map[string]any{"sub": "S6005048A", "exp": sec(30 * time.Minute)}
		for i := 0; i+1 < len(edits); i += 2 {
			if edits[i+1] == nil {
				delete(m, edits[i].(string))
			} else {
				m[edits[i].(string)] = edits[i+1]
			}
		}
		return m
	}
	// The real token's claims, as the emulator and the research notes
	// shape them (staging issuer, aud "myinfo", our client_id).
	realShape := claims("aud", "myinfo", "client_id", "STG2-MYINFO-SELF-TEST", "nbf", sec(0), "iat", sec(0),
		"iss", "https://stg-home.singpass.gov.sg/consent/oauth2/consent/myinfo-com", "realm", "/consent/myinfo-com",
		"scope", []string{"name"}, "auth_level", 0, "token_type", "Bearer")
	spki, err := x509.MarshalPKIXPublicKey(&myinfoKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	withHeader := func(k string, v any) *jose.SignerOptions {
		return (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey(k), v)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"seconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(30 * time.Minute), "nbf": sec(0)}), nil},
		{"milliseconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": ms(30 * time.Minute), "nbf": ms(0)}), nil},
		{"uuid subject", sign(myinfoKey, jose.RS256, claims("sub", "9E9B2260-47B8-455B-89B5-C48F4DB98322")), nil},
		{"real token shape", sign(myinfoKey, jose.RS256, realShape), nil},
		{"no exp", sign(myinfoKey, jose.RS256, claims("exp", nil)), idconnect.ErrTokenInvalid},
		{"exp not a number", sign(myinfoKey, jose.RS256, claims("exp", "soon")), idconnect.ErrMalformed},
		{"exp null", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": nil}), idconnect.ErrTokenInvalid},
		{"nbf not a number", sign(myinfoKey, jose.RS256, claims("nbf", "now")), idconnect.ErrMalformed},
		{"aud myinfo", sign(myinfoKey, jose.RS256, claims("aud", "myinfo")), nil},
		{"aud our client id", sign(myinfoKey, jose.RS256, claims("aud", "STG2-MYINFO-SELF-TEST")), nil},
		{"aud array with myinfo", sign(myinfoKey, jose.RS256, claims("aud", []string{"other", "myinfo"})), nil},
		{"aud another service", sign(myinfoKey, jose.RS256, claims("aud", "singpass")), idconnect.ErrTokenInvalid},
		{"aud array without us", sign(myinfoKey, jose.RS256, claims("aud", []string{"other"})), idconnect.ErrTokenInvalid},
		{"aud empty", sign(myinfoKey, jose.RS256, claims("aud", "")), idconnect.ErrTokenInvalid},
		{"aud not a string", sign(myinfoKey, jose.RS256, claims("aud", 7)), idconnect.ErrTokenInvalid},
		{"client_id another client's", sign(myinfoKey, jose.RS256, claims("client_id", "OTHER-CLIENT")), idconnect.ErrTokenInvalid},
		{"client_id empty", sign(myinfoKey, jose.RS256, claims("client_id", "")), idconnect.ErrTokenInvalid},
		{"iss MockPass on loopback", sign(myinfoKey, jose.RS256, claims("iss", "http://127.0.0.1:5156/consent/oauth2/consent/myinfo-com")), nil},
		{"iss government API", sign(myinfoKey, jose.RS256, claims("iss", "https://stg-home.singpass.gov.sg/consent/oauth2/consent/myinfo-gov")), nil},
		{"iss another service", sign(myinfoKey, jose.RS256, claims("iss", "https://id.singpass.gov.sg/fapi")), idconnect.ErrTokenInvalid},
		{"iss not a URL", sign(myinfoKey, jose.RS256, claims("iss", "myinfo")), idconnect.ErrTokenInvalid},
		{"HS256 keyed with the public key PEM", sign(publicPEM, jose.HS256, claims()), idconnect.ErrSignature},
		{"HS256 keyed with the public key DER", sign(spki, jose.HS256, claims()), idconnect.ErrSignature},
		{"embedded jwk, right key", signOpts(myinfoKey, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, claims()), idconnect.ErrSignature},
		{"embedded jwk, attacker's key", signOpts(otherKey, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, claims()), idconnect.ErrSignature},
		{"jku header", signOpts(myinfoKey, jose.RS256, withHeader("jku", "https://attacker.example/jwks"), claims()), idconnect.ErrSignature},
		{"x5u header", signOpts(myinfoKey, jose.RS256, withHeader("x5u", "https://attacker.example/cert.pem"), claims()), idconnect.ErrSignature},
		{"zip DEF header", signOpts(myinfoKey, jose.RS256, withHeader("zip", "DEF"), claims()), idconnect.ErrSignature},
		{"expired within leeway", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(-30 * time.Second)}), nil},
		{"expired", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(-2 * time.Minute)}), idconnect.ErrTokenInvalid},
		{"expired, milliseconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": ms(-2 * time.Minute)}), idconnect.ErrTokenInvalid},
		{"not yet valid", sign(myinfoKey, jose.RS256, claims("nbf", sec(5*time.Minute))), idconnect.ErrTokenInvalid},
		{"no subject", sign(myinfoKey, jose.RS256, map[string]any{"exp": sec(time.Minute)}), idconnect.ErrTokenInvalid},
		{"subject with a path", sign(myinfoKey, jose.RS256, claims("sub", "../admin")), idconnect.ErrTokenInvalid},
		{"signed by another key", sign(otherKey, jose.RS256, claims()), idconnect.ErrSignature},
		{"algorithm outside the allowlist", sign(myinfoKey, jose.PS256, claims()), idconnect.ErrSignature},
		{"alg none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJTNjAwNTA0OEEifQ.", idconnect.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := c.verifyAccessToken(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && sub == "" {
				t.Fatal("no subject")
			}
		})
	}
}

func TestSafeMessage(t *testing.T) {
	tests := map[string]string{
		"UIN requested does not match logged in user":                                                    "UIN requested does not match logged in user",
		"Signature verification failed, POST&http://x/token&client_secret=s3cret does not result in abc": "Signature verification failed",
		"Disallowed":               "Disallowed",
		"":                         "",
		"No profile for S6005048A": "No profile for *********",
		"F3275914U not found":      "********* not found",
		"ref XS6005048AB kept":     "ref XS6005048AB kept", // not a whole word
	}
	for in, want := range tests {
		if got := safeMessage(in); got != want {
			t.Errorf("safeMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeCode(t *testing.T) {
	tests := map[string]string{
		"401":                   "401",
		"INVALID_TOKEN":         "INVALID_TOKEN",
		"S6005048A":             "",
		"a b":                   "",
		"code=1&secret=abc":     "",
		strings.Repeat("x", 33): "",
	}
	for in, want := range tests {
		if got := safeCode(in); got != want {
			t.Errorf("safeCode(%q) = %q, want %q", in, got, want)
		}
	}
}
