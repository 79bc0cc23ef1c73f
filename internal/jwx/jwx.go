// Package jwx holds the JOSE and key helpers shared by the relying-party
// providers: PEM key loading and the decrypt-then-verify steps on go-jose v4.
// Every parse names its allowed algorithms; there is no default list.
package jwx

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// ParseRSAPrivateKey reads an RSA private key from PEM: PKCS#8
// ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"). Encrypted PEM is refused
// with an error that says so.
func ParseRSAPrivateKey(data []byte) (*rsa.PrivateKey, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch block.Type {
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("the private key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)")
		case "RSA PRIVATE KEY":
			if _, ok := block.Headers["DEK-Info"]; ok {
				return nil, errors.New("the private key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)")
			}
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#1 private key: %w", err)
			}
			return checkPrivate(k)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("the private key is %T, want RSA", k)
			}
			return checkPrivate(rk)
		}
	}
}

func checkPrivate(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if k.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA key is %d bits, want at least 2048", k.N.BitLen())
	}
	return k, nil
}

// ParseRSAPublicKey reads an RSA public key from PEM: an X.509
// "CERTIFICATE", a "PUBLIC KEY" (SPKI) or an "RSA PUBLIC KEY" (PKCS#1).
// A certificate's validity dates are not checked: providers rotate keys on
// their own schedule and publish the certificate only as a key carrier.
func ParseRSAPublicKey(data []byte) (*rsa.PublicKey, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM certificate or public key found")
		}
		var pub any
		var err error
		switch block.Type {
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T, want RSA", pub)
		}
		if rk.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key is %d bits, want at least 2048", rk.N.BitLen())
		}
		return rk, nil
	}
}

// Decrypt parses a compact JWE (the JSON serialisation is refused) restricted
// to the given algorithms and decrypts it with key. Errors carry no key material or plaintext.
func Decrypt(compact string, key any, keyAlgs []jose.KeyAlgorithm, encs []jose.ContentEncryption) ([]byte, error) {
	obj, err := jose.ParseEncryptedCompact(compact, keyAlgs, encs)
	if err != nil {
		return nil, fmt.Errorf("parsing JWE: %w", err)
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		return nil, fmt.Errorf("decrypting JWE: %w", err)
	}
	return plain, nil
}

// Verify parses a compact JWS restricted to algs and verifies it with key,
// returning the payload. Unprotected headers and multiple signatures are not
// accepted.
func Verify(compact string, key any, algs []jose.SignatureAlgorithm) ([]byte, error) {
	obj, err := jose.ParseSignedCompact(compact, algs)
	if err != nil {
		return nil, fmt.Errorf("parsing JWS: %w", err)
	}
	payload, err := obj.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("verifying JWS: %w", err)
	}
	return payload, nil
}
