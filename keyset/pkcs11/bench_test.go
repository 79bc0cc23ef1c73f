//go:build cgo

package pkcs11_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/internal/softhsm"
	"github.com/idconnect/idconnect/keyset/pkcs11"
)

func benchToken(b *testing.B) *pkcs11.Token {
	b.Helper()
	tok, err := pkcs11.Open(pkcs11.Config{Module: softhsm.NewToken(b, "idc-bench"), TokenLabel: "idc-bench", PIN: softhsm.PIN})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tok.Close() })
	return tok
}

// BenchmarkTokenSign: one ES256 signature in SoftHSM2 (a client assertion
// or DPoP proof costs one).
func BenchmarkTokenSign(b *testing.B) {
	k, err := benchToken(b).Generate("sig", pkcs11.UseSig)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("x"))
	for b.Loop() {
		if _, err := k.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenDPoPProof: a whole DPoP proof signed in the token.
func BenchmarkTokenDPoPProof(b *testing.B) {
	k, err := benchToken(b).Generate("dpop", pkcs11.UseSig)
	if err != nil {
		b.Fatal(err)
	}
	p := jwx.DPoP{Method: "POST", URL: "https://id.example/fapi/token", IssuedAt: testNow}
	for b.Loop() {
		if _, err := p.Proof(k, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenECDH: one CKM_ECDH1_DERIVE and the read of its secret (a
// JWE costs one).
func BenchmarkTokenECDH(b *testing.B) {
	k, err := benchToken(b).Generate("enc", pkcs11.UseEnc)
	if err != nil {
		b.Fatal(err)
	}
	eph, _ := ecdh.P256().GenerateKey(rand.Reader)
	for b.Loop() {
		if _, err := k.ECDH(eph.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}
