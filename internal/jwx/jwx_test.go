package jwx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pemOf(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

func TestParseKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	spki, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}

	privTests := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"PKCS#8", pemOf("PRIVATE KEY", pkcs8, nil), ""},
		{"PKCS#1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil), ""},
		{"after a certificate", append(pemOf("CERTIFICATE", cert, nil), pemOf("PRIVATE KEY", pkcs8, nil)...), ""},
		{"encrypted PKCS#8", pemOf("ENCRYPTED PRIVATE KEY", []byte{1}, nil), "encrypted"},
		{"encrypted PKCS#1", pemOf("RSA PRIVATE KEY", []byte{1}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}), "encrypted"},
		{"EC key", pemOf("PRIVATE KEY", ecPKCS8, nil), "want RSA"},
		{"1024-bit", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small), nil), "at least 2048"},
		{"not PEM", []byte("hello"), "no PEM"},
	}
	for _, tt := range privTests {
		t.Run("private/"+tt.name, func(t *testing.T) {
			k, err := ParseRSAPrivateKey(tt.pem)
			if tt.wantErr == "" {
				if err != nil || !k.Equal(rsaKey) {
					t.Fatalf("got %v, %v", k != nil, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}

	pubTests := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"certificate", pemOf("CERTIFICATE", cert, nil), ""},
		{"SPKI", pemOf("PUBLIC KEY", spki, nil), ""},
		{"PKCS#1", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey), nil), ""},
		{"1024-bit", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&small.PublicKey), nil), "at least 2048"},
		{"private key only", pemOf("PRIVATE KEY", pkcs8, nil), "no PEM certificate"},
		{"broken certificate", pemOf("CERTIFICATE", []byte{1, 2, 3}, nil), "parsing CERTIFICATE"},
	}
	for _, tt := range pubTests {
		t.Run("public/"+tt.name, func(t *testing.T) {
			k, err := ParseRSAPublicKey(tt.pem)
			if tt.wantErr == "" {
				if err != nil || !k.Equal(&rsaKey.PublicKey) {
					t.Fatalf("got %v, %v", k != nil, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// The staging certificate in testdata is a real Myinfo certificate: it must load.
func TestParseMyinfoStagingCertificate(t *testing.T) {
	b, err := readTestdata("myinfo-v3", "myinfo-staging-cert-2024.pem")
	if err != nil {
		t.Fatalf("repository test data missing (expected testdata/ at the repository root): %v", err)
	}
	k, err := ParseRSAPublicKey(b)
	if err != nil || k.N.BitLen() != 2048 {
		t.Fatalf("staging certificate: %v", err)
	}
}

// readTestdata reads a file from the repository's top-level testdata folder
// (../../testdata from this package).
func readTestdata(parts ...string) ([]byte, error) {
	return os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
}
