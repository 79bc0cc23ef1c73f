package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/idconnect/idconnect"
	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/server"
	"github.com/idconnect/idconnect/store"
)

const emulatorNotice = "EMULATOR MODE: this service is talking to its embedded Myinfo emulator with freshly generated keys, not to Singpass. The people are invented test personas."

// serve runs the service until ctx ends.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; it is configured by environment variables (see README)")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := loadServiceConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	svc, err := buildService(cfg, log, ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	if svc.notice != "" {
		fmt.Fprintf(stderr, "\n*** %s ***\n\n", svc.notice)
	}
	log.Info("idconnect listening", "addr", ln.Addr().String(), "redirect_url", cfg.RedirectURL, "emulated", cfg.Emulated)
	return serveWithLimits(ctx, ln, svc.handler, cfg.Limits)
}

// service is the wired service.
type service struct {
	handler http.Handler
	notice  string            // shown loudly when not talking to real providers
	myinfo  *myinfoemu.Server // the embedded emulator, nil when configured
	// clientSecret is the embedded emulator's client secret ("" when
	// configured), kept so that tests can check it never reaches a log.
	clientSecret idconnect.Secret
}

// buildService wires the Flow, the provider, the emulator when there is no
// configuration, and the HTTP server. listenAddr is the address the service
// listens on: in emulator mode the provider client calls the emulator there,
// whatever else may answer at the redirect URL's host and port.
func buildService(cfg *serviceConfig, log *slog.Logger, listenAddr string) (*service, error) {
	mc := cfg.Myinfo
	mc.HTTPClient = &http.Client{Timeout: cfg.ProviderTimeout}
	mc.Now = cfg.Now
	svc := &service{}
	emulators := map[string]http.Handler{}
	if cfg.Emulated {
		emu, err := embeddedMyinfo(cfg, &mc)
		if err != nil {
			return nil, err
		}
		emulators["myinfo"] = emu
		svc.myinfo = emu
		svc.notice = emulatorNotice
		svc.clientSecret = mc.ClientSecret
		mc.HTTPClient.Transport, err = selfTransport(cfg.RedirectURL, listenAddr)
		if err != nil {
			return nil, err
		}
	}
	client, err := myinfo.New(mc)
	if err != nil {
		return nil, err
	}
	flow := &idconnect.Flow{
		Providers:    map[string]idconnect.Provider{client.Name(): client},
		Store:        &store.Memory{MaxBytes: cfg.StoreMaxBytes, Now: cfg.Now},
		SecureCookie: cfg.SecureCookie,
		CookieKey:    cfg.CookieKey,
		Now:          cfg.Now,
	}
	srv, err := server.New(server.Config{
		Flow:           flow,
		PublicURL:      publicOrigin(cfg.RedirectURL),
		Emulators:      emulators,
		Notice:         svc.notice,
		Logger:         log,
		StartLimiter:   &ratelimit.TokenBucket{Burst: cfg.LoginBurst, Every: cfg.LoginInterval, Now: cfg.Now},
		ClientIPHeader: cfg.ClientIPHeader,
	})
	if err != nil {
		return nil, err
	}
	svc.handler = srv
	return svc, nil
}

// publicOrigin is the scheme and host of the redirect URL: the base the
// generic routes (/login/{provider}, /callback/{provider}) are reached at.
func publicOrigin(redirectURL string) string {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// selfTransport returns a transport that connects to listenAddr whenever a
// request is for the host and port of publicURL. The embedded emulator
// lives at the public URL's origin, and the service must reach itself
// there even when something else answers on that port of this machine
// (a proxy in front, another program). TLS, if any, still verifies the
// public host name.
func selfTransport(publicURL, listenAddr string) (*http.Transport, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	public := net.JoinHostPort(u.Hostname(), port)
	self := listenAddr
	if host, port, err := net.SplitHostPort(listenAddr); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
		self = net.JoinHostPort("127.0.0.1", port) // a wildcard listener answers on loopback
	}
	var dialer net.Dialer
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == public {
			addr = self
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return t, nil
}

// embeddedMyinfo builds the Myinfo emulator served under /emulator/myinfo on
// the service's own origin, and points mc at it with fresh keys.
func embeddedMyinfo(cfg *serviceConfig, mc *myinfo.Config) (*myinfoemu.Server, error) {
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	public := redirect.Scheme + "://" + redirect.Host + "/emulator/myinfo"
	clientKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	providerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	people, err := personas.Myinfo()
	if err != nil {
		return nil, err
	}
	mc.BaseURL = public + "/com/v3"
	mc.AllowInsecureHTTP = true // the emulator is this process, reached on loopback (selfTransport)
	mc.ClientID = "STG2-MYINFO-SELF-TEST"
	mc.ClientSecret = idconnect.Secret(fmt.Sprintf("%x", secret))
	mc.ClientKey = clientKey
	mc.ProviderKey = &providerKey.PublicKey
	return myinfoemu.New(myinfoemu.Config{
		Now:             cfg.Now,
		Personas:        people,
		ClientID:        mc.ClientID,
		ClientSecret:    mc.ClientSecret.Reveal(),
		ClientPublicKey: &clientKey.PublicKey,
		RedirectURIs:    []string{cfg.RedirectURL, publicOrigin(cfg.RedirectURL) + "/callback/myinfo"},
		SigningKey:      providerKey,
		PublicURL:       public,
	})
}

// serveHTTP serves h on ln with the default inbound limits, and shuts down
// gracefully when ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	return serveWithLimits(ctx, ln, h, defaultLimits)
}

// serveWithLimits is serveHTTP with the given limits.
func serveWithLimits(ctx context.Context, ln net.Listener, h http.Handler, limits httpLimits) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
