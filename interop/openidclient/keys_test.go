//go:build interop

package openidclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// clientKeys are a relying party's keys, made by the test: an ES256
// signing key (client assertions) and a P-256 ECDH-ES+A256KW encryption
// key (ID token and userinfo JWEs). rp.js makes its own DPoP key.
type clientKeys struct {
	Sig, Enc       *ecdsa.PrivateKey
	SigKID, EncKID string
}

func newClientKeys(t *testing.T) *clientKeys {
	t.Helper()
	gen := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return &clientKeys{Sig: gen(), Enc: gen(), SigKID: "rp-sig-" + randomString(t, 8), EncKID: "rp-enc-" + randomString(t, 8)}
}

// JWKS is the client's public JWKS (sig key first, then enc key); with
// private set, the private JWKS that rp.js reads (rpConfig.Keys).
func (k *clientKeys) JWKS(private bool) jose.JSONWebKeySet {
	var sig, enc any = &k.Sig.PublicKey, &k.Enc.PublicKey
	if private {
		sig, enc = k.Sig, k.Enc
	}
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: sig, KeyID: k.SigKID, Algorithm: string(jose.ES256), Use: "sig"},
		{Key: enc, KeyID: k.EncKID, Algorithm: string(jose.ECDH_ES_A256KW), Use: "enc"},
	}}
}

// serveJWKS serves jwks at http://127.0.0.1:port/jwks.json until the test
// ends and returns that URL.
func serveJWKS(t *testing.T, jwks jose.JSONWebKeySet) string {
	t.Helper()
	body, err := json.Marshal(jwks)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/jwks.json"
}

func randomString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
