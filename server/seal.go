package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ResultKeySize is the size of Config.ResultKey: an AES-256 key.
const ResultKeySize = 32

// sealer seals values at rest with AES-256-GCM, each under a fresh random
// nonce and bound to the store key it is kept under (the key is the
// additional data), so a value moved to another key does not open.
//
// It stands in for store.Sealed until that wrapper lands; the format
// (nonce, then ciphertext and tag) is private to this package.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != ResultKeySize {
		return nil, fmt.Errorf("server: ResultKey must be %d bytes, not %d", ResultKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(storeKey string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(storeKey)), nil
}

var errSealBroken = errors.New("server: a sealed value does not open (wrong key, or altered)")

func (s *sealer) open(storeKey string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errSealBroken
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(storeKey))
	if err != nil {
		return nil, errSealBroken
	}
	return plain, nil
}
