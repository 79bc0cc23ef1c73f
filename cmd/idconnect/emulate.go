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
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/internal/jwx"
)

// The official connectors' published sample client, so that their sample
// configurations run against the emulator unchanged. Public test values.
const (
	sampleClientID     = "STG2-MYINFO-SELF-TEST"
	sampleClientSecret = "44d953c796cccebcec9bdc826852857ab412fbe2"
	// clientP12Password protects the generated client PKCS#12 file. It is
	// the demo app's sample passphrase (its your-sample-app-certificate.p12),
	// so the official connectors' sample configurations read the file
	// unchanged; the key inside is a throwaway test key.
	clientP12Password = "DemoApp"
)

// emulate runs a provider emulator on its own address.
func emulate(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "myinfo":
			return emulateMyinfo(ctx, args, stderr)
		case "singpass":
			return emulateSingpass(ctx, args, stderr)
		case "oneid":
			return emulateOneID(ctx, args, stderr)
		case "corppass":
			return emulateCorppass(ctx, args, stderr)
		}
	}
	fmt.Fprintln(stderr, "usage: idconnect emulate myinfo|singpass|corppass|oneid [flags]")
	return errUsage
}

// emulateMyinfo runs the Myinfo v3 emulator on its own address.
func emulateMyinfo(ctx context.Context, args []string, stderr io.Writer) error {
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
	clientKeyOut := fs.String("client-key-out", "", "write the generated client private key to this `file` (PEM), its self-signed certificate beside it\n"+
		"as NAME-cert.pem, and both as NAME.p12 (PKCS#12, password \""+clientP12Password+"\", for the official Node, Java and\n"+
		".NET connectors); NAME is the file name without its extension (default: a temporary directory)")
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
		certPath, p12Path := clientFilePaths(keyPath)
		if err := writeClientFiles(clientKey, keyPath, certPath, p12Path); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "client private key (configure it as your client key): %s\n", keyPath)
		fmt.Fprintf(stderr, "client certificate (self-signed, for that key): %s\n", certPath)
		fmt.Fprintf(stderr, "client key and certificate as PKCS#12, password %q: %s\n", clientP12Password, p12Path)
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
		*publicURL = defaultPublicURL(scheme, *addr)
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

// defaultPublicURL is the URL clients reach a listener on addr at, without
// the scheme's default port (:443 for https, :80 for http), as real Myinfo's
// https://test.api.myinfo.gov.sg and as clients configured with such URLs
// sign them. (The emulator accepts either spelling; this one is what it
// prints and puts in the token's iss.)
func defaultPublicURL(scheme, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !(scheme == "https" && port == "443" || scheme == "http" && port == "80") {
		return scheme + "://" + addr
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

// clientFilePaths names the client certificate and PKCS#12 files after the
// client key's file: dir/NAME.pem gives dir/NAME-cert.pem and dir/NAME.p12.
func clientFilePaths(keyPath string) (certPath, p12Path string) {
	base := strings.TrimSuffix(keyPath, filepath.Ext(keyPath))
	return base + "-cert.pem", base + ".p12"
}

// writeClientFiles writes the generated client key (PKCS#8 PEM), a
// self-signed certificate for it (PEM), and both as a PKCS#12 file
// protected by clientP12Password, which the official connectors load. The
// PKCS#12 uses AES-256-CBC with PBKDF2-HMAC-SHA-256 and an HMAC-SHA-256
// MAC (go-pkcs12's Modern2023), which OpenSSL 1.1.1+, Java 12+ and .NET
// read without legacy options.
func writeClientFiles(key *rsa.PrivateKey, keyPath, certPath, p12Path string) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	// The client's key signs PKI_SIGN requests and is the person JWE's
	// recipient (RSA-OAEP key transport, so key encipherment).
	cert, err := selfSignedCert(key, "idconnect Myinfo v3 emulator client", x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		return err
	}
	p12, err := pkcs12.Modern2023.Encode(key, cert, nil, clientP12Password)
	if err != nil {
		return err
	}
	return os.WriteFile(p12Path, p12, 0o600)
}

// writeSelfSignedCert writes a self-signed certificate for key, the form in
// which Myinfo publishes its signing key.
func writeSelfSignedCert(path string, key *rsa.PrivateKey, cn string) error {
	cert, err := selfSignedCert(key, cn, x509.KeyUsageDigitalSignature)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

// selfSignedCert makes a self-signed certificate for key, valid from an
// hour ago for five years.
func selfSignedCert(key *rsa.PrivateKey, cn string, usage x509.KeyUsage) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"idconnect emulator"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(5, 0, 0),
		KeyUsage:     usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
