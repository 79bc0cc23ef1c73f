//go:build interop

package peer

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// OIDCProviderVersion is the oidc-provider pinned by
// interop/oidcprovider/package-lock.json.
const OIDCProviderVersion = "9.13.3"

// Profiles of interop/oidcprovider/server.js (OP_PROFILE).
const (
	ProfileFAPI  = ""      // FAPI 2.0 shaped like Singpass (fapi.js), the default
	ProfileOneID = "oneid" // OIDC code flow shaped like UK OneID (oneid.js)
)

// OIDCProviderConfig is the one static client of an oidc-provider peer and
// the peer's profile.
type OIDCProviderConfig struct {
	// Profile is ProfileFAPI (the default) or ProfileOneID.
	Profile      string
	ClientID     string
	RedirectURIs []string
	// JWKSURI is the client's public JWKS URL (e.g. from ServeJWKS, or our
	// service's /.well-known/jwks.json); JWKS is the same inline. Set one
	// with the FAPI profile, neither with OneID's.
	JWKSURI string
	JWKS    *jose.JSONWebKeySet
	// ClientSecret is the client_secret (client_secret_basic): required
	// with the OneID profile, unused with FAPI's.
	ClientSecret string
	// IDTokenEnc and UserinfoEnc override the JWE enc (defaults
	// A256CBC-HS512 and A256GCM, as Singpass). FAPI only.
	IDTokenEnc, UserinfoEnc string
	// DPoPNonce makes the provider require DPoP server nonces. FAPI only.
	DPoPNonce bool
	// Persons (OP_PERSONS) are, with the FAPI profile, Myinfo v3 persons
	// (NRIC → item → JSON) for userinfo's person_info, an NRIC the peer
	// lacks becoming an account; with OneID's, personas (a key such as
	// "janet-davidson" → OneID /userinfo claim → JSON) instead of the
	// built-in "janet" (seed 002's Janet Davidson).
	Persons map[string]map[string]json.RawMessage
	// DefaultPersona (OneID only, OP_DEFAULT_PERSONA) is the Persons key
	// logged in when the authorization request has no persona= (default:
	// the first key in sorted order).
	DefaultPersona string
	// Accounts (OneID only, OP_ACCOUNTS) are the personas' /accounts
	// answers (persona key → JSON array).
	Accounts map[string]json.RawMessage
	// Scopes (OneID only, OP_SCOPES) are plain scopes the peer accepts
	// beyond OneID's own.
	Scopes []string
	// CallbackISS (OneID only, OP_CALLBACK_ISS) keeps the RFC 9207 iss on
	// the callback and in discovery, which OneID does not document.
	CallbackISS bool
	// Corppass (FAPI only, OP_CORPPASS) shapes the provider like Corppass:
	// its paths, an entity subject with act, Myinfo Business blocks. It
	// holds the entities, UEN → {sub_attributes, act, entity_info,
	// person_info, auth_info, tp_auth_info, corppass_info}.
	Corppass map[string]map[string]any
	// CorppassApp (OP_CORPPASS_APP) is "login" (the default) or
	// "business".
	CorppassApp string
}

// OIDCProvider is one running oidc-provider.
type OIDCProvider struct {
	Host      string // 127.0.0.1:port
	Issuer    string // http://127.0.0.1:port (no path)
	Discovery string // Issuer + "/.well-known/openid-configuration"

	node *Node
}

// Log returns the tail of the peer's output (its stderr has every error
// with oidc-provider's server-side detail).
func (p *OIDCProvider) Log() string { return p.node.Log() }

var issuerLine = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]{1,5}$`)

// StartOIDCProvider installs oidc-provider if needed (npm ci), starts
// interop/oidcprovider/server.js on a free 127.0.0.1 port with cfg, waits
// until discovery answers 200 and stops it, with its process group, when
// the test ends. It fails the test, never skips it, when node, npm or the
// package is missing.
func StartOIDCProvider(t *testing.T, cfg OIDCProviderConfig) *OIDCProvider {
	t.Helper()
	node := NodePath(t, "the oidc-provider interop tests need Node 20+")
	dir := OIDCProviderDir(t)
	EnsureInstalled(t, dir, "oidc-provider", OIDCProviderVersion)

	env := []string{
		"OP_CLIENT_ID=" + cfg.ClientID,
		"OP_REDIRECT_URIS=" + strings.Join(cfg.RedirectURIs, ","),
		"OP_PORT=0",
	}
	oneID := cfg.Profile == ProfileOneID
	switch {
	case cfg.Profile != ProfileFAPI && !oneID:
		t.Fatalf("OIDCProviderConfig: unknown Profile %q", cfg.Profile)
	case oneID && (cfg.JWKSURI != "" || cfg.JWKS != nil || cfg.IDTokenEnc != "" || cfg.UserinfoEnc != "" || cfg.DPoPNonce):
		t.Fatalf("OIDCProviderConfig: JWKSURI, JWKS, IDTokenEnc, UserinfoEnc and DPoPNonce are FAPI settings")
	case !oneID && (cfg.ClientSecret != "" || cfg.Accounts != nil || cfg.Scopes != nil || cfg.CallbackISS || cfg.DefaultPersona != ""):
		t.Fatalf("OIDCProviderConfig: ClientSecret, Accounts, Scopes, CallbackISS and DefaultPersona are OneID settings")
	case oneID && cfg.ClientSecret == "":
		t.Fatalf("OIDCProviderConfig: the OneID profile needs a ClientSecret")
	case oneID:
		env = append(env, "OP_PROFILE="+ProfileOneID, "OP_CLIENT_SECRET="+cfg.ClientSecret)
	case cfg.JWKSURI != "" && cfg.JWKS == nil:
		env = append(env, "OP_CLIENT_JWKS_URI="+cfg.JWKSURI)
	case cfg.JWKSURI == "" && cfg.JWKS != nil:
		env = append(env, "OP_CLIENT_JWKS="+marshal(t, cfg.JWKS))
	default:
		t.Fatalf("OIDCProviderConfig: set exactly one of JWKSURI and JWKS")
	}
	if cfg.IDTokenEnc != "" {
		env = append(env, "OP_ID_TOKEN_ENC="+cfg.IDTokenEnc)
	}
	if cfg.UserinfoEnc != "" {
		env = append(env, "OP_USERINFO_ENC="+cfg.UserinfoEnc)
	}
	if cfg.DPoPNonce {
		env = append(env, "OP_DPOP_NONCE=1")
	}
	if len(cfg.Persons) > 0 {
		env = append(env, "OP_PERSONS="+marshal(t, cfg.Persons))
	}
	if len(cfg.Accounts) > 0 {
		env = append(env, "OP_ACCOUNTS="+marshal(t, cfg.Accounts))
	}
	if len(cfg.Scopes) > 0 {
		env = append(env, "OP_SCOPES="+strings.Join(cfg.Scopes, " "))
	}
	if cfg.CallbackISS {
		env = append(env, "OP_CALLBACK_ISS=1")
	}
	if cfg.DefaultPersona != "" {
		env = append(env, "OP_DEFAULT_PERSONA="+cfg.DefaultPersona)
	}
	switch {
	case oneID && (cfg.Corppass != nil || cfg.CorppassApp != ""):
		t.Fatalf("OIDCProviderConfig: Corppass and CorppassApp are FAPI settings")
	case cfg.Corppass != nil && cfg.Persons != nil:
		t.Fatalf("OIDCProviderConfig: set Persons (Singpass) or Corppass, not both")
	case cfg.Corppass != nil:
		env = append(env, "OP_CORPPASS="+marshal(t, cfg.Corppass))
		if cfg.CorppassApp != "" {
			env = append(env, "OP_CORPPASS_APP="+cfg.CorppassApp)
		}
	}

	n := StartNode(t, NodeConfig{
		Name: "oidc-provider", Node: node, Script: "server.js", Dir: dir,
		Env:       append(oidcProviderEnv(os.Environ()), env...),
		ReadyLine: issuerLine, ReadyWhat: "print its issuer",
	})
	p := &OIDCProvider{
		Host:      strings.TrimPrefix(n.Ready, "http://"),
		Issuer:    n.Ready,
		Discovery: n.Ready + "/.well-known/openid-configuration",
		node:      n,
	}
	WaitStatus(t, p.Discovery, http.StatusOK, n.Deadline)
	return p
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// OIDCProviderDir is the absolute path of interop/oidcprovider (server.js
// and its node_modules).
func OIDCProviderDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "interop", "oidcprovider")
}

// oidcProviderEnv drops the variables that would change the peer's
// behaviour, so that only the ones the test sets count.
func oidcProviderEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OP_") || name == "NODE_OPTIONS" || name == "NODE_ENV" || name == "DEBUG" ||
			strings.HasPrefix(name, "NODE_TLS") || name == "NODE_EXTRA_CA_CERTS" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Browser is a cookie-jar client that follows redirects within the
// provider (at most 10) and stops at the first redirect to another host,
// returning that redirect unfollowed.
func (p *OIDCProvider) Browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   RequestTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			if req.URL.Host != p.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// Authorize walks the non-interactive login from authURL
// ({authorization_endpoint}?client_id=…&request_uri=…[&persona=…][&consent=…])
// with a fresh browser and returns the callback URL the provider redirects
// to (redirect_uri?code=…&state=…&iss=…, or ?error=…), without fetching it.
func (p *OIDCProvider) Authorize(t *testing.T, authURL string) *url.URL {
	t.Helper()
	resp, err := p.Browser(t).Get(authURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authURL, err)
	}
	body := ReadBody(t, resp)
	loc, err := resp.Location()
	if resp.StatusCode/100 != 3 || err != nil {
		t.Fatalf("authorize ended at %s with HTTP %d, want a redirect to the redirect_uri; body: %.300s",
			resp.Request.URL, resp.StatusCode, body)
	}
	return loc
}
