package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	oneidemu "github.com/idconnect/idconnect/emulator/oneid"
	"github.com/idconnect/idconnect/emulator/personas"
	singpassemu "github.com/idconnect/idconnect/emulator/singpass"
)

// emulateSingpass runs the Singpass FAPI 2.0 emulator on its own address,
// with one registered app.
func emulateSingpass(ctx context.Context, args []string, stderr io.Writer) error {
	return emulateFAPI(ctx, args, stderr, singpassemu.Singpass)
}

// emulateCorppass runs the same emulator as Corppass (its paths, an entity
// subject with act, Myinfo Business blocks), with one registered app.
func emulateCorppass(ctx context.Context, args []string, stderr io.Writer) error {
	return emulateFAPI(ctx, args, stderr, singpassemu.Corppass)
}

func emulateFAPI(ctx context.Context, args []string, stderr io.Writer, service singpassemu.Service) error {
	corp := service == singpassemu.Corppass
	name, port, defClient, kinds := "singpass", "5157", "idconnect-myinfo-app", "myinfo (id_token and userinfo) or login (id_token only)"
	if corp {
		name, port, defClient, kinds = "corppass", "5159", "idconnect-mib-app", "myinfo-business (id_token and userinfo) or login (id_token, and userinfo for roles)"
	}
	fs := flag.NewFlagSet("emulate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:"+port, "listen `address`")
	issuer := fs.String("issuer", "", "the issuer `URL` clients reach the emulator at; default http://ADDR")
	clientID := fs.String("client-id", defClient, "the registered app's client `id`")
	jwksURL := fs.String("client-jwks-url", "http://localhost:3001/.well-known/jwks.json", "the `URL` of the app's public keys (idconnect serves them at /.well-known/jwks.json)")
	defRedirects := defaultRedirectURL + ",http://localhost:3001/callback/singpass"
	if corp {
		defRedirects = "http://localhost:3001/callback/corppass"
	}
	redirects := fs.String("redirect-uri", defRedirects, "registered redirect `URLs`, comma-separated")
	defKind := "myinfo"
	if corp {
		defKind = "myinfo-business"
	}
	kind := fs.String("kind", defKind, "the app's `kind`: "+kinds)
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	var appKind singpassemu.AppKind
	switch {
	case *kind == "login":
		appKind = singpassemu.LoginApp
	case *kind == defKind:
		appKind = singpassemu.MyinfoApp
	default:
		return fmt.Errorf("-kind %q: want %s or login", *kind, defKind)
	}
	if *issuer == "" {
		*issuer = defaultPublicURL("http", *addr)
	}
	people, err := personas.Myinfo()
	if err != nil {
		return err
	}
	cfg := singpassemu.Config{
		Service:  service,
		Issuer:   *issuer,
		Personas: people,
		Clients: []singpassemu.Client{{ID: *clientID, Kind: appKind, JWKSURL: *jwksURL, RedirectURIs: splitList(*redirects),
			Name: "idconnect", Purpose: "Demonstration of idconnect"}},
		// Developers run relying parties at http://127.0.0.1:PORT as often
		// as at http://localhost:PORT; the portal's rule against IP hosts
		// is not what this emulator is for.
		AllowIPRedirectURIs: true,
	}
	if corp {
		if cfg.Entities, err = personas.Corppass(); err != nil {
			return err
		}
	}
	emu, err := singpassemu.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s FAPI 2.0 emulator (not %s) at %s (discovery at /.well-known/openid-configuration), client id %s\n", service, service, emu.Issuer(), *clientID)
	return serveHTTP(ctx, ln, emu)
}

// emulateOneID runs the OneID emulator on its own address, with one
// registered client.
func emulateOneID(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulate oneid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5158", "listen `address`")
	issuer := fs.String("issuer", "", "the issuer `URL` clients reach the emulator at; default http://ADDR")
	clientID := fs.String("client-id", "idconnect-oneid", "the registered client `id`")
	clientSecret := fs.String("client-secret", "", "the registered client `secret` (required)")
	redirects := fs.String("redirect-uri", "http://localhost:3001/callback/oneid", "registered redirect `URLs`, comma-separated")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if strings.TrimSpace(*clientSecret) == "" {
		return fmt.Errorf("-client-secret is required")
	}
	if *issuer == "" {
		*issuer = defaultPublicURL("http", *addr)
	}
	people, err := personas.OneID()
	if err != nil {
		return err
	}
	emu, err := oneidemu.New(oneidemu.Config{
		Issuer:   *issuer,
		Personas: people,
		Clients:  []oneidemu.Client{{ID: *clientID, Secret: *clientSecret, RedirectURIs: splitList(*redirects)}},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "OneID emulator (not OneID) at %s (discovery at /.well-known/openid-configuration), client id %s\n", emu.Issuer(), *clientID)
	return serveHTTP(ctx, ln, emu)
}
