package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
)

// DefaultMaxBytes caps provider answers when a Caller has no MaxBytes.
const DefaultMaxBytes = 1 << 20

// Operation names used in errors and in idconnect.ProviderError.Op.
const (
	OpDiscovery = "discovery"
	OpJWKS      = "jwks"
	OpPAR       = "par"
	OpToken     = "token"
	OpUserinfo  = "userinfo"
)

// Caller sends requests to one provider. HTTP should come from
// httpx.Outbound: the caller relies on it never following a redirect.
type Caller struct {
	// Provider names the provider in errors ("singpass").
	Provider string
	// HTTP sends the requests; nil means httpx.Outbound(nil, …).
	HTTP *http.Client
	// MaxBytes caps every answer body (0: DefaultMaxBytes).
	MaxBytes int64
}

// Response is a provider's answer, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

func (c *Caller) client() *http.Client {
	if c.HTTP == nil {
		return httpx.Outbound(nil, httpx.Options{})
	}
	return c.HTTP
}

func (c *Caller) maxBytes() int64 {
	if c.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return c.MaxBytes
}

// Do sends req and reads the answer. Transport failures, a 3xx (never
// followed) and an answer over the size cap are errors; any other status
// is returned for the caller to judge. Errors never contain the URL.
func (c *Caller) Do(req *http.Request, op string) (*Response, error) {
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, c.transportError(op, err)
	}
	defer resp.Body.Close()
	if httpx.IsRedirect(resp.StatusCode) {
		// The Location is not repeated: it may carry anything.
		return nil, fmt.Errorf("%s: %s: %w: redirect (HTTP %d) refused", c.Provider, op, idconnect.ErrProviderUnavailable, resp.StatusCode)
	}
	body, err := httpx.ReadAll(resp.Body, c.maxBytes())
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %s: %w: answer larger than %d bytes", c.Provider, op, idconnect.ErrMalformed, c.maxBytes())
	}
	if err != nil {
		return nil, c.transportError(op, err)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// GetJSON fetches rawURL and decodes a 200 answer into v.
func (c *Caller) GetJSON(ctx context.Context, rawURL, op string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("%s: %s: cannot build the request", c.Provider, op) // err quotes the URL
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req, op)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return c.OAuthError(op, resp)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("%s: %s: %w: not the expected JSON", c.Provider, op, idconnect.ErrMalformed)
	}
	return nil
}

// transportError classifies a failed call. Its message is built from
// fixed words only: err's text quotes the URL.
func (c *Caller) transportError(op string, err error) error {
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout() {
		return fmt.Errorf("%s: %s: %w", c.Provider, op, idconnect.ErrProviderTimeout)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %s: %w", c.Provider, op, context.Canceled)
	}
	var oerr *net.OpError
	if errors.As(err, &oerr) {
		return fmt.Errorf("%s: %s: %w: %s failed", c.Provider, op, idconnect.ErrProviderUnavailable, oerr.Op)
	}
	return fmt.Errorf("%s: %s: %w", c.Provider, op, idconnect.ErrProviderUnavailable)
}

// OAuthError turns an error answer into a *idconnect.ProviderError whose
// Code is the OAuth "error" (from the JSON body or, failing that, a
// WWW-Authenticate challenge), reduced to a safe token, and whose
// Description is the "error_description" reduced to printable ASCII.
func (c *Caller) OAuthError(op string, r *Response) *idconnect.ProviderError {
	code, desc := OAuthErrorCode(r)
	return &idconnect.ProviderError{Provider: c.Provider, Op: op, StatusCode: r.StatusCode, Code: idconnect.SafeCode(code), Description: safeText(desc)}
}

// OAuthErrorCode reads the OAuth error code and description of an answer:
// from a JSON body {"error","error_description"}, else from a
// WWW-Authenticate challenge's error parameter. Both are untrusted text.
func OAuthErrorCode(r *Response) (code, description string) {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(r.Body, &e) == nil && e.Error != "" {
		return e.Error, e.Description
	}
	for _, h := range r.Header.Values("WWW-Authenticate") {
		if v, ok := authParam(h, "error"); ok {
			d, _ := authParam(h, "error_description")
			return v, d
		}
	}
	return "", ""
}

// authParam finds name="value" (or name=token) in a challenge. It is a
// lenient reader: challenges are only read for an error code.
func authParam(h, name string) (string, bool) {
	for rest := h; rest != ""; {
		i := strings.Index(rest, name+"=")
		if i < 0 {
			return "", false
		}
		if i > 0 && rest[i-1] != ' ' && rest[i-1] != ',' {
			rest = rest[i+len(name)+1:]
			continue
		}
		v := rest[i+len(name)+1:]
		if strings.HasPrefix(v, `"`) {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return "", false
			}
			return v[1 : 1+end], true
		}
		if end := strings.IndexAny(v, ", "); end >= 0 {
			v = v[:end]
		}
		return v, true
	}
	return "", false
}

// safeText keeps at most 200 printable ASCII characters of s.
func safeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 200; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
