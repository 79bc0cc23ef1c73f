package idconnect

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Sentinel errors for every decision a caller makes. Providers and the Flow
// wrap them with %w; test with errors.Is. None of their messages carries
// personal data or secrets.
var (
	// ErrStateUnknown: the state (or code) is not one this service issued, or
	// it was already used. Replays look exactly like unknown values on
	// purpose: the store keeps nothing once a login is taken.
	ErrStateUnknown = errors.New("idconnect: unknown or already used login state")
	// ErrStateExpired: the login was started too long ago.
	ErrStateExpired = errors.New("idconnect: login expired")
	// ErrBrowserMismatch: the callback arrived from a browser other than the
	// one that started the login (missing or wrong binding cookie).
	ErrBrowserMismatch = errors.New("idconnect: login was started in another browser")
	// ErrConsentDenied: the person declined, or the provider reported
	// access_denied.
	ErrConsentDenied = errors.New("idconnect: the person did not give consent")
	// ErrInvalidRequest: the inbound request is malformed (missing or
	// oversized parameters).
	ErrInvalidRequest = errors.New("idconnect: invalid request")
	// ErrUnknownProvider: no provider of that name is configured.
	ErrUnknownProvider = errors.New("idconnect: unknown provider")

	// ErrSignature: a provider payload's signature did not verify with the
	// provider's key, or used an algorithm outside the allowlist.
	ErrSignature = errors.New("idconnect: provider signature invalid")
	// ErrDecrypt: a provider payload could not be decrypted with our key.
	ErrDecrypt = errors.New("idconnect: provider payload could not be decrypted")
	// ErrMalformed: a provider answer is not in the expected format.
	ErrMalformed = errors.New("idconnect: provider answer malformed")
	// ErrTokenInvalid: the provider's access token failed its claim checks
	// (expired, not yet valid, missing subject).
	ErrTokenInvalid = errors.New("idconnect: provider access token invalid")
	// ErrSubjectMismatch: the person data names someone other than the
	// subject the provider's token was issued for. The data belongs to the
	// login only when the two agree.
	ErrSubjectMismatch = errors.New("idconnect: provider data is for another subject")
	// ErrProviderThrottled: the provider stopped further attempts for a
	// while (OneID's SpamGuardBlocked): the person waits, then tries again.
	ErrProviderThrottled = errors.New("idconnect: the provider is refusing further attempts for now")
	// ErrProviderRefused: the provider answered with an error status
	// (see the wrapped *ProviderError for details).
	ErrProviderRefused = errors.New("idconnect: provider refused the request")
	// ErrProviderUnavailable: the provider could not be reached, timed out
	// or answered with a 5xx status.
	ErrProviderUnavailable = errors.New("idconnect: provider unavailable")
	// ErrProviderTimeout: the provider did not answer in time. It also
	// matches ErrProviderUnavailable.
	ErrProviderTimeout = fmt.Errorf("%w: timeout", ErrProviderUnavailable)
)

// ProviderError describes an error status from a provider endpoint. It
// unwraps to [ErrProviderUnavailable] for 5xx statuses and 429 (the
// provider is overloaded: not the person's fault), and to
// [ErrProviderRefused] otherwise. Code and Description are the provider's own
// (for Myinfo, its "code" and "message"); they never contain request data of
// ours, but a caller should still treat them as untrusted text.
type ProviderError struct {
	Provider    string // "myinfo", …
	Op          string // "token", "person", …
	StatusCode  int    // HTTP status from the provider
	Code        string // provider error code, if any
	Description string // provider error message, if any
	// RequestID is the provider's identifier of the failed call (OneID's
	// x-request-id), which its support asks for. It is logged.
	RequestID string
}

// Error reports the provider, operation, status and code. It leaves out
// Description: a provider's free text may echo request data (Myinfo's
// messages have carried an NRIC, a name and the client secret), and error
// strings end up in logs. Read Description explicitly where it is wanted.
func (e *ProviderError) Error() string {
	msg := fmt.Sprintf("%s: %s: HTTP %d", e.Provider, e.Op, e.StatusCode)
	if code := SafeCode(e.Code); code != "" && code != strconv.Itoa(e.StatusCode) {
		msg += " " + code
	}
	if e.RequestID != "" {
		msg += " (request id " + SafeCode(e.RequestID) + ")"
	}
	return msg
}

// SafeCode returns a provider's error code fit for a log line: at most 64
// characters of letters, digits and "._-"; anything else makes it "?".
// Codes are short tokens ("401", "invalid_grant"); free text is not one.
func SafeCode(code string) string {
	if len(code) > 64 {
		return "?"
	}
	for i := 0; i < len(code); i++ {
		ch := code[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			return "?"
		}
	}
	return code
}

// Unwrap lets errors.Is classify the error as refused or unavailable.
func (e *ProviderError) Unwrap() error {
	if e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests {
		return ErrProviderUnavailable
	}
	return ErrProviderRefused
}
