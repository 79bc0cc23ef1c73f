package jwx

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

var headerTestKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return ks, err
		}
		ks[i] = k
	}
	return ks, nil
})

func headerKeys(t *testing.T) (provider, client *rsa.PrivateKey) {
	t.Helper()
	ks, err := headerTestKeys()
	if err != nil {
		t.Fatal(err)
	}
	return ks[0], ks[1]
}

// signRaw signs header.payload with RS256 by hand, for headers go-jose
// will not write (a repeated name).
func signRaw(t *testing.T, key *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestVerifyRefusesHeaders signs every case with the right key, so a
// refusal can only come from the header rules.
func TestVerifyRefusesHeaders(t *testing.T) {
	provider, _ := headerKeys(t)
	sign := func(opts *jose.SignerOptions) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: provider}, opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign([]byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		out, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	with := func(k string, v any) string { return sign((&jose.SignerOptions{}).WithHeader(jose.HeaderKey(k), v)) }
	tests := []struct {
		name string
		jws  string
		want error // nil: accepted
	}{
		{"plain", sign(nil), nil},
		{"zip NONE, as Myinfo sends", with("zip", "NONE"), nil},
		{"kid and typ", sign((&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1")), nil},
		{"embedded jwk", sign(&jose.SignerOptions{EmbedJWK: true}), ErrHeader},
		{"jku", with("jku", "https://attacker.example/jwks.json"), ErrHeader},
		{"x5u", with("x5u", "https://attacker.example/cert.pem"), ErrHeader},
		{"x5c", with("x5c", []string{"MIIB"}), ErrHeader},
		{"crit", sign((&jose.SignerOptions{}).WithHeader("crit", []string{"exp"}).WithHeader("exp", 1)), ErrHeader},
		{"zip DEF", with("zip", "DEF"), ErrHeader},
		{"zip not a string", with("zip", 1), ErrHeader},
		{"repeated zip", signRaw(t, provider, `{"alg":"RS256","zip":"DEF","zip":"NONE"}`, `{"sub":"x"}`), ErrHeader},
		{"repeated alg", signRaw(t, provider, `{"alg":"none","alg":"RS256"}`, `{"sub":"x"}`), ErrHeader},
		{"hand-made, accepted", signRaw(t, provider, `{"alg":"RS256"}`, `{"sub":"x"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := Verify(tt.jws, &provider.PublicKey, []jose.SignatureAlgorithm{jose.RS256})
			if tt.want == nil {
				if err != nil || string(payload) != `{"sub":"x"}` {
					t.Fatalf("Verify = %q, %v", payload, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyMalformedHeader(t *testing.T) {
	provider, _ := headerKeys(t)
	for _, h := range []string{"!!!", base64.RawURLEncoding.EncodeToString([]byte(`["alg"]`)), base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}{}`))} {
		if _, err := Verify(h+".e30.AA", &provider.PublicKey, []jose.SignatureAlgorithm{jose.RS256}); err == nil || !strings.Contains(err.Error(), "header") {
			t.Errorf("header %q: err = %v", h, err)
		}
	}
}

// TestDecryptRefusesHeaders encrypts every case to the right key; the
// refusal must come before decryption (zip DEF would otherwise inflate).
func TestDecryptRefusesHeaders(t *testing.T) {
	_, client := headerKeys(t)
	encrypt := func(opts *jose.EncrypterOptions) string {
		e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: &client.PublicKey}, opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := e.Encrypt([]byte(strings.Repeat("a", 1000)))
		if err != nil {
			t.Fatal(err)
		}
		out, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	with := func(k string, v any) string {
		return encrypt((&jose.EncrypterOptions{}).WithHeader(jose.HeaderKey(k), v))
	}
	pub, err := (&jose.JSONWebKey{Key: &client.PublicKey}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		jwe  string
		want error
	}{
		{"plain", encrypt(nil), nil},
		{"kid", with("kid", "client-enc"), nil},
		{"zip DEF", encrypt(&jose.EncrypterOptions{Compression: jose.DEFLATE}), ErrHeader},
		{"jwk", with("jwk", json.RawMessage(pub)), ErrHeader},
		{"jku", with("jku", "https://attacker.example/jwks.json"), ErrHeader},
		{"x5u", with("x5u", "https://attacker.example/cert.pem"), ErrHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := Decrypt(tt.jwe, client, []jose.KeyAlgorithm{jose.RSA_OAEP}, []jose.ContentEncryption{jose.A256GCM})
			if tt.want == nil {
				if err != nil || len(plain) != 1000 {
					t.Fatalf("Decrypt = %d bytes, %v", len(plain), err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt err = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzCheckHeader: the header rules read attacker-controlled bytes before
// anything else does. They must not panic, and an accepted header must
// hold none of the refused names.
func FuzzCheckHeader(f *testing.F) {
	for _, h := range []string{`{"alg":"RS256"}`, `{"alg":"RS256","zip":"NONE","typ":"JWT"}`, `{"jku":"x"}`, `{"a":1,"a":2}`, `{"zip":"DEF"}`, `[]`, `{"alg":{"x":[1,{"jwk":1}]}}`} {
		f.Add(base64.RawURLEncoding.EncodeToString([]byte(h)) + ".e30.AA")
	}
	f.Fuzz(func(t *testing.T, compact string) {
		if checkHeader(compact) != nil {
			return
		}
		seg, _, _ := strings.Cut(compact, ".")
		raw, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			t.Fatal("accepted a header that is not base64url")
		}
		var h map[string]json.RawMessage
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatalf("accepted a header encoding/json refuses: %v", err)
		}
		for _, name := range refusedHeaders {
			if _, ok := h[name]; ok {
				t.Fatalf("accepted a header with %q", name)
			}
		}
		if z, ok := h["zip"]; ok && string(z) != `"NONE"` {
			var s string
			if json.Unmarshal(z, &s) != nil || s != "NONE" {
				t.Fatalf("accepted zip %s", z)
			}
		}
	})
}
