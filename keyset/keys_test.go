package keyset

import (
	"crypto/aes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josecipher "github.com/go-jose/go-jose/v4/cipher"
)

var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// encryptTo makes a compact JWE to the set's decryption key kid with
// go-jose's own ECDH-ES+A256KW, the way a provider does.
func encryptTo(t *testing.T, s *Set, kid string, enc jose.ContentEncryption) string {
	t.Helper()
	var pub jose.JSONWebKey
	for _, k := range s.DecryptionKeys().Keys {
		if k.KeyID == kid {
			pub = k.Public()
		}
	}
	return encryptToKey(t, pub, enc)
}

// encryptToKey makes a compact JWE to the public key pub.
func encryptToKey(t *testing.T, pub jose.JSONWebKey, enc jose.ContentEncryption) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: pub.Key, KeyID: pub.KeyID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

func decrypt(compact string, key any) ([]byte, error) {
	obj, err := jose.ParseEncryptedCompact(compact, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW, jose.ECDH_ES},
		[]jose.ContentEncryption{jose.A256GCM, jose.A256CBC_HS512, jose.A128GCM})
	if err != nil {
		return nil, err
	}
	return obj.Decrypt(key)
}

// TestDecryptKey opens go-jose's JWEs through the opaque path (the one an
// HSM key takes) for several content encryptions. (go-jose's encrypter
// sets no apu/apv; TestDecryptKeyRefuses covers them.)
func TestDecryptKey(t *testing.T) {
	s := mustGenerate(t)
	kid := s.Keys()[1].KeyID
	for _, enc := range []jose.ContentEncryption{jose.A256GCM, jose.A256CBC_HS512, jose.A128GCM} {
		compact := encryptTo(t, s, kid, enc)
		plain, err := decrypt(compact, jose.OpaqueKeyDecrypter(s))
		if err != nil || string(plain) != `{"sub":"x"}` {
			t.Errorf("%s: %q, %v", enc, plain, err)
		}
		// The file keys open it through go-jose's own path too.
		if plain, err := decrypt(compact, s.DecryptionKeys()); err != nil || string(plain) != `{"sub":"x"}` {
			t.Errorf("%s through go-jose: %q, %v", enc, plain, err)
		}
	}
}

// TestConcatKDF: the KDF here gives what go-jose's DeriveECDHES gives.
func TestConcatKDF(t *testing.T) {
	a, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	want := josecipher.DeriveECDHES(AlgEnc, []byte("u"), []byte("v"), a, &b.PublicKey, 32)
	ea, _ := a.ECDH()
	eb, _ := b.PublicKey.ECDH()
	z, _ := ea.ECDH(eb)
	if got := concatKDF(z, AlgEnc, []byte("u"), []byte("v"), 32); string(got) != string(want) {
		t.Errorf("concatKDF differs from DeriveECDHES")
	}
}

func TestDecryptKeyRefuses(t *testing.T) {
	s := mustGenerate(t)
	kid := s.Keys()[1].KeyID
	priv, _ := s.keys[1].Key.(*ecdsa.PrivateKey).ECDH()
	epk, _ := ecdh.P256().GenerateKey(rand.Reader)
	z, _ := epk.ECDH(priv.PublicKey())
	epkJWK := func(pub *ecdh.PublicKey) any {
		b := pub.Bytes() // 0x04 || X || Y
		return map[string]any{"kty": "EC", "crv": "P-256",
			"x": base64.RawURLEncoding.EncodeToString(b[1:33]), "y": base64.RawURLEncoding.EncodeToString(b[33:])}
	}
	wrap := func(cek []byte) []byte {
		block, _ := aes.NewCipher(concatKDF(z, AlgEnc, nil, nil, 32))
		out, err := josecipher.KeyWrap(block, cek)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	good := jose.Header{KeyID: kid, Algorithm: AlgEnc, ExtraHeaders: map[jose.HeaderKey]any{"enc": "A256GCM", "epk": epkJWK(epk.PublicKey())}}
	cek := make([]byte, 32)
	if got, err := s.DecryptKey(wrap(cek), good); err != nil || len(got) != 32 {
		t.Fatalf("the well-formed header: %d bytes, %v", len(got), err)
	}
	// apu and apv enter the KDF.
	withParties := jose.Header{KeyID: kid, Algorithm: AlgEnc, ExtraHeaders: map[jose.HeaderKey]any{"enc": "A256GCM", "epk": epkJWK(epk.PublicKey()),
		"apu": base64.RawURLEncoding.EncodeToString([]byte("Alice")), "apv": base64.RawURLEncoding.EncodeToString([]byte("Bob"))}}
	block, _ := aes.NewCipher(concatKDF(z, AlgEnc, []byte("Alice"), []byte("Bob"), 32))
	wrapped, _ := josecipher.KeyWrap(block, cek)
	if got, err := s.DecryptKey(wrapped, withParties); err != nil || len(got) != 32 {
		t.Errorf("with apu and apv: %d bytes, %v", len(got), err)
	}
	if _, err := s.DecryptKey(wrap(cek), withParties); err == nil {
		t.Error("apu and apv were left out of the KDF")
	}
	with := func(mod func(h *jose.Header)) jose.Header {
		h := good
		h.ExtraHeaders = map[jose.HeaderKey]any{}
		for k, v := range good.ExtraHeaders {
			h.ExtraHeaders[k] = v
		}
		mod(&h)
		return h
	}
	offCurve := epkJWK(epk.PublicKey()).(map[string]any)
	offCurve["y"] = base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384JWK, _ := json.Marshal(jose.JSONWebKey{Key: &p384.PublicKey})
	var p384Map map[string]any
	_ = json.Unmarshal(p384JWK, &p384Map)
	tampered := wrap(cek)
	tampered[3] ^= 1
	for _, tt := range []struct {
		name, want string
		key        []byte
		h          jose.Header
	}{
		{"unknown kid", "names no decryption key", wrap(cek), with(func(h *jose.Header) { h.KeyID = "other" })},
		{"no kid", "names no decryption key", wrap(cek), with(func(h *jose.Header) { h.KeyID = "" })},
		{"a signing key's kid", "names no decryption key", wrap(cek), with(func(h *jose.Header) { h.KeyID = s.Keys()[0].KeyID })},
		{"direct ECDH-ES", "alg", wrap(cek), with(func(h *jose.Header) { h.Algorithm = "ECDH-ES" })},
		{"no enc", "enc", wrap(cek), with(func(h *jose.Header) { delete(h.ExtraHeaders, "enc") })},
		{"no epk", "epk", wrap(cek), with(func(h *jose.Header) { delete(h.ExtraHeaders, "epk") })},
		{"epk off the curve", "epk", wrap(cek), with(func(h *jose.Header) { h.ExtraHeaders["epk"] = offCurve })},
		{"P-384 epk", "epk", wrap(cek), with(func(h *jose.Header) { h.ExtraHeaders["epk"] = p384Map })},
		{"apu not base64url", "apu", wrap(cek), with(func(h *jose.Header) { h.ExtraHeaders["apu"] = "a+b/" })},
		{"tampered key", "does not unwrap", tampered, good},
		{"short key for A256GCM", "wrong size", wrap(make([]byte, 16)), good},
	} {
		if _, err := s.DecryptKey(tt.key, tt.h); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error about %q", tt.name, err, tt.want)
		}
	}
}

// BenchmarkDecryptKey compares opening a JWE through the opaque path (the
// one HSM keys take) with go-jose's own ECDH-ES.
func BenchmarkDecryptKey(b *testing.B) {
	s, _ := Generate(nil)
	enc := s.DecryptionKeys().Keys[0]
	e, _ := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: enc.Public().Key, KeyID: enc.KeyID}, nil)
	obj, _ := e.Encrypt([]byte(`{"sub":"x"}`))
	compact, _ := obj.CompactSerialize()
	for _, bc := range []struct {
		name string
		key  any
	}{{"opaque", jose.OpaqueKeyDecrypter(s)}, {"go-jose", s.DecryptionKeys()}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := decrypt(compact, bc.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
