//go:build cgo

package pkcs11_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/internal/softhsm"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
)

var testNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// openToken makes a fresh SoftHSM2 token and opens it.
func openToken(t *testing.T) (*pkcs11.Token, pkcs11.Config) {
	t.Helper()
	cfg := pkcs11.Config{Module: softhsm.NewToken(t, "idc-test"), TokenLabel: "idc-test", PIN: softhsm.PIN}
	tok, err := pkcs11.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok, cfg
}

func TestSign(t *testing.T) {
	tok, _ := openToken(t)
	k, err := tok.Generate("rp-sig", pkcs11.UseSig)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.Public().(*ecdsa.PublicKey)
	digest := sha256.Sum256([]byte("hello"))
	sig, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		t.Fatal("the token's signature does not verify")
	}
	if ecdsa.VerifyASN1(pub, make([]byte, 32), sig) {
		t.Fatal("the signature verifies another digest")
	}
	// A client assertion and a DPoP proof signed in the token verify.
	a, err := jwx.ClientAssertion{ClientID: "c", Audience: "https://id.example", KeyID: "k", IssuedAt: testNow}.Sign(k, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwx.Verify(a, pub, []jose.SignatureAlgorithm{jose.ES256}); err != nil {
		t.Errorf("client assertion: %v", err)
	}
	p, err := jwx.DPoP{Method: "POST", URL: "https://id.example/par", IssuedAt: testNow}.Proof(k, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSignedCompact(p, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Verify(obj.Signatures[0].Protected.JSONWebKey); err != nil {
		t.Errorf("DPoP proof: %v", err)
	}
	if _, err := k.Sign(rand.Reader, digest[:20], crypto.SHA1); err == nil {
		t.Error("a SHA-1 digest was signed")
	}
	if _, err := k.ECDH(mustECDH(t).PublicKey()); err == nil || !strings.Contains(err.Error(), "may not derive") {
		t.Errorf("a signing key derived: %v", err)
	}
}

func mustECDH(t *testing.T) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestECDH(t *testing.T) {
	tok, _ := openToken(t)
	k, err := tok.Generate("rp-enc", pkcs11.UseEnc)
	if err != nil {
		t.Fatal(err)
	}
	eph := mustECDH(t)
	tokenPub, err := k.Public().(*ecdsa.PublicKey).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := eph.ECDH(tokenPub)
	got, err := k.ECDH(eph.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("the token's shared secret differs from the sender's")
	}
	digest := sha256.Sum256([]byte("x"))
	if _, err := k.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil || !strings.Contains(err.Error(), "may not sign") {
		t.Errorf("a decryption key signed: %v", err)
	}
}

// TestKeys: the token's keys as keyset.Keys open a JWE made to their
// published enc key, sign with their sig key, survive a reopen, and are
// used concurrently.
func TestKeys(t *testing.T) {
	tok, cfg := openToken(t)
	for label, use := range map[string]string{"sig-1": pkcs11.UseSig, "enc-1": pkcs11.UseEnc, "enc-2": pkcs11.UseEnc} {
		if _, err := tok.Generate(label, use); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tok.Generate("enc-1", pkcs11.UseEnc); !errors.Is(err, pkcs11.ErrExists) {
		t.Errorf("a second key labelled enc-1: %v", err)
	}
	keys, err := tok.Keys("sig-1", "enc-1", "enc-2")
	if err != nil {
		t.Fatal(err)
	}
	pub := keys.Public()
	if len(pub.Keys) != 3 || pub.Keys[0].Use != "sig" || pub.Keys[1].Use != "enc" || pub.Keys[2].Algorithm != "ECDH-ES+A256KW" {
		t.Fatalf("public set %+v", pub.Keys)
	}
	for _, k := range pub.Keys {
		if !k.IsPublic() {
			t.Fatal("the public set holds a private key")
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			enc := pub.Keys[1+i%2]
			e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.ECDH_ES_A256KW, Key: enc.Key, KeyID: enc.KeyID}, nil)
			if err != nil {
				errs <- err
				return
			}
			obj, _ := e.Encrypt([]byte("secret"))
			compact, _ := obj.CompactSerialize()
			plain, err := jwx.Decrypt(compact, jose.OpaqueKeyDecrypter(keys), []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM})
			if err != nil || string(plain) != "secret" {
				errs <- errors.Join(errors.New("decrypt"), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := tok.Keys("enc-1", "enc-2"); err == nil {
		t.Error("a decryption key was accepted as the signing key")
	}
	if _, err := tok.Keys("sig-1", "sig-1"); err == nil {
		t.Error("a signing key was accepted as a decryption key")
	}
	if _, err := tok.Keys("nope", "enc-1"); !errors.Is(err, pkcs11.ErrNotFound) {
		t.Errorf("an unknown label: %v", err)
	}

	// The keys are token objects: a new session finds the same ones.
	kid := pub.Keys[0].KeyID
	signer, _, _ := keys.SigningKey(testNow)
	tok.Close()
	digest := sha256.Sum256([]byte("after close"))
	if _, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("signing with a closed token: %v", err)
	}
	again, err := pkcs11.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	keys2, err := again.Keys("sig-1", "enc-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, got, _ := keys2.SigningKey(testNow); got != kid {
		t.Errorf("kid after reopening %q, want %q", got, kid)
	}
}

func TestOpenRefuses(t *testing.T) {
	tok, cfg := openToken(t)
	if _, err := pkcs11.Open(cfg); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Errorf("a second Token on an open module: %v", err)
	}
	tok.Close()
	bad := cfg
	bad.PIN = "0000000000"
	if _, err := pkcs11.Open(bad); err == nil || strings.Contains(err.Error(), bad.PIN) {
		t.Errorf("wrong PIN: %v", err)
	}
	bad = cfg
	bad.TokenLabel = "other"
	if _, err := pkcs11.Open(bad); !errors.Is(err, pkcs11.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	bad = cfg
	bad.Module = "/nonexistent/libpkcs11.so"
	if _, err := pkcs11.Open(bad); err == nil {
		t.Error("a missing module opened")
	}
}

// TestRotateInToken: rotating a key set held in the token makes the new
// keys in the token, and the file finds them again after a reopen.
func TestRotateInToken(t *testing.T) {
	tok, cfg := openToken(t)
	set, err := keyset.GenerateHeld(tok.Holder())
	if err != nil {
		t.Fatal(err)
	}
	r, err := set.Rotate(nil, testNow, keyset.RotatePolicy{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := set.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(file), `"hsm_label": "idconnect-`); n != 4 || strings.Contains(string(file), `"d"`) {
		t.Fatalf("%d held keys in the file:\n%s", n, file)
	}
	tok.Close()
	again, err := pkcs11.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	back, err := keyset.ParseHeld(file, again.Holder())
	if err != nil {
		t.Fatal(err)
	}
	if _, kid, err := back.SigningKey(r.Takeover); err != nil || kid != r.Signing {
		t.Errorf("signer at the takeover %q, %v; want %s", kid, err, r.Signing)
	}
}
