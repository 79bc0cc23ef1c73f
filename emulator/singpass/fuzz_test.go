package singpass

import (
	"crypto/elliptic"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// FuzzParseDPoPProof feeds the DPoP proof parser arbitrary input: it never
// panics, and whatever it accepts carries a 43-character key thumbprint
// and the claims RFC 9449 requires.
func FuzzParseDPoPProof(f *testing.F) {
	k := newKey(f, elliptic.P256())
	claims := map[string]any{"jti": "j", "htm": "POST", "htu": testIssuer + "/par", "iat": 1_790_000_000}
	f.Add(signJWT(f, k, "", "dpop+jwt", true, claims))
	f.Add(signJWT(f, k, "", "dpop+jwt", true, map[string]any{"jti": "j", "htm": "GET", "htu": "x", "iat": 1.5, "exp": 2, "ath": "a"}))
	f.Add(signJWT(f, k, "", "JWT", true, claims))
	f.Add(signJWT(f, k, "", "dpop+jwt", false, claims))
	f.Add(rawJWS(f, k, map[string]any{"alg": "ES256", "typ": "dpop+jwt", "jwk": publicJWK(f, newKey(f, elliptic.P256()))}, claims))
	f.Add(rawJWS(f, k, map[string]any{"alg": "none", "typ": "dpop+jwt"}, claims))
	f.Add("e30.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := parseDPoPProof(proof)
		if err != nil {
			if p != nil {
				t.Fatal("a proof and an error")
			}
			return
		}
		if len(p.jkt) != 43 || p.jti == "" || p.htm == "" || p.htu == "" {
			t.Fatalf("accepted an incomplete proof %+v", p)
		}
		if _, err := base64.RawURLEncoding.DecodeString(p.jkt); err != nil {
			t.Fatalf("jkt %q", p.jkt)
		}
		normalizeURL(p.htu)
	})
}

// FuzzParseClientAssertion feeds the client-assertion parser arbitrary
// input: it never panics, and whatever it accepts has a JWS with one
// signature by an allowed algorithm.
func FuzzParseClientAssertion(f *testing.F) {
	k := newKey(f, elliptic.P256())
	now := time.Unix(1_790_000_000, 0).Unix()
	claims := map[string]any{"iss": myinfoID, "sub": myinfoID, "aud": testIssuer, "jti": "j", "iat": now, "exp": now + 60}
	f.Add(signJWT(f, k, "kid", "JWT", false, claims))
	f.Add(signJWT(f, k, "", "", false, map[string]any{"aud": []string{"a", "b"}, "iat": 1.5, "code": "c"}))
	f.Add(signJWT(f, newKey(f, elliptic.P521()), "k", "JWT", false, claims))
	f.Add(signJWT(f, k, "", "JWT", true, claims))
	f.Add(rawJWS(f, k, map[string]any{"alg": "ES256", "typ": 7}, claims))
	f.Add(rawJWS(f, k, map[string]any{"alg": "HS256"}, claims))
	f.Add(rawJWS(f, k, map[string]any{"alg": "ES256"}, map[string]any{"exp": "tomorrow"}))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		a, err := parseClientAssertion(token)
		if err != nil {
			if a != nil {
				t.Fatal("an assertion and an error")
			}
			if strings.Contains(err.Error(), token) && len(token) > 8 {
				t.Fatal("the error echoes the assertion")
			}
			return
		}
		if len(a.jws.Signatures) != 1 {
			t.Fatalf("%d signatures", len(a.jws.Signatures))
		}
		switch a.alg {
		case "ES256", "ES384", "ES512":
		default:
			t.Fatalf("accepted alg %q", a.alg)
		}
	})
}

// FuzzNormalizeURL checks htu normalization never panics and is idempotent.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{testIssuer + "/par", "HTTPS://Host:443/p?q#f", "http://[::1]:80/", "x", "https://h:8443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		n, ok := normalizeURL(u)
		if !ok {
			return
		}
		if n2, ok2 := normalizeURL(n); !ok2 || n2 != n {
			t.Fatalf("normalize(%q) = %q, again %q %v", u, n, n2, ok2)
		}
	})
}
