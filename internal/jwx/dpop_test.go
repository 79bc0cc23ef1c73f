package jwx

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// decodeJWS verifies compact with pub and returns its header and claims.
func decodeJWS(t *testing.T, compact string, pub any) (jose.Header, map[string]json.RawMessage, map[string]any) {
	t.Helper()
	obj, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	seg, _, _ := strings.Cut(compact, ".")
	rawHeader, _ := base64.RawURLEncoding.DecodeString(seg)
	var hdr map[string]any
	if err := json.Unmarshal(rawHeader, &hdr); err != nil {
		t.Fatal(err)
	}
	return obj.Signatures[0].Protected, claims, hdr
}

func str(t *testing.T, claims map[string]json.RawMessage, name string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(claims[name], &s); err != nil {
		t.Fatalf("claim %s: %s", name, claims[name])
	}
	return s
}

func num(t *testing.T, claims map[string]json.RawMessage, name string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal(claims[name], &n); err != nil {
		t.Fatalf("claim %s: %s", name, claims[name])
	}
	return n
}

func TestDPoPProof(t *testing.T) {
	key, err := NewDPoPKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name               string
		p                  DPoP
		wantHTU, wantATH   string
		wantNonce          string
		wantExp            int64
		wantNoExp, wantAth bool
	}{
		{name: "PAR", p: DPoP{Method: "POST", URL: "https://id.example/fapi/par", IssuedAt: testNow},
			wantHTU: "https://id.example/fapi/par", wantExp: testNow.Unix() + 60},
		{name: "query and fragment dropped", p: DPoP{Method: "GET", URL: "https://id.example/fapi/userinfo?a=b#frag", IssuedAt: testNow, Lifetime: 120 * time.Second},
			wantHTU: "https://id.example/fapi/userinfo", wantExp: testNow.Unix() + 120},
		{name: "ath and nonce", p: DPoP{Method: "GET", URL: "https://id.example/fapi/userinfo", IssuedAt: testNow, AccessToken: "tok-123", Nonce: "n-1", Lifetime: -1},
			wantHTU: "https://id.example/fapi/userinfo", wantAth: true, wantNonce: "n-1", wantNoExp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proof, err := tt.p.Proof(key, nil)
			if err != nil {
				t.Fatal(err)
			}
			hdr, claims, raw := decodeJWS(t, proof, &key.PublicKey)
			if raw["typ"] != "dpop+jwt" || raw["alg"] != "ES256" {
				t.Errorf("header %v", raw)
			}
			if hdr.JSONWebKey == nil || !hdr.JSONWebKey.IsPublic() || !hdr.JSONWebKey.Key.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
				t.Errorf("jwk header is not the public key: %+v", hdr.JSONWebKey)
			}
			if jwk, _ := json.Marshal(raw["jwk"]); bytes.Contains(jwk, []byte(`"d"`)) {
				t.Error("jwk header carries the private key")
			}
			if str(t, claims, "htm") != tt.p.Method || str(t, claims, "htu") != tt.wantHTU {
				t.Errorf("htm/htu: %s %s", claims["htm"], claims["htu"])
			}
			if num(t, claims, "iat") != testNow.Unix() {
				t.Errorf("iat %s", claims["iat"])
			}
			if jti := str(t, claims, "jti"); len(jti) < 22 {
				t.Errorf("jti %q", jti)
			}
			if _, ok := claims["exp"]; ok == tt.wantNoExp || (!tt.wantNoExp && num(t, claims, "exp") != tt.wantExp) {
				t.Errorf("exp %s", claims["exp"])
			}
			if tt.wantAth {
				h := sha256.Sum256([]byte(tt.p.AccessToken))
				if str(t, claims, "ath") != base64.RawURLEncoding.EncodeToString(h[:]) {
					t.Errorf("ath %s", claims["ath"])
				}
			} else if _, ok := claims["ath"]; ok {
				t.Error("ath without an access token")
			}
			if tt.wantNonce != "" && str(t, claims, "nonce") != tt.wantNonce {
				t.Errorf("nonce %s", claims["nonce"])
			} else if _, ok := claims["nonce"]; tt.wantNonce == "" && ok {
				t.Error("nonce without one given")
			}
		})
	}
	// jti is fresh each time.
	p := DPoP{Method: "POST", URL: "https://id.example/par", IssuedAt: testNow}
	a, _ := p.Proof(key, nil)
	b, _ := p.Proof(key, nil)
	_, ca, _ := decodeJWS(t, a, &key.PublicKey)
	_, cb, _ := decodeJWS(t, b, &key.PublicKey)
	if str(t, ca, "jti") == str(t, cb, "jti") {
		t.Error("jti repeated")
	}
}

func TestDPoPProofRefuses(t *testing.T) {
	key, _ := NewDPoPKey(nil)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name string
		key  crypto.Signer
		p    DPoP
	}{
		{"P-384 key", p384, DPoP{Method: "POST", URL: "https://x/par", IssuedAt: testNow}},
		{"nil key", (*ecdsa.PrivateKey)(nil), DPoP{Method: "POST", URL: "https://x/par", IssuedAt: testNow}},
		{"no signer", nil, DPoP{Method: "POST", URL: "https://x/par", IssuedAt: testNow}},
		{"no method", key, DPoP{URL: "https://x/par", IssuedAt: testNow}},
		{"relative URL", key, DPoP{Method: "POST", URL: "/par", IssuedAt: testNow}},
		{"other scheme", key, DPoP{Method: "POST", URL: "ftp://x/par", IssuedAt: testNow}},
		{"too long", key, DPoP{Method: "POST", URL: "https://x/par", IssuedAt: testNow, Lifetime: 121 * time.Second}},
		{"no time", key, DPoP{Method: "POST", URL: "https://x/par"}},
	}
	for _, tt := range tests {
		if _, err := tt.p.Proof(tt.key, nil); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := (DPoP{Method: "POST", URL: "https://x/par", IssuedAt: testNow}).Proof(key, bytes.NewReader(nil)); err == nil {
		t.Error("empty randomness: no error")
	}
}

func TestClientAssertion(t *testing.T) {
	key, _ := NewDPoPKey(nil)
	a := ClientAssertion{ClientID: "client-1", Audience: "https://id.example/fapi", KeyID: "kid-1", IssuedAt: testNow}
	tok, err := a.Sign(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr, claims, raw := decodeJWS(t, tok, &key.PublicKey)
	if raw["typ"] != "JWT" || raw["alg"] != "ES256" || hdr.KeyID != "kid-1" || len(raw) != 3 {
		t.Errorf("header %v", raw)
	}
	if str(t, claims, "iss") != "client-1" || str(t, claims, "sub") != "client-1" || str(t, claims, "aud") != "https://id.example/fapi" {
		t.Errorf("iss/sub/aud %s %s %s", claims["iss"], claims["sub"], claims["aud"])
	}
	if iat, exp := num(t, claims, "iat"), num(t, claims, "exp"); iat != testNow.Unix() || exp != iat+60 {
		t.Errorf("iat %d exp %d", iat, exp)
	}
	if len(str(t, claims, "jti")) < 22 || len(claims) != 6 {
		t.Errorf("claims %v", claims)
	}
	b, _ := a.Sign(key, nil)
	_, cb, _ := decodeJWS(t, b, &key.PublicKey)
	if str(t, claims, "jti") == str(t, cb, "jti") {
		t.Error("jti repeated")
	}
	a.Lifetime = 120 * time.Second
	c, _ := a.Sign(key, nil)
	if _, cc, _ := decodeJWS(t, c, &key.PublicKey); num(t, cc, "exp") != testNow.Unix()+120 {
		t.Errorf("exp %s", cc["exp"])
	}
	for name, bad := range map[string]ClientAssertion{
		"no client": {Audience: "a", KeyID: "k", IssuedAt: testNow},
		"no aud":    {ClientID: "c", KeyID: "k", IssuedAt: testNow},
		"no kid":    {ClientID: "c", Audience: "a", IssuedAt: testNow},
		"too long":  {ClientID: "c", Audience: "a", KeyID: "k", IssuedAt: testNow, Lifetime: 3 * time.Minute},
		"no exp":    {ClientID: "c", Audience: "a", KeyID: "k", IssuedAt: testNow, Lifetime: -1},
	} {
		if _, err := bad.Sign(key, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestKeyID(t *testing.T) {
	key, _ := NewDPoPKey(nil)
	a := ClientAssertion{ClientID: "c", Audience: "a", KeyID: "kid-7", IssuedAt: testNow}
	tok, _ := a.Sign(key, nil)
	if kid, err := KeyID(tok); err != nil || kid != "kid-7" {
		t.Errorf("KeyID = %q, %v", kid, err)
	}
	proof, _ := DPoP{Method: "GET", URL: "https://x/", IssuedAt: testNow}.Proof(key, nil)
	if _, err := KeyID(proof); !errors.Is(err, ErrHeader) {
		t.Errorf("a jwk header: %v", err)
	}
	noKid := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256"}`)) + ".e30.sig"
	if kid, err := KeyID(noKid); err != nil || kid != "" {
		t.Errorf("no kid: %q, %v", kid, err)
	}
	numKid := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":7}`)) + ".e30.sig"
	if _, err := KeyID(numKid); err == nil {
		t.Error("numeric kid accepted")
	}
}
