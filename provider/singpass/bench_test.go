package singpass_test

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/idconnect/idconnect/provider/singpass"
)

// BenchmarkExchange is one complete Myinfo login, connector side plus the
// in-process fake: PAR (assertion, DPoP), authorize, token (assertion,
// DPoP), ID token (decrypt, verify, claims), userinfo (DPoP, decrypt,
// verify, parse). The fake's own work (signing and encrypting two tokens,
// verifying two assertions and three proofs) is included.
func BenchmarkExchange(b *testing.B) {
	e := newEnv(b)
	c := e.client(b, singpass.Myinfo, nil)
	for b.Loop() {
		if _, _, err := e.run(b, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCryptoFloor is the connector's unavoidable public-key work for
// one login: one P-256 key generation, five ES256 signatures (two client
// assertions, three DPoP proofs), two ECDH-ES unwraps (ID token, userinfo)
// and two ES256 verifications.
func BenchmarkCryptoFloor(b *testing.B) {
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rp, _ := ecdh.P256().GenerateKey(rand.Reader)
	epk, _ := ecdh.P256().GenerateKey(rand.Reader)
	digest := sha256.Sum256([]byte("payload"))
	sig, _ := ecdsa.SignASN1(rand.Reader, signer, digest[:])
	for b.Loop() {
		if _, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			b.Fatal(err)
		}
		for range 5 {
			if _, err := ecdsa.SignASN1(rand.Reader, signer, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
		for range 2 {
			if _, err := rp.ECDH(epk.PublicKey()); err != nil {
				b.Fatal(err)
			}
			if !ecdsa.VerifyASN1(&signer.PublicKey, digest[:], sig) {
				b.Fatal("verify")
			}
		}
	}
}
