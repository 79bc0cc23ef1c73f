// Package jwx holds the JOSE and key helpers shared by the relying-party
// providers: PEM key loading and the decrypt-then-verify steps on go-jose v4.
// Every parse names its allowed algorithms; there is no default list.
//
// [Decrypt] and [Verify] also refuse, before any cryptography, a protected
// header that could make a library use a key or a transform the caller did
// not choose: "jwk", "jku", "x5u", "x5c" (a key supplied by the sender, or a
// URL to fetch one from), "crit" (extensions we do not implement), a "zip"
// other than "NONE" (go-jose inflates DEF on Decrypt, a decompression bomb
// inside an answer whose size we capped), and repeated names (two parsers
// may disagree on which one counts). The provider's key is always the one
// the caller passes.
package jwx

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"

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
// to the given algorithms and decrypts it with key. A header the package
// refuses gives an error wrapping ErrHeader, before decryption. Errors carry
// no key material or plaintext.
func Decrypt(compact string, key any, keyAlgs []jose.KeyAlgorithm, encs []jose.ContentEncryption) ([]byte, error) {
	if err := checkHeader(compact); err != nil {
		return nil, fmt.Errorf("JWE: %w", err)
	}
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
// accepted; a header the package refuses gives an error wrapping ErrHeader.
func Verify(compact string, key any, algs []jose.SignatureAlgorithm) ([]byte, error) {
	if err := checkHeader(compact); err != nil {
		return nil, fmt.Errorf("JWS: %w", err)
	}
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

// ErrHeader: a JOSE protected header carries a parameter this package
// refuses (see the package documentation).
var ErrHeader = errors.New("header not allowed")

// refusedHeaders name a key or key source chosen by the sender, or
// extensions we do not implement.
var refusedHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// checkHeader reads the protected header of a compact JWS or JWE (its
// first segment) and applies the package's header rules. It runs before
// go-jose sees the object, so nothing in a refused header is acted on.
func checkHeader(compact string) error {
	seg, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("protected header is not base64url")
	}
	h, err := headerFields(raw)
	if err != nil {
		return err
	}
	for _, name := range refusedHeaders {
		if _, ok := h[name]; ok {
			return fmt.Errorf("%w: %q", ErrHeader, name)
		}
	}
	if z, ok := h["zip"]; ok {
		var s string
		if json.Unmarshal(z, &s) != nil || s != "NONE" {
			return fmt.Errorf("%w: compressed (\"zip\")", ErrHeader)
		}
	}
	return nil
}

// headerFields decodes a header object, refusing repeated names.
func headerFields(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("protected header is not a JSON object")
	}
	h := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("protected header is not a JSON object")
		}
		name, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("protected header is not a JSON object")
		}
		if _, dup := h[name]; dup {
			return nil, fmt.Errorf("%w: %q given twice", ErrHeader, name)
		}
		h[name] = v
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("protected header is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the protected header")
	}
	return h, nil
}
