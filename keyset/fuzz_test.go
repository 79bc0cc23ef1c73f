package keyset

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzCheckJWKS: a published JWKS is whatever the URL answers. The check
// never panics, reports each problem with its reason, and accepts nothing
// that holds a private member or lacks a sig or an enc key.
func FuzzCheckJWKS(f *testing.F) {
	s, _ := Generate(nil)
	pub, _ := s.PublicJSON()
	priv, _ := s.MarshalPrivate()
	for _, seed := range []string{string(pub), string(priv), `{"keys":[]}`, `{"keys":[{"kty":"EC"}]}`, `[]`, `{"keys":[{"kty":"oct","k":"AA","use":"sig","kid":"a"}]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		probs := CheckJWKS(body)
		for _, p := range probs {
			if p.What == "" || p.Why == "" {
				t.Fatalf("a problem without what or why: %+v", p)
			}
		}
		if len(probs) > 0 {
			return
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(body, &set); err != nil {
			t.Fatalf("accepted a body go-jose cannot read: %v", err)
		}
		uses := map[string]bool{}
		for _, k := range set.Keys {
			if !k.IsPublic() {
				t.Fatal("accepted a private key")
			}
			uses[k.Use] = true
		}
		if !uses[UseSig] || !uses[UseEnc] {
			t.Fatalf("accepted a set without a sig and an enc key: %s", body)
		}
		var raw struct {
			Keys []map[string]json.RawMessage `json:"keys"`
		}
		_ = json.Unmarshal(body, &raw)
		for _, k := range raw.Keys {
			for name := range k {
				if slices.Contains(privateMembers, strings.ToLower(name)) {
					t.Fatalf("accepted a key with %q", name)
				}
			}
		}
	})
}

// FuzzDecryptKey: the JWE header the opaque path reads (kid, alg, enc, epk,
// apu, apv) comes from whoever sent the JWE. Nothing panics, and whatever
// the opaque path opens, go-jose's own ECDH-ES opens the same way.
func FuzzDecryptKey(f *testing.F) {
	s, _ := Generate(nil)
	enc := s.DecryptionKeys().Keys[0]
	e, _ := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: enc.Public().Key, KeyID: enc.KeyID}, nil)
	obj, _ := e.Encrypt([]byte("secret"))
	good, _ := obj.CompactSerialize()
	f.Add(good)
	f.Add("eyJhbGciOiJFQ0RILUVTK0EyNTZLVyIsImVuYyI6IkEyNTZHQ00iLCJraWQiOiJ4In0.AA.AA.AA.AA")
	f.Fuzz(func(t *testing.T, compact string) {
		obj, err := jose.ParseEncryptedCompact(compact, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM, jose.A256CBC_HS512})
		if err != nil {
			return
		}
		plain, err := obj.Decrypt(s)
		if err != nil {
			return
		}
		// Differential: what the opaque path opens, go-jose's own ECDH-ES
		// opens to the same plaintext.
		if native, err := obj.Decrypt(s.DecryptionKeys()); err != nil || string(native) != string(plain) {
			t.Fatalf("the opaque path opened %q; go-jose's own: %q, %v", plain, native, err)
		}
	})
}
