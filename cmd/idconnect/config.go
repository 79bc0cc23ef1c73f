package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/oneid"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/server"
	"github.com/idconnect/idconnect/store"
	redisstore "github.com/idconnect/idconnect/store/redis"
)

// Defaults of the service, matching the seed.
const (
	defaultAddr        = ":3001"
	defaultRedirectURL = "http://localhost:3001/callback"
	defaultAttributes  = "name,dob,birthcountry,nationality,uinfin,sex,regadd"
	defaultPurpose     = "idconnect-myinfo-connector"
	defaultTimeout     = 15 * time.Second
	// defaultShutdownTimeout bounds how long in-flight requests may run
	// after SIGTERM or SIGINT.
	defaultShutdownTimeout = 20 * time.Second
	// minAPIKeyLen is the shortest IDCONNECT_API_KEY accepted.
	minAPIKeyLen = 32
)

// serviceConfig is the service's configuration, read from the environment.
type serviceConfig struct {
	Addr        string
	RedirectURL string
	// ProviderTimeout bounds each call to a provider.
	ProviderTimeout time.Duration
	// Emulated is true when no provider variable is set: the service then
	// runs the embedded emulators (Myinfo v3 and Singpass FAPI) with fresh
	// keys.
	Emulated bool
	// MyinfoV3 is true when Myinfo v3 runs (configured, or emulated).
	MyinfoV3 bool
	Myinfo   myinfo.Config
	// Singpass is the Singpass FAPI configuration; nil when the service
	// runs no Singpass provider (emulated mode fills it at build time).
	Singpass *singpassConfig
	// Corppass is the Corppass FAPI configuration; nil when the service
	// runs no Corppass provider (emulated mode fills it at build time).
	Corppass *singpassConfig
	// SeedAPI is the API behind the seed routes: "v3", "fapi", or "" for
	// none (a service with neither Myinfo v3 nor Singpass).
	SeedAPI string
	// OneID is the OneID configuration; nil when the service runs no
	// OneID provider (emulated mode fills it at build time).
	OneID *oneid.Config

	// SecureCookie is true when the redirect URL is https: the binding
	// cookie is then Secure and __Host- even behind a TLS-terminating proxy.
	SecureCookie bool
	// CookieKey authenticates binding cookies; nil means a random key per
	// process (instances sharing a store must share it).
	CookieKey []byte
	// StoreMaxBytes is the memory budget of pending logins.
	StoreMaxBytes int64
	// LoginBurst and LoginInterval are the per-client start limit: a burst,
	// then one start per interval.
	LoginBurst    int
	LoginInterval time.Duration
	// ClientIPHeader is the header a trusted proxy sets to the client's
	// address; empty means the connection's address.
	ClientIPHeader string
	// Limits are the inbound HTTP limits, the shutdown bound and TLS.
	Limits httpLimits

	// ReturnURL, when set, turns the result handoff on: callbacks redirect
	// there with a one-time result handle, which the application's backend
	// redeems at /results/{handle} with APIKey.
	ReturnURL string
	APIKey    idconnect.Secret
	// ResultKey seals handed-off results at rest; nil means a random key
	// per process (one instance only).
	ResultKey []byte
	// RedisURL is IDCONNECT_REDIS_URL: the store shared by instances. It
	// may hold a password, so it is a Secret.
	RedisURL idconnect.Secret
	// LogFormat is "text" or "json".
	LogFormat string
	// Demo is IDCONNECT_DEMO: the demo application at GET /. It defaults
	// to on with the embedded emulators and off with real providers.
	Demo bool
	// CPUProfile, when set, is a file the service writes a CPU profile
	// (pprof) to, from start to shutdown: what the load harness's
	// profiles are made of.
	CPUProfile string

	// HSM is the PKCS#11 token holding the Singpass and Corppass keys
	// (IDCONNECT_PKCS11_*), or nil when the key set files hold them. The
	// service closes it when it stops.
	HSM *pkcs11.Token

	// Now is the clock of the Flow, the store, the limiter, the provider
	// client and the embedded emulator: one clock for all. Tests set it;
	// nil means time.Now.
	Now func() time.Time
}

// singpassConfig configures the FAPI provider for real Singpass or
// Corppass.
type singpassConfig struct {
	Service singpass.Service
	// Name is the provider's key, in /login/{name} and /callback/{name}.
	// Singpass's portal refuses redirect URIs that contain "singpass",
	// so a deployment using the generic routes picks another name.
	Name     string
	Issuer   string
	ClientID string
	Keys     *keyset.Set
	App      singpass.App
	Scopes   []string
	// RequireEncryptedUserinfo and AcceptClientIDUserinfoSubject are
	// Corppass's open questions (see provider/singpass.Config).
	RequireEncryptedUserinfo      bool
	AcceptClientIDUserinfoSubject bool
	// DPoPKey, when set, signs every login's DPoP proofs (a key in the
	// HSM, IDCONNECT_PKCS11_DPOP_KEY); nil: a fresh key per login.
	DPoPKey crypto.Signer
}

// httpLimits are the inbound server's timeouts and header cap.
type httpLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// ShutdownTimeout bounds the graceful shutdown: in-flight requests
	// may finish within it, then the rest are cut.
	ShutdownTimeout time.Duration
	// TLS, when not nil, serves HTTPS with its certificate.
	TLS *tls.Config
}

var defaultLimits = httpLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    32 << 10,
	ShutdownTimeout:   defaultShutdownTimeout,
}

// defaultStoreMaxBytes sizes the pending-login budget to memory: a quarter
// of the Go memory limit when one is set (GOMEMLIMIT), else the store's
// default.
func defaultStoreMaxBytes() int64 {
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		return limit / 4
	}
	return store.DefaultMaxBytes
}

// oneidVars are the variables that configure a real OneID.
var oneidVars = []string{"IDCONNECT_ONEID_ENV", "IDCONNECT_ONEID_ISSUER", "IDCONNECT_ONEID_CLIENT_ID", "IDCONNECT_ONEID_CLIENT_SECRET"}

// singpassVars are the variables that configure a real Singpass.
var singpassVars = []string{"IDCONNECT_SINGPASS_ISSUER", "IDCONNECT_SINGPASS_CLIENT_ID", "IDCONNECT_SINGPASS_KEYS"}

// corppassVars are the variables that configure a real Corppass.
var corppassVars = []string{"IDCONNECT_CORPPASS_ISSUER", "IDCONNECT_CORPPASS_CLIENT_ID"}

// myinfoVars are the variables that switch the service to a real Myinfo,
// each with the seed's name where the seed had one.
var myinfoVars = [][2]string{
	{"IDCONNECT_MYINFO_ENV", ""},
	{"IDCONNECT_MYINFO_BASE_URL", "MYINFO_HOST"},
	{"IDCONNECT_MYINFO_CLIENT_ID", "MYINFO_CLIENT_ID"},
	{"IDCONNECT_MYINFO_CLIENT_SECRET", "MYINFO_CLIENT_SECRET"},
	{"IDCONNECT_MYINFO_CLIENT_KEY", "KASA_GENERATED_PRIVATE_KEY"},
	{"IDCONNECT_MYINFO_CERT", "MYINFO_GENERATED_PUBLIC_KEY"},
	{"IDCONNECT_MYINFO_ESVC_ID", ""},
}

// loadServiceConfig reads the environment and reports every problem at
// once. The IDCONNECT_* name wins over the seed's name; the seed's key
// variables hold PEM text, ours hold file paths.
func loadServiceConfig(getenv func(string) string) (*serviceConfig, error) {
	var errs []error
	env := func(name, seedName, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		if seedName != "" {
			if v := strings.TrimSpace(getenv(seedName)); v != "" {
				return v
			}
		}
		return def
	}
	cfg := &serviceConfig{
		Addr:        env("IDCONNECT_ADDR", "", defaultAddr),
		RedirectURL: env("IDCONNECT_REDIRECT_URL", "KASA_REDIRECT_URL", defaultRedirectURL),
	}
	timeout, err := time.ParseDuration(env("IDCONNECT_PROVIDER_TIMEOUT", "", defaultTimeout.String()))
	if err != nil || timeout <= 0 {
		errs = append(errs, fmt.Errorf("IDCONNECT_PROVIDER_TIMEOUT: want a positive duration such as 15s"))
	}
	cfg.ProviderTimeout = timeout
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("IDCONNECT_ADDR %q: want host:port or :port", cfg.Addr))
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("IDCONNECT_REDIRECT_URL %q: want an absolute http(s) URL", cfg.RedirectURL))
	} else {
		cfg.SecureCookie = u.Scheme == "https"
	}
	cfg.Limits = defaultLimits
	if v := env("IDCONNECT_COOKIE_KEY", "", ""); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) < 32 {
			errs = append(errs, errors.New("IDCONNECT_COOKIE_KEY: want at least 32 random bytes in base64 (openssl rand -base64 32)"))
		}
		cfg.CookieKey = key
	}
	cfg.StoreMaxBytes = defaultStoreMaxBytes()
	if v := env("IDCONNECT_STORE_MAX_BYTES", "", ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 64<<10 {
			errs = append(errs, errors.New("IDCONNECT_STORE_MAX_BYTES: want a number of bytes, at least 65536"))
		}
		cfg.StoreMaxBytes = n
	}
	burst, err := strconv.Atoi(env("IDCONNECT_LOGIN_BURST", "", strconv.Itoa(ratelimit.DefaultBurst)))
	if err != nil || burst < 1 {
		errs = append(errs, errors.New("IDCONNECT_LOGIN_BURST: want a positive whole number"))
	}
	cfg.LoginBurst = burst
	interval, err := time.ParseDuration(env("IDCONNECT_LOGIN_INTERVAL", "", ratelimit.DefaultEvery.String()))
	if err != nil || interval <= 0 {
		errs = append(errs, errors.New("IDCONNECT_LOGIN_INTERVAL: want a positive duration such as 6s"))
	}
	cfg.LoginInterval = interval
	cfg.ClientIPHeader = env("IDCONNECT_CLIENT_IP_HEADER", "", "")
	errs = append(errs, loadOperations(env, cfg)...)

	v3Set := false
	for _, v := range myinfoVars {
		v3Set = v3Set || env(v[0], v[1], "") != ""
	}
	singpassSet := false
	for _, v := range singpassVars {
		singpassSet = singpassSet || env(v, "", "") != ""
	}
	oneidSet := false
	for _, v := range oneidVars {
		oneidSet = oneidSet || env(v, "", "") != ""
	}
	corppassSet := false
	for _, v := range corppassVars {
		corppassSet = corppassSet || env(v, "", "") != ""
	}
	cfg.Emulated = !v3Set && !singpassSet && !oneidSet && !corppassSet
	switch v := strings.ToLower(env("IDCONNECT_DEMO", "", "")); v {
	case "":
		cfg.Demo = cfg.Emulated
	case "on", "off":
		cfg.Demo = v == "on"
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_DEMO %q: want on or off", v))
	}
	cfg.MyinfoV3 = v3Set || cfg.Emulated
	mc := &cfg.Myinfo
	mc.RedirectURI = cfg.RedirectURL
	mc.Attributes = splitList(env("IDCONNECT_MYINFO_ATTRIBUTES", "", defaultAttributes))
	mc.Purpose = env("IDCONNECT_MYINFO_PURPOSE", "", defaultPurpose)
	// The seed routes run on Myinfo v3 when it is there, else on a
	// configured Singpass; IDCONNECT_MYINFO_API chooses explicitly.
	defaultAPI := ""
	switch {
	case cfg.MyinfoV3:
		defaultAPI = "v3"
	case singpassSet:
		defaultAPI = "fapi"
	}
	cfg.SeedAPI = strings.ToLower(env("IDCONNECT_MYINFO_API", "", defaultAPI))
	switch {
	case cfg.SeedAPI != "" && cfg.SeedAPI != "v3" && cfg.SeedAPI != "fapi":
		errs = append(errs, fmt.Errorf("IDCONNECT_MYINFO_API %q: want v3 or fapi", cfg.SeedAPI))
	case cfg.SeedAPI == "v3" && !cfg.MyinfoV3:
		errs = append(errs, errors.New("IDCONNECT_MYINFO_API is v3 but no Myinfo v3 is configured: set the IDCONNECT_MYINFO_* variables, or IDCONNECT_MYINFO_API=fapi"))
	case cfg.SeedAPI == "fapi" && !cfg.Emulated && !singpassSet:
		errs = append(errs, errors.New("IDCONNECT_MYINFO_API is fapi but Singpass is not configured: set IDCONNECT_SINGPASS_ISSUER, IDCONNECT_SINGPASS_CLIENT_ID and IDCONNECT_SINGPASS_KEYS"))
	}
	if singpassSet || corppassSet {
		if cfg.HSM, err = openHSM(getenv); err != nil {
			errs = append(errs, err)
		}
	} else if getenv("IDCONNECT_PKCS11_MODULE") != "" || getenv("IDCONNECT_PKCS11_TOKEN") != "" {
		errs = append(errs, errors.New("IDCONNECT_PKCS11_* is set but neither Singpass nor Corppass is configured: the token holds their keys"))
	}
	dpopKey, err := hsmDPoPKey(getenv, cfg.HSM)
	if err != nil {
		errs = append(errs, err)
	}
	if singpassSet {
		sp, err := loadSingpassConfig(env, mc.Attributes, cfg.RedirectURL, holderOf(cfg.HSM), dpopKey)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Singpass = sp
	}
	if corppassSet {
		cp, err := loadCorppassConfig(env, cfg.RedirectURL, holderOf(cfg.HSM), dpopKey)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Corppass = cp
	}
	if oneidSet {
		oc, err := loadOneIDConfig(env, cfg.RedirectURL)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.OneID = oc
	}
	if !v3Set {
		return cfg, cfg.closeOnError(errors.Join(append(errs, productionProblems(env, cfg)...)...))
	}

	mc.Environment = myinfo.Environment(strings.ToLower(env("IDCONNECT_MYINFO_ENV", "", "")))
	mc.BaseURL = env("IDCONNECT_MYINFO_BASE_URL", "MYINFO_HOST", "")
	if mc.Environment == "" && mc.BaseURL == "" {
		mc.Environment = myinfo.Test // the seed's default host
	}
	mc.ClientID = env("IDCONNECT_MYINFO_CLIENT_ID", "MYINFO_CLIENT_ID", "")
	mc.ClientSecret = idconnect.Secret(env("IDCONNECT_MYINFO_CLIENT_SECRET", "MYINFO_CLIENT_SECRET", ""))
	if id := env("IDCONNECT_MYINFO_ESVC_ID", "", ""); id != "" {
		mc.Government, mc.ESvcID = true, id
	}
	if mc.Environment != myinfo.Sandbox || getenv("IDCONNECT_MYINFO_CLIENT_KEY") != "" || getenv("KASA_GENERATED_PRIVATE_KEY") != "" {
		key, err := loadPrivateKey(getenv, "IDCONNECT_MYINFO_CLIENT_KEY", "KASA_GENERATED_PRIVATE_KEY")
		if err != nil {
			errs = append(errs, err)
		}
		mc.ClientKey = key
	}
	cert, err := loadPublicKey(getenv, "IDCONNECT_MYINFO_CERT", "MYINFO_GENERATED_PUBLIC_KEY")
	if err != nil {
		errs = append(errs, err)
	}
	mc.ProviderKey = cert
	// New validates the rest (ids, secret, attributes, URLs) and reports
	// its problems together with ours.
	if _, err := myinfo.New(*mc); err != nil {
		errs = append(errs, err)
	}
	return cfg, cfg.closeOnError(errors.Join(append(errs, productionProblems(env, cfg)...)...))
}

// closeOnError closes the HSM of a configuration that failed.
func (cfg *serviceConfig) closeOnError(err error) error {
	if err != nil {
		cfg.closeHSM()
	}
	return err
}

// closeHSM closes the PKCS#11 token, if the configuration opened one.
func (cfg *serviceConfig) closeHSM() {
	if cfg.HSM != nil {
		cfg.HSM.Close()
		cfg.HSM = nil
	}
}

// loadOperations reads the variables of running in production: the
// result handoff and its keys, Redis, logs, shutdown and TLS.
func loadOperations(env func(name, seedName, def string) string, cfg *serviceConfig) []error {
	var errs []error
	cfg.RedisURL = idconnect.Secret(env("IDCONNECT_REDIS_URL", "", ""))
	redis := cfg.RedisURL != ""
	if redis {
		// Parse it now (no connection is made), so that a bad URL is
		// reported with the other problems. The error never holds the
		// password.
		c, err := redisstore.NewClient(cfg.RedisURL.Reveal())
		if err != nil {
			errs = append(errs, fmt.Errorf("IDCONNECT_REDIS_URL: %w", err))
		} else {
			c.Close()
		}
	}
	if v := env("IDCONNECT_RETURN_URL", "", ""); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Fragment != "":
			errs = append(errs, fmt.Errorf("IDCONNECT_RETURN_URL %q: want an absolute http(s) URL without a fragment", v))
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			errs = append(errs, fmt.Errorf("IDCONNECT_RETURN_URL %q: want https (http only for localhost, 127.0.0.1 or ::1)", v))
		}
		cfg.ReturnURL = v
		cfg.APIKey = idconnect.Secret(env("IDCONNECT_API_KEY", "", ""))
		if len(cfg.APIKey) < minAPIKeyLen {
			errs = append(errs, fmt.Errorf("IDCONNECT_API_KEY is required with IDCONNECT_RETURN_URL: at least %d characters (openssl rand -base64 32)", minAPIKeyLen))
		}
	} else if env("IDCONNECT_API_KEY", "", "") != "" {
		errs = append(errs, errors.New("IDCONNECT_API_KEY is set but IDCONNECT_RETURN_URL is not: the key only guards result handoffs"))
	}
	if v := env("IDCONNECT_RESULT_KEY", "", ""); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != server.ResultKeySize {
			errs = append(errs, errors.New("IDCONNECT_RESULT_KEY: want exactly 32 random bytes in base64 (openssl rand -base64 32)"))
		}
		cfg.ResultKey = key
	} else if redis {
		errs = append(errs, errors.New("IDCONNECT_RESULT_KEY is required with IDCONNECT_REDIS_URL: instances must open each other's results (openssl rand -base64 32)"))
	}
	if redis && env("IDCONNECT_COOKIE_KEY", "", "") == "" {
		errs = append(errs, errors.New("IDCONNECT_COOKIE_KEY is required with IDCONNECT_REDIS_URL: instances must accept each other's binding cookies (openssl rand -base64 32)"))
	}
	switch cfg.LogFormat = strings.ToLower(env("IDCONNECT_LOG_FORMAT", "", "text")); cfg.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_LOG_FORMAT %q: want text or json", cfg.LogFormat))
	}
	cfg.CPUProfile = env("IDCONNECT_CPU_PROFILE", "", "")
	d, err := time.ParseDuration(env("IDCONNECT_SHUTDOWN_TIMEOUT", "", defaultShutdownTimeout.String()))
	if err != nil || d <= 0 {
		errs = append(errs, errors.New("IDCONNECT_SHUTDOWN_TIMEOUT: want a positive duration such as 20s"))
	}
	cfg.Limits.ShutdownTimeout = d
	certFile, keyFile := env("IDCONNECT_TLS_CERT", "", ""), env("IDCONNECT_TLS_KEY", "", "")
	switch {
	case certFile == "" && keyFile == "":
	case certFile == "" || keyFile == "":
		errs = append(errs, errors.New("IDCONNECT_TLS_CERT and IDCONNECT_TLS_KEY go together: set both (PEM files) or neither"))
	default:
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("IDCONNECT_TLS_CERT/IDCONNECT_TLS_KEY: %w", err))
		} else {
			cfg.Limits.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
	}
	return errs
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadSingpassConfig reads the IDCONNECT_SINGPASS_* variables, and
// checks them by building the client once.
func loadSingpassConfig(env func(name, seedName, def string) string, attributes []string, redirectURL string, holder keyset.Holder, dpopKey crypto.Signer) (*singpassConfig, error) {
	var errs []error
	sp := &singpassConfig{
		DPoPKey:  dpopKey,
		Name:     env("IDCONNECT_SINGPASS_NAME", "", singpass.DefaultName),
		ClientID: env("IDCONNECT_SINGPASS_CLIENT_ID", "", ""),
	}
	switch issuer := env("IDCONNECT_SINGPASS_ISSUER", "", ""); strings.ToLower(issuer) {
	case "staging":
		sp.Issuer = singpass.Staging
	case "production":
		sp.Issuer = singpass.Production
	default:
		sp.Issuer = issuer
	}
	switch app := strings.ToLower(env("IDCONNECT_SINGPASS_APP", "", "myinfo")); app {
	case "myinfo":
		sp.App = singpass.Myinfo
		sp.Scopes = attributes
	case "login":
		sp.App = singpass.Login
		sp.Scopes = singpass.DefaultLoginScopes
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_SINGPASS_APP %q: want myinfo or login", app))
	}
	if scopes := env("IDCONNECT_SINGPASS_SCOPES", "", ""); scopes != "" {
		sp.Scopes = strings.FieldsFunc(scopes, func(r rune) bool { return r == ',' || r == ' ' })
	}
	var err error
	if sp.Keys, err = readKeySet("IDCONNECT_SINGPASS_KEYS", env("IDCONNECT_SINGPASS_KEYS", "", ""), holder); err != nil {
		errs = append(errs, err)
	}
	if sp.Keys != nil {
		if _, err := singpass.New(sp.clientConfig(redirectURL)); err != nil {
			errs = append(errs, err)
		}
	}
	return sp, errors.Join(errs...)
}

// readKeySet reads the key set file at path, named by the variable name.
func readKeySet(name, path string, holder keyset.Holder) (*keyset.Set, error) {
	if path == "" {
		return nil, fmt.Errorf("%s is required: the private key set file from `idconnect keys generate`", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	parse := keyset.Parse
	if holder != nil {
		parse = func(b []byte) (*keyset.Set, error) { return keyset.ParseHeld(b, holder) }
	}
	keys, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, path, err)
	}
	return keys, nil
}

// loadCorppassConfig reads the IDCONNECT_CORPPASS_* variables, and checks
// them by building the client once. The service publishes one JWKS, which
// Singpass and Corppass may share: IDCONNECT_CORPPASS_KEYS defaults to
// IDCONNECT_SINGPASS_KEYS, and two different files are refused.
func loadCorppassConfig(env func(name, seedName, def string) string, redirectURL string, holder keyset.Holder, dpopKey crypto.Signer) (*singpassConfig, error) {
	var errs []error
	cp := &singpassConfig{
		DPoPKey:  dpopKey,
		Service:  singpass.Corppass,
		Name:     env("IDCONNECT_CORPPASS_NAME", "", "corppass"),
		ClientID: env("IDCONNECT_CORPPASS_CLIENT_ID", "", ""),
	}
	switch issuer := env("IDCONNECT_CORPPASS_ISSUER", "", ""); strings.ToLower(issuer) {
	case "staging":
		cp.Issuer = singpass.CorppassStaging
	case "production":
		cp.Issuer = singpass.CorppassProduction
	default:
		cp.Issuer = issuer
	}
	switch app := strings.ToLower(env("IDCONNECT_CORPPASS_APP", "", "myinfo-business")); app {
	case "myinfo-business":
		cp.App = singpass.Myinfo
	case "login":
		cp.App = singpass.Login
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_CORPPASS_APP %q: want myinfo-business or login", app))
	}
	if scopes := env("IDCONNECT_CORPPASS_SCOPES", "", ""); scopes != "" {
		cp.Scopes = strings.FieldsFunc(scopes, func(r rune) bool { return r == ',' || r == ' ' })
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{"IDCONNECT_CORPPASS_REQUIRE_ENCRYPTED_USERINFO", &cp.RequireEncryptedUserinfo},
		{"IDCONNECT_CORPPASS_ACCEPT_CLIENT_ID_SUB", &cp.AcceptClientIDUserinfoSubject},
	} {
		switch v := strings.ToLower(env(b.name, "", "false")); v {
		case "true":
			*b.dst = true
		case "false":
		default:
			errs = append(errs, fmt.Errorf("%s %q: want true or false", b.name, v))
		}
	}
	path, spPath := env("IDCONNECT_CORPPASS_KEYS", "", ""), env("IDCONNECT_SINGPASS_KEYS", "", "")
	switch {
	case path == "":
		path = spPath
	case spPath != "" && path != spPath:
		errs = append(errs, errors.New("IDCONNECT_CORPPASS_KEYS and IDCONNECT_SINGPASS_KEYS name two files, but the service publishes one JWKS: use one key set for both (Singpass and Corppass accept a shared JWKS)"))
	}
	var err error
	if cp.Keys, err = readKeySet("IDCONNECT_CORPPASS_KEYS", path, holder); err != nil {
		errs = append(errs, err)
	}
	if cp.Keys != nil {
		if _, err := singpass.New(cp.clientConfig(redirectURL)); err != nil {
			errs = append(errs, err)
		}
	}
	return cp, errors.Join(errs...)
}

// loadOneIDConfig reads the IDCONNECT_ONEID_* variables and checks them by
// building the client once. Its redirect URI is the generic route's,
// /callback/oneid on the redirect URL's origin.
func loadOneIDConfig(env func(name, seedName, def string) string, redirectURL string) (*oneid.Config, error) {
	var errs []error
	oc := &oneid.Config{
		ClientID:     env("IDCONNECT_ONEID_CLIENT_ID", "", ""),
		ClientSecret: idconnect.Secret(env("IDCONNECT_ONEID_CLIENT_SECRET", "", "")),
		RedirectURI:  publicOrigin(redirectURL) + "/callback/oneid",
		ReportPath:   env("IDCONNECT_ONEID_REPORT_PATH", "", ""),
	}
	switch e := strings.ToLower(env("IDCONNECT_ONEID_ENV", "", "")); e {
	case "sandbox":
		oc.Issuer = oneid.Sandbox
	case "production":
		oc.Issuer = oneid.Production
	case "":
		oc.Issuer = env("IDCONNECT_ONEID_ISSUER", "", "")
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_ONEID_ENV %q: want sandbox or production (or set IDCONNECT_ONEID_ISSUER)", e))
	}
	if scopes := env("IDCONNECT_ONEID_SCOPES", "", ""); scopes != "" {
		oc.Scopes = strings.FieldsFunc(scopes, func(r rune) bool { return r == ',' || r == ' ' })
	}
	switch r := strings.ToLower(env("IDCONNECT_ONEID_REPORT", "", "off")); r {
	case "on":
		oc.FetchReport = true
	case "off":
	default:
		errs = append(errs, fmt.Errorf("IDCONNECT_ONEID_REPORT %q: want on or off", r))
	}
	if _, err := oneid.New(*oc); err != nil {
		errs = append(errs, err)
	}
	return oc, errors.Join(errs...)
}

// clientConfig is the provider/singpass configuration for these settings;
// the seed routes' redirect URL is its default redirect URI.
func (sp *singpassConfig) clientConfig(redirectURL string) singpass.Config {
	return singpass.Config{
		Service:     sp.Service,
		Name:        sp.Name,
		Issuer:      sp.Issuer,
		ClientID:    sp.ClientID,
		Keys:        sp.Keys,
		DPoPKey:     sp.DPoPKey,
		RedirectURI: redirectURL,
		App:         sp.App,
		Scopes:      sp.Scopes,

		RequireEncryptedUserinfo:      sp.RequireEncryptedUserinfo,
		AcceptClientIDUserinfoSubject: sp.AcceptClientIDUserinfoSubject,
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pemSource returns the PEM bytes named by pathVar (a file path) or held by
// pemVar (PEM text, the seed's convention), and a label for messages.
func pemSource(getenv func(string) string, pathVar, pemVar string) ([]byte, string, error) {
	if p := strings.TrimSpace(getenv(pathVar)); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, pathVar, fmt.Errorf("%s: %w", pathVar, err)
		}
		return b, pathVar, nil
	}
	if v := getenv(pemVar); strings.TrimSpace(v) != "" {
		// .env files often hold PEM on one line with literal \n.
		return []byte(strings.ReplaceAll(v, `\n`, "\n")), pemVar, nil
	}
	return nil, pathVar, fmt.Errorf("%s (or %s) is required", pathVar, pemVar)
}

func loadPrivateKey(getenv func(string) string, pathVar, pemVar string) (*rsa.PrivateKey, error) {
	b, label, err := pemSource(getenv, pathVar, pemVar)
	if err != nil {
		return nil, err
	}
	k, err := jwx.ParseRSAPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return k, nil
}

func loadPublicKey(getenv func(string) string, pathVar, pemVar string) (*rsa.PublicKey, error) {
	b, label, err := pemSource(getenv, pathVar, pemVar)
	if err != nil {
		return nil, err
	}
	k, err := jwx.ParseRSAPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return k, nil
}
