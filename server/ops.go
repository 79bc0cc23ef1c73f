package server

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/idconnect/idconnect/store"
)

// Readier is a store that can tell whether it is usable. /readyz asks
// every store that implements it, or Pinger; a store with neither, such as
// store.Memory, is always ready.
type Readier interface {
	Ready(ctx context.Context) error
}

// Pinger is a store that checks its server, such as store/redis.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ReadyTimeout bounds one /readyz check.
const ReadyTimeout = 2 * time.Second

var errNotReady = errors.New("server: not ready")

func storeReady(ctx context.Context, s store.Store) error {
	if r, ok := s.(Readier); ok {
		return r.Ready(ctx)
	}
	if p, ok := s.(Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Drain makes /readyz answer 503 from now on, so that a load balancer
// stops sending new logins while in-flight ones finish. Call it when
// shutdown begins.
func (s *Server) Drain() { s.draining.Store(true) }

// readyz answers 200 when the service can take logins: not draining, and
// every store it uses ready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		s.writeError(w, r, errors.Join(errNotReady, errors.New("server: draining")))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
	defer cancel()
	for _, st := range []struct {
		name string
		s    store.Store
	}{{"logins", s.flow.Store}, {"documents", s.documents}, {"results", s.resultsInner}} {
		if st.s == nil {
			continue
		}
		if err := storeReady(ctx, st.s); err != nil {
			// The store's error may name its address; the answer does not.
			s.writeError(w, r, errors.Join(errNotReady, errors.New("server: store "+st.name+" not ready")))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

// route registers an API route and remembers its pattern.
func (s *Server) route(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// requestIDHeader carries a request's id in and out.
const requestIDHeader = "X-Request-Id"

// saneRequestID reports whether a client's request id may be kept: 1 to
// 128 characters of letters, digits and ._:- (a UUID, a trace id).
// Anything else is replaced, so a log line never carries a client's free
// text in this field.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDHandler adds the request id of a record's context to the
// record, so every line logged for a request carries it.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// statusWriter remembers the status of an answer, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest writes the one line every request gets: method, route
// pattern (never the path, which may hold a handle or an NRIC), status and
// duration.
func (s *Server) logRequest(r *http.Request, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	method := r.Method
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
	default:
		method = "other" // a client's free text
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", method), slog.String("route", r.Pattern),
		slog.Int("status", status), slog.Int64("duration_ms", d.Milliseconds()))
}
