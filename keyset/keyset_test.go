package keyset

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func mustGenerate(t *testing.T) *Set {
	t.Helper()
	s, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerateRoundTrip(t *testing.T) {
	s := mustGenerate(t)
	infos := s.Keys()
	if len(infos) != 2 || infos[0].Use != UseSig || infos[0].Algorithm != AlgSig || infos[1].Use != UseEnc || infos[1].Algorithm != AlgEnc {
		t.Fatalf("keys: %+v", infos)
	}
	priv, err := s.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(priv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Keys(), s.Keys(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("round trip: %+v, want %+v", got, want)
	}
	k, kid, err := back.SigningKey(testNow)
	if err != nil || kid != infos[0].KeyID {
		t.Fatalf("signing key %q, %v", kid, err)
	}
	if tp, _ := Thumbprint(k.Public().(*ecdsa.PublicKey)); tp != kid {
		t.Errorf("kid %q is not the thumbprint %q", kid, tp)
	}
}

func TestPublicJSONHasNoPrivatePart(t *testing.T) {
	s := mustGenerate(t)
	if _, err := s.Add(nil, UseEnc); err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublicJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(pub, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 { // the signing key and the newest decryption key
		t.Fatalf("%d keys", len(doc.Keys))
	}
	for i, k := range doc.Keys {
		if _, ok := k["d"]; ok {
			t.Errorf("key %d has d", i)
		}
		for _, m := range []string{"kty", "crv", "x", "y", "kid", "use", "alg"} {
			if _, ok := k[m]; !ok {
				t.Errorf("key %d lacks %q", i, m)
			}
		}
	}
	if bytes.Contains(pub, []byte(`"d"`)) {
		t.Error(`public JSON contains "d"`)
	}
	// The public set is not a private set.
	if _, err := Parse(pub); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "public key only") {
		t.Errorf("Parse(public) = %v", err)
	}
}

func TestRotation(t *testing.T) {
	s := mustGenerate(t)
	old, _ := s.Signer(testNow)
	newKid, err := s.Add(nil, UseSig)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Signer(testNow); k.KeyID != newKid {
		t.Fatalf("signer %q, want the newest %q", k.KeyID, newKid)
	}
	// Both decryption keys decrypt.
	encKid, err := s.Add(nil, UseEnc)
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{s.Keys()[1].KeyID, encKid} {
		var pub jose.JSONWebKey
		for _, k := range s.DecryptionKeys().Keys {
			if k.KeyID == kid {
				pub = k.Public()
			}
		}
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: pub.Key, KeyID: kid}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt([]byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		compact, _ := obj.CompactSerialize()
		parsed, err := jose.ParseEncryptedCompact(compact, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := parsed.Decrypt(s.DecryptionKeys()); err != nil || string(plain) != "hello" {
			t.Errorf("kid %s: %q, %v", kid, plain, err)
		}
	}
	if err := s.Remove(old.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(newKid); !errors.Is(err, ErrInvalid) {
		t.Errorf("removing the only signing key: %v", err)
	}
	if err := s.Remove("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing an unknown kid: %v", err)
	}
	if _, err := s.Add(nil, "wrap"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown use: %v", err)
	}
}

// jwk builds one private JWK JSON object and lets the test edit its members.
func jwk(t *testing.T, curve elliptic.Curve, use, alg, kid string, edit func(map[string]any)) map[string]any {
	t.Helper()
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: priv, Use: use, Algorithm: alg, KeyID: kid})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	return m
}

func TestParseRefuses(t *testing.T) {
	p256 := elliptic.P256()
	sig := func(kid string) map[string]any { return jwk(t, p256, UseSig, AlgSig, kid, nil) }
	enc := func(kid string) map[string]any { return jwk(t, p256, UseEnc, AlgEnc, kid, nil) }
	dup := sig("a")
	other := enc("x")
	tests := []struct {
		name string
		keys []map[string]any
		want string
	}{
		{"public only", []map[string]any{jwk(t, p256, UseSig, AlgSig, "a", func(m map[string]any) { delete(m, "d") }), enc("b")}, "public key only"},
		{"P-384", []map[string]any{jwk(t, elliptic.P384(), UseSig, AlgSig, "a", nil), enc("b")}, "curve P-384"},
		{"unknown use", []map[string]any{jwk(t, p256, "wrap", AlgSig, "a", nil), sig("s"), enc("b")}, `use "wrap"`},
		{"no use", []map[string]any{jwk(t, p256, "", AlgSig, "a", nil), sig("s"), enc("b")}, `use ""`},
		{"sig with enc alg", []map[string]any{jwk(t, p256, UseSig, AlgEnc, "a", nil), enc("b")}, "alg"},
		{"enc with other alg", []map[string]any{sig("a"), jwk(t, p256, UseEnc, "ECDH-ES+A128KW", "b", nil)}, "alg"},
		{"no kid", []map[string]any{sig(""), enc("b")}, "no kid"},
		{"repeated kid", []map[string]any{sig("a"), enc("a")}, "kid repeated"},
		{"repeated key", []map[string]any{dup, func() map[string]any {
			m := map[string]any{}
			for k, v := range dup {
				m[k] = v
			}
			m["kid"] = "other"
			return m
		}(), enc("b")}, "same key appears twice"},
		{"mismatched d", []map[string]any{jwk(t, p256, UseSig, AlgSig, "a", func(m map[string]any) { m["d"] = other["d"] }), enc("b")}, "does not match"},
		{"no signing key", []map[string]any{enc("b")}, "no signing key"},
		{"no decryption key", []map[string]any{sig("a")}, "no decryption key"},
		{"RSA", []map[string]any{{"kty": "RSA", "kid": "r", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"}, sig("a"), enc("b")}, "key 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"keys": tt.keys})
			_, err := Parse(b)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), `"d"`) {
				t.Errorf("error mentions key material: %v", err)
			}
		})
	}
	for _, bad := range []string{"", "[]", "{", `{"keys":[1]}`} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func TestAcceptsDatedKid(t *testing.T) {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{
		jwk(t, elliptic.P256(), UseSig, AlgSig, "sig-2026-12-01", nil),
		jwk(t, elliptic.P256(), UseEnc, AlgEnc, "enc-2026-12-01", nil),
	}})
	s, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Signer(testNow); k.KeyID != "sig-2026-12-01" {
		t.Errorf("signer %q", k.KeyID)
	}
}
