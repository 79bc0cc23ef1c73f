//go:build interop && cgo

package oidcprovider

import (
	"context"
	"crypto"
	"encoding/json"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/internal/softhsm"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
	"github.com/idconnect/idconnect/provider/singpass"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

// countingSigner counts the signatures a token key makes.
type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, digest, opts)
}

// TestSingpassPKCS11: the whole FAPI flow against oidc-provider with the
// client's keys in a SoftHSM2 token: oidc-provider verifies client
// assertions and DPoP proofs signed in the token (it fetches the token
// keys' public JWKS), and encrypts the ID token and userinfo to the
// token's decryption key, which derives in the token.
func TestSingpassPKCS11(t *testing.T) {
	module := softhsm.NewToken(t, "idc-interop")
	tok, err := pkcs11.Open(pkcs11.Config{Module: module, TokenLabel: "idc-interop", PIN: softhsm.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	for label, use := range map[string]string{"rp-sig": pkcs11.UseSig, "rp-enc": pkcs11.UseEnc, "rp-dpop": pkcs11.UseSig} {
		if _, err := tok.Generate(label, use); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := tok.Keys("rp-sig", "rp-enc")
	if err != nil {
		t.Fatal(err)
	}
	dpopKey, err := tok.Key("rp-dpop")
	if err != nil {
		t.Fatal(err)
	}
	sig, kid, err := keys.SigningKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	assertions := &countingSigner{Signer: sig}
	dpop := &countingSigner{Signer: dpopKey}

	jwks, err := json.Marshal(keys.Public())
	if err != nil {
		t.Fatal(err)
	}
	e := &spEnv{person: spPersonData(t)}
	e.peer = peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: spClientID, RedirectURIs: []string{spRedirectURI}, JWKSURI: peer.ServeJSON(t, "/.well-known/jwks.json", jwks),
		Persons: map[string]map[string]json.RawMessage{spPersona: e.person},
	})
	c := e.client(t, &countingKeys{Keys: keys, signer: assertions, kid: kid}, func(cfg *singpass.Config) { cfg.DPoPKey = dpop })
	f := newFlow(c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, cb := e.startLogin(t, ctx, f)
	login, res, err := f.Finish(ctx, "singpass", cb, browser)
	if err != nil {
		t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
	}
	e.checkResult(t, c, login, res)
	if a, d := assertions.n.Load(), dpop.n.Load(); a != 2 || d != 3 {
		t.Errorf("the token signed %d client assertions and %d DPoP proofs, want 2 and 3", a, d)
	}
}

// countingKeys are token keys whose signing key counts its signatures.
type countingKeys struct {
	keyset.Keys
	signer crypto.Signer
	kid    string
}

func (k *countingKeys) SigningKey(time.Time) (crypto.Signer, string, error) {
	return k.signer, k.kid, nil
}

// spPersonData is emulator/personas' Myinfo data of spPersona.
func spPersonData(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == spPersona {
			var person map[string]json.RawMessage
			if err := json.Unmarshal(p.Myinfo, &person); err != nil {
				t.Fatal(err)
			}
			return person
		}
	}
	t.Fatalf("%s is not in emulator/personas", spPersona)
	return nil
}
