//go:build interop

package mockpass

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// TestMockPassOwnKeys runs MockPass with a client key pair of ours, as a
// real deployment registers its own certificate with Myinfo:
// SERVICE_PROVIDER_PUB_KEY verifies our PKI_SIGN signatures and
// SERVICE_PROVIDER_CERT_PATH is the certificate MockPass encrypts the
// person to.
func TestMockPassOwnKeys(t *testing.T) {
	ours := newRSAKey(t)
	dir := t.TempDir()
	pub := writePEM(t, dir, "client.pub", "PUBLIC KEY", mustMarshalPKIX(t, &ours.PublicKey))
	cert := writePEM(t, dir, "client.crt", "CERTIFICATE", selfSigned(t, ours))
	useOurs := func(c *myinfo.Config) { c.ClientKey = ours }

	t.Run("signed and encrypted with our keys", func(t *testing.T) {
		m := startMockPass(t, "SERVICE_PROVIDER_PUB_KEY="+pub, "SERVICE_PROVIDER_CERT_PATH="+cert)
		for _, nric := range []string{"S9812381D", "G1612348Q"} {
			t.Run(nric, func(t *testing.T) {
				login, res, err := walkClient(t, m, newClient(t, m, appRedirectURI, useOurs), nric, "allow")
				if err != nil {
					t.Fatalf("token → person with our own client key failed: %v", err)
				}
				checkResult(t, m, nric, login.Attributes, res)
			})
		}
		t.Run("shipped key no longer trusted", func(t *testing.T) {
			_, _, err := walkClient(t, m, newClient(t, m, appRedirectURI, nil), "S9812381D", "allow")
			var perr *idconnect.ProviderError
			if !errors.As(err, &perr) || perr.StatusCode != http.StatusForbidden || perr.Op != "token" {
				t.Fatalf("err = %v, want MockPass's 403 on the token call", err)
			}
		})
	})

	// MockPass accepts our signatures but encrypts the person to another
	// party's certificate: the one failure left is decryption.
	t.Run("person encrypted to another certificate", func(t *testing.T) {
		other := writePEM(t, dir, "other.crt", "CERTIFICATE", selfSigned(t, newRSAKey(t)))
		m := startMockPass(t, "SERVICE_PROVIDER_PUB_KEY="+pub, "SERVICE_PROVIDER_CERT_PATH="+other)
		const nric = "S9812381D"
		_, _, err := walkClient(t, m, newClient(t, m, appRedirectURI, useOurs), nric, "allow")
		if !errors.Is(err, idconnect.ErrDecrypt) {
			t.Fatalf("err = %v, want one matching idconnect.ErrDecrypt", err)
		}
		svc := startService(t, m, useOurs)
		_, status, body := svc.walk(t, m, m.browser(t, nric, svc.host), nric)
		checkEnvelope(t, "person route", status, body, http.StatusBadGateway, "PROVIDER_DECRYPT_FAILED")
	})
}

func mustMarshalPKIX(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// selfSigned is a self-signed certificate for key, as MockPass accepts for
// SERVICE_PROVIDER_CERT_PATH.
func selfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "idconnect interop client", Organization: []string{"idconnect tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// writePEM writes one PEM block to dir/name and returns its absolute path
// (MockPass resolves relative paths against its own package directory).
func writePEM(t *testing.T, dir, name, blockType string, der []byte) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
