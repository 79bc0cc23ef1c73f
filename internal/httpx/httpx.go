// Package httpx builds the HTTP clients the providers use to call identity
// providers. Every outbound call goes through [Outbound], which enforces the
// design's outbound rules in one place: a timeout, a cap on response header
// size, and no redirect ever followed. A redirect would re-send what the
// request carries (a client secret and code re-posted by a 307, a bearer
// token forwarded by a 302) to wherever the Location points, so the caller
// gets the 3xx answer itself and treats it as a provider error.
//
// Response bodies are capped by the caller with [ReadAll], since the right
// limit depends on the endpoint.
package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Defaults used by Outbound when Options leaves a field zero.
const (
	DefaultTimeout                = 15 * time.Second
	DefaultMaxResponseHeaderBytes = 64 << 10
)

// MaxIdleConnsPerHost is the pool of kept-alive connections Outbound gives
// a transport that leaves MaxIdleConnsPerHost zero. net/http's zero means
// two: under a few dozen concurrent logins every provider call beyond the
// second would dial (and, over TLS, handshake) again.
const MaxIdleConnsPerHost = 64

// ErrTooLarge is returned by ReadAll when a body exceeds its limit.
var ErrTooLarge = errors.New("httpx: response body too large")

// Options tunes Outbound. The zero value means the defaults.
type Options struct {
	// Timeout is the whole-call timeout of the client made when the caller
	// passes none (0 means DefaultTimeout). A caller's own client keeps its
	// Timeout, even 0: it may rely on context deadlines instead.
	Timeout time.Duration
	// MaxResponseHeaderBytes caps the response header size (0 means
	// DefaultMaxResponseHeaderBytes). A transport that already has a
	// smaller cap keeps it.
	MaxResponseHeaderBytes int64
}

// Outbound returns a client for calls to an identity provider, based on c
// (nil means a new client with Options.Timeout). c itself is never
// modified: the result is a copy whose CheckRedirect returns
// http.ErrUseLastResponse, so a 3xx answer comes back to the caller as is
// and nothing is re-sent to its Location.
//
// The header cap, and a pool of MaxIdleConnsPerHost kept-alive connections
// where none is set, are set on a clone of c's transport when that
// transport is nil (http.DefaultTransport is cloned) or an *http.Transport.
// Any other
// RoundTripper (an instrumenting wrapper, say) is used unchanged and must
// cap header sizes itself; the redirect rule still holds, since it lives in
// the client, not the transport.
func Outbound(c *http.Client, o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseHeaderBytes <= 0 {
		o.MaxResponseHeaderBytes = DefaultMaxResponseHeaderBytes
	}
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Timeout = o.Timeout
	}
	out.CheckRedirect = refuseRedirect
	rt := out.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if t, ok := rt.(*http.Transport); ok {
		t = t.Clone()
		if t.MaxResponseHeaderBytes <= 0 || t.MaxResponseHeaderBytes > o.MaxResponseHeaderBytes {
			t.MaxResponseHeaderBytes = o.MaxResponseHeaderBytes
		}
		if t.MaxIdleConnsPerHost <= 0 {
			t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
		}
		out.Transport = t
	}
	return &out
}

// refuseRedirect hands the 3xx answer back instead of following it.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// IsRedirect reports whether status is a 3xx, which Outbound's clients
// return instead of following.
func IsRedirect(status int) bool { return status >= 300 && status < 400 }

// ReadAll reads r up to limit bytes. A longer body gives ErrTooLarge, after
// reading at most limit+1 bytes.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}
