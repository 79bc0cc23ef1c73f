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
// A set may hold several keys of each use, each with optional times kept in
// the file beside its JWK members: "created", "not_before" (when it takes
// over) and "retire_after" (when it is done). The service reads them with
// its clock: the signing key is the newest live one ([Set.Signer]); the
// published set ([Set.PublicAt]) holds every signing key not yet retired
// (so a new one is known before it signs) and the newest live decryption
// key (the one providers encrypt to). Every decryption key in the set
// decrypts: a JWE names the key it was made for in its "kid".
//
// [Set.Rotate] writes Singpass's rotation steps as such times: new keys
// published, then taking over once every instance and every provider's
// JWKS cache (an hour at Singpass and Corppass) has them, the old ones
// kept until what is in flight is done. A set without times (from
// [Generate] or [Set.Add]) behaves as before: the last signing key signs.
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
// [Set.PublicJSONAt] (or PublicJSON) is for publication, and [Checker]
// checks a published set as Singpass and Corppass fetch it.
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
	keys   []entry // oldest first
	holder Holder  // where new keys are made; nil: in memory, written to the file
}

// entry is one private key and its rotation times (zero: unset).
type entry struct {
	jose.JSONWebKey
	// Created is when the key was made (informational).
	Created time.Time
	// NotBefore is when the key takes over: a signing key signs from
	// then on, a decryption key is the published one from then on.
	NotBefore time.Time
	// RetireAfter is when the key is done: it is then neither used nor
	// published, and Rotate drops it.
	RetireAfter time.Time
	// held, when set, is the private key in a Holder; JSONWebKey then
	// holds the public key only.
	held HeldKey
	// ecdh is a file decryption key's private key for ECDH, made once.
	ecdh *ecdh.PrivateKey
}

// live reports whether e may be used at now.
func (e entry) live(now time.Time) bool {
	return !e.NotBefore.After(now) && (e.RetireAfter.IsZero() || now.Before(e.RetireAfter))
}

// current returns the index of the key of use in charge at now: of the
// live keys, the one with the latest NotBefore, and of equals the last.
func (s *Set) current(use string, now time.Time) int {
	best := -1
	if s == nil {
		return best
	}
	for i, k := range s.keys {
		if k.Use == use && k.live(now) && (best < 0 || !k.NotBefore.Before(s.keys[best].NotBefore)) {
			best = i
		}
	}
	return best
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
// set and returns its kid. An added signing key signs at once (it is the
// newest); use [Set.Rotate] to let providers see it first.
func (s *Set) Add(rand io.Reader, use string) (string, error) {
	e, err := s.newEntry(rand, use)
	if err != nil {
		return "", err
	}
	s.keys = append(s.keys, e)
	return e.KeyID, nil
}

// newEntry makes a key for use: in the set's holder if it has one, else
// from rand.
func (s *Set) newEntry(rand io.Reader, use string) (entry, error) {
	if s.holder != nil {
		return heldEntry(s.holder, use)
	}
	alg, ok := algFor(use)
	if !ok {
		return entry{}, fmt.Errorf("%w: unknown use %q", ErrInvalid, use)
	}
	priv, err := newKey(rand)
	if err != nil {
		return entry{}, err
	}
	k := jose.JSONWebKey{Key: priv, Use: use, Algorithm: alg}
	if k.KeyID, err = Thumbprint(&priv.PublicKey); err != nil {
		return entry{}, err
	}
	e := entry{JSONWebKey: k}
	if use == UseEnc {
		if e.ecdh, err = priv.ECDH(); err != nil {
			return entry{}, fmt.Errorf("keyset: %w", err)
		}
	}
	return e, nil
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
	i := slices.IndexFunc(s.keys, func(k entry) bool { return k.KeyID == kid })
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

// Signer returns the signing key that signs at now, as a JWK with its
// kid, use and alg (private, or public for a held key): of the signing keys whose NotBefore has come (or
// is unset) and whose RetireAfter has not, the one with the latest
// NotBefore, and of equals the last in the set. The key is shared, not
// copied: do not modify it.
func (s *Set) Signer(now time.Time) (jose.JSONWebKey, error) {
	best := s.current(UseSig, now)
	if best < 0 {
		return jose.JSONWebKey{}, fmt.Errorf("%w: no signing key is active at %s", ErrNotFound, now.UTC().Format(time.RFC3339))
	}
	return s.keys[best].JSONWebKey, nil
}

// SigningKey implements [Keys]: the key [Set.Signer] picks at now (an
// *ecdsa.PrivateKey, or a held key), and its kid.
func (s *Set) SigningKey(now time.Time) (crypto.Signer, string, error) {
	best := s.current(UseSig, now)
	if best < 0 {
		return nil, "", fmt.Errorf("%w: no signing key is active at %s", ErrNotFound, now.UTC().Format(time.RFC3339))
	}
	signer, err := s.keys[best].signer()
	if err != nil {
		return nil, "", err
	}
	return signer, s.keys[best].KeyID, nil
}

// DecryptKey implements [Keys] (and jose.OpaqueKeyDecrypter): it unwraps
// an ECDH-ES+A256KW content key with the decryption key named by the
// header's kid, through the same [ECDHDecrypter] path an HSM key takes.
// Every decryption key in the set decrypts, the ones no longer published
// included: a provider may still hold the set it fetched before.
func (s *Set) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	for _, k := range s.keys {
		if k.Use != UseEnc || k.KeyID != h.KeyID || h.KeyID == "" {
			continue
		}
		priv, err := k.ecdhKey()
		if err != nil {
			return nil, err
		}
		return unwrapKey(priv, encryptedKey, h)
	}
	return nil, errors.New("keyset: the JWE names no decryption key of this set")
}

// DecryptionKeys returns every decryption key kept in the file as a
// private JWK set, for go-jose (or jwx.Decrypt), which picks the key named
// by a JWE's "kid". Held keys are not in it: use the Set itself as the
// key (it is a jose.OpaqueKeyDecrypter).
func (s *Set) DecryptionKeys() *jose.JSONWebKeySet {
	out := &jose.JSONWebKeySet{}
	for _, k := range s.keys {
		if k.Use == UseEnc && k.held == nil {
			out.Keys = append(out.Keys, k.JSONWebKey)
		}
	}
	return out
}

// Keys returns the kids, uses, times and order of the keys in the set.
func (s *Set) Keys() []KeyInfo {
	out := make([]KeyInfo, len(s.keys))
	for i, k := range s.keys {
		out[i] = KeyInfo{KeyID: k.KeyID, Use: k.Use, Algorithm: k.Algorithm,
			Created: k.Created, NotBefore: k.NotBefore, RetireAfter: k.RetireAfter}
	}
	return out
}

// KeyInfo describes one key of a set, without key material.
type KeyInfo struct {
	KeyID, Use, Algorithm           string
	Created, NotBefore, RetireAfter time.Time
}

// PublicAt returns the public JWK set to publish at now: every signing key
// not yet retired (a new one is published before it signs, so providers
// have it when it does), and the one decryption key in charge (the newest
// live one: providers encrypt to it; older ones only decrypt).
func (s *Set) PublicAt(now time.Time) *jose.JSONWebKeySet {
	out := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	enc := s.current(UseEnc, now)
	for i, k := range s.keys {
		if (k.Use == UseSig && (k.RetireAfter.IsZero() || now.Before(k.RetireAfter))) || i == enc {
			out.Keys = append(out.Keys, k.Public())
		}
	}
	return out
}

// PublicJSONAt returns PublicAt(now) as JSON, for /.well-known/jwks.json
// or a provider's portal: kty, crv, x, y, kid, use and alg of each key,
// and never "d".
func (s *Set) PublicJSONAt(now time.Time) ([]byte, error) {
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("%w: empty set", ErrInvalid)
	}
	return marshal(s.PublicAt(now))
}

// Public is PublicAt for a set without rotation times (as [Generate] and
// [Set.Add] make): its signing keys and its newest decryption key. For a
// set [Set.Rotate] changed, use PublicAt with the service's clock.
func (s *Set) Public() *jose.JSONWebKeySet { return s.PublicAt(time.Time{}) }

// PublicJSON is PublicJSONAt for a set without rotation times.
func (s *Set) PublicJSON() ([]byte, error) { return s.PublicJSONAt(time.Time{}) }

// MarshalPrivate returns the whole set, private keys and rotation times
// included, as a JWK set JSON document that [Parse] reads back. It is a
// secret.
func (s *Set) MarshalPrivate() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	doc := struct {
		Keys []json.RawMessage `json:"keys"`
	}{}
	for _, k := range s.keys {
		b, err := k.marshal()
		if err != nil {
			return nil, err
		}
		doc.Keys = append(doc.Keys, b)
	}
	return marshal(doc)
}

// times are an entry's rotation times as the file holds them: members
// beside the JWK's, RFC 3339 in UTC.
type times struct {
	HSMLabel    string `json:"hsm_label,omitempty"`
	Created     string `json:"created,omitempty"`
	NotBefore   string `json:"not_before,omitempty"`
	RetireAfter string `json:"retire_after,omitempty"`
}

func (e entry) marshal() ([]byte, error) {
	b, err := e.JSONWebKey.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("keyset: encoding: %w", err)
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	tb, err := json.Marshal(times{label(e.held), stamp(e.Created), stamp(e.NotBefore), stamp(e.RetireAfter)})
	if err != nil || len(b) < 2 || len(tb) <= 2 {
		return b, err
	}
	// {"jwk members"} + {"time members"} = {"jwk members","time members"}
	return append(append(b[:len(b)-1:len(b)-1], ','), tb[1:]...), nil
}

func label(k HeldKey) string {
	if k == nil {
		return ""
	}
	return k.Label()
}

func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
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
// "use" sig with "alg" ES256 or "use" enc with "alg" ECDH-ES+A256KW, and
// optionally the rotation times "created", "not_before" and "retire_after"
// (RFC 3339, see [Set.Rotate]). It refuses public-only keys, other curves
// and key types, other or missing uses and algorithms, repeated kids or
// keys, a retire_after before its not_before, and a set without at least
// one key of each use. A kid need not be a thumbprint.
func Parse(data []byte) (*Set, error) { return parse(data, nil) }

func parse(data []byte, h Holder) (*Set, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JSON key set", ErrInvalid)
	}
	s := &Set{holder: h}
	for i, raw := range doc.Keys {
		var e entry
		if err := e.JSONWebKey.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("%w: key %d: not a valid JWK", ErrInvalid, i)
		}
		var ts times
		if err := json.Unmarshal(raw, &ts); err != nil {
			return nil, fmt.Errorf("%w: key %d: hsm_label, created, not_before and retire_after must be strings (times in RFC 3339)", ErrInvalid, i)
		}
		if ts.HSMLabel != "" {
			if h == nil {
				return nil, fmt.Errorf("%w: key %d (kid %q) is held in an HSM (label %q): configure the HSM (keyset.ParseHeld)", ErrInvalid, i, e.KeyID, ts.HSMLabel)
			}
			if !e.IsPublic() {
				return nil, fmt.Errorf("%w: key %d (kid %q) has both an hsm_label and a private part", ErrInvalid, i, e.KeyID)
			}
			k, err := h.Find(ts.HSMLabel)
			if err != nil {
				return nil, fmt.Errorf("%w: key %d (kid %q): %v", ErrInvalid, i, e.KeyID, err)
			}
			e.held = k
		}
		if priv, ok := e.Key.(*ecdsa.PrivateKey); ok && e.Use == UseEnc {
			e.ecdh, _ = priv.ECDH() // check refuses a key it cannot make
		}
		for _, f := range []struct {
			name string
			in   string
			out  *time.Time
		}{{"created", ts.Created, &e.Created}, {"not_before", ts.NotBefore, &e.NotBefore}, {"retire_after", ts.RetireAfter, &e.RetireAfter}} {
			if f.in == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, f.in)
			if err != nil {
				return nil, fmt.Errorf("%w: key %d: %s is not an RFC 3339 time", ErrInvalid, i, f.name)
			}
			*f.out = t
		}
		s.keys = append(s.keys, e)
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
		if k.held != nil {
			pub, ok := k.Key.(*ecdsa.PublicKey)
			if hp, _ := k.held.Public().(*ecdsa.PublicKey); !ok || hp == nil || !pub.Equal(hp) {
				bad("the held key %q is not the key of the JWK", k.held.Label())
				continue
			}
			if alg, ok := algFor(k.Use); !ok || k.Algorithm != alg {
				bad("use %q with alg %q, want sig with %s or enc with %s", k.Use, k.Algorithm, AlgSig, AlgEnc)
			}
			uses[k.Use]++
			if k.KeyID == "" || kids[k.KeyID] {
				bad("no kid, or a kid repeated")
			}
			kids[k.KeyID] = true
			continue
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
		if !k.RetireAfter.IsZero() && !k.RetireAfter.After(k.NotBefore) {
			bad("retire_after is not after not_before")
		}
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

func keyType(k entry) string {
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
