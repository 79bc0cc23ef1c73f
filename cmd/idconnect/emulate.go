package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/internal/jwx"
)

// The official connectors' published sample client, so that their sample
// configurations run against the emulator unchanged. Public test values.
const (
	sampleClientID     = "STG2-MYINFO-SELF-TEST"
	sampleClientSecret = "44d953c796cccebcec9bdc826852857ab412fbe2"
)

// emulate runs a provider emulator on its own address.
func emulate(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "myinfo" {
		fmt.Fprintln(stderr, "usage: idconnect emulate myinfo [flags]   (myinfo is the only emulator so far)")
		return errUsage
	}
	fs := flag.NewFlagSet("emulate myinfo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5156", "listen `address`")
	publicURL := fs.String("public-url", "", "the base `URL` clients reach the emulator at (signatures are checked against it); default http(s)://ADDR")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate `file` (PEM)")
	tlsKey := fs.String("tls-key", "", "the HTTPS private key `file` (PEM)")
	clientID := fs.String("client-id", sampleClientID, "the registered client `id`")
	clientSecret := fs.String("client-secret", sampleClientSecret, "the registered client `secret`")
	redirects := fs.String("redirect-uri", defaultRedirectURL, "registered redirect `URLs`, comma-separated")
	clientCert := fs.String("client-cert", "", "the client's certificate or public key `file` (PEM); default: generate a client key")
	clientKeyOut := fs.String("client-key-out", "", "write the generated client private key to this `file` (default: a temporary directory)")
	certOut := fs.String("cert-out", "", "write the emulator's signing certificate to this `file` (default: a temporary directory)")
	sandbox := fs.Bool("sandbox", false, "behave as the Myinfo sandbox: no PKI_SIGN, plain JSON person answers")
	bareJWS := fs.Bool("bare-jws", false, "put the bare JWS inside the person JWE (as MockPass 4.3.4) instead of a quoted JSON string (as Myinfo)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("-tls-cert and -tls-key go together")
	}

	outDir := ""
	outPath := func(flagValue, name string) (string, error) {
		if flagValue != "" {
			return flagValue, nil
		}
		if outDir == "" {
			d, err := os.MkdirTemp("", "idconnect-myinfo-")
			if err != nil {
				return "", err
			}
			outDir = d
		}
		return filepath.Join(outDir, name), nil
	}

	signingKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	certPath, err := outPath(*certOut, "myinfo-signing-cert.pem")
	if err != nil {
		return err
	}
	if err := writeSelfSignedCert(certPath, signingKey, "idconnect Myinfo v3 emulator"); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "provider signing certificate (configure it as Myinfo's certificate): %s\n", certPath)

	var clientPub *rsa.PublicKey
	if *clientCert != "" {
		b, err := os.ReadFile(*clientCert)
		if err != nil {
			return err
		}
		if clientPub, err = jwx.ParseRSAPublicKey(b); err != nil {
			return fmt.Errorf("-client-cert: %w", err)
		}
	} else {
		clientKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		keyPath, err := outPath(*clientKeyOut, "client-private-key.pem")
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(clientKey)
		if err != nil {
			return err
		}
		if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "client private key (configure it as your client key): %s\n", keyPath)
		clientPub = &clientKey.PublicKey
	}

	people, err := personas.Myinfo()
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	if *publicURL == "" {
		*publicURL = scheme + "://" + *addr
	}
	emu, err := myinfoemu.New(myinfoemu.Config{
		Personas:        people,
		ClientID:        *clientID,
		ClientSecret:    *clientSecret,
		ClientPublicKey: clientPub,
		RedirectURIs:    splitList(*redirects),
		SigningKey:      signingKey,
		PublicURL:       *publicURL,
		Sandbox:         *sandbox,
		BareJWS:         *bareJWS,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	}
	fmt.Fprintf(stderr, "Myinfo v3 emulator (not Singpass) at %s/com/v3 (authorise, token, person/{sub}/), client id %s\n", *publicURL, *clientID)
	return serveHTTP(ctx, ln, emu)
}

// writeSelfSignedCert writes a self-signed certificate for key, the form in
// which Myinfo publishes its signing key.
func writeSelfSignedCert(path string, key *rsa.PrivateKey, cn string) error {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"idconnect emulator"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
