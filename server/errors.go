package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/store"
)

// envelope is the seed service's error body:
// {"message","code","error":{"title","description","code","data"}}.
type envelope struct {
	Message string      `json:"message"`
	Code    string      `json:"code"`
	Error   errorDetail `json:"error"`
}

type errorDetail struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Code        string `json:"code"`
	Data        any    `json:"data"`
}

// apiError is what an error becomes at the edge: a status, a stable code and
// fixed texts. Texts never come from the error itself, which may hold a
// provider's words.
type apiError struct {
	status      int
	code        string
	message     string
	description string
}

// classify maps an error to its HTTP answer. It is the only place where
// errors become statuses.
func classify(err error) apiError {
	var perr *idconnect.ProviderError
	switch {
	case errors.Is(err, errResultUnauthorized):
		return apiError{http.StatusUnauthorized, "RESULT_UNAUTHORIZED", "API key required.", "Fetching a result needs the service's API key as a Bearer token."}
	case errors.Is(err, errResultUnknown):
		return apiError{http.StatusNotFound, "RESULT_UNKNOWN", "Unknown result.", "This result handle is unknown or too old to remember."}
	case errors.Is(err, errResultUsed):
		return apiError{http.StatusGone, "RESULT_USED", "Result already fetched.", "This result was already fetched; a result can be fetched once."}
	case errors.Is(err, errResultExpired):
		return apiError{http.StatusGone, "RESULT_EXPIRED", "Result expired.", "This result was not fetched in time and is gone. The person must log in again."}
	case errors.Is(err, errNotReady):
		return apiError{http.StatusServiceUnavailable, "NOT_READY", "Not ready.", "The service cannot take logins now (its store is unreachable, or it is shutting down)."}
	case errors.Is(err, errDocumentUnknown):
		return apiError{http.StatusNotFound, "DOCUMENT_UNKNOWN", "Unknown document.", "This document link is unknown, was already used, expired, or belongs to another browser."}
	case errors.Is(err, errQueryTooLong):
		return apiError{http.StatusRequestURITooLong, "QUERY_TOO_LONG", "Query too long.", "The request's query string is longer than this service accepts."}
	case errors.Is(err, errMethod):
		return apiError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed.", "This route answers GET only."}
	case errors.Is(err, ratelimit.ErrLimited):
		return apiError{http.StatusTooManyRequests, "TOO_MANY_LOGINS", "Too many logins.", "Too many logins were started from this address. Wait a moment and try again."}
	case errors.Is(err, idconnect.ErrInvalidRequest):
		return apiError{http.StatusBadRequest, "INVALID_PARAM", "Invalid request.", "The request's parameters are missing, repeated or too long."}
	case errors.Is(err, idconnect.ErrStateUnknown):
		return apiError{http.StatusBadRequest, "LOGIN_UNKNOWN", "Unknown or used login.", "This login is unknown, was already completed, or was started in another browser. Start the login again."}
	case errors.Is(err, idconnect.ErrStateExpired):
		return apiError{http.StatusBadRequest, "LOGIN_EXPIRED", "Login expired.", "The login took too long. Start the login again."}
	case errors.Is(err, idconnect.ErrBrowserMismatch):
		return apiError{http.StatusBadRequest, "BROWSER_MISMATCH", "Login started elsewhere.", "This login was started in another browser (or cookies are blocked). Start the login again in this browser."}
	case errors.Is(err, idconnect.ErrConsentDenied):
		return apiError{http.StatusForbidden, "CONSENT_DENIED", "Consent not given.", "The person did not consent to share their data."}
	case errors.Is(err, idconnect.ErrUnknownProvider):
		return apiError{http.StatusNotFound, "UNKNOWN_PROVIDER", "Unknown provider.", "No provider of that name is configured."}
	case errors.Is(err, idconnect.ErrProviderTimeout):
		return apiError{http.StatusGatewayTimeout, "PROVIDER_TIMEOUT", "Provider timeout.", "The identity provider did not answer in time. Try again."}
	case errors.As(err, &perr) && perr.StatusCode < 500 && !errors.Is(err, idconnect.ErrProviderUnavailable):
		status := http.StatusBadRequest
		switch perr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			status = perr.StatusCode
		}
		desc := "The identity provider refused the " + perr.Op + " request"
		if perr.Op == "token" && perr.StatusCode == http.StatusBadRequest {
			desc += ": the authorisation code may be reused or expired"
		}
		return apiError{status, "PROVIDER_REFUSED", "Provider refused the request.", desc + "."}
	case errors.Is(err, idconnect.ErrProviderThrottled):
		return apiError{http.StatusTooManyRequests, "PROVIDER_THROTTLED", "Too many attempts at the provider.", "The identity provider is refusing further attempts for now. Wait a while, then try again."}
	case errors.Is(err, idconnect.ErrProviderRefused):
		return apiError{http.StatusBadRequest, "PROVIDER_REFUSED", "Provider refused the request.", "The identity provider refused the request."}
	case errors.Is(err, idconnect.ErrProviderUnavailable):
		return apiError{http.StatusBadGateway, "PROVIDER_UNAVAILABLE", "Provider unavailable.", "The identity provider could not be reached or failed. Try again later."}
	case errors.Is(err, idconnect.ErrSubjectMismatch):
		return apiError{http.StatusBadGateway, "PROVIDER_SUBJECT_MISMATCH", "Provider answer not for this login.", "The identity provider returned data for a person other than the one who logged in."}
	case errors.Is(err, idconnect.ErrSignature):
		return apiError{http.StatusBadGateway, "PROVIDER_SIGNATURE_INVALID", "Provider answer not trusted.", "The identity provider's answer failed signature verification."}
	case errors.Is(err, idconnect.ErrDecrypt):
		return apiError{http.StatusBadGateway, "PROVIDER_DECRYPT_FAILED", "Provider answer unreadable.", "The identity provider's answer could not be decrypted with our key."}
	case errors.Is(err, idconnect.ErrTokenInvalid):
		return apiError{http.StatusBadGateway, "PROVIDER_TOKEN_INVALID", "Provider token invalid.", "The identity provider's access token failed its checks."}
	case errors.Is(err, idconnect.ErrMalformed):
		return apiError{http.StatusBadGateway, "PROVIDER_ANSWER_MALFORMED", "Provider answer malformed.", "The identity provider's answer was not in the expected format."}
	case errors.Is(err, store.ErrUnavailable):
		return apiError{http.StatusServiceUnavailable, "STORE_UNAVAILABLE", "Service unavailable.", "The service cannot reach its login store right now. Try again shortly."}
	case errors.Is(err, store.ErrFull):
		return apiError{http.StatusServiceUnavailable, "BUSY", "Service busy.", "Too many logins are in progress. Try again shortly."}
	}
	return apiError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal server error.", "An unexpected error occurred."}
}

// statusClientClosed is logged for a request whose client went away before
// the answer (nginx's 499): nobody receives it, and it is not our failure.
const statusClientClosed = 499

// writeError logs err and answers with the seed's envelope. Error strings
// of this module carry no personal data, secrets or provider free text
// (ProviderError leaves its description out), so logging them is safe.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a, ok := s.logError(r, err)
	if !ok {
		return
	}
	var limited *ratelimit.LimitError
	if errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(limited.RetryAfter.Seconds()))))
	}
	writeJSON(w, a.status, envelope{
		Message: a.message,
		Code:    a.code,
		Error:   errorDetail{Title: a.message, Description: a.description, Code: a.code, Data: nil},
	})
}

// logError classifies err and logs it; false means the client went away
// and wants no answer.
func (s *Server) logError(r *http.Request, err error) (apiError, bool) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "client closed",
			slog.String("route", r.Pattern), slog.Int("status", statusClientClosed))
		return apiError{}, false
	}
	a := classify(err)
	level := slog.LevelWarn
	if a.status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("route", r.Pattern), slog.Int("status", a.status), slog.String("code", a.code), slog.String("err", err.Error())}
	var perr *idconnect.ProviderError
	if errors.As(err, &perr) {
		attrs = append(attrs, slog.Group("provider", slog.String("name", perr.Provider), slog.String("op", perr.Op),
			slog.Int("status", perr.StatusCode), slog.String("code", idconnect.SafeCode(perr.Code)), slog.String("request_id", idconnect.SafeCode(perr.RequestID))))
	}
	s.log.LogAttrs(r.Context(), level, "request failed", attrs...)
	return a, true
}

// loginError counts a failed login request under its provider and the
// answer's code, and answers it.
func (s *Server) loginError(w http.ResponseWriter, r *http.Request, provider string, err error) {
	if r.Context().Err() == nil || !errors.Is(err, context.Canceled) {
		s.countFailed(provider, err)
	}
	s.writeError(w, r, err)
}

// callbackError is loginError for a provider's redirect: with a return URL
// (to) the browser goes back to the application with the error's code (a
// fixed word, nothing personal), since the application, not this service,
// talks to the person.
func (s *Server) callbackError(w http.ResponseWriter, r *http.Request, provider string, err error, to *url.URL) {
	if to == nil {
		s.loginError(w, r, provider, err)
		return
	}
	a, ok := s.logError(r, err)
	if !ok {
		return
	}
	s.countFailed(provider, err)
	redirectToApp(w, to, "error", a.code)
}

// writeJSON answers v as JSON. URLs keep their "&" literally, as the seed
// service's answers do (encoding/json would write \u0026).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"message":"Internal server error.","code":"INTERNAL_SERVER_ERROR"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
