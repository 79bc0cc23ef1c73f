package jwx

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
)

// opaqueSigner is a crypto.Signer that is not an *ecdsa.PrivateKey, as a
// key in an HSM or KMS is: the package can only call Public and Sign.
type opaqueSigner struct {
	key   *ecdsa.PrivateKey
	calls int
	err   error
}

func (s *opaqueSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s *opaqueSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	return s.key.Sign(rand, digest, opts)
}

func TestOpaqueSigner(t *testing.T) {
	key, _ := NewDPoPKey(nil)
	s := &opaqueSigner{key: key}
	proof, err := DPoP{Method: "POST", URL: "https://id.example/par", IssuedAt: testNow}.Proof(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr, claims, raw := decodeJWS(t, proof, &key.PublicKey)
	if raw["typ"] != "dpop+jwt" || raw["alg"] != "ES256" || hdr.JSONWebKey == nil || !hdr.JSONWebKey.IsPublic() {
		t.Errorf("DPoP header %v", raw)
	}
	if tp, _ := hdr.JSONWebKey.Thumbprint(crypto.SHA256); tp == nil {
		t.Error("embedded jwk has no thumbprint")
	}
	if str(t, claims, "htu") != "https://id.example/par" {
		t.Errorf("htu %s", claims["htu"])
	}
	tok, err := ClientAssertion{ClientID: "c", Audience: "https://id.example", KeyID: "hsm-1", IssuedAt: testNow}.Sign(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hdr, _, raw := decodeJWS(t, tok, &key.PublicKey); hdr.KeyID != "hsm-1" || len(raw) != 3 {
		t.Errorf("assertion header %v", raw)
	}
	if s.calls != 2 {
		t.Errorf("the signer was called %d times, want 2", s.calls)
	}

	s.err = errors.New("token removed")
	if _, err := (DPoP{Method: "POST", URL: "https://id.example/par", IssuedAt: testNow}).Proof(s, nil); err == nil || !strings.Contains(err.Error(), "token removed") {
		t.Errorf("a failing signer: %v", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := (ClientAssertion{ClientID: "c", Audience: "a", KeyID: "k", IssuedAt: testNow}).Sign(&opaqueSigner{key: p384}, nil); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Errorf("an opaque P-384 signer: %v", err)
	}
	var nilKey *ecdsa.PrivateKey
	if _, err := (ClientAssertion{ClientID: "c", Audience: "a", KeyID: "k", IssuedAt: testNow}).Sign(nilKey, nil); err == nil {
		t.Error("a nil *ecdsa.PrivateKey was accepted")
	}
}
