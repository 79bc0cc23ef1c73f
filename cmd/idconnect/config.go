package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Defaults of the service, matching the seed.
const (
	defaultAddr        = ":3001"
	defaultRedirectURL = "http://localhost:3001/callback"
	defaultAttributes  = "name,dob,birthcountry,nationality,uinfin,sex,regadd"
	defaultPurpose     = "idconnect-myinfo-connector"
	defaultTimeout     = 15 * time.Second
)

// serviceConfig is the service's configuration, read from the environment.
type serviceConfig struct {
	Addr        string
	RedirectURL string
	// ProviderTimeout bounds each call to a provider.
	ProviderTimeout time.Duration
	// Emulated is true when no Myinfo variable is set: the service then
	// runs the embedded emulator with fresh keys.
	Emulated bool
	Myinfo   myinfo.Config
}

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
	}

	cfg.Emulated = true
	for _, v := range myinfoVars {
		if env(v[0], v[1], "") != "" {
			cfg.Emulated = false
		}
	}
	mc := &cfg.Myinfo
	mc.RedirectURI = cfg.RedirectURL
	mc.Attributes = splitList(env("IDCONNECT_MYINFO_ATTRIBUTES", "", defaultAttributes))
	mc.Purpose = env("IDCONNECT_MYINFO_PURPOSE", "", defaultPurpose)
	if cfg.Emulated {
		return cfg, errors.Join(errs...)
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
	return cfg, errors.Join(errs...)
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
