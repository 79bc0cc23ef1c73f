package myinfo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/internal/jwx"
)

// Client is a Myinfo v3 relying party. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string // API base without trailing slash
	http *http.Client
}

var _ idconnect.Provider = (*Client)(nil)

// New checks cfg and returns a Client. All configuration problems are
// reported together.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	base := cfg.BaseURL
	if base == "" {
		base = cfg.Environment.BaseURL(cfg.Government)
	}
	// A copy of the caller's client: it never follows a redirect, which
	// would re-send the secret, the code or the bearer token elsewhere.
	c := &Client{
		cfg:  cfg,
		base: strings.TrimSuffix(base, "/"),
		http: httpx.Outbound(cfg.HTTPClient, httpx.Options{Timeout: DefaultTimeout}),
	}
	if c.cfg.MaxResponseBytes == 0 {
		c.cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.cfg.Leeway == 0 {
		c.cfg.Leeway = DefaultLeeway
	}
	c.cfg.Attributes = append([]string(nil), cfg.Attributes...)
	return c, nil
}

// Name implements idconnect.Provider.
func (c *Client) Name() string { return "myinfo" }

// LoginDefaults implements idconnect.Defaulter: what AuthURL gives a login
// that has no attributes, purpose or redirect URI of its own.
func (c *Client) LoginDefaults() idconnect.LoginDefaults {
	return idconnect.LoginDefaults{Attributes: c.cfg.Attributes, Purpose: c.cfg.Purpose, RedirectURI: c.cfg.RedirectURI}
}

// BaseURL returns the API base the client calls, such as
// "https://test.api.myinfo.gov.sg/com/v3".
func (c *Client) BaseURL() string { return c.base }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Client) nonce() (string, error) {
	r := c.cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 20)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("myinfo: reading randomness: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// AuthURL implements idconnect.Provider. It fills the login's attributes,
// purpose and redirect URI from the configuration where the login has none,
// so that Exchange later asks for exactly what the person consented to.
func (c *Client) AuthURL(_ context.Context, login *idconnect.Login) (string, error) {
	if len(login.Attributes) == 0 {
		login.Attributes = append([]string(nil), c.cfg.Attributes...)
	} else if err := checkAttributes(login.Attributes); err != nil {
		return "", fmt.Errorf("myinfo: %w: %v", idconnect.ErrInvalidRequest, err)
	}
	if login.Purpose == "" {
		login.Purpose = c.cfg.Purpose
	}
	// Myinfo v3 has neither an OIDC nonce nor PKCE: the Flow's nonce and
	// verifier would only wait in the store, unused, a fifth of the
	// pending login's size.
	login.Nonce, login.Verifier = "", ""
	if login.RedirectURI == "" {
		login.RedirectURI = c.cfg.RedirectURI
	} else if err := checkRedirectURI(login.RedirectURI); err != nil {
		return "", fmt.Errorf("myinfo: %w: redirect URI %v", idconnect.ErrInvalidRequest, err)
	}
	// The order is the seed's; values keep the characters a query allows
	// (commas, colons, slashes) readable, as Myinfo's own examples do.
	q := []struct{ k, v string }{
		{"client_id", c.cfg.ClientID},
		{"attributes", strings.Join(login.Attributes, ",")},
		{"state", login.State},
		{"redirect_uri", login.RedirectURI},
		{"purpose", login.Purpose},
		{"sp_esvcId", c.cfg.ESvcID},
		{"authmode", c.cfg.AuthMode},
		{"login_type", c.cfg.LoginType},
		{"appLaunchURL", c.cfg.AppLaunchURL},
	}
	var b strings.Builder
	b.WriteString(c.base)
	b.WriteString("/authorise")
	sep := byte('?')
	for _, p := range q {
		if p.v == "" {
			continue
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(escapeQueryValue(p.v))
	}
	return b.String(), nil
}

// escapeQueryValue percent-encodes what a query value may not contain
// literally (RFC 3986 §3.4) and what would end the value (& = + #), and
// keeps the rest, so URLs stay as readable as Myinfo's examples.
func escapeQueryValue(s string) string {
	const keep = "-._~!$'()*,;:@/?"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte(keep, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// Exchange implements idconnect.Provider: token, access-token verification,
// person call, decrypt, verify, model and normalise.
func (c *Client) Exchange(ctx context.Context, login *idconnect.Login, cb idconnect.Callback) (*idconnect.Result, error) {
	if cb.Code == "" {
		return nil, fmt.Errorf("myinfo: exchange: %w: missing code", idconnect.ErrInvalidRequest)
	}
	token, err := c.token(ctx, login, cb.Code)
	if err != nil {
		return nil, err
	}
	sub, err := c.verifyAccessToken(token)
	if err != nil {
		return nil, err
	}
	raw, err := c.person(ctx, login, sub, token)
	if err != nil {
		return nil, err
	}
	model, err := ParsePerson(raw)
	if err != nil {
		return nil, fmt.Errorf("myinfo: person: %w: %v", idconnect.ErrMalformed, err)
	}
	if err := checkSubject(sub, login.Attributes, model); err != nil {
		return nil, err
	}
	return &idconnect.Result{
		Provider: c.Name(),
		Subject:  sub,
		Raw:      raw,
		Model:    model,
		Person:   model.Normalize(),
	}, nil
}

// tokenResponse is the token endpoint's JSON answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

func (c *Client) token(ctx context.Context, login *idconnect.Login, code string) (string, error) {
	form := map[string]string{
		"grant_type":    "authorization_code",
		"code":          code,
		"redirect_uri":  login.RedirectURI,
		"client_id":     c.cfg.ClientID,
		"client_secret": c.cfg.ClientSecret.Reveal(),
		"state":         login.State,
	}
	values := url.Values{}
	for k, v := range form {
		values.Set(k, v)
	}
	tokenURL := c.base + "/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(values.Encode()))
	if err != nil {
		return "", errors.New("myinfo: token: cannot build the request") // err quotes the URL
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Accept", "application/json")
	if !c.cfg.sandbox() {
		auth, err := c.sign(http.MethodPost, tokenURL, form)
		if err != nil {
			return "", fmt.Errorf("myinfo: token: %w", err)
		}
		req.Header.Set("Authorization", auth)
	}
	body, err := c.do(req, "token")
	if err != nil {
		return "", err
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("myinfo: token: %w: no access_token in the answer", idconnect.ErrMalformed)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", fmt.Errorf("myinfo: token: %w: token_type %q", idconnect.ErrMalformed, tr.TokenType)
	}
	return tr.AccessToken, nil
}

func (c *Client) sign(method, rawURL string, params map[string]string) (string, error) {
	nonce, err := c.nonce()
	if err != nil {
		return "", err
	}
	p := pkiSign{
		method:    method,
		url:       rawURL,
		params:    params,
		appID:     c.cfg.ClientID,
		nonce:     nonce,
		timestamp: strconv.FormatInt(c.now().UnixMilli(), 10),
	}
	return p.header(c.cfg.ClientKey)
}

// accessClaims are the access-token claims the client checks. Times are
// json.Number because some Myinfo deployments send milliseconds. Pointers
// and raw values tell an absent claim from an empty one.
type accessClaims struct {
	Sub      string          `json:"sub"`
	Exp      json.Number     `json:"exp"`
	Nbf      json.Number     `json:"nbf"`
	Aud      json.RawMessage `json:"aud"`
	ClientID *string         `json:"client_id"`
	Iss      *string         `json:"iss"`
}

// tokenAudience is the aud of every Myinfo v3 access token on record (a
// staging-modelled token, GovTech's helper, MockPass): "myinfo", not the
// client id.
const tokenAudience = "myinfo"

// issuerPaths end the iss of Myinfo v3 access tokens ("https://stg-home.
// singpass.gov.sg/consent/oauth2/consent/myinfo-com" in staging). Its host
// is Singpass's consent service, not the API host, and the production host
// is not on record, so only the path is checked: the signature with
// Myinfo's own key is what ties the token to Myinfo.
var issuerPaths = []string{"/consent/oauth2/consent/myinfo-com", "/consent/oauth2/consent/myinfo-gov"}

// verifyAccessToken checks the token's RS256 signature with Myinfo's key,
// its times (exp required), the audience, client and issuer claims where
// present, and returns its subject.
func (c *Client) verifyAccessToken(token string) (string, error) {
	payload, err := jwx.Verify(token, c.cfg.ProviderKey, signatureAlgs)
	if err != nil {
		return "", fmt.Errorf("myinfo: access token: %w: %v", idconnect.ErrSignature, err)
	}
	var claims accessClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("myinfo: access token: %w: claims are not the expected JSON", idconnect.ErrMalformed)
	}
	invalid := func(why string) error {
		return fmt.Errorf("myinfo: access token: %w: %s", idconnect.ErrTokenInvalid, why)
	}
	if !validSubject(claims.Sub) {
		return "", invalid("missing or malformed sub")
	}
	now := c.now()
	// A token without exp would be good forever, if it leaked.
	exp, ok := claimTime(claims.Exp)
	if !ok {
		return "", invalid("missing or malformed exp")
	}
	if !now.Before(exp.Add(c.cfg.Leeway)) {
		return "", invalid("expired")
	}
	if claims.Nbf != "" {
		nbf, ok := claimTime(claims.Nbf)
		if !ok {
			return "", invalid("malformed nbf")
		}
		if now.Add(c.cfg.Leeway).Before(nbf) {
			return "", invalid("not yet valid")
		}
	}
	// Where Myinfo names the client, it must be us: a token issued to
	// another relying party is not ours to use.
	if claims.ClientID != nil && *claims.ClientID != c.cfg.ClientID {
		return "", invalid("client_id is another client's")
	}
	if !audienceOK(claims.Aud, c.cfg.ClientID) {
		return "", invalid(`aud is neither "myinfo" nor our client id`)
	}
	if claims.Iss != nil && !issuerOK(*claims.Iss) {
		return "", invalid("iss is not a Myinfo consent issuer")
	}
	return claims.Sub, nil
}

// audienceOK accepts an absent aud (the official Node connector checks
// none, so a deployment might omit it), or a string or array naming
// "myinfo" or our client id.
func audienceOK(raw json.RawMessage, clientID string) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var auds []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		auds = []string{one}
	} else if err := json.Unmarshal(raw, &auds); err != nil {
		return false
	}
	for _, a := range auds {
		if a == tokenAudience || a != "" && a == clientID {
			return true
		}
	}
	return false
}

func issuerOK(iss string) bool {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	for _, p := range issuerPaths {
		if strings.HasSuffix(u.Path, p) {
			return true
		}
	}
	return false
}

// checkSubject makes the person belong to the token. The person answer
// carries no sub claim, so when the token's sub is a UIN/FIN it is
// compared with the person's uinfin, which must be there if it was asked
// for. A UUID sub (Myinfo's opaque-subject mode) has no counterpart in the
// person data: the person URL built from that sub is then the only link.
func checkSubject(sub string, attributes []string, p *Person) error {
	if !isUINFIN(sub) {
		return nil
	}
	var got string
	if p.UINFIN != nil {
		got = p.UINFIN.Value
	}
	if got == "" && !slices.Contains(attributes, "uinfin") {
		return nil // not asked for, nothing to compare
	}
	if got != sub {
		// Neither value goes into the error: both are NRICs.
		return fmt.Errorf("myinfo: person: %w: uinfin differs from the access token's sub", idconnect.ErrSubjectMismatch)
	}
	return nil
}

// isUINFIN reports whether s is shaped like an NRIC or FIN:
// [STFGM], seven digits, a check letter.
func isUINFIN(s string) bool {
	if len(s) != 9 || strings.IndexByte("STFGM", s[0]) < 0 || s[8] < 'A' || s[8] > 'Z' {
		return false
	}
	for i := 1; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// claimTime reads a NumericDate in seconds or, when implausibly large for
// seconds (after the year 5138), in milliseconds.
func claimTime(n json.Number) (time.Time, bool) {
	if n == "" {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	if f > 1e11 {
		return time.UnixMilli(int64(f)), true
	}
	return time.Unix(int64(f), 0), true
}

// validSubject accepts a UIN/FIN or a UUID: the sub goes into the person
// URL's path, so nothing else may pass.
func validSubject(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-') {
			return false
		}
	}
	return true
}

func (c *Client) person(ctx context.Context, login *idconnect.Login, sub, token string) (json.RawMessage, error) {
	params := map[string]string{
		"client_id":  c.cfg.ClientID,
		"attributes": strings.Join(login.Attributes, ","),
	}
	if c.cfg.Government {
		params["sp_esvcId"] = c.cfg.ESvcID
	}
	if c.cfg.TxnNo {
		txn, err := c.nonce()
		if err != nil {
			return nil, err
		}
		params["txnNo"] = txn[:20]
	}
	values := url.Values{}
	for k, v := range params {
		values.Set(k, v)
	}
	// The trailing slash is part of the signed URL, as in the official
	// Java and .NET connectors and the seed.
	personURL := c.base + "/person/" + sub + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, personURL+"?"+values.Encode(), nil)
	if err != nil {
		return nil, errors.New("myinfo: person: cannot build the request") // err quotes the URL, which names the person
	}
	req.Header.Set("Cache-Control", "no-cache")
	if c.cfg.sandbox() {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		auth, err := c.sign(http.MethodGet, personURL, params)
		if err != nil {
			return nil, fmt.Errorf("myinfo: person: %w", err)
		}
		req.Header.Set("Authorization", auth+",Bearer "+token)
	}
	body, err := c.do(req, "person")
	if err != nil {
		return nil, err
	}
	if c.cfg.sandbox() {
		if err := checkObject(body); err != nil {
			return nil, fmt.Errorf("myinfo: person: %w: %v", idconnect.ErrMalformed, err)
		}
		return json.RawMessage(body), nil
	}
	// Dispatch on the body, not the Content-Type: MockPass labels its JWE
	// text/html.
	return DecodePerson(body, c.cfg.ProviderKey, c.cfg.ClientKey)
}

// do sends req and returns the body of a 200 answer. Errors never include
// the URL, which holds the person's identifier.
func (c *Client) do(req *http.Request, op string) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(op, err)
	}
	defer resp.Body.Close()
	if httpx.IsRedirect(resp.StatusCode) {
		// c.http returned the 3xx instead of following it. Myinfo's APIs
		// never redirect, so it is a bad answer (502), not a refusal of our
		// request; the Location is not repeated, it may carry anything.
		return nil, fmt.Errorf("myinfo: %s: %w: redirect (HTTP %d) refused", op, idconnect.ErrProviderUnavailable, resp.StatusCode)
	}
	body, err := httpx.ReadAll(resp.Body, c.cfg.MaxResponseBytes)
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, fmt.Errorf("myinfo: %s: %w: answer larger than %d bytes", op, idconnect.ErrMalformed, c.cfg.MaxResponseBytes)
	}
	if err != nil {
		return nil, transportError(op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, providerError(op, resp.StatusCode, body)
	}
	return body, nil
}

func transportError(op string, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // drop the URL: it carries the person's identifier
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("myinfo: %s: %w", op, idconnect.ErrProviderTimeout)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("myinfo: %s: %w", op, err)
	}
	return fmt.Errorf("myinfo: %s: %w: %v", op, idconnect.ErrProviderUnavailable, err)
}

// providerError reads Myinfo's {"code","message","fields"} error body. The
// code is a number in Myinfo's answers and a string in some proxies'.
func providerError(op string, status int, body []byte) error {
	var e struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	perr := &idconnect.ProviderError{Provider: "myinfo", Op: op, StatusCode: status}
	if json.Unmarshal(body, &e) == nil {
		perr.Code = safeCode(strings.Trim(string(e.Code), `"`))
		perr.Description = safeMessage(e.Message)
	}
	// perr's message already starts "myinfo: <op>:".
	return perr
}

// safeMessage keeps the human part of a provider message and drops what
// follows it. Emulators echo the expected base string after a comma
// ("Signature verification failed, POST&…&client_secret=…"), and a base
// string holds the client secret and the person's identifier: neither may
// reach our errors or logs. A UIN/FIN left in the kept part (a proxy's
// "no profile for S…") is masked too.
func safeMessage(s string) string {
	if i := strings.IndexAny(s, ",&=?\n"); i >= 0 {
		s = s[:i]
	}
	const max = 120
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	b := []byte(s)
	for i := 0; i+9 <= len(b); i++ {
		if isUINFIN(string(b[i:i+9])) && !isWordByte(b, i-1) && !isWordByte(b, i+9) {
			copy(b[i:i+9], "*********")
		}
	}
	return strings.TrimSpace(string(b))
}

func isWordByte(b []byte, i int) bool {
	if i < 0 || i >= len(b) {
		return false
	}
	ch := b[i]
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9'
}

// safeCode keeps a provider error code only when it looks like one (Myinfo
// sends numbers): a short run of letters, digits, '.', '_' or '-'.
func safeCode(s string) string {
	if len(s) > 32 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" || isUINFIN(s) {
		return ""
	}
	return s
}
