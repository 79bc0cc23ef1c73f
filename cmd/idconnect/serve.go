package main

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"time"

	"github.com/idconnect/idconnect"
	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	oneidemu "github.com/idconnect/idconnect/emulator/oneid"
	"github.com/idconnect/idconnect/emulator/personas"
	singpassemu "github.com/idconnect/idconnect/emulator/singpass"
	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/oneid"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/ratelimit/redislimit"
	"github.com/idconnect/idconnect/server"
	"github.com/idconnect/idconnect/server/demo"
	"github.com/idconnect/idconnect/store"
	redisstore "github.com/idconnect/idconnect/store/redis"
)

const emulatorNotice = "EMULATOR MODE: this service is talking to its embedded Myinfo v3, Singpass FAPI, Corppass FAPI and OneID emulators with freshly generated keys, not to Singpass, Corppass or OneID. The people and entities are invented test personas."

// serve runs the service until ctx ends.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments; it is configured by environment variables (see README)")
	}
	cfg, err := loadServiceConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	defer cfg.closeHSM()
	log := newLogger(cfg.LogFormat, stderr)
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("IDCONNECT_CPU_PROFILE: %w", err)
		}
		defer stop()
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
	log.Info("idconnect listening", "addr", ln.Addr().String(), "tls", cfg.Limits.TLS != nil, "redirect_url", cfg.RedirectURL,
		"emulated", cfg.Emulated, "result_handoff", cfg.ReturnURL != "")
	// Readiness turns 503 as soon as shutdown begins, while in-flight
	// logins finish.
	stop := context.AfterFunc(ctx, func() {
		svc.server.Drain()
		log.Info("idconnect shutting down", "timeout", cfg.Limits.ShutdownTimeout.String())
	})
	defer stop()
	defer svc.close()
	return serveWithLimits(ctx, ln, svc.handler, cfg.Limits)
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// newLogger returns the service's logger: slog text or JSON on w.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// service is the wired service.
type service struct {
	handler http.Handler
	server  *server.Server
	metrics *server.Metrics
	notice  string            // shown loudly when not talking to real providers
	myinfo  *myinfoemu.Server // the embedded Myinfo v3 emulator, nil when configured
	// singpass is the embedded Singpass FAPI emulator, nil when configured.
	singpass *singpassemu.Server
	// oneid is the embedded OneID emulator, nil when configured.
	oneid *oneidemu.Server
	// corppass is the embedded Corppass FAPI emulator, nil when
	// configured.
	corppass *singpassemu.Server
	// clientSecret is the embedded emulator's client secret ("" when
	// configured), kept so that tests can check it never reaches a log.
	clientSecret idconnect.Secret
	// close releases what the service holds open (the Redis client).
	close func() error
}

// buildService wires the Flow, the providers, the emulators when there is
// no configuration, and the HTTP server. listenAddr is the address the
// service listens on: in emulator mode the provider clients call the
// emulators there, whatever else may answer at the redirect URL's host and
// port.
func buildService(cfg *serviceConfig, log *slog.Logger, listenAddr string) (*service, error) {
	svc := &service{}
	providers := map[string]idconnect.Provider{}
	emulators := map[string]http.Handler{}
	var self *http.Transport
	if cfg.Emulated {
		var err error
		if self, err = selfTransport(cfg.RedirectURL, listenAddr); err != nil {
			return nil, err
		}
		svc.notice = emulatorNotice
	}
	metrics := server.NewMetrics()
	svc.metrics = metrics
	// outbound is the client of the provider called name: its calls are
	// timed under that name. The base transport caps response headers
	// itself, since httpx leaves a wrapped transport unchanged.
	outbound := func(name string) *http.Client {
		var base *http.Transport
		if self != nil {
			base = self.Clone()
		} else {
			base = http.DefaultTransport.(*http.Transport).Clone()
		}
		base.MaxResponseHeaderBytes = httpx.DefaultMaxResponseHeaderBytes
		// Keep connections to the provider alive for as many logins as
		// run at once (net/http keeps two per host by default).
		base.MaxIdleConnsPerHost = httpx.MaxIdleConnsPerHost
		return &http.Client{Timeout: cfg.ProviderTimeout, Transport: metrics.Transport(name, base)}
	}

	if cfg.MyinfoV3 {
		mc := cfg.Myinfo
		mc.HTTPClient = outbound("myinfo")
		mc.Now = cfg.Now
		if cfg.Emulated {
			emu, err := embeddedMyinfo(cfg, &mc)
			if err != nil {
				return nil, err
			}
			emulators["myinfo"] = emu
			svc.myinfo = emu
			svc.clientSecret = mc.ClientSecret
		}
		client, err := myinfo.New(mc)
		if err != nil {
			return nil, err
		}
		providers["myinfo"] = client
	}

	var spConfigs []*singpassConfig
	if cfg.Singpass != nil {
		spConfigs = append(spConfigs, cfg.Singpass)
	}
	if cfg.Emulated {
		// The emulator's own client (it fetches our JWKS) is no provider
		// call: it is not timed.
		emuClient := &http.Client{Timeout: cfg.ProviderTimeout}
		if self != nil {
			emuClient.Transport = self
		}
		emu, configs, err := embeddedSingpass(cfg, emuClient)
		if err != nil {
			return nil, err
		}
		emulators["singpass"] = emu
		svc.singpass = emu
		// Corppass shares the key set: the service publishes one JWKS.
		cpEmu, cpConfigs, err := embeddedCorppass(cfg, emuClient, configs[0].Keys)
		if err != nil {
			return nil, err
		}
		emulators["corppass"] = cpEmu
		svc.corppass = cpEmu
		spConfigs = append(configs, cpConfigs...)
	}
	if cfg.Corppass != nil {
		spConfigs = append(spConfigs, cfg.Corppass)
	}
	var jwksAt func(time.Time) ([]byte, error) // the key set file follows its rotation times
	var seed string
	if cfg.SeedAPI == "v3" {
		seed = "myinfo"
	}
	for i, sp := range spConfigs {
		sc := sp.clientConfig(cfg.RedirectURL)
		sc.HTTPClient = outbound(sp.Name)
		sc.Now = cfg.Now
		client, err := singpass.New(sc)
		if err != nil {
			return nil, err
		}
		providers[sp.Name] = client
		if i == 0 && cfg.SeedAPI == "fapi" {
			seed = sp.Name
		}
		jwksAt = sp.Keys.PublicJSONAt
	}

	oc := cfg.OneID
	if cfg.Emulated {
		emu, c, err := embeddedOneID(cfg)
		if err != nil {
			return nil, err
		}
		emulators["oneid"] = emu
		svc.oneid = emu
		oc = c
	}
	if oc != nil {
		c := *oc
		c.HTTPClient = outbound("oneid")
		c.Now = cfg.Now
		client, err := oneid.New(c)
		if err != nil {
			return nil, err
		}
		providers["oneid"] = client
	}

	shared, err := sharedState(cfg)
	if err != nil {
		return nil, err
	}
	svc.close = shared.close
	flow := &idconnect.Flow{
		Providers:    providers,
		Store:        metrics.Store("logins", shared.logins),
		SecureCookie: cfg.SecureCookie,
		CookieKey:    cfg.CookieKey,
		Now:          cfg.Now,
	}
	demoCfg, err := demoApp(cfg, svc.notice, log, listenAddr, providers)
	if err != nil {
		return nil, err
	}
	apiKey := cfg.APIKey
	if demoCfg.app != nil {
		apiKey = demoCfg.apiKey
	}
	srv, err := server.New(server.Config{
		Flow:           flow,
		SeedProvider:   seed,
		PublicURL:      publicOrigin(cfg.RedirectURL),
		JWKSAt:         jwksAt,
		Emulators:      emulators,
		Notice:         svc.notice,
		Logger:         log,
		StartLimiter:   shared.limiter,
		Results:        shared.results,
		Documents:      shared.documents,
		ClientIPHeader: cfg.ClientIPHeader,
		ReturnURL:      cfg.ReturnURL,
		APIKey:         apiKey,
		ResultKey:      cfg.ResultKey,
		Demo:           demoCfg.app,
		DemoReturnURL:  demoCfg.returnURL,
		DemoLogins:     demoCfg.logins,
		Metrics:        metrics,
		Now:            cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	svc.handler, svc.server = srv, srv
	return svc, nil
}

// demoWiring is the demo application and what the server needs of it.
type demoWiring struct {
	app       http.Handler // nil when the demo is off
	apiKey    idconnect.Secret
	returnURL string
	logins    map[string]idconnect.StartOptions
}

// demoApp builds the demo application (IDCONNECT_DEMO) for the providers
// the service runs. It is this service's application: it receives results
// through the handoff and fetches them from /results/{handle} with the API
// key (IDCONNECT_API_KEY when set, else a random key made here) over HTTP,
// reaching this process at its public URL.
func demoApp(cfg *serviceConfig, notice string, log *slog.Logger, listenAddr string, providers map[string]idconnect.Provider) (demoWiring, error) {
	if !cfg.Demo {
		return demoWiring{}, nil
	}
	w := demoWiring{apiKey: cfg.APIKey, logins: map[string]idconnect.StartOptions{}}
	if w.apiKey == "" {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return w, err
		}
		w.apiKey = idconnect.Secret(base64.RawURLEncoding.EncodeToString(raw))
	}
	var buttons []demo.Provider
	for _, p := range demo.StandardProviders() {
		if _, ok := providers[p.Name]; ok {
			buttons = append(buttons, p)
			w.logins[p.Name] = idconnect.StartOptions{Attributes: p.Attributes, Purpose: p.Purpose}
		}
	}
	if len(buttons) == 0 {
		return w, errors.New("IDCONNECT_DEMO is on, but none of the demo's providers (myinfo, singpass, oneid, corppass) is configured")
	}
	self, err := selfTransport(cfg.RedirectURL, listenAddr)
	if err != nil {
		return w, err
	}
	public := publicOrigin(cfg.RedirectURL)
	w.returnURL = public + demo.ReturnPath
	app, err := demo.New(demo.Config{
		ServiceURL:   public,
		APIKey:       w.apiKey,
		HTTPClient:   &http.Client{Timeout: cfg.ProviderTimeout, Transport: self},
		Providers:    buttons,
		Notice:       notice,
		SecureCookie: cfg.SecureCookie,
		Logger:       log,
		Now:          cfg.Now,
	})
	if err != nil {
		return w, err
	}
	w.app = app
	return w, nil
}

// state is where the service keeps what outlives one request: pending
// logins, results, documents and the per-client start limit.
type state struct {
	logins, results, documents store.Store
	limiter                    ratelimit.Limiter
	close                      func() error
}

// sharedState builds the service's state: in process memory for one
// instance, or in Redis (IDCONNECT_REDIS_URL) for several. In Redis every
// value is sealed with AES-256-GCM under a key derived from
// IDCONNECT_RESULT_KEY, one per kind of value, so Redis never holds a
// Login's DPoP key or PKCE verifier, a person's data or a document in the
// clear. (Results are sealed by the server itself, with the result key.)
func sharedState(cfg *serviceConfig) (*state, error) {
	if cfg.RedisURL == "" {
		return &state{
			logins:  &store.Memory{MaxBytes: cfg.StoreMaxBytes, Now: cfg.Now},
			limiter: &ratelimit.TokenBucket{Burst: cfg.LoginBurst, Every: cfg.LoginInterval, Now: cfg.Now},
			close:   func() error { return nil },
		}, nil
	}
	client, err := redisstore.NewClient(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("IDCONNECT_REDIS_URL: %w", err)
	}
	sealed := func(prefix, label string) (store.Store, error) {
		key, err := hkdf.Key(sha256.New, cfg.ResultKey, nil, label, 32)
		if err != nil {
			return nil, err
		}
		return store.NewSealed(redisstore.New(client, redisstore.Options{Prefix: prefix, Now: cfg.Now}), key)
	}
	st := &state{
		results: redisstore.New(client, redisstore.Options{Prefix: "idconnect:result:", Now: cfg.Now}),
		limiter: &redislimit.Limiter{Client: client, Prefix: "idconnect:limit:", Burst: cfg.LoginBurst, Every: cfg.LoginInterval},
		close:   client.Close,
	}
	if st.logins, err = sealed("idconnect:login:", "idconnect pending logins v1"); err != nil {
		client.Close()
		return nil, err
	}
	if st.documents, err = sealed("idconnect:document:", "idconnect documents v1"); err != nil {
		client.Close()
		return nil, err
	}
	return st, nil
}

// embeddedOneID builds the OneID emulator served under /emulator/oneid on
// the service's own origin, with one registered client whose secret is
// fresh, and the client configuration for it: every scope, the report too.
func embeddedOneID(cfg *serviceConfig) (*oneidemu.Server, *oneid.Config, error) {
	public := publicOrigin(cfg.RedirectURL)
	people, err := personas.OneID()
	if err != nil {
		return nil, nil, err
	}
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	c := &oneid.Config{
		Issuer:       public + "/emulator/oneid",
		ClientID:     "idconnect-oneid",
		ClientSecret: idconnect.Secret(fmt.Sprintf("%x", secret)),
		RedirectURI:  public + "/callback/oneid",
		Scopes:       embeddedOneIDScopes,
		FetchReport:  true,
		// The emulator is this process, reached on loopback.
		AllowInsecureHTTP: true,
	}
	emu, err := oneidemu.New(oneidemu.Config{
		Issuer:   c.Issuer,
		Personas: people,
		Clients: []oneidemu.Client{{ID: c.ClientID, Secret: c.ClientSecret.Reveal(), Name: "idconnect demo", Purpose: "Demonstration of idconnect",
			RedirectURIs: []string{c.RedirectURI, public + "/demo/callback/oneid"}}},
		Now: cfg.Now,
	})
	if err != nil {
		return nil, nil, err
	}
	return emu, c, nil
}

// embeddedOneIDScopes is everything the embedded OneID emulator can show.
var embeddedOneIDScopes = []string{"openid", "profile", "date_of_birth", "address", "email", "phone", "fraud", "age_over_18", "accounts", "accounts.balances"}

// Names of the embedded Singpass providers: a Myinfo app and a Login app
// of the embedded emulator, sharing one key set.
const (
	embeddedSingpassMyinfo = "singpass"
	embeddedSingpassLogin  = "singpass-login"
)

// embeddedSingpass builds the Singpass FAPI emulator served under
// /emulator/singpass on the service's own origin, with a fresh key set for
// the service and two registered apps. The emulator fetches the service's
// JWKS from its public /.well-known/jwks.json, as Singpass does, through
// client (which reaches this process).
func embeddedSingpass(cfg *serviceConfig, client *http.Client) (*singpassemu.Server, []*singpassConfig, error) {
	public := publicOrigin(cfg.RedirectURL)
	keys, err := keyset.Generate(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	people, err := personas.Myinfo()
	if err != nil {
		return nil, nil, err
	}
	myinfoApp := &singpassConfig{Name: embeddedSingpassMyinfo, ClientID: "idconnect-myinfo-app", Keys: keys, App: singpass.Myinfo, Scopes: cfg.Myinfo.Attributes}
	loginApp := &singpassConfig{Name: embeddedSingpassLogin, ClientID: "idconnect-login-app", Keys: keys, App: singpass.Login, Scopes: singpass.DefaultLoginScopes}
	emu, err := singpassemu.New(singpassemu.Config{
		Issuer:   public + "/emulator/singpass",
		Personas: people,
		Clients: []singpassemu.Client{
			{ID: myinfoApp.ClientID, Kind: singpassemu.MyinfoApp, JWKSURL: public + "/.well-known/jwks.json", Name: "idconnect demo",
				Purpose: "Demonstration of idconnect", RedirectURIs: []string{cfg.RedirectURL, public + "/callback/" + myinfoApp.Name, public + "/demo/callback/" + myinfoApp.Name}},
			{ID: loginApp.ClientID, Kind: singpassemu.LoginApp, JWKSURL: public + "/.well-known/jwks.json",
				RedirectURIs: []string{cfg.RedirectURL, public + "/callback/" + loginApp.Name, public + "/demo/callback/" + loginApp.Name}, Name: "idconnect demo"},
		},
		// Developers run the service at http://127.0.0.1:PORT as often as
		// at http://localhost:PORT; the portal's rule against IP hosts is
		// not what this emulator is for.
		AllowIPRedirectURIs: true,
		HTTPClient:          client,
		Now:                 cfg.Now,
	})
	if err != nil {
		return nil, nil, err
	}
	for _, sp := range []*singpassConfig{myinfoApp, loginApp} {
		sp.Issuer = emu.Issuer()
	}
	return emu, []*singpassConfig{myinfoApp, loginApp}, nil
}

// Names of the embedded Corppass providers: a Myinfo Business app and a
// Corppass Login app of the embedded emulator.
const (
	embeddedCorppassBusiness = "corppass"
	embeddedCorppassLogin    = "corppass-login"
)

// embeddedCorppass builds the Corppass FAPI emulator served under
// /emulator/corppass on the service's own origin (its issuer, like
// Corppass's, has no /fapi; its paths are Corppass's), with the Corppass
// test entities and two registered apps using keys, the key set the
// service publishes.
func embeddedCorppass(cfg *serviceConfig, client *http.Client, keys *keyset.Set) (*singpassemu.Server, []*singpassConfig, error) {
	public := publicOrigin(cfg.RedirectURL)
	people, err := personas.Myinfo()
	if err != nil {
		return nil, nil, err
	}
	entities, err := personas.Corppass()
	if err != nil {
		return nil, nil, err
	}
	business := &singpassConfig{Service: singpass.Corppass, Name: embeddedCorppassBusiness, ClientID: "idconnect-mib-app", Keys: keys,
		App: singpass.Myinfo, Scopes: embeddedCorppassScopes}
	login := &singpassConfig{Service: singpass.Corppass, Name: embeddedCorppassLogin, ClientID: "idconnect-cp-login", Keys: keys,
		App: singpass.Login, Scopes: append(append([]string{}, singpass.DefaultCorppassLoginScopes...), singpass.ScopeAuthInfo)}
	var clients []singpassemu.Client
	for _, c := range []*singpassConfig{business, login} {
		kind := singpassemu.MyinfoApp
		if c.App == singpass.Login {
			kind = singpassemu.LoginApp
		}
		clients = append(clients, singpassemu.Client{ID: c.ClientID, Kind: kind, JWKSURL: public + "/.well-known/jwks.json",
			RedirectURIs: []string{public + "/callback/" + c.Name, public + "/demo/callback/" + c.Name}, Name: "idconnect demo", Purpose: "Demonstration of idconnect"})
	}
	emu, err := singpassemu.New(singpassemu.Config{
		Service:             singpassemu.Corppass,
		Issuer:              public + "/emulator/corppass",
		Personas:            people,
		Entities:            entities,
		Clients:             clients,
		AllowIPRedirectURIs: true, // as for the embedded Singpass
		HTTPClient:          client,
		Now:                 cfg.Now,
	})
	if err != nil {
		return nil, nil, err
	}
	business.Issuer, login.Issuer = emu.Issuer(), emu.Issuer()
	return emu, []*singpassConfig{business, login}, nil
}

// embeddedCorppassScopes are what the embedded Myinfo Business app asks
// for: the entity's profile, address, officers and shareholders, the
// person's identity, name and Corppass email, and the person's roles.
var embeddedCorppassScopes = append(append([]string{}, singpass.DefaultMyinfoBusinessScopes...),
	"entity.identity", "corppass.email", "tpauthinfo")

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
		RedirectURIs:    []string{cfg.RedirectURL, publicOrigin(cfg.RedirectURL) + "/callback/myinfo", publicOrigin(cfg.RedirectURL) + "/demo/callback/myinfo"},
		SigningKey:      providerKey,
		PublicURL:       public,
	})
}

// serveHTTP serves h on ln with the default inbound limits, and shuts down
// gracefully when ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	return serveWithLimits(ctx, ln, h, defaultLimits)
}

// serveWithLimits is serveHTTP with the given limits. With limits.TLS it
// serves HTTPS. When ctx ends it stops accepting connections and lets
// in-flight requests finish within limits.ShutdownTimeout; past that it
// cuts them and reports the timeout.
func serveWithLimits(ctx context.Context, ln net.Listener, h http.Handler, limits httpLimits) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		TLSConfig:         limits.TLS,
	}
	errc := make(chan error, 1)
	go func() {
		if limits.TLS != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := limits.ShutdownTimeout
	if timeout <= 0 {
		timeout = defaultShutdownTimeout
	}
	shutdown, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close() // cut what is still running
		<-errc
		return fmt.Errorf("shutdown: requests still running after %s were cut: %w", timeout, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
