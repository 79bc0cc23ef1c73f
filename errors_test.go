package idconnect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
)

// A provider's free text never reaches an error string (and so a log line):
// only provider, operation, status and a code that looks like a code.
func TestProviderErrorText(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  idconnect.ProviderError
		want string
	}{
		{"code", idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 400, Code: "invalid_grant"}, "myinfo: token: HTTP 400 invalid_grant"},
		{"code equal to status", idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 401, Code: "401"}, "myinfo: token: HTTP 401"},
		{"description left out", idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 401, Code: "401",
			Description: "Signature failed GET&https://x/person/S1111111D/&client_secret=hunter2 TAN XIAO HUI"}, "myinfo: person: HTTP 401"},
		{"free text as code", idconnect.ProviderError{Provider: "myinfo", Op: "person", StatusCode: 403, Code: "S1111111D TAN XIAO HUI"}, "myinfo: person: HTTP 403 ?"},
		{"overlong code", idconnect.ProviderError{Provider: "myinfo", Op: "token", StatusCode: 400, Code: strings.Repeat("a", 65)}, "myinfo: token: HTTP 400 ?"},
		{"request id", idconnect.ProviderError{Provider: "oneid", Op: "userinfo", StatusCode: 502, RequestID: "4f1c-9a"}, "oneid: userinfo: HTTP 502 (request id 4f1c-9a)"},
		{"request id not a token", idconnect.ProviderError{Provider: "oneid", Op: "userinfo", StatusCode: 502, RequestID: "a b"}, "oneid: userinfo: HTTP 502 (request id ?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProviderErrorClass(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   error
	}{
		{400, idconnect.ErrProviderRefused},
		{401, idconnect.ErrProviderRefused},
		{429, idconnect.ErrProviderUnavailable}, // overloaded: not the person's fault
		{500, idconnect.ErrProviderUnavailable},
		{503, idconnect.ErrProviderUnavailable},
	} {
		err := &idconnect.ProviderError{Provider: "p", Op: "token", StatusCode: tc.status}
		if !errors.Is(err, tc.want) {
			t.Errorf("HTTP %d: errors.Is(err, %v) = false", tc.status, tc.want)
		}
	}
}
