package myinfo

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
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
	c := &Client{cfg: Config{ProviderKey: &myinfoKey.PublicKey, Leeway: time.Minute, Now: func() time.Time { return now }}}

	sign := func(key *rsa.PrivateKey, alg jose.SignatureAlgorithm, claims map[string]any) string {
		opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("zip", "NONE")
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
	sec := func(d time.Duration) int64 { return now.Add(d).Unix() }
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"seconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(30 * time.Minute), "nbf": sec(0)}), nil},
		{"milliseconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": ms(30 * time.Minute), "nbf": ms(0)}), nil},
		{"uuid subject, no times", sign(myinfoKey, jose.RS256, map[string]any{"sub": "9E9B2260-47B8-455B-89B5-C48F4DB98322"}), nil},
		{"expired within leeway", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(-30 * time.Second)}), nil},
		{"expired", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": sec(-2 * time.Minute)}), idconnect.ErrTokenInvalid},
		{"expired, milliseconds", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "exp": ms(-2 * time.Minute)}), idconnect.ErrTokenInvalid},
		{"not yet valid", sign(myinfoKey, jose.RS256, map[string]any{"sub": "S6005048A", "nbf": sec(5 * time.Minute)}), idconnect.ErrTokenInvalid},
		{"no subject", sign(myinfoKey, jose.RS256, map[string]any{"exp": sec(time.Minute)}), idconnect.ErrTokenInvalid},
		{"subject with a path", sign(myinfoKey, jose.RS256, map[string]any{"sub": "../admin"}), idconnect.ErrTokenInvalid},
		{"signed by another key", sign(otherKey, jose.RS256, map[string]any{"sub": "S6005048A"}), idconnect.ErrSignature},
		{"algorithm outside the allowlist", sign(myinfoKey, jose.PS256, map[string]any{"sub": "S6005048A"}), idconnect.ErrSignature},
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
		"Disallowed": "Disallowed",
		"":           "",
	}
	for in, want := range tests {
		if got := safeMessage(in); got != want {
			t.Errorf("safeMessage(%q) = %q, want %q", in, got, want)
		}
	}
}
