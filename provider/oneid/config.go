package oneid

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
)

// Issuers (journey API base URLs) of OneID's two environments. A client ID
// and secret work in one environment only.
const (
	// Sandbox is OneID's test environment: a mock bank returns test data.
	Sandbox = "https://controller.sandbox.myoneid.co.uk"
	// Production is OneID's live environment: real banks.
	Production = "https://controller.myoneid.co.uk"
)

// Defaults for zero Config fields.
const (
	DefaultName             = "oneid"
	DefaultTimeout          = 15 * time.Second
	DefaultLeeway           = 60 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	DefaultMaxReportBytes   = 10 << 20
	// DefaultReportPath is where seed 002 puts the PDF report. OneID's
	// public documentation does not describe the report at all, so the
	// path is configurable (Config.ReportPath).
	DefaultReportPath = "/userinfo/report"
	// DefaultAuthorizePath is used when discovery names no
	// authorization_endpoint (OneID's journey guide documents /v2/authorize).
	DefaultAuthorizePath = "/v2/authorize"
	// DefaultTokenPath is used when discovery names no token_endpoint.
	DefaultTokenPath = "/token"
)

// DefaultScopes are asked for when neither the login nor Config.Scopes
// names any: the example of OneID's "verify a user" guide.
var DefaultScopes = []string{"profile", "date_of_birth"}

// Scopes OneID documents, with the resource each one opens. Product scopes
// (such as "product:age_check") and any other scope may be listed too:
// the list is free, since OneID assigns products per client.
const (
	ScopeOpenID          = "openid" // always sent
	ScopeProfile         = "profile"
	ScopeDateOfBirth     = "date_of_birth"
	ScopeAddress         = "address"
	ScopeEmail           = "email"
	ScopePhone           = "phone"
	ScopeFraud           = "fraud"
	ScopeAgeOver18       = "age_over_18"
	ScopeAccounts        = "accounts"
	ScopeAccountsBalance = "accounts.balances"     // needs accounts
	ScopeBankAddress     = "accounts.bank_address" // needs accounts
)

// scopeNeeds lists the documented dependencies between scopes.
var scopeNeeds = map[string]string{
	ScopeAccountsBalance: ScopeAccounts,
	ScopeBankAddress:     ScopeAccounts,
}

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// Name is the provider's name in errors and results (default "oneid").
	Name string
	// Issuer is OneID's issuer identifier, which is also the base URL of
	// its resources: Sandbox, Production, or an emulator's. It must be
	// https, except on a loopback host (localhost, 127.0.0.0/8, ::1) or
	// with AllowInsecureHTTP.
	Issuer string
	// AllowInsecureHTTP allows an http issuer and redirect URI on any host.
	// It MUST NOT be set for real OneID: the client secret, tokens and
	// person data would cross the network in clear.
	AllowInsecureHTTP bool
	// ClientID and ClientSecret are the client's credentials from the
	// OneID Console (one environment each). Both are required.
	ClientID     string
	ClientSecret idconnect.Secret
	// RedirectURI is the registered return URL used when a login has none.
	RedirectURI string
	// Scopes are asked for when a login names none, without "openid"
	// (always sent first). Any scope may be listed, product scopes
	// included; only documented dependencies are checked
	// (accounts.balances and accounts.bank_address need accounts).
	// Default: DefaultScopes.
	Scopes []string
	// FetchReport makes Exchange also download the PDF report (into
	// Result.Documents). OneID does not document the report publicly;
	// turn it on only for clients whose product includes it.
	FetchReport bool
	// ReportPath is the report's path under Issuer (default
	// DefaultReportPath, from seed 002; unconfirmed by OneID's docs).
	ReportPath string
	// HTTPClient makes the outbound calls; nil means a client with
	// DefaultTimeout. It is copied, never modified, and redirects are
	// never followed.
	HTTPClient *http.Client
	// Now returns the current time (nil: time.Now).
	Now func() time.Time
	// Leeway is the clock skew allowed on the ID token's exp and iat
	// (default 60 s).
	Leeway time.Duration
	// MaxResponseBytes caps every JSON answer from OneID (default 1 MiB).
	MaxResponseBytes int64
	// MaxReportBytes caps the PDF report (default 10 MiB).
	MaxReportBytes int64
	// CacheMaxAge is how long discovery and OneID's JWKS are cached
	// (default one hour).
	CacheMaxAge time.Duration
}

func (c *Config) validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("oneid: "+format, a...)) }
	if c.Issuer == "" {
		add("Issuer is required (oneid.Sandbox, oneid.Production or an emulator's)")
	} else if err := c.checkURL(c.Issuer); err != nil {
		add("Issuer: %v", err)
	} else if u, _ := url.Parse(c.Issuer); u.RawQuery != "" || u.ForceQuery {
		add("Issuer: must not have a query")
	}
	if c.ClientID == "" {
		add("ClientID is required")
	} else if !token(c.ClientID, 255) {
		add("ClientID: only printable characters without spaces, at most 255")
	}
	if c.ClientSecret == "" {
		add("ClientSecret is required")
	} else if !printable(c.ClientSecret.Reveal(), 1024) {
		add("ClientSecret: only printable characters, at most 1024")
	}
	if c.RedirectURI == "" {
		add("RedirectURI is required")
	} else if err := c.checkURL(c.RedirectURI); err != nil {
		add("RedirectURI: %v", err)
	}
	if err := CheckScopes(c.Scopes); err != nil {
		add("Scopes: %v", err)
	}
	if c.ReportPath != "" {
		if u, err := url.Parse(c.ReportPath); err != nil || !strings.HasPrefix(c.ReportPath, "/") ||
			strings.HasPrefix(c.ReportPath, "//") || u.Host != "" || u.Fragment != "" {
			add("ReportPath: a path starting with one /")
		}
	}
	if c.Leeway < 0 || c.Leeway > 10*time.Minute {
		add("Leeway: between 0 and 10 minutes")
	}
	if c.MaxResponseBytes < 0 {
		add("MaxResponseBytes: negative")
	}
	if c.MaxReportBytes < 0 {
		add("MaxReportBytes: negative")
	}
	if c.CacheMaxAge < 0 {
		add("CacheMaxAge: negative")
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute https URL without user info or fragment,
// or http on a loopback host (any host with AllowInsecureHTTP).
func (c *Config) checkURL(s string) error {
	return httpx.CheckURL(s, c.AllowInsecureHTTP)
}

// CheckScopes checks a scope list: at most 100 scopes, each a scope token
// (RFC 6749 §3.3: printable ASCII without space, '"' or '\') of at most
// 128 characters, no repeats, and every documented dependency present
// (accounts.balances and accounts.bank_address need accounts). "openid"
// may be listed; it is sent anyway.
func CheckScopes(scopes []string) error {
	if len(scopes) > 100 {
		return errors.New("more than 100")
	}
	seen := map[string]bool{}
	for _, s := range scopes {
		if s == "" || len(s) > 128 {
			return errors.New("each must be 1 to 128 characters")
		}
		for i := 0; i < len(s); i++ {
			if ch := s[i]; ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' {
				return fmt.Errorf("%q: not a scope token", s)
			}
		}
		if seen[s] {
			return fmt.Errorf("%q repeated", s)
		}
		seen[s] = true
	}
	for _, s := range scopes {
		if need, ok := scopeNeeds[s]; ok && !seen[need] {
			return fmt.Errorf("%q needs %q", s, need)
		}
	}
	return nil
}

// token reports whether s is 1 to max printable ASCII characters without
// spaces.
func token(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// printable reports whether s is 1 to max printable ASCII characters.
func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// verifier reports whether v is a PKCE code verifier (RFC 7636 §4.1).
func verifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-._~", ch) >= 0) {
			return false
		}
	}
	return true
}
