package oneid

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The sub-codes OneID documents (research §1.7), short form. Any other
// code of letters, digits and dots can be injected too: OneID warns that
// new ones may appear at any time.
const (
	UserCancelled          = "UserCancelled"
	RequestDenied          = "RequestDenied"
	SessionExpired         = "SessionExpired"
	SessionNotFound        = "SessionNotFound"
	SpamGuardBlocked       = "SpamGuardBlocked"
	IDScanDocumentNotFound = "IDScanDocumentNotFound"
	IDScanFlagged          = "IDScanFlagged"
)

// SubCodes lists the documented sub-codes, short form.
var SubCodes = []string{UserCancelled, RequestDenied, SessionExpired, SessionNotFound, SpamGuardBlocked,
	IDScanDocumentNotFound, IDScanFlagged}

var errBadSubCode = errors.New("oneid emulator: a sub-code is letters, digits and dots, at most 100 characters")

// normalizeSubCode returns the full sub-code (with SubCodePrefix unless
// the code already has a dot) and whether code is acceptable.
func normalizeSubCode(code string) (string, bool) {
	if code == "" || len(code) > 100 {
		return "", false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.') {
			return "", false
		}
	}
	if strings.Trim(code, ".") != code || strings.Contains(code, "..") {
		return "", false
	}
	if !strings.Contains(code, ".") {
		code = SubCodePrefix + code
	}
	// The cap holds for the full code too, so a normalized code is
	// accepted again as it is.
	if len(code) > 100 {
		return "", false
	}
	return code, true
}

// subCodeDescription is the error_description of a sub-code redirect.
func subCodeDescription(full string) string {
	switch strings.TrimPrefix(full, SubCodePrefix) {
	case UserCancelled:
		return "The user cancelled"
	case RequestDenied:
		return "The request was cancelled at the bank or not permitted by the bank"
	case SessionExpired:
		return "The session expired (sessions expire 30 minutes after creation)"
	case SessionNotFound:
		return "The session was not found"
	case SpamGuardBlocked:
		return "Temporarily blocked because too many requests were made"
	case IDScanDocumentNotFound:
		return "The identity document was not found"
	case IDScanFlagged:
		return "The identity document scan was flagged"
	}
	return "Injected by the emulator"
}

// authRequest is a checked authorization request.
type authRequest struct {
	clientID, redirectURI string
	state, nonce          string
	challenge             string // S256 code_challenge, or ""
	scopes                []string
}

// flow is a journey between the authorization request and consent. It
// lives server-side under a random id; the pages carry only that id.
type flow struct {
	req     authRequest
	persona string // set once the person has logged in
	expires time.Time
}

// grant is an issued authorization code.
type grant struct {
	req     authRequest
	persona string
	expires time.Time
	used    bool
}

// handleAuthorize serves GET /v2/authorize: it checks the request, then
// shows the bank's login page, or with persona= (and consent=) skips the
// pages; oneid_error= ends the journey with that sub-code.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The authorization request's query string is malformed.")
		return
	}
	for k, v := range q {
		if len(v) > 1 {
			s.errorPage(w, http.StatusBadRequest, "A parameter is repeated: "+k+". Send each once.")
			return
		}
	}
	c := s.clients[q.Get("client_id")]
	if c == nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request: client_id is missing or not a registered client. "+
			"Use the client_id of a client created in the OneID Console for this environment.")
		return
	}
	ru := q.Get("redirect_uri")
	if !c.redirects[ru] {
		s.errorPage(w, http.StatusBadRequest, "invalid_request: redirect_uri is missing or is not one of the client's "+
			"registered Return URLs (compared exactly, as a string). OneID never redirects to an unregistered URL.")
		return
	}
	// The emulator's script parameters are checked before anything else.
	who, consent, inject := q.Get("persona"), q.Get("consent"), q.Get("oneid_error")
	switch {
	case who == "" && consent != "":
		s.errorPage(w, http.StatusBadRequest, "consent= needs persona=.")
		return
	case who != "" && s.people[who] == nil:
		s.errorPage(w, http.StatusBadRequest, "No such persona: persona= takes a persona's ID from the login page.")
		return
	case consent != "" && consent != "allow" && consent != "deny":
		s.errorPage(w, http.StatusBadRequest, "consent= must be allow or deny.")
		return
	}
	if inject != "" {
		var ok bool
		if inject, ok = normalizeSubCode(inject); !ok {
			s.errorPage(w, http.StatusBadRequest, "oneid_error= takes a sub-code such as SessionExpired or "+
				SubCodePrefix+"SpamGuardBlocked (letters, digits and dots).")
			return
		}
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		s.redirect(w, r, ru, "error", code, "error_description", desc, "state", state)
	}
	if s.faults.Down() {
		fail("temporarily_unavailable", "OneID is temporarily unavailable (emulator fault switch)")
		return
	}
	if rt := q.Get("response_type"); rt != "code" {
		fail("unsupported_response_type", `response_type must be "code"`)
		return
	}
	scopes, err := parseScope(q.Get("scope"))
	if err != nil {
		fail("invalid_request", "scope is required: space-separated OneID scopes such as \"openid profile\" ("+err.Error()+")")
		return
	}
	for _, sc := range scopes {
		switch {
		case !knownScope(sc):
			fail("invalid_scope", "unknown scope "+sc+"; OneID's scopes are "+strings.Join(scopeList(), " ")+
				" and product:<name>")
			return
		case c.allowed != nil && !c.allowed[sc]:
			fail("invalid_scope", "the scope "+sc+" is not enabled for this client's products")
			return
		}
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		fail("invalid_request", "code_challenge_method was sent without code_challenge")
		return
	case challenge == "" && s.cfg.RequirePKCE:
		fail("invalid_request", "PKCE is required: send code_challenge (base64url SHA-256 of the verifier) and code_challenge_method=S256")
		return
	case challenge != "" && method != "S256":
		fail("invalid_request", "code_challenge_method must be S256 (plain is not supported)")
		return
	case challenge != "" && !isPKCEChallenge(challenge):
		fail("invalid_request", "code_challenge must be 43 base64url characters: the unpadded base64url SHA-256 of the code_verifier")
		return
	}
	if inject == "" {
		inject = s.faults.AuthorizeError()
	}
	if inject != "" {
		s.redirectSubCode(w, r, ru, state, inject)
		return
	}
	f := &flow{
		req: authRequest{clientID: c.ID, redirectURI: ru, state: state, nonce: q.Get("nonce"),
			challenge: challenge, scopes: scopes},
		persona: who,
		expires: s.now().Add(SessionTTL),
	}
	switch {
	case who == "":
		s.showLogin(w, r, f)
	case consent == "":
		s.showConsent(w, r, f, "")
	default:
		s.finish(w, r, f, consent == "allow")
	}
}

// redirectSubCode ends a journey with error=access_denied and a sub-code.
func (s *Server) redirectSubCode(w http.ResponseWriter, r *http.Request, redirectURI, state, full string) {
	s.redirect(w, r, redirectURI, "error", "access_denied", s.subParam, full,
		"error_description", subCodeDescription(full), "state", state)
}

// takeFlow finds the journey of a page's form. If it has expired it
// redirects with SessionExpired; if it is unknown it shows an error page.
// keep says whether the flow stays for a later page.
func (s *Server) takeFlow(w http.ResponseWriter, r *http.Request, keep bool) (*flow, bool) {
	id := r.PostForm.Get("flow")
	s.mu.Lock()
	f, _ := s.flows.Get(id)
	if f != nil && !keep {
		s.flows.Delete(id) // single use
	}
	var view flow
	if f != nil {
		view = *f
	}
	s.mu.Unlock()
	switch {
	case f == nil:
		s.errorPage(w, http.StatusBadRequest, "This page's session was not found: it was already used, or the emulator "+
			"forgot it. Start again from the application.")
		return nil, false
	case !s.now().Before(view.expires):
		s.redirectSubCode(w, r, view.req.redirectURI, view.req.state, SubCodePrefix+SessionExpired)
		return nil, false
	}
	return &view, true
}

// handleLogin serves the login page's form: a chosen persona, or Cancel.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		s.errorPage(w, http.StatusServiceUnavailable, "OneID (emulator) is down.")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	cancel := r.PostForm.Get("cancel") != ""
	who := r.PostForm.Get("persona")
	if !cancel && s.people[who] == nil {
		s.errorPage(w, http.StatusBadRequest, "No such persona.")
		return
	}
	f, ok := s.takeFlow(w, r, !cancel)
	if !ok {
		return
	}
	if cancel {
		s.redirectSubCode(w, r, f.req.redirectURI, f.req.state, SubCodePrefix+UserCancelled)
		return
	}
	s.mu.Lock()
	if stored, _ := s.flows.Get(r.PostForm.Get("flow")); stored != nil {
		stored.persona = who
	}
	s.mu.Unlock()
	f.persona = who
	s.showConsent(w, r, f, r.PostForm.Get("flow"))
}

// handleConsent serves the consent page's form: allow or deny.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		s.errorPage(w, http.StatusServiceUnavailable, "OneID (emulator) is down.")
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
	f, ok := s.takeFlow(w, r, false)
	if !ok {
		return
	}
	if f.persona == "" {
		s.errorPage(w, http.StatusBadRequest, "Log in before consenting. Start again from the application.")
		return
	}
	s.finish(w, r, f, decision == "allow")
}

// finish ends a journey: on allow, issue a code and redirect with code and
// state; on deny, redirect with access_denied and UserCancelled.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, f *flow, allow bool) {
	if !allow {
		s.redirectSubCode(w, r, f.req.redirectURI, f.req.state, SubCodePrefix+UserCancelled)
		return
	}
	code, err := s.randomString(32)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
		return
	}
	now := s.now()
	g := &grant{req: f.req, persona: f.persona, expires: now.Add(s.ttl.code)}
	s.mu.Lock()
	// Kept a lifetime past expiry, to tell an expired or used code from an
	// unknown one; when full, the oldest code goes.
	s.codes.Put(code, g, now, g.expires.Add(s.ttl.code))
	s.mu.Unlock()
	s.redirect(w, r, f.req.redirectURI, "code", code, "state", f.req.state)
}

// redirect sends the browser to the (registered) redirect URI with the
// given parameters; an empty state is left out. OneID is not known to send
// iss (RFC 9207), so the emulator does not.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, kv ...string) {
	var b strings.Builder
	b.WriteString(redirectURI)
	sep := "?"
	if strings.Contains(redirectURI, "?") {
		sep = "&"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "state" && kv[i+1] == "" {
			continue
		}
		b.WriteString(sep)
		b.WriteString(queryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(queryEscape(kv[i+1]))
		sep = "&"
	}
	http.Redirect(w, r, b.String(), http.StatusFound)
}

func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

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

// actionBase is the relative URL prefix that leads from the current page to
// the /v2/authorize/ routes, wherever the handler is mounted.
func actionBase(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, PathAuthorize) {
		return "authorize/"
	}
	return ""
}

// Page views.
type (
	loginView struct {
		Action   string
		Flow     string
		App      string
		Personas []personaView
	}
	personaView struct{ ID, Name, Summary string }
	consentView struct {
		Action  string
		Flow    string
		App     string
		Purpose string
		Name    string
		Scopes  []string
	}
)

func (s *Server) appName(id string) string {
	if c := s.clients[id]; c != nil && c.Name != "" {
		return c.Name
	}
	return id
}

// storeFlow keeps f for the pages and returns its id. When maxFlows
// journeys are pending, the oldest is dropped. Expired journeys are kept
// another SessionTTL, to answer SessionExpired rather than "not found".
func (s *Server) storeFlow(f *flow) (string, bool) {
	id, err := s.randomString(32)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	s.flows.Put(id, f, s.now(), f.expires.Add(SessionTTL))
	s.mu.Unlock()
	return id, true
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, f *flow) {
	id, ok := s.storeFlow(f)
	if !ok {
		s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
		return
	}
	v := loginView{Action: actionBase(r) + "login", Flow: id, App: s.appName(f.req.clientID)}
	for _, p := range s.order {
		v.Personas = append(v.Personas, personaView{ID: p.id, Name: p.name, Summary: p.summary})
	}
	s.render(w, http.StatusOK, "login", v)
}

// showConsent shows the consent page for f, stored under id ("" stores it).
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, f *flow, id string) {
	if id == "" {
		var ok bool
		if id, ok = s.storeFlow(f); !ok {
			s.errorPage(w, http.StatusInternalServerError, "The emulator could not draw random bytes.")
			return
		}
	}
	var says []string
	for _, sc := range f.req.scopes {
		says = append(says, scopeSays(sc)+" ("+sc+")")
	}
	s.render(w, http.StatusOK, "consent", consentView{
		Action: actionBase(r) + "consent", Flow: id, App: s.appName(f.req.clientID),
		Purpose: s.clients[f.req.clientID].Purpose, Name: s.people[f.persona].name, Scopes: says,
	})
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

// pagesHTML holds the bank's login page, the consent page and the error
// page. Every control is a native button in a form, so the pages work by
// keyboard alone.
const pagesHTML = `
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · OneID emulator</title>
<style>*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;line-height:1.45;color:#1b1f24;background:#f4f5f7}
.banner{margin:0;background:#8a1c1c;color:#fff;padding:.6rem 1rem;font-weight:600}
.bank{margin:0;background:#0b3d2e;color:#fff;padding:.8rem 1rem;font-weight:700;font-size:1.2rem}
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.4rem 0}
ul{background:#fff;border:1px solid #d5d9de;border-radius:8px;padding:.6rem 1rem .6rem 2rem}
ul.people{list-style:none;padding:0;margin:0;background:none;border:0}.people li{margin:.5rem 0}
.people button{display:block;width:100%;text-align:left;background:#fff;border:1px solid #9aa3ad;border-radius:8px;padding:.7rem .9rem;font:inherit;color:#1b1f24;cursor:pointer}
.people button:hover{border-color:#0b3d2e}.who{font-weight:600}.why{display:block;font-size:.9rem;color:#4a535d;margin-top:.2rem}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:1rem}
.actions button{font:inherit;min-height:44px;padding:.5rem 1.4rem;border-radius:6px;cursor:pointer;font-weight:600}
.allow{background:#0b3d2e;color:#fff;border:2px solid #0b3d2e}.deny{background:#fff;color:#1b1f24;border:2px solid #4a535d}
button:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}</style>
</head><body>
<p class="banner" role="note">EMULATOR: this is not OneID and not a bank. The people here are test data.</p>
<p class="bank">Model Bank · OneID</p>
<main><h1>{{.}}</h1>{{end}}

{{define "login"}}{{template "head" "Log in to Model Bank"}}
<p>{{.App}} uses OneID to check who you are with your bank. Choose the test customer to log in as; each one covers an edge case.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<ul class="people">{{range .Personas}}
<li><button type="submit" name="persona" value="{{.ID}}"><span class="who">{{.Name}}</span>{{if .Summary}}<span class="why">{{.Summary}}</span>{{end}}</button></li>{{end}}
</ul>
<div class="actions"><button type="submit" name="cancel" value="1" class="deny">Cancel</button></div>
</form></main></body></html>{{end}}

{{define "consent"}}{{template "head" "Share your details"}}
<p>Logged in as <strong>{{.Name}}</strong>.</p>
<p><strong>{{.App}}</strong> asks for:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
{{if .Purpose}}<p>Purpose: <strong>{{.Purpose}}</strong></p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<div class="actions"><button type="submit" class="allow" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" class="deny" name="decision" value="deny">Deny</button></div>
</form></main></body></html>{{end}}

{{define "error"}}{{template "head" "Error"}}
<p>{{.}}</p></main></body></html>{{end}}
`
