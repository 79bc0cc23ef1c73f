package singpass

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/keyset"
)

// Issuers of Singpass's FAPI 2.0 API (Corppass's: CorppassStaging and
// CorppassProduction).
const (
	Staging    = "https://stg-id.singpass.gov.sg/fapi"
	Production = "https://id.singpass.gov.sg/fapi"
)

// Defaults for zero Config fields.
const (
	DefaultName             = "singpass"
	DefaultTimeout          = 10 * time.Second // GovTech's helper and FormSG use 10 s
	DefaultLeeway           = 60 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	// DefaultAuthenticationContextType is sent by Login apps.
	DefaultAuthenticationContextType = "APP_AUTHENTICATION_DEFAULT"
)

// App is the kind of app the client is registered as. Under Corppass,
// Myinfo is a Myinfo Business app and Login a Corppass Login app.
type App int

const (
	// Myinfo is a "Myinfo (v5)" app: data items as scopes, person data
	// from userinfo.
	Myinfo App = iota
	// Login is a Singpass Login app: scopes such as user.identity, name,
	// email and mobileno fill the ID token's sub_attributes; no userinfo
	// call.
	Login
)

func (a App) String() string {
	switch a {
	case Myinfo:
		return "Myinfo"
	case Login:
		return "Login"
	}
	return fmt.Sprintf("App(%d)", int(a))
}

// DefaultScopes are the data items asked for when Config.Scopes is empty.
var (
	DefaultMyinfoScopes = []string{"uinfin", "name"}
	DefaultLoginScopes  = []string{"user.identity", "name"}
)

// AssertionAudience chooses the aud of the client assertions.
type AssertionAudience int

const (
	// AudienceIssuer: aud is the issuer identifier, as Singpass's
	// client-assertion page says.
	AudienceIssuer AssertionAudience = iota
	// AudienceEndpoint: aud is the URL of the endpoint the assertion is
	// sent to (the PAR URL at PAR, the token URL at token), as Singpass's
	// Java demo does.
	AudienceEndpoint
)

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// Name is the provider's name in errors and results (default
	// "singpass", or "corppass" for Corppass).
	Name string
	// Service is the identity service: Singpass (the zero value) or
	// Corppass.
	Service Service
	// Issuer is the issuer identifier: Staging, Production,
	// CorppassStaging, CorppassProduction, or an emulator's. It must be
	// https, except on a loopback host (localhost, 127.0.0.0/8, ::1) or
	// with AllowInsecureHTTP.
	Issuer string
	// AllowInsecureHTTP allows an http issuer and redirect URI on any host.
	// It MUST NOT be set for real Singpass: tokens and person data would
	// cross the network in clear.
	AllowInsecureHTTP bool
	// ClientID is the app's client ID.
	ClientID string
	// Keys are the app's own keys (required): a *keyset.Set read from a
	// file, or keys held in an HSM or KMS (keyset/pkcs11). Its signing key
	// at the time of each request signs the client assertions; its
	// decryption keys open the ID token and userinfo.
	Keys keyset.Keys
	// DPoPKey, when set, signs the DPoP proofs of every login: a P-256
	// key that may live in an HSM, as Keys may. Nil (the default): each
	// login gets a fresh key, kept in its ProviderData, as Singpass
	// recommends ("a different ephemeral key for each authentication").
	// Singpass accepts a reused key; its own Node demo does so.
	DPoPKey crypto.Signer
	// RedirectURI is the registered redirect URI used when a login has
	// none. https, or http on a loopback host (Singpass staging allows
	// http://localhost).
	RedirectURI string
	// App is the kind of app (Myinfo or Login).
	App App
	// Scopes are the data items asked for when a login names none,
	// without "openid" (always sent first). Default: DefaultMyinfoScopes
	// or DefaultLoginScopes; for Corppass DefaultMyinfoBusinessScopes or
	// DefaultCorppassLoginScopes.
	Scopes []string
	// AuthenticationContextType is sent by Login apps (default
	// APP_AUTHENTICATION_DEFAULT, the only value Corppass has); Myinfo
	// and Myinfo Business apps must not send it.
	AuthenticationContextType string
	// RequireEncryptedUserinfo refuses a Corppass userinfo answer that is
	// a bare JWS. Corppass documents a JWS while its staging sends a JWE
	// around one, so by default both are taken (the signature is checked
	// either way). Singpass's userinfo is always required to be a JWE.
	RequireEncryptedUserinfo bool
	// AcceptClientIDUserinfoSubject accepts a Corppass userinfo whose sub
	// is the client ID instead of the ID token's sub, as Corppass used to
	// send. Whether production still does is unconfirmed; the data is
	// still bound to the login by the DPoP-bound access token.
	AcceptClientIDUserinfoSubject bool
	// AssertionAudience chooses the client assertion's aud (default the
	// issuer).
	AssertionAudience AssertionAudience
	// HTTPClient makes the outbound calls; nil means a client with
	// DefaultTimeout. It is copied, never modified, and redirects are
	// never followed.
	HTTPClient *http.Client
	// Now returns the current time (nil: time.Now).
	Now func() time.Time
	// Rand is the source of DPoP keys and jtis (nil: crypto/rand).
	Rand io.Reader
	// Leeway is the clock skew allowed on the ID token's exp and iat
	// (default 60 s).
	Leeway time.Duration
	// MaxResponseBytes caps every answer from Singpass (default 1 MiB).
	MaxResponseBytes int64
	// CacheMaxAge is how long discovery and Singpass's JWKS are cached
	// (default one hour, as Singpass asks).
	CacheMaxAge time.Duration
}

func (c *Config) validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf("singpass: "+format, a...)) }
	prof := c.Service.profile()
	if prof == nil {
		add("Service: unknown value %d", int(c.Service))
		prof = Singpass.profile()
	}
	if c.Issuer == "" {
		add("Issuer is required (singpass.Staging, singpass.Production, singpass.CorppassStaging, singpass.CorppassProduction or an emulator's)")
	} else if err := c.checkURL(c.Issuer); err != nil {
		add("Issuer: %v", err)
	} else if u, _ := url.Parse(c.Issuer); u.RawQuery != "" {
		add("Issuer: must not have a query")
	}
	if c.ClientID == "" {
		add("ClientID is required")
	} else if !token(c.ClientID, 255) {
		add("ClientID: only printable characters without spaces, at most 255")
	}
	if c.Keys == nil {
		add("Keys is required (a keyset.Set with a signing and a decryption key, or HSM keys)")
	} else if _, _, err := c.Keys.SigningKey(c.now()); err != nil {
		add("Keys: %v", err)
	}
	if c.DPoPKey != nil {
		if pub, ok := c.DPoPKey.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
			add("DPoPKey: must be a P-256 key")
		}
	}
	if c.RedirectURI == "" {
		add("RedirectURI is required")
	} else if err := c.checkURL(c.RedirectURI); err != nil {
		add("RedirectURI: %v", err)
	}
	if c.App != Myinfo && c.App != Login {
		add("App: %v is neither Myinfo nor Login", c.App)
	}
	if err := checkScopes(c.Scopes); err != nil {
		add("Scopes: %v", err)
	}
	if c.AuthenticationContextType != "" {
		if c.App != Login {
			add("AuthenticationContextType is for Login apps only")
		} else if !prof.allowsContextType(c.AuthenticationContextType) {
			if prof.contextTypes != nil {
				add("AuthenticationContextType: %s has only %v", prof.label, prof.contextTypes)
			} else {
				add("AuthenticationContextType: 1 to 64 of A-Z, 0-9 and _")
			}
		}
	}
	if !prof.entity && (c.RequireEncryptedUserinfo || c.AcceptClientIDUserinfoSubject) {
		add("RequireEncryptedUserinfo and AcceptClientIDUserinfoSubject are for Corppass only")
	}
	if c.AssertionAudience != AudienceIssuer && c.AssertionAudience != AudienceEndpoint {
		add("AssertionAudience: unknown value %d", int(c.AssertionAudience))
	}
	if c.Leeway < 0 || c.Leeway > 10*time.Minute {
		add("Leeway: between 0 and 10 minutes")
	}
	if c.MaxResponseBytes < 0 {
		add("MaxResponseBytes: negative")
	}
	if c.CacheMaxAge < 0 {
		add("CacheMaxAge: negative")
	}
	return errors.Join(errs...)
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// checkURL accepts an absolute https URL without user info or fragment,
// or http on a loopback host (any host with AllowInsecureHTTP).
func (c *Config) checkURL(s string) error {
	return httpx.CheckURL(s, c.AllowInsecureHTTP)
}

// checkScopes accepts data-item scopes: 1 to 100 of them, each 1 to 64 of
// a-z, 0-9, '.', '-' and '_', no repeats.
func checkScopes(scopes []string) error {
	if len(scopes) > 100 {
		return errors.New("more than 100")
	}
	seen := map[string]bool{}
	for _, s := range scopes {
		if s == "" || len(s) > 64 {
			return errors.New("each must be 1 to 64 characters")
		}
		for i := 0; i < len(s); i++ {
			ch := s[i]
			if !('a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '.' || ch == '-' || ch == '_') {
				return fmt.Errorf("%q: only a-z, 0-9, '.', '-' and '_'", s)
			}
		}
		if s == "openid" {
			return errors.New(`"openid" is always sent; do not list it`)
		}
		if seen[s] {
			return fmt.Errorf("%q repeated", s)
		}
		seen[s] = true
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

func contextType(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}
