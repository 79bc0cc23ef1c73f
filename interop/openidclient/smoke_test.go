//go:build interop

package openidclient

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	smokeClientID    = "idconnect-interop-rp"
	smokeRedirectURI = "http://127.0.0.1:1/callback" // never fetched
)

// TestSmokeRPAgainstOIDCProvider runs one complete rp.js login against the
// oidc-provider peer: discovery, PAR (private_key_jwt + DPoP + PKCE), the
// non-interactive interaction, callback with iss, token, ID token (JWE
// A256CBC-HS512 around ES256) and userinfo (JWE A256GCM around ES256).
func TestSmokeRPAgainstOIDCProvider(t *testing.T) {
	keys := peer.NewClientKeys(t)
	op := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: smokeClientID, RedirectURIs: []string{smokeRedirectURI}, JWKSURI: peer.ServeJWKS(t, keys.JWKS(false)),
	})
	res := mustRunRP(t, rpConfig{
		Issuer: op.Issuer, ClientID: smokeClientID, RedirectURI: smokeRedirectURI, Keys: keys.JWKS(true),
		Scope: "openid uinfin name", RequireISS: true, AssertionTyp: "JWT",
	})
	if res.Sub != "d3fc1e26-8f7a-4f0e-9a3c-6005048a0001" {
		t.Errorf("sub %q, want S6005048A's d3fc1e26-8f7a-4f0e-9a3c-6005048a0001", res.Sub)
	}
	if res.IDTokenClaims["iss"] != op.Issuer || res.IDTokenClaims["aud"] != smokeClientID || res.IDTokenClaims["nonce"] == nil {
		t.Errorf("ID token claims %v: want iss %s, aud %s and a nonce", res.IDTokenClaims, op.Issuer, smokeClientID)
	}
	if res.Userinfo["sub"] != res.Sub || res.Userinfo["uinfin"] != "S6005048A" || res.Userinfo["name"] != "ANDY LAU" {
		t.Errorf("userinfo %v: want sub %s, uinfin S6005048A, name ANDY LAU", res.Userinfo, res.Sub)
	}
}

// TestSmokeRPFailures checks that rp.js fails clearly: a declined consent,
// and a client key the provider does not know.
func TestSmokeRPFailures(t *testing.T) {
	keys := peer.NewClientKeys(t)
	op := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: smokeClientID, RedirectURIs: []string{smokeRedirectURI}, JWKSURI: peer.ServeJWKS(t, keys.JWKS(false)),
	})
	cfg := rpConfig{Issuer: op.Issuer, ClientID: smokeClientID, RedirectURI: smokeRedirectURI, Keys: keys.JWKS(true), Consent: "deny"}
	_, err := runRP(t, cfg)
	var rpErr *rpError
	if !errors.As(err, &rpErr) || rpErr.ExitCode != 1 || !strings.Contains(rpErr.Stderr, "error=access_denied") {
		t.Errorf("consent=deny: %v, want exit 1 naming error=access_denied", err)
	} else {
		t.Logf("consent=deny: %v", err)
	}

	other := peer.NewClientKeys(t)
	other.SigKID = keys.SigKID
	cfg.Keys, cfg.Consent = other.JWKS(true), ""
	_, err = runRP(t, cfg)
	if !errors.As(err, &rpErr) || rpErr.ExitCode != 1 || !strings.Contains(rpErr.Stderr, "invalid_client") {
		t.Errorf("foreign client key: %v, want exit 1 naming invalid_client", err)
	} else {
		t.Logf("foreign client key: %v", err)
	}
}

// TestSmokeRPTrustsTestCA checks rpConfig.CACert: rp.js reaches an https
// issuer with a test certificate (and fails on its incomplete discovery).
func TestSmokeRPTrustsTestCA(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":%q}`, srv.URL, srv.URL+"/auth")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting run's handshake error
	srv.StartTLS()
	t.Cleanup(srv.Close)
	keys := peer.NewClientKeys(t)
	cfg := rpConfig{Issuer: srv.URL, ClientID: smokeClientID, RedirectURI: smokeRedirectURI, Keys: keys.JWKS(true)}
	_, err := runRP(t, cfg)
	var rpErr *rpError
	if !errors.As(err, &rpErr) || !strings.Contains(rpErr.Stderr, "certificate") {
		t.Errorf("without CACert: %v, want a certificate error", err)
	}
	cfg.CACert = srv.Certificate()
	_, err = runRP(t, cfg)
	if !errors.As(err, &rpErr) || !strings.Contains(rpErr.Stderr, "discovery has no pushed_authorization_request_endpoint") {
		t.Errorf("with CACert: %v, want rp.js to read discovery and refuse it for lacking a PAR endpoint", err)
	}
}
