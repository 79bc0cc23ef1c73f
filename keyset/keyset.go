// Package keyset holds a relying party's own keys: the private JWK set an
// OpenID provider such as Singpass is told about (through its public half,
// served at /.well-known/jwks.json or pasted into a portal).
//
// A set holds two kinds of key, both on the P-256 curve:
//
//   - signing keys: "use":"sig", "alg":"ES256". They sign client assertions
//     (private_key_jwt) and, where the provider allows it, DPoP proofs.
//   - decryption keys: "use":"enc", "alg":"ECDH-ES+A256KW". The provider
//     encrypts ID tokens and userinfo answers to them.
//
// Key IDs are RFC 7638 JWK thumbprints (SHA-256, base64url) of the public
// key, so a kid is never reused for another key and needs no bookkeeping.
//
// # Rotation
//
// A set may hold several keys of each use. The order of the keys in the
// file is their age: [Set.Add] appends, and the last signing key in the set
// is the one that signs ([Set.Signer]). Every decryption key can decrypt: a
// JWE names the key it was made for in its "kid", and the set picks it.
//
// Providers cache the relying party's public keys (Singpass for an hour),
// so rotate in steps. For a signing key: publish a set that holds the new
// key before it signs (put it ahead of the current signer in the file),
// wait for the provider's cache to expire, move it to the end, and later
// [Set.Remove] the old key. For a decryption key: add it (every key keeps
// decrypting), publish, wait, then remove the old one.
//
// # Keys elsewhere
//
// Provider clients take their keys as [Keys], an interface of two
// operations: a crypto.Signer that signs, and go-jose's
// OpaqueKeyDecrypter that unwraps a JWE's content key. A *Set implements
// it from a file; keys held in an HSM or KMS implement it without the
// private key ever reaching the process ([ECDHDecrypter] does the JOSE part
// of decryption and asks the key only for ECDH).
//
// # Secrets
//
// [Set.MarshalPrivate] writes private keys. Keep its output readable by the
// service only (the idconnect command writes it with mode 0600). Only
// [Set.PublicJSON] is for publication.
package keyset

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	_ "crypto/sha256" // for Thumbprint
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Uses and algorithms of the keys in a set.
const (
	UseSig = "sig"
	UseEnc = "enc"
	// AlgSig is the algorithm of every signing key.
	AlgSig = string(jose.ES256)
	// AlgEnc is the algorithm of every decryption key.
	AlgEnc = string(jose.ECDH_ES_A256KW)
)

// Errors from Parse and the Set methods. Parse wraps ErrInvalid with the
// position and kid of the offending key, never key material.
var (
	ErrInvalid  = errors.New("keyset: invalid key set")
	ErrNotFound = errors.New("keyset: no such key")
)

// Set is a relying party's private key set. The zero value is empty; use
// [Generate] or [Parse]. A Set is not safe for concurrent modification;
// the read methods may be called concurrently once it is no longer changed.
type Set struct {
	keys []jose.JSONWebKey // private keys, oldest first
}

// Generate returns a set with one fresh signing key and one fresh
// decryption key, drawing randomness from rand (nil: crypto/rand).
func Generate(rand io.Reader) (*Set, error) {
	s := new(Set)
	for _, use := range []string{UseSig, UseEnc} {
		if _, err := s.Add(rand, use); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add generates a P-256 key for use (UseSig or UseEnc), appends it to the
// set and returns its kid. An added signing key becomes the signer.
func (s *Set) Add(rand io.Reader, use string) (string, error) {
	alg, ok := algFor(use)
	if !ok {
		return "", fmt.Errorf("%w: unknown use %q", ErrInvalid, use)
	}
	priv, err := newKey(rand)
	if err != nil {
		return "", err
	}
	k := jose.JSONWebKey{Key: priv, Use: use, Algorithm: alg}
	if k.KeyID, err = Thumbprint(&priv.PublicKey); err != nil {
		return "", err
	}
	s.keys = append(s.keys, k)
	return k.KeyID, nil
}

// newKey draws a P-256 key (rand nil: crypto/rand). Current Go versions
// may draw from the system source whatever rand is.
func newKey(rand io.Reader) (*ecdsa.PrivateKey, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, fmt.Errorf("keyset: generating a key: %w", err)
	}
	return k, nil
}

// Remove deletes the key with kid. Removing the last key of a use is
// refused: a set always keeps one signing and one decryption key.
func (s *Set) Remove(kid string) error {
	i := slices.IndexFunc(s.keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid })
	if i < 0 {
		return ErrNotFound
	}
	use := s.keys[i].Use
	n := 0
	for _, k := range s.keys {
		if k.Use == use {
			n++
		}
	}
	if n == 1 {
		return fmt.Errorf("%w: %q is the only %s key", ErrInvalid, kid, use)
	}
	s.keys = slices.Delete(s.keys, i, i+1)
	return nil
}

// Signer returns the active signing key (the last "sig" key) as a private
// JWK with its kid, use and alg. The key is shared, not copied: do not
// modify it.
func (s *Set) Signer() (jose.JSONWebKey, error) {
	if s == nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: no signing key", ErrNotFound)
	}
	for i := len(s.keys) - 1; i >= 0; i-- {
		if s.keys[i].Use == UseSig {
			return s.keys[i], nil
		}
	}
	return jose.JSONWebKey{}, fmt.Errorf("%w: no signing key", ErrNotFound)
}

// SigningKey implements [Keys]: it returns the signing key that signs at
// now, as an *ecdsa.PrivateKey, and its kid.
func (s *Set) SigningKey(now time.Time) (crypto.Signer, string, error) {
	k, err := s.Signer()
	if err != nil {
		return nil, "", err
	}
	return k.Key.(*ecdsa.PrivateKey), k.KeyID, nil
}

// DecryptKey implements [Keys] (and jose.OpaqueKeyDecrypter): it unwraps
// an ECDH-ES+A256KW content key with the decryption key named by the
// header's kid, through the same [ECDHDecrypter] path an HSM key takes.
func (s *Set) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	for _, k := range s.keys {
		if k.Use != UseEnc || k.KeyID != h.KeyID || h.KeyID == "" {
			continue
		}
		priv, err := k.Key.(*ecdsa.PrivateKey).ECDH()
		if err != nil {
			return nil, fmt.Errorf("keyset: decryption key: %w", err)
		}
		return unwrapKey(priv, encryptedKey, h)
	}
	return nil, errors.New("keyset: the JWE names no decryption key of this set")
}

// DecryptionKeys returns every decryption key as a private JWK set, for
// go-jose (or jwx.Decrypt), which picks the key named by a JWE's "kid".
func (s *Set) DecryptionKeys() *jose.JSONWebKeySet {
	out := &jose.JSONWebKeySet{}
	for _, k := range s.keys {
		if k.Use == UseEnc {
			out.Keys = append(out.Keys, k)
		}
	}
	return out
}

// Keys returns the kids, uses and order of the keys in the set.
func (s *Set) Keys() []KeyInfo {
	out := make([]KeyInfo, len(s.keys))
	for i, k := range s.keys {
		out[i] = KeyInfo{KeyID: k.KeyID, Use: k.Use, Algorithm: k.Algorithm}
	}
	return out
}

// KeyInfo describes one key of a set, without key material.
type KeyInfo struct {
	KeyID, Use, Algorithm string
}

// Public returns the public half of the set as a JWK set.
func (s *Set) Public() *jose.JSONWebKeySet {
	out := &jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(s.keys))}
	for i, k := range s.keys {
		out.Keys[i] = k.Public()
	}
	return out
}

// PublicJSON returns the public set as JSON, for /.well-known/jwks.json or
// a provider's portal: kty, crv, x, y, kid, use and alg of every key, and
// never "d".
func (s *Set) PublicJSON() ([]byte, error) {
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("%w: empty set", ErrInvalid)
	}
	return marshal(s.Public())
}

// MarshalPrivate returns the whole set, private keys included, as a JWK set
// JSON document that [Parse] reads back. It is a secret.
func (s *Set) MarshalPrivate() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return marshal(&jose.JSONWebKeySet{Keys: s.keys})
}

func marshal(set *jose.JSONWebKeySet) ([]byte, error) {
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("keyset: encoding: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, fmt.Errorf("keyset: encoding: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Parse reads a private set written by [Set.MarshalPrivate] (or by hand):
// a JSON object {"keys":[…]} of EC P-256 private keys, each with a kid,
// "use" sig with "alg" ES256 or "use" enc with "alg" ECDH-ES+A256KW. It
// refuses public-only keys, other curves and key types, other or missing
// uses and algorithms, repeated kids or keys, and a set without at least
// one key of each use. A kid need not be a thumbprint.
func Parse(data []byte) (*Set, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JSON key set", ErrInvalid)
	}
	s := new(Set)
	for i, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("%w: key %d: not a valid JWK", ErrInvalid, i)
		}
		s.keys = append(s.keys, k)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// check applies Parse's rules to the set.
func (s *Set) check() error {
	var errs []error
	kids := map[string]bool{}
	thumbs := map[string]bool{}
	uses := map[string]int{}
	for i, k := range s.keys {
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%w: key %d (kid %q): %s", ErrInvalid, i, k.KeyID, fmt.Sprintf(format, a...)))
		}
		priv, ok := k.Key.(*ecdsa.PrivateKey)
		switch {
		case !ok && k.IsPublic():
			bad("public key only, the set needs the private key")
			continue
		case !ok:
			bad("key type %s, want EC P-256", keyType(k))
			continue
		case priv.Curve != elliptic.P256():
			bad("curve %s, want P-256", priv.Curve.Params().Name)
			continue
		}
		if !matches(priv) {
			bad("the private key does not match its public key")
			continue
		}
		if alg, ok := algFor(k.Use); !ok {
			bad("use %q, want %q or %q", k.Use, UseSig, UseEnc)
		} else if k.Algorithm != alg {
			bad("alg %q, want %q for use %q", k.Algorithm, alg, k.Use)
		}
		uses[k.Use]++
		if k.KeyID == "" {
			bad("no kid")
		} else if kids[k.KeyID] {
			bad("kid repeated")
		}
		kids[k.KeyID] = true
		tp, err := Thumbprint(&priv.PublicKey)
		if err != nil {
			bad("%v", err)
		} else if thumbs[tp] {
			bad("the same key appears twice")
		}
		thumbs[tp] = true
	}
	if uses[UseSig] == 0 {
		errs = append(errs, fmt.Errorf("%w: no signing key (use %q)", ErrInvalid, UseSig))
	}
	if uses[UseEnc] == 0 {
		errs = append(errs, fmt.Errorf("%w: no decryption key (use %q)", ErrInvalid, UseEnc))
	}
	return errors.Join(errs...)
}

// matches reports whether priv's public point is the one its scalar gives.
func matches(priv *ecdsa.PrivateKey) bool {
	d := priv.D.FillBytes(make([]byte, 32))
	ek, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		return false
	}
	pub, err := priv.PublicKey.ECDH()
	return err == nil && pub.Equal(ek.PublicKey())
}

func keyType(k jose.JSONWebKey) string {
	switch k.Key.(type) {
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "EC"
	case nil:
		return "none"
	}
	return fmt.Sprintf("%T", k.Key)
}

func algFor(use string) (string, bool) {
	switch use {
	case UseSig:
		return AlgSig, true
	case UseEnc:
		return AlgEnc, true
	}
	return "", false
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of an EC public key,
// base64url without padding: the kid this package gives keys.
func Thumbprint(pub *ecdsa.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("keyset: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
