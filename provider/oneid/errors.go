package oneid

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/idconnect/idconnect"
)

// Sentinels for OneID's redirect sub-codes that a caller acts on. Test with
// errors.Is; the *Error returned by [ParseError] wraps them.
var (
	// ErrSessionExpired: the OneID journey expired (sessions last 30
	// minutes) or OneID no longer knows it. The person starts again. It
	// also matches idconnect.ErrStateExpired.
	ErrSessionExpired = fmt.Errorf("%w: the OneID session expired", idconnect.ErrStateExpired)
	// ErrSpamGuardBlocked: OneID temporarily blocked the person because
	// too many requests were made. Retrying at once will not help. It
	// also matches idconnect.ErrProviderRefused.
	ErrSpamGuardBlocked = fmt.Errorf("%w: OneID's spam guard blocked the person for now", idconnect.ErrProviderThrottled)
)

// Sub-codes OneID documents (the part after SubCodePrefix). OneID warns
// that new ones may be added at any time: an unknown one is kept in
// Error.SubCode and classified by its OAuth error.
const (
	SubCodePrefix                 = "OneID.OIDC.Redirect."
	SubCodeUserCancelled          = "UserCancelled"
	SubCodeRequestDenied          = "RequestDenied"
	SubCodeSessionExpired         = "SessionExpired"
	SubCodeSessionNotFound        = "SessionNotFound"
	SubCodeSpamGuardBlocked       = "SpamGuardBlocked"
	SubCodeIDScanDocumentNotFound = "IDScanDocumentNotFound"
	SubCodeIDScanFlagged          = "IDScanFlagged"
)

// Error is an error redirect from OneID: the OAuth error and OneID's
// sub-code (from error_oneid or oneid_error). Its message carries both
// codes (reduced to safe tokens), never the description.
type Error struct {
	// Provider is the provider's name ("" means "oneid").
	Provider string
	// Code is the OAuth error, such as "access_denied".
	Code string
	// SubCode is OneID's code without SubCodePrefix, such as
	// "UserCancelled" ("" when OneID sent none). Unknown codes are kept.
	SubCode string
	// Description is the error_description: untrusted free text, never in
	// Error().
	Description string
}

func (e *Error) Error() string {
	msg := e.provider() + ": authorise: " + orQ(idconnect.SafeCode(e.Code))
	if e.SubCode != "" {
		msg += " (" + orQ(idconnect.SafeCode(e.SubCode)) + ")"
	}
	return msg
}

func (e *Error) provider() string {
	if e.Provider == "" {
		return DefaultName
	}
	return e.Provider
}

func orQ(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// Unwrap classifies the error: UserCancelled and RequestDenied (and any
// other access_denied) are idconnect.ErrConsentDenied; SessionExpired and
// SessionNotFound are ErrSessionExpired; SpamGuardBlocked is
// ErrSpamGuardBlocked; everything else is an *idconnect.ProviderError
// (Op "authorise") whose status follows the OAuth error, so that
// server_error and temporarily_unavailable count as the provider being
// unavailable.
func (e *Error) Unwrap() []error {
	switch e.SubCode {
	case SubCodeUserCancelled, SubCodeRequestDenied:
		return []error{idconnect.ErrConsentDenied}
	case SubCodeSessionExpired, SubCodeSessionNotFound:
		return []error{ErrSessionExpired}
	case SubCodeSpamGuardBlocked:
		return []error{ErrSpamGuardBlocked}
	}
	if e.Code == "access_denied" && !strings.HasPrefix(e.SubCode, "IDScan") {
		return []error{idconnect.ErrConsentDenied}
	}
	return []error{&idconnect.ProviderError{
		Provider: e.provider(), Op: "authorise", StatusCode: redirectStatus(e.Code),
		Code: idconnect.SafeCode(e.Code), Description: e.Description,
	}}
}

func redirectStatus(code string) int {
	switch code {
	case "server_error":
		return http.StatusInternalServerError
	case "temporarily_unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// ParseError reads OneID's error redirect from the callback query: error,
// error_description and the sub-code, which OneID's pages name
// error_oneid or oneid_error (both are read). It returns nil when q
// carries neither an error nor a sub-code, an *Error otherwise, and an
// idconnect.ErrInvalidRequest for repeated or oversized parameters.
//
// The sub-code may come with or without the "OneID.OIDC.Redirect." prefix;
// Error.SubCode never has it.
func ParseError(q url.Values) error { return parseError(DefaultName, q) }

func parseError(provider string, q url.Values) error {
	get := func(name string) (string, error) {
		vs := q[name]
		switch {
		case len(vs) == 0:
			return "", nil
		case len(vs) > 1:
			return "", fmt.Errorf("%s: callback: %w: parameter %q repeated", provider, idconnect.ErrInvalidRequest, name)
		case len(vs[0]) > idconnect.MaxCallbackValue:
			return "", fmt.Errorf("%s: callback: %w: parameter %q too long", provider, idconnect.ErrInvalidRequest, name)
		}
		return vs[0], nil
	}
	e := Error{Provider: provider}
	var sub1, sub2 string
	for _, p := range []struct {
		name string
		dst  *string
	}{{"error", &e.Code}, {"error_description", &e.Description}, {"error_oneid", &sub1}, {"oneid_error", &sub2}} {
		v, err := get(p.name)
		if err != nil {
			return err
		}
		*p.dst = v
	}
	if sub1 != "" && sub2 != "" && sub1 != sub2 {
		return fmt.Errorf("%s: callback: %w: error_oneid and oneid_error differ", provider, idconnect.ErrInvalidRequest)
	}
	if sub1 == "" {
		sub1 = sub2
	}
	e.SubCode = strings.TrimPrefix(sub1, SubCodePrefix)
	if e.Code == "" && e.SubCode == "" {
		return nil
	}
	return &e
}

// CallbackError implements idconnect.CallbackErrorer: the Flow asks it
// what an error redirect means. It reads error, error_description and the
// sub-code (error_oneid or oneid_error, from cb.Extra) as [ParseError]
// does, and always returns an error.
func (c *Client) CallbackError(login *idconnect.Login, cb idconnect.Callback) error {
	q := url.Values{}
	for k, v := range cb.Extra {
		q[k] = v
	}
	q.Set("error", cb.Error)
	q.Set("error_description", cb.ErrorDescription)
	if err := parseError(c.cfg.Name, q); err != nil {
		return err
	}
	return &Error{Provider: c.cfg.Name}
}

// CallError is a failed call to OneID that got an answer which is not an
// error status (a malformed answer, a redirect, a report that is not a
// PDF): it carries the answer's x-request-id, which OneID support asks
// for, and wraps the cause. An error status is an *idconnect.ProviderError
// whose RequestID is set instead. [RequestID] reads either.
type CallError struct {
	Op        string // "token", "userinfo", "accounts", "ageverification", "report"
	RequestID string // a safe token: at most 64 of letters, digits and "._-"
	Err       error
}

func (e *CallError) Error() string {
	return e.Err.Error() + " (x-request-id " + e.RequestID + ")"
}

func (e *CallError) Unwrap() error { return e.Err }

// RequestID returns the x-request-id of the failed OneID call that err
// reports, or "" when there is none (no answer, or none sent).
func RequestID(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.RequestID
	}
	var pe *idconnect.ProviderError
	if errors.As(err, &pe) {
		return pe.RequestID
	}
	return ""
}

// withRequestID attaches the answer's request ID, if it has a safe one,
// to err: into its *idconnect.ProviderError, or else in a *CallError.
func withRequestID(op string, h http.Header, err error) error {
	if err == nil {
		return nil
	}
	id := requestID(h)
	if id == "" {
		return err
	}
	var pe *idconnect.ProviderError
	if errors.As(err, &pe) {
		pe.RequestID = id
		return err
	}
	return &CallError{Op: op, RequestID: id, Err: err}
}

func requestID(h http.Header) string {
	if h == nil {
		return ""
	}
	id := idconnect.SafeCode(strings.TrimSpace(h.Get("X-Request-Id")))
	if id == "?" {
		return ""
	}
	return id
}
