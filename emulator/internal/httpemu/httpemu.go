// Package httpemu is the request wrapper the emulators share: an access
// log, the headers every answer carries, the Slow fault and the caps on
// query and body size, around the emulator's own routes.
package httpemu

import (
	"log/slog"
	"net/http"
	"time"
)

// Options describes one emulator's wrapper. Build it per request: Slow is
// the delay of the Slow fault at the time of the request.
type Options struct {
	// Logger, if not nil, gets one line per request with Message and the
	// method, route pattern, status and duration: never the path or query,
	// which may hold codes and personal data.
	Logger  *slog.Logger
	Message string
	// Now is the emulator's clock, for the duration (nil: time.Now).
	Now func() time.Time
	// Slow delays the request (0: none). If the client gives up before
	// it ends, Unavailable answers instead of the routes.
	Slow        time.Duration
	Unavailable func(http.ResponseWriter)
	// A raw query longer than MaxQueryBytes is answered by QueryTooLong.
	MaxQueryBytes int
	QueryTooLong  func(http.ResponseWriter)
	// MaxBodyBytes caps the request body (http.MaxBytesReader).
	MaxBodyBytes int64
}

// Serve handles r with next, wrapped as o says. Every answer carries
// Cache-Control: no-store and X-Content-Type-Options: nosniff; headers the
// caller set on w before calling Serve are kept.
func Serve(w http.ResponseWriter, r *http.Request, o Options, next http.Handler) {
	if o.Logger != nil {
		now := o.Now
		if now == nil {
			now = time.Now
		}
		start := now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		w = rec
		defer func() {
			// r.Pattern is set by the ServeMux that served r.
			o.Logger.LogAttrs(r.Context(), slog.LevelInfo, o.Message,
				slog.String("method", r.Method), slog.String("route", r.Pattern),
				slog.Int("status", rec.status), slog.Duration("duration", now().Sub(start)))
		}()
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if o.Slow > 0 {
		t := time.NewTimer(o.Slow)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			o.Unavailable(w)
			return
		}
	}
	if len(r.URL.RawQuery) > o.MaxQueryBytes {
		o.QueryTooLong(w)
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, o.MaxBodyBytes)
	}
	next.ServeHTTP(w, r)
}

// statusRecorder remembers the status code for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
