package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	var stderr bytes.Buffer
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
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %v; %s", err, stderr.String())
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
