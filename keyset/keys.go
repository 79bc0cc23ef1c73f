package keyset

import (
	"crypto"
	"crypto/aes"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	josecipher "github.com/go-jose/go-jose/v4/cipher"
)

// Keys are a relying party's private keys as a provider client uses them:
// one key signs the client assertions, and the decryption keys open the
// JWEs the provider sends. Neither use needs the private key itself, only
// operations on it, so the keys may live in a file ([*Set]) or in an HSM or
// KMS (keyset/pkcs11), and the client code is the same.
type Keys interface {
	// SigningKey returns the key that signs at time now (a P-256
	// crypto.Signer) and its kid.
	SigningKey(now time.Time) (crypto.Signer, string, error)
	// DecryptKey is go-jose's jose.OpaqueKeyDecrypter: it unwraps a JWE's
	// content encryption key with the decryption key the header's kid
	// names. Pass the Keys to jose's Decrypt as the key.
	DecryptKey(encryptedKey []byte, header jose.Header) ([]byte, error)
}

var _ Keys = (*Set)(nil)

// ECDHKey is a P-256 private key that agrees a shared secret with a peer's
// public key without handing out its scalar. *ecdh.PrivateKey is one; so is
// a key in a PKCS#11 token that does CKM_ECDH1_DERIVE.
type ECDHKey interface {
	// ECDH returns the shared secret: the x-coordinate of the product, 32
	// bytes for P-256.
	ECDH(remote *ecdh.PublicKey) ([]byte, error)
}

// ECDHDecrypter is a jose.OpaqueKeyDecrypter for ECDH-ES+A256KW over the
// keys it maps from kid. Each key is asked only for an ECDH shared secret;
// the Concat KDF (RFC 7518 §4.6.2) and the AES key unwrap are done here,
// so a key held in an HSM needs nothing but ECDH derivation.
type ECDHDecrypter map[string]ECDHKey

// DecryptKey implements jose.OpaqueKeyDecrypter. It accepts only
// "alg":"ECDH-ES+A256KW", a kid it holds and a P-256 "epk", and returns a
// content key of the size "enc" needs.
func (d ECDHDecrypter) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	key, ok := d[h.KeyID]
	if !ok || h.KeyID == "" {
		return nil, errors.New("keyset: the JWE names no decryption key of this set")
	}
	return unwrapKey(key, encryptedKey, h)
}

// cekSizes are the content key sizes of the JWE "enc" algorithms.
var cekSizes = map[string]int{
	string(jose.A128GCM): 16, string(jose.A192GCM): 24, string(jose.A256GCM): 32,
	string(jose.A128CBC_HS256): 32, string(jose.A192CBC_HS384): 48, string(jose.A256CBC_HS512): 64,
}

// unwrapKey does ECDH-ES+A256KW key decryption (RFC 7518 §4.6) with key.
func unwrapKey(key ECDHKey, encryptedKey []byte, h jose.Header) ([]byte, error) {
	if h.Algorithm != AlgEnc {
		return nil, fmt.Errorf("keyset: JWE alg %q, want %q", h.Algorithm, AlgEnc)
	}
	enc, _ := h.ExtraHeaders["enc"].(string)
	size, ok := cekSizes[enc]
	if !ok {
		return nil, errors.New("keyset: JWE enc is missing or unknown")
	}
	epk, err := ephemeralKey(h.ExtraHeaders["epk"])
	if err != nil {
		return nil, err
	}
	apu, err := partyInfo(h.ExtraHeaders["apu"])
	if err != nil {
		return nil, errors.New("keyset: JWE apu is not base64url")
	}
	apv, err := partyInfo(h.ExtraHeaders["apv"])
	if err != nil {
		return nil, errors.New("keyset: JWE apv is not base64url")
	}
	z, err := key.ECDH(epk)
	if err != nil {
		return nil, fmt.Errorf("keyset: ECDH: %w", err)
	}
	if len(z) != 32 {
		return nil, errors.New("keyset: ECDH: the shared secret is not 32 bytes")
	}
	kek := concatKDF(z, AlgEnc, apu, apv, 32)
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	cek, err := josecipher.KeyUnwrap(block, encryptedKey)
	if err != nil {
		return nil, errors.New("keyset: the JWE content key does not unwrap")
	}
	if len(cek) != size {
		return nil, errors.New("keyset: the JWE content key has the wrong size for its enc")
	}
	return cek, nil
}

// ephemeralKey reads the "epk" header: a public P-256 EC JWK, its point
// checked to be on the curve.
func ephemeralKey(v any) (*ecdh.PublicKey, error) {
	bad := errors.New("keyset: JWE epk is not a P-256 public key")
	m, ok := v.(map[string]any)
	if !ok || m["kty"] != "EC" || m["crv"] != "P-256" {
		return nil, bad
	}
	if _, ok := m["d"]; ok {
		return nil, bad
	}
	coord := func(name string) []byte {
		s, _ := m[name].(string)
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			return nil
		}
		return b
	}
	x, y := coord("x"), coord("y")
	if x == nil || y == nil {
		return nil, bad
	}
	epk, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, bad
	}
	return epk, nil
}

// partyInfo decodes an "apu" or "apv" header (absent: empty).
func partyInfo(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("not a string")
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// concatKDF derives size bytes from the shared secret z as JWA's ECDH-ES
// does (RFC 7518 §4.6.2): SHA-256 Concat KDF with AlgorithmID = alg,
// PartyUInfo = apu, PartyVInfo = apv, each length-prefixed, and
// SuppPubInfo = the key length in bits.
func concatKDF(z []byte, alg string, apu, apv []byte, size int) []byte {
	supPub := binary.BigEndian.AppendUint32(nil, uint32(size)*8)
	r := josecipher.NewConcatKDF(crypto.SHA256, z, lengthPrefixed([]byte(alg)), lengthPrefixed(apu), lengthPrefixed(apv), supPub, nil)
	out := make([]byte, size)
	_, _ = r.Read(out) // the KDF reader never fails
	return out
}

func lengthPrefixed(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}
