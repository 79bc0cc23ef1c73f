package keyset

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// A Holder keeps private keys outside the key set file, in an HSM or a
// KMS: it makes new ones and finds them again by label. A set parsed with
// a holder ([ParseHeld]) holds, for such a key, its public JWK, its times
// and its label ("hsm_label"), never its private part; the keys it adds
// ([Set.Add], [Set.Rotate]) are made in the holder. keyset/pkcs11's
// Token.Holder is one.
type Holder interface {
	// Generate makes a new P-256 key for use (UseSig: it signs; UseEnc:
	// it derives) and returns it.
	Generate(use string) (HeldKey, error)
	// Find returns the key labelled label.
	Find(label string) (HeldKey, error)
}

// A HeldKey is a key in a Holder: a crypto.Signer when it signs, an
// ECDHKey when it decrypts.
type HeldKey interface {
	Label() string
	Public() crypto.PublicKey
}

// GenerateHeld is [Generate] with both keys made in h.
func GenerateHeld(h Holder) (*Set, error) {
	s := &Set{holder: h}
	for _, use := range []string{UseSig, UseEnc} {
		if _, err := s.Add(nil, use); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ParseHeld is [Parse] for a set whose keys may be in h: a key with an
// "hsm_label" member and no private part is looked up in h, and must be
// the key its public JWK says.
func ParseHeld(data []byte, h Holder) (*Set, error) {
	if h == nil {
		return nil, errors.New("keyset: ParseHeld needs a Holder")
	}
	return parse(data, h)
}

// heldEntry makes a key in h for use.
func heldEntry(h Holder, use string) (entry, error) {
	alg, ok := algFor(use)
	if !ok {
		return entry{}, fmt.Errorf("%w: unknown use %q", ErrInvalid, use)
	}
	k, err := h.Generate(use)
	if err != nil {
		return entry{}, fmt.Errorf("keyset: generating a held key: %w", err)
	}
	return newHeldEntry(k, use, alg)
}

func newHeldEntry(k HeldKey, use, alg string) (entry, error) {
	pub, ok := k.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return entry{}, fmt.Errorf("%w: held key %q is not a P-256 key", ErrInvalid, k.Label())
	}
	e := entry{JSONWebKey: jose.JSONWebKey{Key: pub, Use: use, Algorithm: alg}, held: k}
	var err error
	if e.KeyID, err = Thumbprint(pub); err != nil {
		return entry{}, err
	}
	return e, nil
}

// signer returns e's private key as a crypto.Signer.
func (e entry) signer() (crypto.Signer, error) {
	if e.held != nil {
		s, ok := e.held.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("keyset: held key %q cannot sign", e.held.Label())
		}
		return s, nil
	}
	return e.Key.(*ecdsa.PrivateKey), nil
}

// ecdhKey returns e's private key as an ECDHKey.
func (e entry) ecdhKey() (ECDHKey, error) {
	if e.held != nil {
		k, ok := e.held.(ECDHKey)
		if !ok {
			return nil, fmt.Errorf("keyset: held key %q cannot derive", e.held.Label())
		}
		return k, nil
	}
	if e.ecdh == nil {
		return nil, errors.New("keyset: the decryption key is not a P-256 key")
	}
	return e.ecdh, nil
}
