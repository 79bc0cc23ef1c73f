package oneid

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/internal/oidc"
)

// signatureAlgorithms is the ID token's allowlist, pinned here and never
// taken from discovery: OneID signs with PS256; RS256 and ES256 are the
// other algorithms an OIDC provider's keys commonly carry. A key published
// with an alg verifies that algorithm only (internal/oidc), so an RS256
// token under a key OneID publishes for PS256 is refused.
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.PS256, jose.RS256, jose.ES256}

// Operation names in errors, CallError.Op and idconnect.ProviderError.Op.
const (
	OpToken           = oidc.OpToken
	OpUserinfo        = oidc.OpUserinfo
	OpAgeVerification = "ageverification"
	OpAccounts        = "accounts"
	OpReport          = "report"
)

// Resource paths under the issuer. /userinfo is discovery's
// userinfo_endpoint when it names one.
const (
	userinfoPath        = "/userinfo"
	ageVerificationPath = "/ageverification"
	accountsPath        = "/accounts"
)

// userinfoScopes are the scopes whose claims /userinfo returns.
var userinfoScopes = []string{
	ScopeProfile, ScopeDateOfBirth, ScopeAddress, ScopeEmail, ScopePhone, ScopeFraud,
	"pep_and_sanctions", "idscan", "dbs", "rtw",
}

// Client is a OneID relying party. It is safe for concurrent use.
type Client struct {
	cfg    Config
	scopes []string
	base   string // the issuer without a trailing slash
	caller *oidc.Caller
	issuer *oidc.Issuer
}

var (
	_ idconnect.Provider        = (*Client)(nil)
	_ idconnect.CallbackErrorer = (*Client)(nil)
)

// New checks cfg, reporting every problem at once, and returns a Client.
// It makes no network call: discovery is fetched on first use.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxReportBytes == 0 {
		cfg.MaxReportBytes = DefaultMaxReportBytes
	}
	if cfg.ReportPath == "" {
		cfg.ReportPath = DefaultReportPath
	}
	if cfg.CacheMaxAge == 0 {
		cfg.CacheMaxAge = oidc.DefaultMaxAge
	}
	c := &Client{cfg: cfg, base: strings.TrimSuffix(cfg.Issuer, "/")}
	c.scopes = withoutOpenID(cfg.Scopes)
	if len(c.scopes) == 0 {
		c.scopes = slices.Clone(DefaultScopes)
	}
	c.caller = &oidc.Caller{
		Provider: cfg.Name,
		HTTP:     httpx.Outbound(cfg.HTTPClient, httpx.Options{Timeout: DefaultTimeout}),
		MaxBytes: cfg.MaxResponseBytes,
	}
	c.issuer = &oidc.Issuer{URL: cfg.Issuer, Caller: c.caller, Now: c.now, MaxAge: cfg.CacheMaxAge}
	return c, nil
}

// Name implements idconnect.Provider.
func (c *Client) Name() string { return c.cfg.Name }

// LoginDefaults implements idconnect.Defaulter: what AuthURL gives a login
// that has no attributes (scopes) or redirect URI of its own.
func (c *Client) LoginDefaults() idconnect.LoginDefaults {
	return idconnect.LoginDefaults{Attributes: c.scopes, RedirectURI: c.cfg.RedirectURI}
}

// Issuer returns the issuer identifier the client trusts.
func (c *Client) Issuer() string { return c.cfg.Issuer }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Client) errorf(op, format string, a ...any) error {
	return fmt.Errorf("%s: %s: "+format, append([]any{c.cfg.Name, op}, a...)...)
}

func withoutOpenID(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != ScopeOpenID {
			out = append(out, s)
		}
	}
	return out
}

// AuthURL implements idconnect.Provider: it returns OneID's authorization
// endpoint (from discovery, else {issuer}/v2/authorize) with
// response_type=code, client_id, redirect_uri, the scopes ("openid"
// first), state, nonce and a PKCE S256 challenge from the login's
// verifier. It fills the login's attributes (the scopes, without
// "openid") and redirect URI from the configuration where the login has
// none.
func (c *Client) AuthURL(ctx context.Context, login *idconnect.Login) (string, error) {
	if len(login.Attributes) == 0 {
		login.Attributes = slices.Clone(c.scopes)
	} else if err := CheckScopes(login.Attributes); err != nil {
		return "", c.errorf("authorise", "%w: scopes: %v", idconnect.ErrInvalidRequest, err)
	} else {
		login.Attributes = withoutOpenID(login.Attributes)
	}
	if login.RedirectURI == "" {
		login.RedirectURI = c.cfg.RedirectURI
	} else if err := c.cfg.checkURL(login.RedirectURI); err != nil {
		return "", c.errorf("authorise", "%w: redirect URI: %v", idconnect.ErrInvalidRequest, err)
	}
	if !token(login.State, 255) || !token(login.Nonce, 255) || !verifier(login.Verifier) {
		return "", c.errorf("authorise", "%w: the login needs a state, a nonce and a PKCE verifier", idconnect.ErrInvalidRequest)
	}
	meta, err := c.issuer.Metadata(ctx)
	if err != nil {
		return "", err
	}
	endpoint := meta.AuthorizationEndpoint
	if endpoint == "" {
		endpoint = c.base + DefaultAuthorizePath
	}
	challenge := sha256.Sum256([]byte(login.Verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.cfg.ClientID},
		"redirect_uri":          {login.RedirectURI},
		"scope":                 {strings.Join(append([]string{ScopeOpenID}, login.Attributes...), " ")},
		"state":                 {login.State},
		"nonce":                 {login.Nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	// url.Values encodes spaces as '+', which OAuth servers decode as
	// form data; OneID's guide shows %20. Both mean a space.
	return endpoint + sep + strings.ReplaceAll(q.Encode(), "+", "%20"), nil
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope"`
}

// Exchange implements idconnect.Provider: it checks the callback's iss,
// redeems the code (client_secret_basic, PKCE), verifies the ID token, and
// at once (OneID's access tokens live about 300 s) fetches every resource
// a granted scope opens: /userinfo, /ageverification, /accounts, and the
// PDF report when Config.FetchReport is set.
func (c *Client) Exchange(ctx context.Context, login *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	if cb.Error != "" {
		return nil, c.CallbackError(login, cb)
	}
	if cb.Code == "" {
		return nil, c.errorf(OpToken, "%w: missing code", idconnect.ErrInvalidRequest)
	}
	meta, err := c.issuer.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	// RFC 9207: checked when present; required when discovery says
	// OneID always sends it.
	switch {
	case cb.Issuer != "" && cb.Issuer != c.cfg.Issuer:
		return nil, c.errorf("callback", "%w: iss is another issuer's", idconnect.ErrInvalidRequest)
	case cb.Issuer == "" && meta.AuthorizationResponseIssParameterSupported:
		return nil, c.errorf("callback", "%w: no iss, which this issuer always sends", idconnect.ErrInvalidRequest)
	}
	tr, err := c.token(ctx, meta, login, cb.Code)
	if err != nil {
		return nil, err
	}
	payload, err := c.issuer.VerifyJWS(ctx, tr.IDToken, signatureAlgorithms)
	if err != nil {
		return nil, err
	}
	claims, err := oidc.CheckIDToken(payload, oidc.Expect{
		Issuer: c.cfg.Issuer, ClientID: c.cfg.ClientID, Nonce: login.Nonce, Now: c.now(), Leeway: c.cfg.Leeway,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.cfg.Name, err)
	}
	if !token(claims.Subject, 255) {
		return nil, c.errorf("id_token", "%w: sub is not an identifier", idconnect.ErrTokenInvalid)
	}
	return c.fetch(ctx, meta, tr, granted(tr.Scope, login.Attributes), claims.Subject)
}

// granted returns the scopes the resources are chosen by: those of the
// token answer's scope that were asked for, or, with no scope in the
// answer, those asked for. A scope OneID grants but we never asked for is
// not used, so balances never arrive unasked.
func granted(answer string, asked []string) []string {
	asked = withoutOpenID(asked)
	if strings.TrimSpace(answer) == "" {
		return slices.Clone(asked)
	}
	got := strings.Fields(answer)
	var out []string
	for _, s := range asked {
		if slices.Contains(got, s) {
			out = append(out, s)
		}
	}
	return out
}

// token redeems the code with client_secret_basic: HTTP Basic with the
// form-urlencoded client ID and secret (RFC 6749 §2.3.1).
func (c *Client) token(ctx context.Context, meta *oidc.Metadata, login *idconnect.Login, code string) (*tokenResponse, error) {
	endpoint := meta.TokenEndpoint
	if endpoint == "" {
		endpoint = c.base + DefaultTokenPath
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {login.RedirectURI},
		"code_verifier": {login.Verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, c.errorf(OpToken, "cannot build the request") // err quotes the URL
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret.Reveal()))
	resp, err := c.do(req, OpToken)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, withRequestID(OpToken, resp.Header, c.caller.OAuthError(OpToken, resp))
	}
	var tr tokenResponse
	if json.Unmarshal(resp.Body, &tr) != nil || tr.AccessToken == "" || tr.IDToken == "" {
		return nil, withRequestID(OpToken, resp.Header, c.errorf(OpToken, "%w: no access_token or id_token", idconnect.ErrMalformed))
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		return nil, withRequestID(OpToken, resp.Header, c.errorf(OpToken, "%w: token_type is not Bearer", idconnect.ErrMalformed))
	}
	if !token(tr.AccessToken, 16<<10) || !token(tr.IDToken, 64<<10) {
		return nil, withRequestID(OpToken, resp.Header, c.errorf(OpToken, "%w: access_token or id_token is not a token", idconnect.ErrMalformed))
	}
	return &tr, nil
}

// fetch calls the resources the granted scopes open and builds the result.
func (c *Client) fetch(ctx context.Context, meta *oidc.Metadata, tr *tokenResponse, scopes []string, sub string) (*idconnect.Result, error) {
	has := func(s string) bool { return slices.Contains(scopes, s) }
	data := &Data{Scopes: scopes}
	if data.Scopes == nil {
		data.Scopes = []string{}
	}
	raw := json.RawMessage(`{}`)
	if slices.ContainsFunc(userinfoScopes, has) {
		endpoint := meta.UserinfoEndpoint
		if endpoint == "" {
			endpoint = c.base + userinfoPath
		}
		body, h, err := c.get(ctx, OpUserinfo, endpoint, tr.AccessToken)
		if err != nil {
			return nil, err
		}
		usub, verified, unverified, fraud, err := parseUserinfo(body)
		if err != nil {
			return nil, withRequestID(OpUserinfo, h, c.errorf(OpUserinfo, "%w: %v", idconnect.ErrMalformed, err))
		}
		if usub != sub {
			return nil, withRequestID(OpUserinfo, h, c.errorf(OpUserinfo, "%w: sub differs from the id_token's", idconnect.ErrSubjectMismatch))
		}
		data.Userinfo, data.Unverified, data.Fraud = verified, unverified, fraud
		raw = body
	}
	if slices.ContainsFunc(scopes, func(s string) bool { return strings.HasPrefix(s, "age_over_") }) {
		body, h, err := c.get(ctx, OpAgeVerification, c.base+ageVerificationPath, tr.AccessToken)
		if err != nil {
			return nil, err
		}
		if data.AgeVerification, err = parseAgeVerification(body); err != nil {
			return nil, withRequestID(OpAgeVerification, h, c.errorf(OpAgeVerification, "%w: %v", idconnect.ErrMalformed, err))
		}
	}
	if has(ScopeAccounts) {
		body, h, err := c.get(ctx, OpAccounts, c.base+accountsPath, tr.AccessToken)
		if err != nil {
			return nil, err
		}
		if data.Accounts, err = parseAccounts(body); err != nil {
			return nil, withRequestID(OpAccounts, h, c.errorf(OpAccounts, "%w: %v", idconnect.ErrMalformed, err))
		}
		if !has(ScopeAccountsBalance) {
			// Sent without the scope: dropped, so that no balance is
			// anywhere in the result.
			for i := range data.Accounts {
				data.Accounts[i].Balance = nil
			}
		}
	}
	res := &idconnect.Result{
		Provider: c.cfg.Name,
		Subject:  sub,
		Raw:      raw,
		Model:    data,
		Person:   data.Person(),
	}
	if c.cfg.FetchReport {
		doc, err := c.report(ctx, tr.AccessToken)
		if err != nil {
			return nil, err
		}
		res.Documents = []idconnect.Document{doc}
	}
	return res, nil
}

// get fetches a JSON resource with the bearer token. A status other than
// 200 is a *idconnect.ProviderError (inside a *CallError when the answer
// has an x-request-id).
func (c *Client) get(ctx context.Context, op, endpoint, accessToken string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, nil, c.errorf(op, "cannot build the request") // err quotes the URL
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.do(req, op)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, withRequestID(op, resp.Header, c.caller.OAuthError(op, resp))
	}
	return resp.Body, resp.Header, nil
}
