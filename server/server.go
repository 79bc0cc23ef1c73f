// Package server is idconnect's HTTP service: the seed-compatible Myinfo
// routes, health checks, a small demo page, and the mount point for the
// embedded provider emulators. Errors become HTTP answers in one place
// (classify), in the seed's error envelope.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Config configures a Server.
type Config struct {
	// Flow runs the logins. Required.
	Flow *idconnect.Flow
	// Myinfo is the name of the provider behind the seed routes
	// (/users/me/external/myinfo…); "" means "myinfo".
	Myinfo string
	// Emulators are mounted under /emulator/{name}/ with the prefix
	// stripped, for the no-configuration mode.
	Emulators map[string]http.Handler
	// Notice is shown on the demo page and the callback pages, e.g. that
	// the service is talking to emulators, not to Singpass.
	Notice string
	// Logger receives one line per failed request; nil discards.
	Logger *slog.Logger
}

// Server is the HTTP service. Create it with New.
type Server struct {
	flow   *idconnect.Flow
	myinfo string
	notice string
	log    *slog.Logger
	mux    *http.ServeMux
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Flow == nil {
		return nil, errors.New("server: Flow is required")
	}
	s := &Server{flow: cfg.Flow, myinfo: cfg.Myinfo, notice: cfg.Notice, log: cfg.Logger, mux: http.NewServeMux()}
	if s.myinfo == "" {
		s.myinfo = "myinfo"
	}
	if _, ok := cfg.Flow.Providers[s.myinfo]; !ok {
		return nil, fmt.Errorf("server: no provider %q in the Flow", s.myinfo)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.mux.HandleFunc("GET /users/me/external/myinfo-redirect-login", s.redirectLogin)
	s.mux.HandleFunc("GET /users/me/external/myinfo/redirect-login", s.redirectLogin)
	s.mux.HandleFunc("GET /callback", s.callback)
	s.mux.HandleFunc("GET /users/me/external/myinfo", s.person)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /{$}", s.home)
	for name, h := range cfg.Emulators {
		prefix := "/emulator/" + name
		s.mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, envelope{Message: "Not found.", Code: "NOT_FOUND",
			Error: errorDetail{Title: "Not found.", Description: "No such route.", Code: "NOT_FOUND"}})
	})
	return s, nil
}

// MaxQueryBytes bounds the query string of every request.
const MaxQueryBytes = 4096

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // codes and states must not leak via Referer
	h.Set("X-Content-Type-Options", "nosniff")
	if len(r.URL.RawQuery) > MaxQueryBytes {
		s.writeError(w, r, fmt.Errorf("%w: query too long", idconnect.ErrInvalidRequest))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// onlyParams rejects parameters other than allowed, as the seed's schemas
// (additionalProperties: false) do.
func onlyParams(q url.Values, allowed ...string) error {
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return fmt.Errorf("%w: unexpected parameter", idconnect.ErrInvalidRequest)
		}
	}
	return nil
}

type redirectLoginData struct {
	URL   string `json:"url"`
	State string `json:"state"`
}

// redirectLogin starts a Myinfo login: {"message":"OK","data":{"url","state"}}.
func (s *Server) redirectLogin(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	browser, err := s.flow.BindBrowser(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	login, authURL, err := s.flow.Start(r.Context(), s.myinfo, browser, idconnect.StartOptions{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Message string            `json:"message"`
		Data    redirectLoginData `json:"data"`
	}{"OK", redirectLoginData{URL: authURL, State: login.State}})
}

// callback checks the provider's redirect and serves the page that forwards
// the code to the person route.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	cb, err := idconnect.ParseCallback(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.flow.Callback(r.Context(), cb, s.flow.BrowserSecret(r))
	if errors.Is(err, idconnect.ErrConsentDenied) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "consent denied", slog.String("route", r.Pattern))
		s.page(w, http.StatusOK, deniedPage, nil)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.page(w, http.StatusOK, callbackPage, struct{ Code string }{cb.Code})
}

// person redeems the code: {"message":"OK","sodata":{…}}.
func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := onlyParams(q, "code"); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes := q["code"]
	if len(codes) != 1 || codes[0] == "" || len(codes[0]) > idconnect.MaxCallbackValue {
		s.writeError(w, r, fmt.Errorf("%w: one code is required", idconnect.ErrInvalidRequest))
		return
	}
	login, res, err := s.flow.Redeem(r.Context(), codes[0], s.flow.BrowserSecret(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sodata, err := myinfo.Flatten(login.Attributes, res.Raw)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("%w: %v", idconnect.ErrMalformed, err))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Message string          `json:"message"`
		Sodata  json.RawMessage `json:"sodata"`
	}{"OK", sodata})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.page(w, http.StatusOK, homePage, nil)
}

type pageData struct {
	Notice string
	Data   any
}

func (s *Server) page(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b strings.Builder
	if err := t.Execute(&b, pageData{Notice: s.notice, Data: data}); err != nil {
		http.Error(w, "page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}
