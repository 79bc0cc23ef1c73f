package myinfo

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
)

// Environment names a Myinfo deployment.
type Environment string

// The Myinfo v3 environments. Sandbox has no PKI signature and no
// encryption; Test and Production have both.
const (
	Sandbox    Environment = "sandbox"
	Test       Environment = "test"
	Production Environment = "production"
)

// BaseURL returns the environment's API base (…/com/v3, or …/gov/v3 for a
// government client), or "" for an unknown environment.
func (e Environment) BaseURL(government bool) string {
	hosts := map[Environment]string{
		Sandbox:    "https://sandbox.api.myinfo.gov.sg",
		Test:       "https://test.api.myinfo.gov.sg",
		Production: "https://api.myinfo.gov.sg",
	}
	host, ok := hosts[e]
	if !ok {
		return ""
	}
	if government {
		return host + "/gov/v3"
	}
	return host + "/com/v3"
}

// Defaults applied by New.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultMaxResponseBytes = 4 << 20 // a full person with CPF history is ~60 KiB
	DefaultLeeway           = 2 * time.Minute
)

// Config configures a Client. Zero values have the meaning documented on
// each field.
type Config struct {
	// Environment selects Myinfo's base URL; ignored when BaseURL is set,
	// except that Sandbox still switches signing and encryption off.
	Environment Environment
	// BaseURL is a custom API base such as "http://127.0.0.1:5156/myinfo/v3"
	// (an emulator, a proxy). The paths /authorise, /token and /person are
	// appended. Signatures are computed over this URL. It must be https,
	// except on a loopback host named as such (localhost, 127.0.0.1, ::1):
	// plain HTTP would carry the client secret, the access token and the
	// person's data in clear. See AllowInsecureHTTP.
	BaseURL string
	// AllowInsecureHTTP also accepts an http:// BaseURL on another host,
	// for an emulator on a private network. It is refused together with an
	// Environment, which means a real Myinfo deployment (behind a proxy);
	// never use it with real credentials.
	AllowInsecureHTTP bool
	// Government selects the /gov/v3 API; ESvcID (sp_esvcId) is then sent
	// on the authorise and person calls.
	Government bool
	ESvcID     string

	ClientID     string
	ClientSecret idconnect.Secret
	// ClientKey signs PKI_SIGN headers and decrypts person answers.
	// Required outside Sandbox.
	ClientKey *rsa.PrivateKey
	// ProviderKey is Myinfo's signing key (from its certificate): it
	// verifies the access token and the person JWS. Required.
	ProviderKey *rsa.PublicKey

	// RedirectURI, Attributes and Purpose are the defaults for logins that
	// do not set their own. All three are required.
	RedirectURI string
	Attributes  []string
	Purpose     string

	// Optional authorise parameters; empty ones are not sent.
	AuthMode     string // e.g. "SINGPASS"
	LoginType    string // e.g. "QR"
	AppLaunchURL string

	// TxnNo sends a random txnNo on every person call, for cross-referencing
	// with Myinfo support.
	TxnNo bool

	// HTTPClient makes the token and person calls; nil means a client with
	// DefaultTimeout. A client without a Timeout gets none added: set one.
	// New uses a copy that never follows redirects and caps response
	// headers (on an *http.Transport; a custom RoundTripper must cap them
	// itself); the client given here is not modified.
	HTTPClient *http.Client
	// MaxResponseBytes caps provider answers (0 means DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Leeway is the clock skew tolerated on token times (0 means DefaultLeeway).
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of nonces; nil means crypto/rand.
	Rand io.Reader
}

func (c *Config) sandbox() bool { return c.Environment == Sandbox }

func (c *Config) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Environment {
	case Sandbox, Test, Production:
	case "":
		if c.BaseURL == "" {
			add("myinfo: set Environment (sandbox, test, production) or BaseURL")
		}
	default:
		add("myinfo: unknown environment %q (want sandbox, test or production)", c.Environment)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil:
			add("myinfo: BaseURL is not a URL")
		case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			// Redacted: a URL with user info would put a password in the error.
			add("myinfo: BaseURL %q is not an absolute http(s) URL without query or user info", u.Redacted())
		case u.Scheme == "http" && !httpx.IsLoopback(u.Hostname()) && (!c.AllowInsecureHTTP || c.Environment != ""):
			add("myinfo: BaseURL %q: plain http is allowed only to localhost, 127.0.0.1 or ::1 (use https, or AllowInsecureHTTP for an emulator without Environment)", u.Redacted())
		}
	}
	if c.ClientID == "" {
		add("myinfo: ClientID is required")
	}
	if c.ClientSecret == "" {
		add("myinfo: ClientSecret is required")
	}
	if c.ClientKey == nil && !c.sandbox() {
		add("myinfo: ClientKey is required outside the sandbox")
	}
	if c.ProviderKey == nil {
		add("myinfo: ProviderKey (Myinfo's certificate or public key) is required")
	}
	if c.Government && c.ESvcID == "" {
		add("myinfo: ESvcID (sp_esvcId) is required for a government client")
	}
	if err := checkRedirectURI(c.RedirectURI); err != nil {
		add("myinfo: RedirectURI: %v", err)
	}
	if err := checkAttributes(c.Attributes); err != nil {
		add("myinfo: Attributes: %v", err)
	}
	if strings.TrimSpace(c.Purpose) == "" {
		add("myinfo: Purpose is required (Myinfo shows it to the person)")
	}
	if c.MaxResponseBytes < 0 || c.Leeway < 0 {
		add("myinfo: MaxResponseBytes and Leeway must not be negative")
	}
	return errors.Join(errs...)
}

func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// checkAttributes accepts attribute names as Myinfo spells them: lower-case
// letters, digits, hyphens and dots.
func checkAttributes(attrs []string) error {
	if len(attrs) == 0 {
		return errors.New("at least one attribute is required")
	}
	seen := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		if a == "" || len(a) > 64 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789-.") != "" {
			return fmt.Errorf("%q is not a Myinfo attribute name", a)
		}
		if seen[a] {
			return fmt.Errorf("%q is listed twice", a)
		}
		seen[a] = true
	}
	return nil
}
