package singpass

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/internal/jwx"
	"github.com/idconnect/idconnect/internal/oidc"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// The JOSE allowlists, pinned here: never taken from discovery.
var (
	keyAlgorithms       = []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}
	contentEncryptions  = []jose.ContentEncryption{jose.A256CBC_HS512, jose.A256GCM}
	signatureAlgorithms = []jose.SignatureAlgorithm{jose.ES256}
)

// ProviderData keys a Client keeps in Login.ProviderData.
const (
	// DataDPoPKey holds the login's DPoP private key: the P-256 scalar,
	// 32 bytes big-endian, in unpadded base64url (the public key is
	// derived from it). It is a secret. The scalar is a fifth of the JWK
	// an earlier version kept (under DataDPoPJWK) and the pending login's
	// largest field.
	DataDPoPKey = "dpop_key"
	// DataDPoPJWK holds a login's DPoP private key as a JWK (JSON), as
	// logins stored by an earlier version have it. It is still read.
	DataDPoPJWK = "dpop_jwk"
	// DataDPoPNonce holds the last DPoP-Nonce the authorization server
	// sent, if any.
	DataDPoPNonce = "dpop_nonce"
)

const maxRequestURI = 1024

// Client is a Singpass FAPI 2.0 relying party. It is safe for concurrent
// use.
type Client struct {
	cfg    Config
	prof   *profile
	scopes []string
	caller *oidc.Caller
	issuer *oidc.Issuer
}

var (
	_ idconnect.Provider  = (*Client)(nil)
	_ idconnect.Flattener = (*Client)(nil)
)

// New checks cfg, reporting every problem at once, and returns a Client.
// It makes no network call: discovery is fetched on first use.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	prof := cfg.Service.profile()
	if cfg.Name == "" {
		cfg.Name = prof.name
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.App == Login && cfg.AuthenticationContextType == "" {
		cfg.AuthenticationContextType = DefaultAuthenticationContextType
	}
	c := &Client{cfg: cfg, prof: prof}
	c.scopes = slices.Clone(cfg.Scopes)
	if len(c.scopes) == 0 {
		c.scopes = prof.defaultScopes(cfg.App)
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

func (c *Client) now() time.Time { return c.cfg.now() }

func (c *Client) rand() io.Reader {
	if c.cfg.Rand != nil {
		return c.cfg.Rand
	}
	return rand.Reader
}

func (c *Client) errorf(op, format string, a ...any) error {
	return fmt.Errorf("%s: %s: "+format, append([]any{c.cfg.Name, op}, a...)...)
}

// AuthURL implements idconnect.Provider: it pushes the authorisation
// request and returns the authorization endpoint's URL with client_id and
// request_uri. It fills the login's attributes (the scopes, without
// "openid") and redirect URI from the configuration where the login has
// none, and stores the login's DPoP key in its ProviderData.
func (c *Client) AuthURL(ctx context.Context, login *idconnect.Login) (string, error) {
	if len(login.Attributes) == 0 {
		login.Attributes = slices.Clone(c.scopes)
	} else if err := checkScopes(login.Attributes); err != nil {
		return "", c.errorf(oidc.OpPAR, "%w: scopes: %v", idconnect.ErrInvalidRequest, err)
	}
	if login.RedirectURI == "" {
		login.RedirectURI = c.cfg.RedirectURI
	} else if err := c.cfg.checkURL(login.RedirectURI); err != nil {
		return "", c.errorf(oidc.OpPAR, "%w: redirect URI: %v", idconnect.ErrInvalidRequest, err)
	}
	if !token(login.State, 255) || !token(login.Nonce, 255) || !verifier(login.Verifier) {
		return "", c.errorf(oidc.OpPAR, "%w: the login needs a state, a nonce and a PKCE verifier", idconnect.ErrInvalidRequest)
	}
	meta, err := c.issuer.Metadata(ctx)
	if err != nil {
		return "", err
	}
	if meta.PushedAuthorizationRequestEndpoint == "" || meta.AuthorizationEndpoint == "" {
		return "", c.errorf(oidc.OpDiscovery, "%w: no PAR or authorization endpoint", idconnect.ErrMalformed)
	}
	if login.ProviderData == nil {
		login.ProviderData = map[string]string{}
	}
	delete(login.ProviderData, DataDPoPKey)
	delete(login.ProviderData, DataDPoPJWK)
	delete(login.ProviderData, DataDPoPNonce)
	var key crypto.Signer = c.cfg.DPoPKey
	if key == nil {
		ephemeral, err := jwx.NewDPoPKey(c.rand())
		if err != nil {
			return "", c.errorf(oidc.OpPAR, "%v", err)
		}
		d, err := ephemeral.Bytes()
		if err != nil {
			return "", c.errorf(oidc.OpPAR, "encoding the DPoP key: %v", err)
		}
		login.ProviderData[DataDPoPKey] = base64.RawURLEncoding.EncodeToString(d)
		key = ephemeral
	}

	challenge := sha256.Sum256([]byte(login.Verifier))
	parURL := meta.PushedAuthorizationRequestEndpoint
	form := func() (url.Values, error) {
		v := url.Values{
			"response_type":         {"code"},
			"client_id":             {c.cfg.ClientID},
			"redirect_uri":          {login.RedirectURI},
			"scope":                 {"openid " + strings.Join(login.Attributes, " ")},
			"state":                 {login.State},
			"nonce":                 {login.Nonce},
			"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
			"code_challenge_method": {"S256"},
		}
		if c.cfg.App == Login {
			v.Set("authentication_context_type", c.cfg.AuthenticationContextType)
		}
		return v, c.addAssertion(v, parURL)
	}
	resp, nonce, err := c.send(ctx, oidc.OpPAR, http.MethodPost, parURL, form, key, "", "")
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", c.caller.OAuthError(oidc.OpPAR, resp)
	}
	var par struct {
		RequestURI string `json:"request_uri"`
	}
	if json.Unmarshal(resp.Body, &par) != nil || !token(par.RequestURI, maxRequestURI) {
		return "", c.errorf(oidc.OpPAR, "%w: no usable request_uri", idconnect.ErrMalformed)
	}
	if nonce != "" {
		login.ProviderData[DataDPoPNonce] = nonce
	}
	q := url.Values{"client_id": {c.cfg.ClientID}, "request_uri": {par.RequestURI}}
	sep := "?"
	if strings.Contains(meta.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	return meta.AuthorizationEndpoint + sep + q.Encode(), nil
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

// addAssertion adds a fresh client assertion for endpoint to v.
func (c *Client) addAssertion(v url.Values, endpoint string) error {
	aud := c.cfg.Issuer
	if c.cfg.AssertionAudience == AudienceEndpoint {
		aud = endpoint
	}
	now := c.now()
	signer, kid, err := c.cfg.Keys.SigningKey(now)
	if err != nil {
		return err
	}
	a, err := jwx.ClientAssertion{ClientID: c.cfg.ClientID, Audience: aud, KeyID: kid, IssuedAt: now}.Sign(signer, c.rand())
	if err != nil {
		return err
	}
	v.Set("client_assertion_type", jwx.ClientAssertionType)
	v.Set("client_assertion", a)
	return nil
}

// send makes a DPoP-protected request. form (nil for GET) is built anew
// for each attempt, so every attempt has a fresh client assertion. An
// answer asking for a DPoP nonce (use_dpop_nonce with a DPoP-Nonce header)
// is retried once with that nonce; the last nonce seen is returned.
func (c *Client) send(ctx context.Context, op, method, endpoint string, form func() (url.Values, error), key crypto.Signer, accessToken, nonce string) (*oidc.Response, string, error) {
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if form != nil {
			v, err := form()
			if err != nil {
				return nil, "", c.errorf(op, "%v", err)
			}
			body = strings.NewReader(v.Encode())
		}
		proof, err := jwx.DPoP{Method: method, URL: endpoint, AccessToken: accessToken, Nonce: nonce, IssuedAt: c.now()}.Proof(key, c.rand())
		if err != nil {
			return nil, "", c.errorf(op, "%v", err)
		}
		req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
		if err != nil {
			return nil, "", c.errorf(op, "cannot build the request") // err quotes the URL
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if accessToken != "" {
			req.Header.Set("Authorization", "DPoP "+accessToken)
		}
		req.Header.Set("DPoP", proof)
		resp, err := c.caller.Do(req, op)
		if err != nil {
			return nil, "", err
		}
		fresh := resp.Header.Get("DPoP-Nonce")
		if !dpopNonce(fresh) {
			fresh = ""
		}
		if fresh != "" {
			nonce = fresh
		}
		if attempt == 0 && fresh != "" && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized) {
			if code, _ := oidc.OAuthErrorCode(resp); code == "use_dpop_nonce" {
				continue
			}
		}
		return resp, nonce, nil
	}
}

// dpopNonce accepts a DPoP-Nonce value: 1 to 512 NQCHARs (RFC 9449 §8.1).
func dpopNonce(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\' {
			return false
		}
	}
	return true
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	IDToken     string `json:"id_token"`
}

// Exchange implements idconnect.Provider: callback iss, token, ID token,
// and for Myinfo apps userinfo.
func (c *Client) Exchange(ctx context.Context, login *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	if cb.Code == "" {
		return nil, c.errorf(oidc.OpToken, "%w: missing code", idconnect.ErrInvalidRequest)
	}
	meta, err := c.issuer.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	// RFC 9207: Singpass puts iss on every redirect (staging since before
	// May 2026, production since 11 June 2026) and says so in discovery.
	switch {
	case cb.Issuer != "" && cb.Issuer != c.cfg.Issuer:
		return nil, c.errorf("callback", "%w: iss is another issuer's", idconnect.ErrInvalidRequest)
	case cb.Issuer == "" && meta.AuthorizationResponseIssParameterSupported:
		return nil, c.errorf("callback", "%w: no iss, which this issuer always sends", idconnect.ErrInvalidRequest)
	}
	if meta.TokenEndpoint == "" {
		return nil, c.errorf(oidc.OpDiscovery, "%w: no token endpoint", idconnect.ErrMalformed)
	}
	key, err := c.dpopKey(login)
	if err != nil {
		return nil, c.errorf(oidc.OpToken, "%w: the login has no usable DPoP key", idconnect.ErrInvalidRequest)
	}
	tokenURL := meta.TokenEndpoint
	form := func() (url.Values, error) {
		v := url.Values{
			"grant_type":    {"authorization_code"},
			"client_id":     {c.cfg.ClientID},
			"code":          {cb.Code},
			"redirect_uri":  {login.RedirectURI},
			"code_verifier": {login.Verifier},
		}
		return v, c.addAssertion(v, tokenURL)
	}
	resp, nonce, err := c.send(ctx, oidc.OpToken, http.MethodPost, tokenURL, form, key, "", login.ProviderData[DataDPoPNonce])
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.caller.OAuthError(oidc.OpToken, resp)
	}
	var tr tokenResponse
	if json.Unmarshal(resp.Body, &tr) != nil || tr.AccessToken == "" || tr.IDToken == "" {
		return nil, c.errorf(oidc.OpToken, "%w: no access_token or id_token", idconnect.ErrMalformed)
	}
	if !strings.EqualFold(tr.TokenType, "DPoP") {
		return nil, c.errorf(oidc.OpToken, "%w: token_type is not DPoP", idconnect.ErrMalformed)
	}
	if !token(tr.AccessToken, 16<<10) {
		return nil, c.errorf(oidc.OpToken, "%w: access_token is not a token", idconnect.ErrMalformed)
	}
	payload, err := c.decode(ctx, "id_token", tr.IDToken)
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
	if c.prof.entity {
		return c.entityResult(ctx, login, meta.UserinfoEndpoint, key, tr.AccessToken, nonce, claims)
	}
	if c.cfg.App == Login {
		return c.loginResult(claims)
	}
	return c.userinfo(ctx, meta.UserinfoEndpoint, key, tr.AccessToken, nonce, claims.Subject)
}

// dpopKey returns the login's DPoP key: Config.DPoPKey, or the login's
// own key read back from its ProviderData.
func (c *Client) dpopKey(login *idconnect.Login) (crypto.Signer, error) {
	if c.cfg.DPoPKey != nil {
		return c.cfg.DPoPKey, nil
	}
	if s := login.ProviderData[DataDPoPKey]; s != "" {
		d, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, errors.New("not base64url")
		}
		// ParseRawPrivateKey takes only 32 bytes, reduced and not zero.
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	}
	s := login.ProviderData[DataDPoPJWK]
	if s == "" {
		return nil, errors.New("none")
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON([]byte(s)); err != nil {
		return nil, err
	}
	p, ok := k.Key.(*ecdsa.PrivateKey)
	if !ok || p.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 private key")
	}
	return p, nil
}

// decode opens a Singpass JWE (to one of our keys) and verifies the JWS
// inside with Singpass's keys: two visible steps, each with its pinned
// allowlist.
func (c *Client) decode(ctx context.Context, what, compact string) ([]byte, error) {
	compact = strings.TrimSpace(compact)
	inner, err := jwx.Decrypt(compact, jose.OpaqueKeyDecrypter(c.cfg.Keys), keyAlgorithms, contentEncryptions)
	if err != nil {
		return nil, c.errorf(what, "%w", idconnect.ErrDecrypt)
	}
	payload, err := c.issuer.VerifyJWS(ctx, string(inner), signatureAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return payload, nil
}

// userinfoClaims are the verified userinfo payload's claims the client
// checks.
type userinfoClaims struct {
	Issuer   *string         `json:"iss"`
	Subject  string          `json:"sub"`
	Audience json.RawMessage `json:"aud"`
}

// fetchUserinfo calls userinfo with the DPoP-bound access token, opens and
// verifies the answer, and checks that it is about sub (the ID token's),
// from the issuer, for this client. It returns the verified payload.
func (c *Client) fetchUserinfo(ctx context.Context, endpoint string, key crypto.Signer, accessToken, nonce, sub string) ([]byte, error) {
	if endpoint == "" {
		return nil, c.errorf(oidc.OpDiscovery, "%w: no userinfo endpoint", idconnect.ErrMalformed)
	}
	resp, _, err := c.send(ctx, oidc.OpUserinfo, http.MethodGet, endpoint, nil, key, accessToken, nonce)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.caller.OAuthError(oidc.OpUserinfo, resp)
	}
	body := strings.TrimSpace(string(resp.Body))
	var payload []byte
	if c.prof.signedUserinfo && !c.cfg.RequireEncryptedUserinfo && strings.Count(body, ".") == 2 {
		// A bare JWS (Corppass documents one): verified all the same.
		if payload, err = c.issuer.VerifyJWS(ctx, body, signatureAlgorithms); err != nil {
			return nil, fmt.Errorf("%s: %w", oidc.OpUserinfo, err)
		}
	} else if payload, err = c.decode(ctx, oidc.OpUserinfo, body); err != nil {
		return nil, err
	}
	var ui userinfoClaims
	if err := json.Unmarshal(payload, &ui); err != nil {
		return nil, c.errorf(oidc.OpUserinfo, "%w: claims are not the expected JSON", idconnect.ErrMalformed)
	}
	if ui.Subject != sub && !(c.cfg.AcceptClientIDUserinfoSubject && ui.Subject == c.cfg.ClientID) {
		return nil, c.errorf(oidc.OpUserinfo, "%w: sub differs from the id_token's", idconnect.ErrSubjectMismatch)
	}
	if ui.Issuer != nil && *ui.Issuer != c.cfg.Issuer {
		return nil, c.errorf(oidc.OpUserinfo, "%w: iss is not the issuer", idconnect.ErrTokenInvalid)
	}
	if ui.Audience != nil && !audienceHas(ui.Audience, c.cfg.ClientID) {
		return nil, c.errorf(oidc.OpUserinfo, "%w: aud does not name this client", idconnect.ErrTokenInvalid)
	}
	return payload, nil
}

// userinfo reads a Singpass Myinfo app's person_info.
func (c *Client) userinfo(ctx context.Context, endpoint string, key crypto.Signer, accessToken, nonce, sub string) (*idconnect.Result, error) {
	payload, err := c.fetchUserinfo(ctx, endpoint, key, accessToken, nonce, sub)
	if err != nil {
		return nil, err
	}
	var ui struct {
		PersonInfo json.RawMessage `json:"person_info"`
	}
	if err := json.Unmarshal(payload, &ui); err != nil {
		return nil, c.errorf(oidc.OpUserinfo, "%w: claims are not the expected JSON", idconnect.ErrMalformed)
	}
	person := []byte(ui.PersonInfo)
	model, err := myinfo.ParsePerson(person)
	if err != nil {
		return nil, c.errorf(oidc.OpUserinfo, "%w: person_info: %v", idconnect.ErrMalformed, err)
	}
	return &idconnect.Result{
		Provider: c.cfg.Name,
		Subject:  sub,
		Raw:      json.RawMessage(person),
		Model:    model,
		Person:   model.Normalize(),
	}, nil
}

func audienceHas(raw json.RawMessage, clientID string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == clientID
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, clientID)
}
