package server

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/store"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("x: %w", idconnect.ErrInvalidRequest), 400, "INVALID_PARAM"},
		{idconnect.ErrStateUnknown, 400, "LOGIN_UNKNOWN"},
		{idconnect.ErrStateExpired, 400, "LOGIN_EXPIRED"},
		{idconnect.ErrBrowserMismatch, 400, "BROWSER_MISMATCH"},
		{idconnect.ErrConsentDenied, 403, "CONSENT_DENIED"},
		{&idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 400}, 400, "PROVIDER_REFUSED"},
		{&idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 401}, 401, "PROVIDER_REFUSED"},
		{fmt.Errorf("myinfo: person: %w", &idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 403}), 403, "PROVIDER_REFUSED"},
		{&idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 404}, 404, "PROVIDER_REFUSED"},
		{&idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 429}, 502, "PROVIDER_UNAVAILABLE"},
		{fmt.Errorf("myinfo: person: %w", idconnect.ErrSubjectMismatch), 502, "PROVIDER_SUBJECT_MISMATCH"},
		{&ratelimit.LimitError{RetryAfter: time.Second}, 429, "TOO_MANY_LOGINS"},
		{errMethod, 405, "METHOD_NOT_ALLOWED"},
		{fmt.Errorf("oneid: %w", idconnect.ErrProviderThrottled), 429, "PROVIDER_THROTTLED"},
		{fmt.Errorf("x: %w", idconnect.ErrProviderRefused), 400, "PROVIDER_REFUSED"},
		{errQueryTooLong, 414, "QUERY_TOO_LONG"},
		{&idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 503}, 502, "PROVIDER_UNAVAILABLE"},
		{fmt.Errorf("myinfo: token: %w", idconnect.ErrProviderTimeout), 504, "PROVIDER_TIMEOUT"},
		{idconnect.ErrProviderUnavailable, 502, "PROVIDER_UNAVAILABLE"},
		{idconnect.ErrSignature, 502, "PROVIDER_SIGNATURE_INVALID"},
		{idconnect.ErrDecrypt, 502, "PROVIDER_DECRYPT_FAILED"},
		{idconnect.ErrTokenInvalid, 502, "PROVIDER_TOKEN_INVALID"},
		{idconnect.ErrMalformed, 502, "PROVIDER_ANSWER_MALFORMED"},
		{idconnect.ErrUnknownProvider, 404, "UNKNOWN_PROVIDER"},
		{store.ErrFull, 503, "BUSY"},
		{fmt.Errorf("store/redis: put: %w: dial tcp: refused", store.ErrUnavailable), 503, "STORE_UNAVAILABLE"},
		{errors.New("something else"), 500, "INTERNAL_SERVER_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+http.StatusText(tt.status), func(t *testing.T) {
			got := classify(tt.err)
			if got.status != tt.status || got.code != tt.code {
				t.Errorf("classify(%v) = %d %s, want %d %s", tt.err, got.status, got.code, tt.status, tt.code)
			}
			if got.description == "" || got.message == "" {
				t.Error("missing texts")
			}
		})
	}
}
