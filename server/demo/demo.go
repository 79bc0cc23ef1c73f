// Package demo is a small sign-up application that prefills its form from
// idconnect, served by the idconnect binary at GET / (see server.Config.Demo)
// so that a developer sees a whole integration in a browser within a minute.
//
// It plays the part of the application a real deployment puts in front of
// idconnect, and keeps to what such an application may do: its page sends
// the browser to idconnect's /demo/login/{provider}; idconnect hands the
// result off to the demo's backend by redirecting the browser to
// ReturnPath with a one-time handle; the backend fetches
// /results/{handle} from idconnect server to server, with the API key, and
// keeps the form's values in a short-lived session of its own; the page
// reads them with a same-origin JSON call (ResultPath). Person data never
// travels in a URL, and the page never sees more than the form shows.
//
// The page is HTML, CSS and plain JavaScript embedded in the binary, under
// a strict Content-Security-Policy (no inline script or style). Its
// buttons and sections are data: [StandardProviders] and sections.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idconnect/idconnect"
)

// Paths of the demo application. The service's own demo routes,
// /demo/login/{provider} and /demo/callback/{provider}, are idconnect's.
const (
	// ReturnPath is where idconnect hands demo logins off: ?result=<handle>
	// or ?error=<code>. Register PublicURL + ReturnPath as
	// server.Config.DemoReturnURL.
	ReturnPath = "/demo/return"
	// ResultPath answers the page with the form's values, or the message
	// of a failed login, as JSON.
	ResultPath = "/demo/result"
	// BeginPath (POST) records in the session that the page is starting a
	// login, and with which provider: a handle is accepted only for a
	// login this browser began here.
	BeginPath  = "/demo/begin"
	assetsPath = "/demo/assets/"
)

// Limits of the demo's sessions, kept in memory.
const (
	SessionTTL  = 10 * time.Minute
	maxSessions = 1000
	maxResult   = 8 << 20 // bytes of a /results answer
)

// pageCSP allows the page's own files and same-origin calls, nothing
// inline and nothing from elsewhere.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// Config configures the demo application.
type Config struct {
	// ServiceURL is idconnect's base URL as this backend reaches it; the
	// backend fetches ServiceURL + "/results/{handle}". Required.
	ServiceURL string
	// APIKey is idconnect's API key for /results/{handle}. Required.
	APIKey idconnect.Secret
	// HTTPClient fetches results; nil means a client with a 10 s timeout.
	// It must not follow redirects to other hosts with the key: the
	// default client's redirect policy is replaced by one that refuses.
	HTTPClient *http.Client
	// Providers are the form's buttons, in order. Required.
	Providers []Provider
	// Notice is shown at the top of the page (e.g. emulator mode).
	Notice string
	// SecureCookie makes the session cookie Secure and __Host- (set it when
	// the page is served over https).
	SecureCookie bool
	// Logger receives one line per failed result fetch (codes only, never
	// data); nil discards.
	Logger *slog.Logger
	// Now is the sessions' clock; nil means time.Now.
	Now func() time.Time
}

// App is the demo application, an http.Handler for GET /, /demo/assets/,
// BeginPath, ReturnPath and ResultPath.
type App struct {
	cfg       Config
	results   *url.URL
	client    *http.Client
	page      []byte // rendered once: it holds nothing per request
	sections  []section
	providers map[string]Provider
	mux       *http.ServeMux
	log       *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session // by SHA-256 of the cookie value
	order    []string            // session keys, oldest first
}

// session is one browser's state in the demo: the login it began and,
// for each section, the values (or message) of its last login.
type session struct {
	provider string // of the login begun, "" when none is pending
	views    map[string]*view
	expires  time.Time
}

// New checks cfg and builds the application.
func New(cfg Config) (*App, error) {
	var errs []error
	u, err := url.Parse(strings.TrimSuffix(cfg.ServiceURL, "/") + "/results/")
	if cfg.ServiceURL == "" || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		errs = append(errs, errors.New("demo: ServiceURL must be an absolute http(s) URL"))
	}
	if len(cfg.APIKey) == 0 {
		errs = append(errs, errors.New("demo: APIKey is required"))
	}
	if len(cfg.Providers) == 0 {
		errs = append(errs, errors.New("demo: Providers is required"))
	}
	a := &App{cfg: cfg, results: u, sections: sections(), providers: map[string]Provider{},
		mux: http.NewServeMux(), log: cfg.Logger, sessions: map[string]*session{}}
	known := map[string]bool{}
	for _, s := range a.sections {
		known[s.ID] = true
	}
	for _, p := range cfg.Providers {
		switch {
		case p.Name == "" || p.Button == "":
			errs = append(errs, fmt.Errorf("demo: provider %q needs a Name and a Button", p.Name))
		case !known[p.Section]:
			errs = append(errs, fmt.Errorf("demo: provider %q: no section %q", p.Name, p.Section))
		case a.providers[p.Name].Name != "":
			errs = append(errs, fmt.Errorf("demo: provider %q is listed twice", p.Name))
		}
		a.providers[p.Name] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	c := http.Client{Timeout: 10 * time.Second}
	if cfg.HTTPClient != nil {
		c = *cfg.HTTPClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	a.client = &c
	if a.page, err = a.renderPage(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix(assetsPath, http.FileServerFS(static))
	a.mux.HandleFunc("GET /{$}", a.servePage)
	a.mux.Handle("GET "+assetsPath, files)
	a.mux.HandleFunc("POST "+BeginPath, a.begin)
	a.mux.HandleFunc("GET "+ReturnPath, a.ret)
	a.mux.HandleFunc("GET "+ResultPath, a.result)
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", pageCSP)
	a.mux.ServeHTTP(w, r)
}

func (a *App) now() time.Time {
	if a.cfg.Now != nil {
		return a.cfg.Now()
	}
	return time.Now()
}

// pageData is the page template's data.
type pageData struct {
	Notice   string
	Sections []sectionView
}

type sectionView struct {
	section
	Providers []Provider
	// HasUnverified is true when the section shows unverified values apart.
	HasUnverified bool
}

func (a *App) renderPage() ([]byte, error) {
	t, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, err
	}
	d := pageData{Notice: a.cfg.Notice}
	for _, s := range a.sections {
		v := sectionView{section: s, HasUnverified: s.unverified != nil}
		for _, p := range a.cfg.Providers {
			if p.Section == s.ID {
				v.Providers = append(v.Providers, p)
			}
		}
		if len(v.Providers) > 0 {
			d.Sections = append(d.Sections, v)
		}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (a *App) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(a.page)
}

// begin records that this browser starts a login with a provider, in a
// session it creates if need be. The page then calls idconnect's
// /demo/login/{provider}.
func (a *App) begin(w http.ResponseWriter, r *http.Request) {
	// JSON only: a cross-site form cannot send it without a CORS
	// preflight, so another site cannot begin a login in this session.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send JSON"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1024)
	var in struct {
		Provider string `json:"provider"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || a.providers[in.Provider].Name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown provider"})
		return
	}
	key, ok := a.sessionKey(r)
	if !ok {
		var err error
		if key, err = a.newSession(w); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "no session"})
			return
		}
	}
	a.update(key, func(s *session) { s.provider = in.Provider })
	writeJSON(w, http.StatusOK, map[string]string{"login": "/demo/login/" + url.PathEscape(in.Provider)})
}

// ret receives idconnect's handoff: a result handle, redeemed at once
// server to server, or an error code. Either way the browser goes back to
// the page, which asks ResultPath.
func (a *App) ret(w http.ResponseWriter, r *http.Request) {
	key, ok := a.sessionKey(r)
	var provider string
	if ok {
		a.update(key, func(s *session) { provider, s.provider = s.provider, "" })
	}
	q := r.URL.Query()
	var v *view
	switch {
	case provider == "":
		// No login begun in this browser: a handle from someone else's
		// link is not redeemed (it would fill this form with another
		// person's data).
		v = a.errorView("", "NOT_STARTED")
	case q.Get("error") != "":
		v = a.errorView(provider, q.Get("error"))
	default:
		v = a.redeem(r.Context(), provider, q.Get("result"))
	}
	if !ok {
		var err error
		if key, err = a.newSession(w); err != nil {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
	}
	a.update(key, func(s *session) {
		if s.views == nil {
			s.views = map[string]*view{}
		}
		s.views[v.Section] = v
	})
	http.Redirect(w, r, "/#form", http.StatusSeeOther)
}

// redeem fetches the handed-off result and maps it to the form.
func (a *App) redeem(ctx context.Context, provider, handle string) *view {
	if handle == "" || len(handle) > 64 {
		return a.errorView(provider, "RESULT_UNKNOWN")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.results.String()+url.PathEscape(handle), nil)
	if err != nil {
		return a.errorView(provider, "RESULT_UNKNOWN")
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.APIKey.Reveal())
	resp, err := a.client.Do(req)
	if err != nil {
		// A *url.Error names the URL, which holds the handle: log the cause only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		a.log.Warn("demo: result fetch failed", "err", err.Error())
		return a.errorView(provider, "RESULT_UNAVAILABLE")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResult+1))
	if err != nil || len(body) > maxResult {
		return a.errorView(provider, "RESULT_UNAVAILABLE")
	}
	var env struct {
		Code string `json:"code"`
		Data result `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		a.log.Warn("demo: result unreadable", "status", resp.StatusCode)
		return a.errorView(provider, "RESULT_UNAVAILABLE")
	}
	if resp.StatusCode != http.StatusOK {
		a.log.Warn("demo: result refused", "status", resp.StatusCode, "code", idconnect.SafeCode(env.Code))
		return a.errorView(provider, env.Code)
	}
	if env.Data.Provider != provider {
		return a.errorView(provider, "RESULT_UNKNOWN")
	}
	return a.formView(a.providers[provider], &env.Data)
}

// result answers the page with the session's views, one for each section
// a login came back for (its values or its message), in page order:
// {"views":[…]}.
func (a *App) result(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Views []*view `json:"views"`
	}{Views: []*view{}}
	if key, ok := a.sessionKey(r); ok {
		a.update(key, func(s *session) {
			for _, sec := range a.sections {
				if v := s.views[sec.ID]; v != nil {
					out.Views = append(out.Views, v)
				}
			}
			if v := s.views[""]; v != nil { // a message for no section
				out.Views = append(out.Views, v)
			}
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// cookieName is the session cookie's name: __Host- under https.
func (a *App) cookieName() string {
	if a.cfg.SecureCookie {
		return "__Host-idconnect_demo"
	}
	return "idconnect_demo"
}

// sessionKey returns the store key of the request's live session.
func (a *App) sessionKey(r *http.Request) (string, bool) {
	c, err := r.Cookie(a.cookieName())
	if err != nil || len(c.Value) > 64 {
		return "", false
	}
	sum := sha256.Sum256([]byte(c.Value))
	key := base64.RawURLEncoding.EncodeToString(sum[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[key]
	if s == nil || !a.now().Before(s.expires) {
		return "", false
	}
	return key, true
}

// newSession starts a session, dropping the oldest when maxSessions are
// live, and sets its cookie.
func (a *App) newSession(w http.ResponseWriter) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	value := base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(value))
	key := base64.RawURLEncoding.EncodeToString(sum[:])
	now := a.now()
	a.mu.Lock()
	for len(a.order) > 0 && (len(a.sessions) >= maxSessions || !now.Before(a.sessions[a.order[0]].expires)) {
		delete(a.sessions, a.order[0])
		a.order = a.order[1:]
	}
	a.sessions[key] = &session{expires: now.Add(SessionTTL)}
	a.order = append(a.order, key)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: value, Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, Secure: a.cfg.SecureCookie, SameSite: http.SameSiteLaxMode})
	return key, nil
}

// update runs f on the session under key, if it is still there.
func (a *App) update(key string, f func(*session)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[key]; s != nil {
		f(s)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
