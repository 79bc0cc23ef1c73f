package singpass_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/singpass"
)

// countingSigner is a crypto.Signer that is not an *ecdsa.PrivateKey, as a
// key in an HSM is: the client can only call Public and Sign.
type countingSigner struct {
	key   *ecdsa.PrivateKey
	calls atomic.Int64
}

func (s *countingSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s *countingSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.calls.Add(1)
	return s.key.Sign(rand, digest, opts)
}

// opaqueKeys are keyset.Keys that give out no private key: a signer and
// an ECDH-only decrypter, the shape of keys in an HSM.
type opaqueKeys struct {
	signer *countingSigner
	kid    string
	dec    keyset.ECDHDecrypter
}

func (k *opaqueKeys) SigningKey(time.Time) (crypto.Signer, string, error) {
	return k.signer, k.kid, nil
}

func (k *opaqueKeys) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	return k.dec.DecryptKey(encryptedKey, h)
}

// TestEmulatorOpaqueKeys: a Myinfo login where every private-key operation
// goes through the interfaces an HSM implements (crypto.Signer for the
// client assertions and the DPoP proofs, ECDH for decryption), and the
// login keeps no DPoP key of its own.
func TestEmulatorOpaqueKeys(t *testing.T) {
	e := newEmuEnv(t)
	sig, err := e.keys.Signer(e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	keys := &opaqueKeys{signer: &countingSigner{key: sig.Key.(*ecdsa.PrivateKey)}, kid: sig.KeyID, dec: keyset.ECDHDecrypter{}}
	for _, k := range e.keys.DecryptionKeys().Keys {
		ek, err := k.Key.(*ecdsa.PrivateKey).ECDH()
		if err != nil {
			t.Fatal(err)
		}
		keys.dec[k.KeyID] = ek
	}
	dpopKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dpop := &countingSigner{key: dpopKey}
	c, err := singpass.New(singpass.Config{
		Issuer: e.emu.Issuer(), ClientID: emuMyinfoID, Keys: keys, DPoPKey: dpop, RedirectURI: redirectURI,
		App: singpass.Myinfo, HTTPClient: e.srv.Client(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers["singpass"] = c
	login, res, err := e.login(t, "singpass", "allow")
	if err != nil {
		t.Fatal(err)
	}
	if res.Person.IDNumber.Value != emuPersona {
		t.Errorf("person %q", res.Person.IDNumber.Value)
	}
	if got := keys.signer.calls.Load(); got != 2 {
		t.Errorf("client assertions signed: %d, want 2 (PAR and token)", got)
	}
	if got := dpop.calls.Load(); got != 3 {
		t.Errorf("DPoP proofs signed: %d, want 3 (PAR, token and userinfo)", got)
	}
	if _, ok := login.ProviderData[singpass.DataDPoPKey]; ok {
		t.Error("the login keeps a DPoP key although Config.DPoPKey signs")
	}

	// A DPoP key that is not P-256 is refused at New.
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := singpass.New(singpass.Config{
		Issuer: e.emu.Issuer(), ClientID: emuMyinfoID, Keys: keys, DPoPKey: &countingSigner{key: p384}, RedirectURI: redirectURI,
	}); err == nil {
		t.Error("a P-384 DPoP key was accepted")
	}
}
