package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// TestEmulateCommand runs `idconnect emulate myinfo` as a user would and
// points a client at it using only the files the command wrote.
func TestEmulateCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	keyPath, certPath := filepath.Join(dir, "client.pem"), filepath.Join(dir, "myinfo.pem")

	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer // the command writes it while the test reads it
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"emulate", "myinfo", "-addr", addr, "-client-key-out", keyPath, "-cert-out", certPath,
			"-client-secret", "emu-secret", "-redirect-uri", "https://rp.example/callback"}, func(string) string { return "" }, nil, &stderr, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("emulate exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("emulate did not stop")
		}
	}()
	// The banner comes after the listener is up and the files are written.
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stderr.String(), "Myinfo v3 emulator") {
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := jwx.ParseRSAPrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	checkClientFiles(t, clientKey, filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client.p12"), stderr.String())
	providerKey, err := jwx.ParseRSAPublicKey(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	client, err := myinfo.New(myinfo.Config{
		BaseURL: "http://" + addr + "/com/v3", ClientID: sampleClientID, ClientSecret: "emu-secret",
		ClientKey: clientKey, ProviderKey: providerKey, RedirectURI: "https://rp.example/callback",
		Attributes: []string{"uinfin", "name"}, Purpose: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	login := &idconnect.Login{State: "st"}
	authURL, err := client.AuthURL(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL + "&persona=S6005048A&consent=allow")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatalf("callback %q: %v", resp.Header.Get("Location"), err)
	}
	res, err := client.Exchange(ctx, login, cb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Person.Name == nil || res.Person.Name.Value != "ANDY LAU" {
		t.Fatalf("person %+v", res.Person)
	}
}

// checkClientFiles checks the client certificate and PKCS#12 file that
// `emulate myinfo` writes beside the client key: both hold the client key's
// public half, the PKCS#12 holds the key itself under the password the
// banner states, and OpenSSL reads it without legacy options.
func checkClientFiles(t *testing.T, clientKey *rsa.PrivateKey, certPath, p12Path, banner string) {
	t.Helper()
	if !strings.Contains(banner, `password "`+clientP12Password+`": `+p12Path) {
		t.Errorf("banner does not give the PKCS#12 file and its password:\n%s", banner)
	}
	if !strings.Contains(banner, certPath) {
		t.Errorf("banner does not give the client certificate:\n%s", banner)
	}
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s is not a PEM certificate", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !clientKey.PublicKey.Equal(cert.PublicKey) {
		t.Error("the client certificate is not for the client key")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("the client certificate is not self-signed: %v", err)
	}

	p12, err := os.ReadFile(p12Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p12Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("PKCS#12 file mode: %v %v", fi.Mode(), err)
	}
	key, p12Cert, err := pkcs12.Decode(p12, clientP12Password)
	if err != nil {
		t.Fatalf("decode PKCS#12: %v", err)
	}
	if k, ok := key.(*rsa.PrivateKey); !ok || !k.Equal(clientKey) {
		t.Error("the PKCS#12 key is not the client key")
	}
	if !bytes.Equal(p12Cert.Raw, cert.Raw) {
		t.Error("the PKCS#12 certificate is not the client certificate")
	}
	if _, _, err := pkcs12.Decode(p12, "wrong"); err == nil {
		t.Error("PKCS#12 opened with a wrong password")
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl is not installed: skipping the check that OpenSSL reads the PKCS#12 file")
		return
	}
	out, err := exec.Command(openssl, "pkcs12", "-in", p12Path, "-passin", "pass:"+clientP12Password, "-nodes").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	var gotKey, gotCert bool
	for rest := out; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			gotKey = err == nil && clientKey.Equal(k)
		case "CERTIFICATE":
			gotCert = bytes.Equal(b.Bytes, cert.Raw)
		}
	}
	if !gotKey || !gotCert {
		t.Fatalf("openssl pkcs12 output lacks the client key (%v) or certificate (%v):\n%s", gotKey, gotCert, out)
	}
}

// TestEmulateHelpNamesP12Password: -help states the PKCS#12 password.
func TestEmulateHelpNamesP12Password(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"emulate", "myinfo", "-h"}, func(string) string { return "" }, nil, &stderr, &stderr); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), `password "`+clientP12Password+`"`) {
		t.Fatalf("help does not state the PKCS#12 password:\n%s", stderr.String())
	}
}

// TestEmulateDefaultPublicURL: with no -public-url the URL derived from
// -addr drops the scheme's default port, as clients configured with
// https://127.0.0.1/com/v3/… (the official Node connector) sign it.
func TestEmulateDefaultPublicURL(t *testing.T) {
	for _, tc := range []struct{ scheme, addr, want string }{
		{"https", "127.0.0.1:443", "https://127.0.0.1"},
		{"http", "127.0.0.1:80", "http://127.0.0.1"},
		{"https", "[::1]:443", "https://[::1]"},
		{"https", "localhost:443", "https://localhost"},
		{"http", "127.0.0.1:443", "http://127.0.0.1:443"},
		{"https", "127.0.0.1:80", "https://127.0.0.1:80"},
		{"http", "127.0.0.1:5156", "http://127.0.0.1:5156"},
		{"https", "[::1]:8443", "https://[::1]:8443"},
	} {
		if got := defaultPublicURL(tc.scheme, tc.addr); got != tc.want {
			t.Errorf("defaultPublicURL(%q, %q) = %q, want %q", tc.scheme, tc.addr, got, tc.want)
		}
	}
}
