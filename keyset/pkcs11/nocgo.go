//go:build !cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdh"
	"io"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/keyset"
)

// Token is an open PKCS#11 token. Without cgo none can be opened.
type Token struct{}

// Open returns ErrNoCgo: this build cannot load a PKCS#11 library.
func Open(Config) (*Token, error) { return nil, ErrNoCgo }

// Close does nothing.
func (*Token) Close() error { return nil }

// Generate returns ErrNoCgo.
func (*Token) Generate(label, use string) (*Key, error) { return nil, ErrNoCgo }

// Key returns ErrNoCgo.
func (*Token) Key(label string) (*Key, error) { return nil, ErrNoCgo }

// Keys returns ErrNoCgo.
func (*Token) Keys(signing string, decryption ...string) (*Keys, error) { return nil, ErrNoCgo }

// Holder returns a keyset.Holder whose every call returns ErrNoCgo.
func (*Token) Holder() keyset.Holder { return noHolder{} }

type noHolder struct{}

func (noHolder) Generate(string) (keyset.HeldKey, error) { return nil, ErrNoCgo }
func (noHolder) Find(string) (keyset.HeldKey, error)     { return nil, ErrNoCgo }

// Key is a key pair on a token.
type Key struct{}

// Label returns "".
func (*Key) Label() string { return "" }

// Public returns nil.
func (*Key) Public() crypto.PublicKey { return nil }

// Sign returns ErrNoCgo.
func (*Key) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, ErrNoCgo }

// ECDH returns ErrNoCgo.
func (*Key) ECDH(*ecdh.PublicKey) ([]byte, error) { return nil, ErrNoCgo }

// Keys are keyset.Keys held in a token.
type Keys struct{}

// SigningKey returns ErrNoCgo.
func (*Keys) SigningKey(time.Time) (crypto.Signer, string, error) { return nil, "", ErrNoCgo }

// DecryptKey returns ErrNoCgo.
func (*Keys) DecryptKey([]byte, jose.Header) ([]byte, error) { return nil, ErrNoCgo }

// Public returns an empty set.
func (*Keys) Public() *jose.JSONWebKeySet { return &jose.JSONWebKeySet{} }
