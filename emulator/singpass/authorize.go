package singpass

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idconnect/idconnect/emulator/personas"
)

// Deny redirects carry this description.
const deniedDescription = "The user did not consent"

// flow is a login in progress between the authorization request and
// consent. It lives server-side under a random id; the pages carry only
// that id.
type flow struct {
	par     parRequest
	client  *client
	persona string // set once the person has logged in
	entity  string // Corppass: the UEN the person acts for
	expires time.Time
}

// grant is an issued authorization code, bound to its PAR's client,
// redirect_uri, PKCE challenge and DPoP key.
type grant struct {
	par     parRequest
	sub     string // the persona's UUID; for Corppass the entity's UEN
	persona string
	entity  string // Corppass: the UEN
	authAt  time.Time
	expires time.Time
	used    bool
}

// handleAuthorize serves GET /auth?client_id=…&request_uri=…: it takes the
// pushed request (once) and shows the login page, or with persona= (and
// consent=) skips pages.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The authorization request's query string is malformed.")
		return
	}
	for k, v := range q {
		if len(v) > 1 {
			s.errorPage(w, http.StatusBadRequest, "A parameter is repeated: "+k+".")
			return
		}
	}
	c := s.clients[q.Get("client_id")]
	if c == nil {
		if s.faults.Down() {
			s.errorPage(w, http.StatusServiceUnavailable, s.cfg.Service.String()+" (emulator) is down.")
			return
		}
		s.errorPage(w, http.StatusBadRequest, "invalid_request: client_id is missing or not a registered app. "+
			"The authorization URL carries only client_id and the request_uri that PAR answered.")
		return
	}
	// Check the script parameters before the request_uri is spent.
	who, consent, uen := q.Get("persona"), q.Get("consent"), q.Get("entity")
	switch {
	case uen != "" && s.cfg.Service != Corppass:
		s.errorPage(w, http.StatusBadRequest, "entity= is for Corppass only.")
		return
	case uen != "" && who == "":
		s.errorPage(w, http.StatusBadRequest, "entity= needs persona=.")
		return
	case who == "" && consent != "":
		s.errorPage(w, http.StatusBadRequest, "consent= needs persona=.")
		return
	case who != "" && s.people[who] == nil:
		s.errorPage(w, http.StatusBadRequest, "No such persona: persona= takes a persona's ID (UINFIN) from the login page.")
		return
	case consent != "" && consent != "allow" && consent != "deny":
		s.errorPage(w, http.StatusBadRequest, "consent= must be allow or deny.")
		return
	}
	if who != "" && s.cfg.Service == Corppass {
		var msg string
		if uen, msg = s.pickEntity(who, uen); msg != "" {
			s.errorPage(w, http.StatusBadRequest, msg)
			return
		}
	}
	ru := q.Get("request_uri")
	now := s.now()
	s.mu.Lock()
	pr, _ := s.pending.Get(ru)
	if pr == nil || pr.clientID != c.ID {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, "invalid_request_uri: the request_uri is missing, unknown or belongs to another app. "+
			"Push the authorization request to PAR first, then send the browser here with its request_uri within 60 seconds.")
		return
	}
	p := *pr
	switch {
	case s.faults.Down():
		s.mu.Unlock()
		s.redirect(w, r, p.redirectURI, "error", "temporarily_unavailable",
			"error_description", s.cfg.Service.String()+" is temporarily unavailable", "state", p.state)
		return
	case pr.used:
		s.mu.Unlock()
		s.redirect(w, r, p.redirectURI, "error", "invalid_request_uri",
			"error_description", "The request_uri was already used; push a new authorization request", "state", p.state)
		return
	case !now.Before(pr.expires):
		s.mu.Unlock()
		s.redirect(w, r, p.redirectURI, "error", "invalid_request_uri",
			"error_description", "The request_uri has expired; push a new authorization request", "state", p.state)
		return
	}
	pr.used = true
	s.mu.Unlock()

	f := &flow{par: p, client: c, expires: now.Add(flowTTL), persona: who, entity: uen}
	switch {
	case who == "":
		s.showLogin(w, r, f)
	case consent == "":
		s.showConsent(w, r, f)
	default:
		s.finish(w, r, f, consent == "allow")
	}
}

// handleLogin serves the login page's form: the chosen persona, then the
// consent page.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		s.errorPage(w, http.StatusServiceUnavailable, s.cfg.Service.String()+" (emulator) is down.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	who, uen := r.PostForm.Get("persona"), ""
	if s.cfg.Service == Corppass {
		var ok bool
		if uen, who, ok = s.entityChoice(who); !ok {
			s.errorPage(w, http.StatusBadRequest, "No such entity and persona.")
			return
		}
	}
	if s.people[who] == nil {
		s.errorPage(w, http.StatusBadRequest, "No such persona.")
		return
	}
	s.mu.Lock()
	f, _ := s.flows.Get(r.PostForm.Get("flow"))
	if f == nil || !s.now().Before(f.expires) {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, "This login page has expired or was already used. Start again from the application.")
		return
	}
	f.persona, f.entity = who, uen
	view := *f
	s.mu.Unlock()
	s.showConsent(w, r, &view)
}

// handleConsent serves the consent page's form: allow or deny.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		s.errorPage(w, http.StatusServiceUnavailable, s.cfg.Service.String()+" (emulator) is down.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The form could not be read.")
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
	ok := f != nil && f.persona != "" && s.now().Before(f.expires)
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

// finish ends a flow: on allow, issue a code and redirect with code, state
// and iss; on deny, redirect with error=access_denied, state and iss.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, f *flow, allow bool) {
	if !allow {
		s.redirect(w, r, f.par.redirectURI, "error", "access_denied", "error_description", deniedDescription, "state", f.par.state)
		return
	}
	code, err := s.randomString(32)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
		return
	}
	now := s.now()
	g := &grant{par: f.par, sub: s.people[f.persona].sub, persona: f.persona, entity: f.entity, authAt: now, expires: now.Add(s.ttl.code)}
	if s.cfg.Service == Corppass {
		g.sub = f.entity
	}
	s.mu.Lock()
	// Kept a lifetime past expiry, to tell an expired or used code from an
	// unknown one; when full, the oldest code goes.
	s.codes.Put(code, g, now, g.expires.Add(s.ttl.code))
	s.mu.Unlock()
	s.redirect(w, r, f.par.redirectURI, "code", code, "state", f.par.state)
}

// redirect sends the browser to the (registered) redirect URI with the
// given parameters and iss (RFC 9207), as Singpass does on every callback
// (whether Corppass does is unconfirmed; clients must accept iss).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, kv ...string) {
	http.Redirect(w, r, appendQuery(redirectURI, append(kv, "iss", s.issuer)...), http.StatusFound)
}

// takeCode marks a code used and returns its grant (a copy), or a teaching
// error.
func (s *Server) takeCode(code string) (grant, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _ := s.codes.Get(code)
	switch {
	case g == nil:
		return grant{}, badGrant("the authorization code is unknown")
	case g.used:
		return grant{}, badGrant("the authorization code was already used; codes are single use")
	case !now.Before(g.expires):
		return grant{}, badGrant("the authorization code has expired: exchange it within " + s.ttl.code.String() + " of the callback")
	}
	g.used = true // kept until it leaves the list, to tell reuse from nonsense
	return *g, nil
}

// storeFlow keeps f for the pages and returns its id. When maxFlows pages
// are pending, the oldest is dropped (see [fifo]).
func (s *Server) storeFlow(f *flow) (string, bool) {
	id, err := s.randomString(32)
	if err != nil {
		return "", false
	}
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

func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// mask shows an NRIC/FIN as S****048A.
func mask(id string) string {
	if len(id) < 6 {
		return strings.Repeat("*", len(id))
	}
	return id[:1] + "****" + id[len(id)-4:]
}

// actionBase is the relative URL prefix that leads from the current page to
// the /auth/ routes, whatever prefix the handler is mounted at.
func (s *Server) actionBase(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, s.paths.authorize) {
		return s.paths.authorize[strings.LastIndexByte(s.paths.authorize, '/')+1:] + "/"
	}
	return ""
}

// Page views.
type (
	loginView struct {
		Service  string
		Action   string
		Flow     string
		App      string
		Personas []personaView
		Entity   bool // Corppass: each choice is an entity and a person
	}
	personaView struct{ ID, Masked, Name, Summary, Entity string }
	consentView struct {
		Action  string
		Flow    string
		App     string
		Kind    string
		Purpose string
		Persona string
		Name    string
		Entity  string // Corppass: the entity's name and UEN
		Scopes  []string
	}
)

func appName(c *client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, f *flow) {
	id, ok := s.storeFlow(f)
	if !ok {
		s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
		return
	}
	v := loginView{Service: s.cfg.Service.String(), Action: s.actionBase(r) + "login", Flow: id, App: appName(f.client)}
	if s.cfg.Service == Corppass {
		v.Entity = true
		for _, e := range s.entityOrder {
			for _, who := range e.userOrder {
				p := s.people[who]
				v.Personas = append(v.Personas, personaView{ID: e.uen + " " + p.id, Masked: mask(p.id), Name: p.name,
					Summary: e.summary, Entity: e.name + " (" + e.uen + ")"})
			}
		}
	} else {
		for _, p := range s.order {
			v.Personas = append(v.Personas, personaView{ID: p.id, Masked: mask(p.id), Name: p.name, Summary: p.summary})
		}
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
			s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
			return
		}
	}
	var scopes []string
	for _, sc := range f.par.scopes {
		if label := personas.ItemLabel(sc); label != sc {
			scopes = append(scopes, label+" ("+sc+")")
		} else if sc != "openid" {
			scopes = append(scopes, sc)
		}
	}
	p := s.people[f.persona]
	v := consentView{
		Action: s.actionBase(r) + "consent", Flow: id, App: appName(f.client), Kind: s.kindName(f.client.Kind),
		Purpose: f.client.Purpose, Persona: mask(p.id), Name: p.name, Scopes: scopes,
	}
	if e := s.entities[f.entity]; e != nil {
		v.Entity = e.name + " (" + e.uen + ")"
	}
	s.render(w, http.StatusOK, "consent", v)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error", msg)
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = s.pages.ExecuteTemplate(w, name, data)
}

// kindName names an app kind as the service calls it.
func (s *Server) kindName(k AppKind) string {
	if s.cfg.Service == Corppass {
		switch k {
		case MyinfoApp:
			return "Myinfo Business app"
		case LoginApp:
			return "Corppass Login app"
		}
	}
	return k.String()
}

// pagesHTML holds the login, consent and error pages. Every control is a
// native button in a form, so the pages work by keyboard alone.
const pagesHTML = `
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · {{service}} FAPI emulator</title>
<style>*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;line-height:1.45;color:#1b1f24;background:#f4f5f7}
.banner{margin:0;background:#8a1c1c;color:#fff;padding:.6rem 1rem;font-weight:600}
.brand{margin:0;background:#c8102e;color:#fff;padding:.8rem 1rem;font-weight:700;font-size:1.2rem}
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.4rem 0}
ul{background:#fff;border:1px solid #d5d9de;border-radius:8px;padding:.6rem 1rem .6rem 2rem}
ul.people{list-style:none;padding:0;margin:0;background:none;border:0}.people li{margin:.5rem 0}
.people button{display:block;width:100%;text-align:left;background:#fff;border:1px solid #9aa3ad;border-radius:8px;padding:.7rem .9rem;font:inherit;color:#1b1f24;cursor:pointer;overflow-wrap:anywhere}
.people button:hover{border-color:#c8102e}.why{display:block;font-size:.9rem;color:#4a535d;margin-top:.2rem}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:1rem}
.actions button{font:inherit;min-height:44px;padding:.5rem 1.4rem;border-radius:6px;cursor:pointer;font-weight:600}
.allow{background:#c8102e;color:#fff;border:2px solid #c8102e}.deny{background:#fff;color:#1b1f24;border:2px solid #4a535d}
button:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}</style>
</head><body>
<p class="banner" role="note">EMULATOR: this is not {{service}}. The people and entities here are test data; nothing is sent to the government.</p>
<p class="brand">{{service}}</p>
<main><h1>{{.}}</h1>{{end}}

{{define "login"}}{{template "head" (printf "Log in with %s" .Service)}}
<p>{{.App}} asks you to log in. {{if .Entity}}Choose the test person and the entity they act for.{{else}}Choose the test person to log in as.{{end}}</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<ul class="people">{{range .Personas}}
<li><button type="submit" name="persona" value="{{.ID}}">{{.Masked}} {{.Name}}{{if .Entity}} for {{.Entity}}{{end}}{{if .Summary}}<span class="why">{{.Summary}}</span>{{end}}</button></li>{{end}}
</ul>
</form></main></body></html>{{end}}

{{define "consent"}}{{template "head" "Consent"}}
<p>Logged in as <strong>{{.Persona}} {{.Name}}</strong>{{if .Entity}}, acting for <strong>{{.Entity}}</strong>{{end}}.</p>
<p><strong>{{.App}}</strong> ({{.Kind}}) asks for:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{else}}<li>your {{service}} identifier only (openid)</li>{{end}}</ul>
{{if .Purpose}}<p>Purpose: <strong>{{.Purpose}}</strong></p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<div class="actions"><button type="submit" class="allow" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" class="deny" name="decision" value="deny">Deny</button></div>
</form></main></body></html>{{end}}

{{define "error"}}{{template "head" "Error"}}
<p>{{.}}</p></main></body></html>{{end}}
`
