// Package server is idconnect's HTTP service: the seed-compatible Myinfo
// routes, the generic routes of every provider, the one-time result
// handoff to an application's backend, health and readiness checks,
// Prometheus metrics, the OpenAPI description of the API, and the mount
// points for the demo application (package server/demo, whose logins at
// /demo/login/{provider} are always handed off to it) and the embedded
// provider emulators. Errors become HTTP answers in one place (classify),
// in the seed's error envelope.
//
// Every request gets a request id (the client's X-Request-Id when it is a
// sane token, else a fresh one), echoed in the answer and carried on every
// log line of that request.
//
// Every answer carries security headers that forbid framing, sniffing,
// caching and Referer leaks; pages allow only the scripts and styles they
// carry, by a per-answer nonce. Routes with side effects (a login start
// stores a login, the callback and person routes spend a state or a code)
// answer only GET. Login starts are rate-limited per client, so a flood
// from one address leaves other people's logins working.
package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/ratelimit"
	"github.com/idconnect/idconnect/store"
)

// Config configures a Server.
type Config struct {
	// Flow runs the logins. Required.
	Flow *idconnect.Flow
	// SeedProvider is the name of the provider behind the seed routes
	// (/users/me/external/myinfo…, /callback); "" leaves those routes out.
	// It must implement idconnect.Flattener, since they answer with sodata.
	SeedProvider string
	// PublicURL is the service's base URL as browsers reach it, such as
	// "https://app.example". The generic routes register
	// PublicURL + "/callback/{provider}" as each login's redirect URI;
	// empty leaves the generic routes out.
	PublicURL string
	// Documents keeps documents (such as OneID's PDF report) between the
	// generic callback and their one download; nil means a store.Memory
	// of 64 MiB.
	Documents store.Store
	// JWKS is the public JWK set served at /.well-known/jwks.json (the
	// keys FAPI providers fetch to verify our assertions and encrypt to
	// us); nil serves none.
	JWKS json.RawMessage
	// JWKSAt, when set, makes the JWK set at each request from the clock
	// (Now) instead: a key set follows its rotation times (keyset.Set's
	// PublicJSONAt).
	JWKSAt func(now time.Time) ([]byte, error)
	// Emulators are mounted under /emulator/{name}/ with the prefix
	// stripped, for the no-configuration mode.
	Emulators map[string]http.Handler
	// Notice is shown on the demo page and the callback pages, e.g. that
	// the service is talking to emulators, not to Singpass.
	Notice string
	// Logger receives one line per failed request; nil discards. Lines
	// carry routes, statuses and error codes, never personal data, secrets
	// or a provider's own words.
	Logger *slog.Logger
	// StartLimiter bounds login starts per client; nil means a
	// ratelimit.TokenBucket with its defaults.
	StartLimiter ratelimit.Limiter
	// ClientIPHeader names a header that a trusted reverse proxy sets to
	// the client's address (X-Forwarded-For, whose last entry is taken, or
	// X-Real-IP). Empty means the connection's address. Set it only behind
	// a proxy that overwrites the header: a client can forge it otherwise.
	ClientIPHeader string

	// ReturnURL, when set, turns on the result handoff for applications
	// whose backend, not the browser, should receive the data: the generic
	// callback (and the seed's /callback) then redirect the browser to
	// ReturnURL with a one-time "result" handle (or an "error" code), and
	// the backend fetches GET /results/{handle} with APIKey, once, within
	// ResultTTL. It must be an absolute http(s) URL.
	ReturnURL string
	// APIKey authenticates the backend's result fetches (Authorization:
	// Bearer). Required with ReturnURL or Demo.
	APIKey idconnect.Secret
	// Results keeps handed-off results until their fetch; nil means a
	// store.Memory of 64 MiB. Values reach it sealed with ResultKey.
	Results store.Store
	// ResultKey is the AES-256-GCM key (ResultKeySize bytes) that seals
	// results at rest (store.Sealed around Results); nil means a random
	// key for this process, which does for one instance with a memory
	// store, not for a shared store.
	ResultKey []byte

	// Demo is an application served by this process at GET / and under
	// /demo/ (package server/demo), standing in for the application that a
	// real deployment puts in front of idconnect; nil serves a one-button
	// home page. Logins it starts at /demo/login/{provider} come back to
	// /demo/callback/{provider}, and their results reach it only through
	// the result handoff: a redirect to DemoReturnURL with a one-time
	// handle (or an error code), which its backend redeems at
	// /results/{handle} with APIKey. Demo needs PublicURL, APIKey and
	// DemoReturnURL; logins at /login/{provider} are unaffected.
	Demo http.Handler
	// DemoReturnURL is the demo application's return route, an absolute
	// http(s) URL.
	DemoReturnURL string
	// DemoLogins are the options of demo logins by provider: the data items
	// the demo's form asks for, and its purpose. A provider not listed
	// gets its configured defaults.
	DemoLogins map[string]idconnect.StartOptions

	// Metrics receive the service's metrics and are served at /metrics;
	// nil means a fresh set (see NewMetrics).
	Metrics *Metrics
	// Now is the clock of document and result expiry; it must be the
	// clock of the Documents and Results stores. Nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP service. Create it with New.
type Server struct {
	flow      *idconnect.Flow
	seed      string
	public    string
	jwks      json.RawMessage
	jwksAt    func(time.Time) ([]byte, error)
	documents store.Store
	notice    string
	log       *slog.Logger
	limiter   ratelimit.Limiter
	ipHeader  string
	mux       *http.ServeMux
	// patterns lists every API route registered on mux, for the OpenAPI
	// check; emulator mounts and the not-found fallback are not API.
	patterns []string

	returnURL *url.URL
	// demoReturn is where demo logins are handed off; nil without Demo.
	demoReturn *url.URL
	demoLogins map[string]idconnect.StartOptions
	apiKey     idconnect.Secret
	// results keeps handed-off results, sealed; resultsInner is the
	// store beneath the seal, whose readiness /readyz checks.
	results      store.Store
	resultsInner store.Store
	metrics      *Metrics
	now          func() time.Time
	draining     atomic.Bool
}

// New checks cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Flow == nil {
		return nil, errors.New("server: Flow is required")
	}
	s := &Server{flow: cfg.Flow, seed: cfg.SeedProvider, public: strings.TrimSuffix(cfg.PublicURL, "/"), jwks: cfg.JWKS, jwksAt: cfg.JWKSAt,
		notice: cfg.Notice, log: cfg.Logger,
		limiter: cfg.StartLimiter, ipHeader: http.CanonicalHeaderKey(cfg.ClientIPHeader), mux: http.NewServeMux()}
	if s.limiter == nil {
		s.limiter = &ratelimit.TokenBucket{}
	}
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.metrics = cfg.Metrics
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.documents = cfg.Documents
	if s.documents == nil {
		s.documents = &store.Memory{MaxBytes: 64 << 20, Now: cfg.Now}
	}
	s.documents = s.metrics.Store("documents", s.documents)
	if cfg.ReturnURL != "" {
		u, err := parseReturnURL(cfg.ReturnURL)
		if err != nil {
			return nil, fmt.Errorf("server: ReturnURL %w", err)
		}
		s.returnURL = u
	}
	if cfg.Demo != nil {
		if s.public == "" {
			return nil, errors.New("server: Demo needs PublicURL")
		}
		u, err := parseReturnURL(cfg.DemoReturnURL)
		if err != nil {
			return nil, fmt.Errorf("server: DemoReturnURL %w", err)
		}
		s.demoReturn, s.demoLogins = u, cfg.DemoLogins
	}
	if s.returnURL != nil || s.demoReturn != nil {
		if len(cfg.APIKey) == 0 {
			return nil, errors.New("server: APIKey is required with ReturnURL or Demo")
		}
		key := cfg.ResultKey
		if key == nil {
			key = make([]byte, ResultKeySize)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
		}
		s.apiKey = cfg.APIKey
		inner := cfg.Results
		if inner == nil {
			inner = &store.Memory{MaxBytes: 64 << 20, Now: cfg.Now}
		}
		s.resultsInner = s.metrics.Store("results", inner)
		var err error
		if s.results, err = store.NewSealed(s.resultsInner, key); err != nil {
			return nil, fmt.Errorf("server: ResultKey: %w", err)
		}
	}
	if s.seed != "" {
		p, ok := cfg.Flow.Provider(s.seed)
		if !ok {
			return nil, fmt.Errorf("server: no provider %q in the Flow", s.seed)
		}
		if _, ok := p.(idconnect.Flattener); !ok {
			return nil, fmt.Errorf("server: provider %q cannot serve the seed routes (it has no sodata)", s.seed)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = slog.New(requestIDHandler{s.log.Handler()})
	// Patterns without a method, so that getOnly answers every other
	// method (HEAD included: ServeMux lets HEAD into GET routes) with 405.
	if s.seed != "" {
		s.route("/users/me/external/myinfo-redirect-login", s.getOnly(s.redirectLogin))
		s.route("/users/me/external/myinfo/redirect-login", s.getOnly(s.redirectLogin))
		s.route("/callback", s.getOnly(s.callback))
		s.route("/users/me/external/myinfo", s.getOnly(s.person))
	}
	if s.public != "" {
		s.route("/login/{provider}", s.getOnly(s.login))
		s.route("/callback/{provider}", s.getOnly(s.finish))
		s.route("/documents/{handle}", s.getOnly(s.document))
	}
	if s.results != nil {
		s.route("/results/{handle}", s.getOnly(s.result))
	}
	if cfg.Demo != nil {
		s.route("/demo/login/{provider}", s.getOnly(s.demoLogin))
		s.route("/demo/callback/{provider}", s.getOnly(s.demoFinish))
	}
	if s.jwks != nil || s.jwksAt != nil {
		s.route("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
			body := []byte(s.jwks)
			if s.jwksAt != nil {
				var err error
				if body, err = s.jwksAt(s.now()); err != nil {
					s.log.Error("jwks", "err", err)
					http.Error(w, "no key set", http.StatusInternalServerError)
					return
				}
			}
			w.Header().Set("Cache-Control", "public, max-age=300") // providers cache it; rotation publishes ahead
			w.Header().Set("Content-Type", "application/jwk-set+json")
			w.Write(body)
		})
	}
	s.route("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.route("GET /readyz", s.readyz)
	s.route("GET /metrics", s.metrics.Handler().ServeHTTP)
	s.route("GET /openapi.json", serveOpenAPI)
	if cfg.Demo != nil {
		// The application's own routes (its page, files and backend) are
		// not this service's API.
		s.route("GET /{$}", cfg.Demo.ServeHTTP)
		s.mux.Handle("/demo/", cfg.Demo)
	} else {
		s.route("GET /{$}", s.home)
	}
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

// pageCSP is the policy of HTML pages: only the page's own script and style
// (by nonce), same-origin fetches, no framing. apiCSP is that of every
// other answer, which has no business running anything.
const (
	pageCSP = "default-src 'none'; script-src 'nonce-%[1]s'; style-src 'nonce-%[1]s'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	apiCSP  = "default-src 'none'; frame-ancestors 'none'"
)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(requestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	r = r.WithContext(withRequestID(r.Context(), id))
	rec := &statusWriter{ResponseWriter: w}
	w = rec
	defer func() { s.logRequest(r, rec.status, time.Since(start)) }()
	h := w.Header()
	h.Set(requestIDHeader, id)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // codes and states must not leak via Referer
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", apiCSP) // pages replace it with their own
	if len(r.URL.RawQuery) > MaxQueryBytes {
		s.writeError(w, r, errQueryTooLong)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// getOnly lets GET through to h and answers any other method, HEAD
// included, with 405: each of these routes spends or stores something, and
// a HEAD from a link previewer must not.
func (s *Server) getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			s.writeError(w, r, errMethod)
			return
		}
		h(w, r)
	}
}

// Errors of the HTTP edge itself.
var (
	errMethod       = errors.New("server: method not allowed")
	errQueryTooLong = fmt.Errorf("%w: query longer than %d bytes", idconnect.ErrInvalidRequest, MaxQueryBytes)
)

// clientKey identifies the client a request comes from, for per-client
// limits: its IP address, or for IPv6 its /64, which one host usually owns
// whole.
func (s *Server) clientKey(r *http.Request) string {
	addr := r.RemoteAddr
	if s.ipHeader != "" {
		if v := r.Header.Get(s.ipHeader); v != "" {
			parts := strings.Split(v, ",")
			addr = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "unparsed:" + addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
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

// redirectLogin starts a login with the seed provider:
// {"message":"OK","data":{"url","state"}}.
func (s *Server) redirectLogin(w http.ResponseWriter, r *http.Request) {
	s.start(w, r, s.seed, idconnect.StartOptions{})
}

// login starts a login with the provider named in the path, whose redirect
// URI is this service's /callback/{provider}. It answers as the seed's
// redirect-login route does.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("provider")
	if _, ok := s.flow.Provider(name); !ok {
		s.loginError(w, r, name, fmt.Errorf("%w: %q", idconnect.ErrUnknownProvider, name))
		return
	}
	s.start(w, r, name, idconnect.StartOptions{RedirectURI: s.public + "/callback/" + name})
}

func (s *Server) start(w http.ResponseWriter, r *http.Request, provider string, opts idconnect.StartOptions) {
	if err := onlyParams(r.URL.Query()); err != nil {
		s.loginError(w, r, provider, err)
		return
	}
	if err := s.limiter.Allow(r.Context(), s.clientKey(r)); err != nil {
		s.loginError(w, r, provider, err)
		return
	}
	browser, err := s.flow.BindBrowser(w, r)
	if err != nil {
		s.loginError(w, r, provider, err)
		return
	}
	login, authURL, err := s.flow.Start(r.Context(), provider, browser, opts)
	if err != nil {
		s.loginError(w, r, provider, err)
		return
	}
	s.countStarted(provider)
	writeJSON(w, http.StatusOK, struct {
		Message string            `json:"message"`
		Data    redirectLoginData `json:"data"`
	}{"OK", redirectLoginData{URL: authURL, State: login.State}})
}

// finishData is the generic callback's answer: the provider-neutral parts
// of the result, the provider's typed model, sodata where the provider has
// it, and a one-time link for each document.
type finishData struct {
	Provider  string            `json:"provider"`
	Subject   string            `json:"subject"`
	Person    *idconnect.Person `json:"person"`
	Entity    *idconnect.Entity `json:"entity,omitempty"`
	Model     any               `json:"model,omitempty"`
	Sodata    json.RawMessage   `json:"sodata,omitempty"`
	Documents map[string]string `json:"documents,omitempty"`
	// InlineDocuments carry the documents in a handed-off result
	// (GET /results/{handle}), whose reader has no browser cookie.
	InlineDocuments map[string]inlineDocument `json:"inline_documents,omitempty"`
}

// finish handles the named provider's redirect and exchanges the code at
// once: {"message":"OK","data":{"provider","subject","person","sodata"}},
// or with a return URL, a redirect there with a result handle.
func (s *Server) finish(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("provider")
	s.finishTo(w, r, name, s.returnURL)
}

// finishTo finishes the named provider's login and delivers its result:
// to the browser, or with to, through a handoff to that return URL.
func (s *Server) finishTo(w http.ResponseWriter, r *http.Request, name string, to *url.URL) {
	cb, err := idconnect.ParseCallback(r.URL.Query())
	if err != nil {
		s.callbackError(w, r, name, err, to)
		return
	}
	login, res, err := s.flow.Finish(r.Context(), name, cb, s.flow.BrowserSecret(r))
	if err != nil {
		s.callbackError(w, r, name, err, to)
		return
	}
	s.deliver(w, r, name, login, res, to)
}

// deliver answers a finished login: to the browser as JSON, or with a
// return URL (to), to the application's backend through a result handle.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, name string, login *idconnect.Login, res *idconnect.Result, to *url.URL) {
	data, err := s.resultData(r, name, login, res, to != nil)
	if err != nil {
		s.callbackError(w, r, name, err, to)
		return
	}
	if to != nil {
		if err := s.handOff(w, r, data, to); err != nil {
			s.callbackError(w, r, name, err, to)
			return
		}
		s.countFinished(name)
		return
	}
	s.countFinished(name)
	writeJSON(w, http.StatusOK, struct {
		Message string     `json:"message"`
		Data    finishData `json:"data"`
	}{"OK", data})
}

// callback checks the provider's redirect and serves the page that forwards
// the code to the person route. With a return URL it finishes the login at
// once and hands the result off instead, as the generic callback does.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if s.returnURL != nil {
		s.finishTo(w, r, s.seed, s.returnURL)
		return
	}
	cb, err := idconnect.ParseCallback(r.URL.Query())
	if err != nil {
		s.loginError(w, r, s.seed, err)
		return
	}
	_, err = s.flow.Callback(r.Context(), s.seed, cb, s.flow.BrowserSecret(r))
	if errors.Is(err, idconnect.ErrConsentDenied) {
		s.countFailed(s.seed, err)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "consent denied", slog.String("route", r.Pattern))
		s.page(w, http.StatusOK, deniedPage, nil)
		return
	}
	if err != nil {
		s.loginError(w, r, s.seed, err)
		return
	}
	s.page(w, http.StatusOK, callbackPage, struct{ Code string }{cb.Code})
}

// sodata flattens a seed-provider result (New checked it is a Flattener).
func (s *Server) sodata(login *idconnect.Login, res *idconnect.Result) (json.RawMessage, error) {
	p, _ := s.flow.Provider(s.seed)
	return p.(idconnect.Flattener).Flatten(login, res)
}

// person redeems the code: {"message":"OK","sodata":{…}}.
func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := onlyParams(q, "code"); err != nil {
		s.loginError(w, r, s.seed, err)
		return
	}
	codes := q["code"]
	if len(codes) != 1 || codes[0] == "" || len(codes[0]) > idconnect.MaxCallbackValue {
		s.loginError(w, r, s.seed, fmt.Errorf("%w: one code is required", idconnect.ErrInvalidRequest))
		return
	}
	login, res, err := s.flow.Redeem(r.Context(), s.seed, codes[0], s.flow.BrowserSecret(r))
	if err != nil {
		s.loginError(w, r, s.seed, err)
		return
	}
	sodata, err := s.sodata(login, res)
	if err != nil {
		s.loginError(w, r, s.seed, fmt.Errorf("%w: %v", idconnect.ErrMalformed, err))
		return
	}
	s.countFinished(s.seed)
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
	Nonce  string // allows the page's own script and style, and nothing injected
	Data   any
}

func (s *Server) page(w http.ResponseWriter, status int, t *template.Template, data any) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		http.Error(w, "page failed", http.StatusInternalServerError)
		return
	}
	nonce := base64.RawURLEncoding.EncodeToString(raw[:])
	var b strings.Builder
	if err := t.Execute(&b, pageData{Notice: s.notice, Nonce: nonce, Data: data}); err != nil {
		http.Error(w, "page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", fmt.Sprintf(pageCSP, nonce))
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}
