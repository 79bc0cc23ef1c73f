package idconnect

import (
	"fmt"
	"net/url"
)

// MaxCallbackValue bounds each callback parameter. Real codes and states
// are well under 200 bytes.
const MaxCallbackValue = 1024

// ParseCallback reads a provider's redirect query. It accepts both
// "error_description" (OAuth 2.0) and "error-description" (Myinfo v3), reads
// "iss" (RFC 9207) for the provider to check, and keeps the parameters it
// does not know in Extra (providers add scope, client_id, error sub-codes,
// …). A repeated or oversized parameter of its own is an
// [ErrInvalidRequest].
func ParseCallback(q url.Values) (Callback, error) {
	var cb Callback
	fields := []struct {
		names []string
		dst   *string
	}{
		{[]string{"code"}, &cb.Code},
		{[]string{"state"}, &cb.State},
		{[]string{"error"}, &cb.Error},
		{[]string{"error_description", "error-description"}, &cb.ErrorDescription},
		{[]string{"iss"}, &cb.Issuer},
	}
	known := map[string]bool{}
	for _, f := range fields {
		for _, name := range f.names {
			known[name] = true
			vs, ok := q[name]
			if !ok {
				continue
			}
			if len(vs) != 1 {
				return Callback{}, fmt.Errorf("%w: parameter %q repeated", ErrInvalidRequest, name)
			}
			if len(vs[0]) > MaxCallbackValue {
				return Callback{}, fmt.Errorf("%w: parameter %q too long", ErrInvalidRequest, name)
			}
			*f.dst = vs[0]
		}
	}
	for name, vs := range q {
		if known[name] {
			continue
		}
		// Other parameters are kept for the provider, under the same caps;
		// a repeated one is kept as its first value.
		if len(name) > MaxCallbackValue || len(vs[0]) > MaxCallbackValue {
			return Callback{}, fmt.Errorf("%w: parameter too long", ErrInvalidRequest)
		}
		if cb.Extra == nil {
			cb.Extra = url.Values{}
		}
		cb.Extra.Set(name, vs[0])
	}
	if cb.State == "" {
		return Callback{}, fmt.Errorf("%w: missing state", ErrInvalidRequest)
	}
	if cb.Code == "" && cb.Error == "" {
		return Callback{}, fmt.Errorf("%w: missing code", ErrInvalidRequest)
	}
	return cb, nil
}
