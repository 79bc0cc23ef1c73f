package myinfo

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idconnect/idconnect/emulator/personas"
)

// Deny redirects carry this description, as Myinfo sends it.
const deniedDescription = "Resource Owner did not authorize the request"

// flow is a login in progress between the authorise request and consent.
// It lives server-side under a random id; the pages carry only that id.
type flow struct {
	api         string
	redirectURI string
	state       string
	purpose     string
	attributes  []string
	persona     string // set once the person has logged in
	expires     time.Time
}

// grant is an issued authorisation code, bound to its authorise request's
// redirect_uri and state.
type grant struct {
	api         string
	redirectURI string
	state       string
	sub         string
	attributes  []string
	expires     time.Time
	used        bool
}

// authoriseRequest is a checked authorise request.
type authoriseRequest struct {
	redirectURI string
	state       string
	purpose     string
	attributes  []string
}

// handleAuthorise serves GET /{api}/v3/authorise: it checks the request and
// shows the login page, or with persona= (and consent=) skips pages.
func (s *Server) handleAuthorise(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.errorPage(w, http.StatusBadRequest, "The authorise request's query string is malformed.")
			return
		}
		if k := repeatedParam(q); k != "" {
			s.errorPage(w, http.StatusBadRequest, "A parameter is repeated: "+k+".")
			return
		}
		ru := q.Get("redirect_uri")
		if s.faults.Down() {
			if q.Get("client_id") == s.cfg.ClientID && s.redirects[ru] {
				http.Redirect(w, r, appendQuery(ru, "state", q.Get("state"), "error", "503",
					"error-description", "Myinfo is under maintenance"), http.StatusFound)
				return
			}
			s.errorPage(w, http.StatusServiceUnavailable, "Myinfo is under maintenance.")
			return
		}
		if q.Get("client_id") != s.cfg.ClientID {
			s.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
			return
		}
		if !s.redirects[ru] {
			// Never redirect to an unregistered URI.
			s.errorPage(w, http.StatusBadRequest, "The redirect_uri is missing or not registered for this client.")
			return
		}
		req, problem := s.checkAuthorise(q)
		if problem != "" {
			s.errorPage(w, http.StatusBadRequest, problem)
			return
		}
		f := &flow{api: api, redirectURI: req.redirectURI, state: req.state, purpose: req.purpose,
			attributes: req.attributes, expires: s.now().Add(flowTTL)}
		who, consent := q.Get("persona"), q.Get("consent")
		if who == "" {
			if consent != "" {
				s.errorPage(w, http.StatusBadRequest, "consent= needs persona=.")
				return
			}
			s.showLogin(w, r, f)
			return
		}
		if s.people[who] == nil {
			s.errorPage(w, http.StatusBadRequest, "No such persona.")
			return
		}
		f.persona = who
		switch consent {
		case "":
			s.showConsent(w, r, f)
		case "allow":
			s.finish(w, r, f, true)
		case "deny":
			s.finish(w, r, f, false)
		default:
			s.errorPage(w, http.StatusBadRequest, "consent= must be allow or deny.")
		}
	}
}

// checkAuthorise checks the parameters other than client_id and
// redirect_uri, returning a message for the error page on failure.
func (s *Server) checkAuthorise(q url.Values) (authoriseRequest, string) {
	req := authoriseRequest{redirectURI: q.Get("redirect_uri"), state: q.Get("state"), purpose: q.Get("purpose")}
	if rt, ok := q["response_type"]; ok && rt[0] != "code" {
		return req, "response_type must be code."
	}
	if req.state == "" {
		return req, "state is required."
	}
	if req.purpose == "" {
		return req, "purpose is required."
	}
	attrs, problem := s.parseAttributes(q.Get("attributes"))
	if problem != "" {
		return req, problem
	}
	req.attributes = attrs
	return req, ""
}

// parseAttributes splits a comma list of attribute names, dropping
// duplicates; every name must be a known Myinfo attribute.
func (s *Server) parseAttributes(list string) ([]string, string) {
	if list == "" {
		return nil, "attributes is required."
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		if !s.known[a] {
			return nil, "attributes names an unknown attribute: " + a + "."
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, ""
}

// handleLogin serves the login page's form: the chosen persona, then the
// consent page.
func (s *Server) handleLogin(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			s.errorPage(w, http.StatusServiceUnavailable, "Myinfo is under maintenance.")
			return
		}
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, formErrorStatus(err), "The form could not be read.")
			return
		}
		who := r.PostForm.Get("persona")
		if s.people[who] == nil {
			s.errorPage(w, http.StatusBadRequest, "No such persona.")
			return
		}
		s.mu.Lock()
		f, _ := s.flows.Get(r.PostForm.Get("flow"))
		if f == nil || f.api != api || !s.now().Before(f.expires) {
			s.mu.Unlock()
			s.errorPage(w, http.StatusBadRequest, "This login page has expired or was already used. Start again from the application.")
			return
		}
		f.persona = who
		view := *f
		s.mu.Unlock()
		s.showConsent(w, r, &view)
	}
}

// handleConsent serves the consent page's form: allow or deny.
func (s *Server) handleConsent(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			s.errorPage(w, http.StatusServiceUnavailable, "Myinfo is under maintenance.")
			return
		}
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, formErrorStatus(err), "The form could not be read.")
			return
		}
		decision := r.PostForm.Get("decision")
		if decision != "allow" && decision != "deny" {
			s.errorPage(w, http.StatusBadRequest, "Choose Allow or Deny.")
			return
		}
		id := r.PostForm.Get("flow")
		s.mu.Lock()
		f, _ := s.flows.Get(id)
		ok := f != nil && f.api == api && f.persona != "" && s.now().Before(f.expires)
		if f != nil && f.persona != "" {
			s.flows.Delete(id) // single use
		}
		s.mu.Unlock()
		if !ok {
			s.errorPage(w, http.StatusBadRequest, "This consent page has expired or was already used. Start again from the application.")
			return
		}
		s.finish(w, r, f, decision == "allow")
	}
}

// finish ends a flow: on allow, issue a code and redirect with code and
// state; on deny, redirect with access_denied.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, f *flow, allow bool) {
	if !allow {
		http.Redirect(w, r, appendQuery(f.redirectURI, "state", f.state, "error", "access_denied",
			"error-description", deniedDescription), http.StatusFound)
		return
	}
	code, err := s.randomHex(32)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "Unexpected error.")
		return
	}
	now := s.now()
	g := &grant{api: f.api, redirectURI: f.redirectURI, state: f.state, sub: f.persona, attributes: f.attributes,
		expires: now.Add(s.codeTTL)}
	s.mu.Lock()
	// Kept a lifetime past expiry, to tell an expired code from nonsense;
	// when full, the oldest code goes.
	s.codes.Put(code, g, now, g.expires.Add(s.codeTTL))
	s.mu.Unlock()
	http.Redirect(w, r, appendQuery(f.redirectURI, "code", code, "state", f.state), http.StatusFound)
}

// takeCode marks a code used and returns its grant. It returns nil and
// whether the code was known but already used or expired.
func (s *Server) takeCode(code string) (g *grant, reused bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _ = s.codes.Get(code)
	switch {
	case g == nil:
		return nil, false
	case g.used || !now.Before(g.expires):
		return nil, true
	}
	g.used = true // kept until it expires, to tell reuse from nonsense
	return g, false
}

// storeFlow keeps f for the pages and returns its id. When maxFlows pages
// are pending, the oldest is dropped (see [fifo]).
func (s *Server) storeFlow(f *flow) (string, bool) {
	b, err := s.randomBytes(32)
	if err != nil {
		return "", false
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.flows.Put(id, f, s.now(), f.expires)
	s.mu.Unlock()
	return id, true
}

// appendQuery adds key/value pairs to a URL's query, encoding spaces as %20.
func appendQuery(rawURL string, kv ...string) string {
	var b strings.Builder
	b.WriteString(rawURL)
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(sep)
		b.WriteString(queryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(queryEscape(kv[i+1]))
		sep = "&"
	}
	return b.String()
}

// queryEscape escapes s for a query component, with %20 for spaces.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// formErrorStatus maps a ParseForm error to a status: 413 for too large.
func formErrorStatus(err error) int {
	if isTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// mask shows an NRIC/FIN as S****048A.
func mask(id string) string {
	if len(id) < 6 {
		return strings.Repeat("*", len(id))
	}
	return id[:1] + "****" + id[len(id)-4:]
}

// actionBase is the relative URL prefix that leads from the current page to
// the /{api}/v3/authorise/ routes, whatever prefix the handler is mounted at.
func actionBase(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/authorise") {
		return "authorise/"
	}
	return ""
}

// Page views.
type (
	loginView struct {
		Action   string
		Flow     string
		Personas []personaView
	}
	personaView struct{ ID, Masked, Name, Summary string }
	consentView struct {
		Action   string
		Flow     string
		ClientID string
		Purpose  string
		Persona  string
		Name     string
		Items    []itemView
	}
	// itemView is a requested data item: its label and its name.
	itemView struct{ Label, Name string }
)

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, f *flow) {
	id, ok := s.storeFlow(f)
	if !ok {
		s.errorPage(w, http.StatusInternalServerError, "Unexpected error.")
		return
	}
	v := loginView{Action: actionBase(r) + "login", Flow: id}
	for _, p := range s.order {
		v.Personas = append(v.Personas, personaView{ID: p.id, Masked: mask(p.id), Name: p.name, Summary: p.summary})
	}
	s.render(w, http.StatusOK, "login", v)
}

func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, f *flow) {
	id := ""
	if r.Method == http.MethodPost {
		id = r.PostForm.Get("flow") // the stored flow, already updated
	} else {
		var ok bool
		if id, ok = s.storeFlow(f); !ok {
			s.errorPage(w, http.StatusInternalServerError, "Unexpected error.")
			return
		}
	}
	v := consentView{Action: actionBase(r) + "consent", Flow: id, ClientID: s.cfg.ClientID,
		Purpose: f.purpose, Persona: mask(f.persona)}
	if p := s.people[f.persona]; p != nil {
		v.Name = p.name
	}
	for _, a := range f.attributes {
		v.Items = append(v.Items, itemView{Label: personas.ItemLabel(a), Name: a})
	}
	s.render(w, http.StatusOK, "consent", v)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error", msg)
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = s.pages.ExecuteTemplate(w, name, data)
}

// pagesHTML holds the login, consent and error pages. Every control is a
// native button in a form, so the pages work by keyboard alone; each
// persona's button is described by its edge case.
const pagesHTML = `
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · Myinfo v3 emulator</title>
<style>*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;line-height:1.45;color:#1b1f24;background:#f4f5f7}
.banner{margin:0;background:#8a1c1c;color:#fff;padding:.6rem 1rem;font-weight:600}
.brand{margin:0;background:#c8102e;color:#fff;padding:.8rem 1rem;font-weight:700;font-size:1.2rem}
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.4rem 0}
.people{list-style:none;padding:0;margin:0}.people li{margin:.5rem 0}
.people button{display:block;width:100%;text-align:left;background:#fff;border:1px solid #9aa3ad;border-radius:8px;padding:.7rem .9rem;font:inherit;color:#1b1f24;cursor:pointer}
.people button:hover{border-color:#c8102e}.who{font-weight:600}.id{font-family:ui-monospace,monospace;margin-right:.5rem}
.why{display:block;font-size:.9rem;color:#4a535d;margin-top:.2rem}
.items{background:#fff;border:1px solid #d5d9de;border-radius:8px;padding:.6rem 1rem .6rem 2rem}.items code{color:#4a535d}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:1rem}
.actions button{font:inherit;min-height:44px;padding:.5rem 1.4rem;border-radius:6px;cursor:pointer;font-weight:600}
.allow{background:#c8102e;color:#fff;border:2px solid #c8102e}.deny{background:#fff;color:#1b1f24;border:2px solid #4a535d}
button:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}</style>
</head><body>
<p class="banner" role="note">EMULATOR: this is not Singpass or Myinfo. The people here are test data; nothing is sent to the government.</p>
<p class="brand">Singpass · Myinfo</p>
<main><h1>{{.}}</h1>{{end}}

{{define "login"}}{{template "head" "Log in"}}
<p>Choose the test person to log in as. Each one covers an edge case.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<ul class="people">{{range .Personas}}
<li><button type="submit" name="persona" value="{{.ID}}"><span class="id">{{.Masked}}</span> <span class="who">{{.Name}}</span>{{if .Summary}}<span class="why">{{.Summary}}</span>{{end}}</button></li>{{end}}
</ul>
</form>
</main></body></html>{{end}}

{{define "consent"}}{{template "head" "Consent"}}
<p>Logged in as <strong>{{.Persona}} {{.Name}}</strong>.</p>
<p>The application <strong>{{.ClientID}}</strong> asks for the following Myinfo data, for this purpose: <strong>{{.Purpose}}</strong></p>
<ul class="items">{{range .Items}}
<li>{{.Label}}{{if ne .Label .Name}} <code>{{.Name}}</code>{{end}}</li>{{end}}
</ul>
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<div class="actions"><button type="submit" class="allow" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" class="deny" name="decision" value="deny">Deny</button></div>
</form>
</main></body></html>{{end}}

{{define "error"}}{{template "head" "Error"}}
<p>{{.}}</p>
</main></body></html>{{end}}
`
