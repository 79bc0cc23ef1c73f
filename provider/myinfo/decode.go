package myinfo

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
)

// The algorithm allowlists. The person JWE is RSA-OAEP (SHA-1, as Myinfo
// uses) with A256GCM, or A128CBC-HS256 from older providers; every JWS is
// RS256. Nothing else, never "none" or HMAC.
var (
	personKeyAlgs = []jose.KeyAlgorithm{jose.RSA_OAEP}
	personContent = []jose.ContentEncryption{jose.A256GCM, jose.A128CBC_HS256}
	signatureAlgs = []jose.SignatureAlgorithm{jose.RS256}
)

// DecodePerson turns a Myinfo person answer into the verified person JSON.
// With clientKey set, body is a compact JWE: it is decrypted with clientKey
// (errors wrap idconnect.ErrDecrypt), and its plaintext is the JWS, as a
// JSON string in quotes or bare. Without clientKey, body is that JWS itself.
// The JWS is then verified with providerKey (errors wrap
// idconnect.ErrSignature), and its payload must be a JSON object (errors
// wrap idconnect.ErrMalformed). A JWE or JWS header naming a key (jwk,
// jku, x5u, x5c) or compression is refused before any cryptography, with
// the error of its step.
func DecodePerson(body []byte, providerKey *rsa.PublicKey, clientKey *rsa.PrivateKey) (json.RawMessage, error) {
	if providerKey == nil {
		return nil, errors.New("myinfo: decode person: no provider key")
	}
	jws := bytes.TrimSpace(body)
	if clientKey != nil {
		if bytes.Count(jws, []byte{'.'}) != 4 {
			return nil, fmt.Errorf("myinfo: decode person: %w: not a compact JWE (want 5 parts)", idconnect.ErrMalformed)
		}
		plain, err := jwx.Decrypt(string(jws), clientKey, personKeyAlgs, personContent)
		if err != nil {
			return nil, fmt.Errorf("myinfo: decode person: %w: %v", idconnect.ErrDecrypt, err)
		}
		jws = bytes.TrimSpace(plain)
	}
	compact, err := unquoteJWS(jws)
	if err != nil {
		return nil, fmt.Errorf("myinfo: decode person: %w: %v", idconnect.ErrMalformed, err)
	}
	payload, err := jwx.Verify(compact, providerKey, signatureAlgs)
	if err != nil {
		return nil, fmt.Errorf("myinfo: decode person: %w: %v", idconnect.ErrSignature, err)
	}
	if err := checkObject(payload); err != nil {
		return nil, fmt.Errorf("myinfo: decode person: %w: %v", idconnect.ErrMalformed, err)
	}
	return json.RawMessage(payload), nil
}

// unquoteJWS accepts the JWS as real Myinfo sends it (a JSON string) or
// bare, and checks it has the three parts of a compact serialisation.
func unquoteJWS(b []byte) (string, error) {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return "", fmt.Errorf("quoted JWS: %v", err)
		}
	}
	if strings.Count(s, ".") != 2 {
		return "", errors.New("not a compact JWS (want 3 parts)")
	}
	return s, nil
}

// checkObject requires a single JSON object.
func checkObject(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("person payload is not a JSON object: %v", err)
	}
	if obj == nil {
		return errors.New("person payload is null")
	}
	if dec.More() {
		return errors.New("trailing data after the person object")
	}
	return nil
}
