package keyset

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// memHolder is a Holder in memory whose keys give out no private key:
// only Public, Sign and ECDH, as an HSM's.
type memHolder struct {
	keys map[string]*memKey
	n    int
}

type memKey struct {
	label string
	use   string
	priv  *ecdsa.PrivateKey
}

func (k *memKey) Label() string            { return k.label }
func (k *memKey) Public() crypto.PublicKey { return &k.priv.PublicKey }
func (k *memKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if k.use != UseSig {
		return nil, errors.New("not a signing key")
	}
	return k.priv.Sign(r, d, o)
}
func (k *memKey) ECDH(remote *ecdh.PublicKey) ([]byte, error) {
	if k.use != UseEnc {
		return nil, errors.New("not a decryption key")
	}
	e, err := k.priv.ECDH()
	if err != nil {
		return nil, err
	}
	return e.ECDH(remote)
}

func (h *memHolder) Generate(use string) (HeldKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	h.n++
	k := &memKey{label: fmt.Sprintf("idconnect-%s-%d", use, h.n), use: use, priv: priv}
	if h.keys == nil {
		h.keys = map[string]*memKey{}
	}
	h.keys[k.label] = k
	return k, nil
}

func (h *memHolder) Find(label string) (HeldKey, error) {
	k, ok := h.keys[label]
	if !ok {
		return nil, errors.New("no such key")
	}
	return k, nil
}

// TestHeldKeys: a set whose keys are in a Holder keeps only their public
// half and label in the file, signs and decrypts through the holder, and
// rotates by making new keys there.
func TestHeldKeys(t *testing.T) {
	h := &memHolder{}
	s, err := GenerateHeld(h)
	if err != nil {
		t.Fatal(err)
	}
	file, err := s.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(file), `"d"`) || !strings.Contains(string(file), `"hsm_label": "idconnect-sig-1"`) || !strings.Contains(string(file), `"hsm_label": "idconnect-enc-2"`) {
		t.Fatalf("file:\n%s", file)
	}
	if _, err := Parse(file); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "held in an HSM") {
		t.Errorf("Parse without a holder: %v", err)
	}
	back, err := ParseHeld(file, h)
	if err != nil {
		t.Fatal(err)
	}
	signer, kid, err := back.SigningKey(testNow)
	if err != nil || kid != s.Keys()[0].KeyID {
		t.Fatalf("signing key %q: %v", kid, err)
	}
	if _, ok := signer.(*memKey); !ok {
		t.Errorf("the signer is %T, want the held key", signer)
	}
	encKid := s.Keys()[1].KeyID
	if plain, err := decrypt(encryptToPublic(t, back, encKid), back); err != nil || string(plain) != `{"sub":"x"}` {
		t.Errorf("decrypting through the holder: %q, %v", plain, err)
	}
	if n := len(back.DecryptionKeys().Keys); n != 0 {
		t.Errorf("DecryptionKeys gives %d held keys", n)
	}
	r, err := back.Rotate(nil, testNow, RotatePolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.keys) != 4 {
		t.Errorf("%d keys in the holder after a rotation, want 4", len(h.keys))
	}
	if k, ok := back.keys[2].held.(*memKey); !ok || back.keys[2].KeyID != r.Signing || k.use != UseSig {
		t.Errorf("the new signing key is not held: %+v", back.keys[2])
	}

	// The file and the holder must agree.
	other := &memHolder{}
	if _, err := GenerateHeld(other); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseHeld(file, other); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "is not the key of the JWK") {
		t.Errorf("a holder with other keys under the labels: %v", err)
	}
	if _, err := ParseHeld(file, &memHolder{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no such key") {
		t.Errorf("a holder without the keys: %v", err)
	}
	withD := strings.Replace(string(file), `"hsm_label": "idconnect-sig-1"`, `"hsm_label": "idconnect-sig-1", "d": "AAAA"`, 1)
	if _, err := ParseHeld([]byte(withD), h); err == nil {
		t.Error("a held key with a private part was accepted")
	}
}

// encryptToPublic encrypts to the published key kid of s.
func encryptToPublic(t *testing.T, s *Set, kid string) string {
	t.Helper()
	for _, k := range s.Public().Keys {
		if k.KeyID == kid {
			return encryptToKey(t, k, "A256GCM")
		}
	}
	t.Fatalf("%s is not published", kid)
	return ""
}
