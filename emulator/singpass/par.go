package singpass

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parRequest is a pushed authorization request, kept under its request_uri
// until the browser arrives at the authorization endpoint.
type parRequest struct {
	clientID      string
	redirectURI   string
	state, nonce  string
	scopes        []string
	codeChallenge string
	jkt           string // the DPoP key every later request must use
	acr           string // requested acr_values, "" when none
	expires       time.Time
	used          bool
}

const maxStateLen = 255

// handlePAR serves POST /par (RFC 9126): client authentication, DPoP (or
// dpop_jkt), the authorization parameters; 201 with request_uri and
// expires_in.
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	form, e := readForm(r)
	if e != nil {
		writeError(w, e)
		return
	}
	c, e := s.authenticateClient(r.Context(), form, s.url(s.paths.par))
	if e != nil {
		writeError(w, e)
		return
	}
	jkt := form.Get("dpop_jkt")
	if jkt != "" && !isBase64URL(jkt, 43, 43) {
		writeError(w, badProof("dpop_jkt must be the base64url SHA-256 JWK thumbprint (RFC 7638) of your DPoP key, 43 characters"))
		return
	}
	if len(r.Header.Values("DPoP")) > 0 || jkt == "" {
		proofJKT, e := s.checkDPoP(r, s.url(s.paths.par), "")
		if e != nil {
			writeError(w, e)
			return
		}
		if jkt != "" && jkt != proofJKT {
			writeError(w, badProof("dpop_jkt differs from the thumbprint of the DPoP proof's key: send one key's thumbprint, or just the DPoP header"))
			return
		}
		jkt = proofJKT
	}
	pr, e := s.checkPARParams(c, form)
	if e != nil {
		writeError(w, e)
		return
	}
	pr.jkt = jkt
	id, err := s.randomString(16)
	if err != nil {
		writeError(w, &oauthError{http.StatusInternalServerError, "server_error", "the emulator could not draw random bytes"})
		return
	}
	id = requestURIPrefix + id
	now := s.now()
	pr.expires = now.Add(s.ttl.requestURI)
	s.mu.Lock()
	// Kept a lifetime past expiry, to tell an expired or used request_uri
	// from an unknown one; when full, the oldest goes.
	s.pending.Put(id, pr, now, pr.expires.Add(s.ttl.requestURI))
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": id, "expires_in": int(s.ttl.requestURI / time.Second)})
}

// checkPARParams checks the authorization parameters of a PAR.
func (s *Server) checkPARParams(c *client, form map[string][]string) (*parRequest, *oauthError) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	has := func(k string) bool { _, ok := form[k]; return ok }
	switch {
	case has("request_uri"):
		return nil, badRequest("PAR takes the authorization parameters themselves; request_uri is what PAR answers")
	case has("request"):
		return nil, badRequest("request objects are not supported: send the parameters form-encoded")
	case get("response_type") != "code":
		return nil, badRequest(`response_type must be "code"`)
	}
	pr := &parRequest{clientID: c.ID, redirectURI: get("redirect_uri"), state: get("state"), nonce: get("nonce"),
		codeChallenge: get("code_challenge"), acr: get("acr_values")}
	switch {
	case pr.redirectURI == "":
		return nil, badRequest("redirect_uri is required: one of the URIs registered for this app")
	case !c.redirects[pr.redirectURI]:
		return nil, badRequest("redirect_uri " + quote(pr.redirectURI) + " is not registered for this app; it must equal a registered URI exactly")
	}
	scopes, e := s.checkScopes(c, get("scope"))
	if e != nil {
		return nil, e
	}
	pr.scopes = scopes
	if e := s.checkStateNonce("state", pr.state); e != nil {
		return nil, e
	}
	if e := s.checkStateNonce("nonce", pr.nonce); e != nil {
		return nil, e
	}
	switch {
	case get("code_challenge_method") != "S256":
		return nil, badRequest(`PKCE is required: code_challenge_method must be "S256"`)
	case !isBase64URL(pr.codeChallenge, 43, 43):
		return nil, badRequest("code_challenge must be the base64url (no padding) SHA-256 of the code_verifier, 43 characters")
	}
	act, acm := get("authentication_context_type"), get("authentication_context_message")
	if s.cfg.Service == Corppass {
		if e := checkCorppassContext(c, form); e != nil {
			return nil, e
		}
	} else if c.Kind != LoginApp && (has("authentication_context_type") || has("authentication_context_message")) {
		return nil, badRequest("authentication_context_type and authentication_context_message can only be provided for Login apps. Please remove these fields from your request body.")
	}
	if s.cfg.Service == Singpass && has("authentication_context_type") && !isContextType(act) {
		return nil, badRequest("authentication_context_type must be one of Singpass's values, such as APP_AUTHENTICATION_DEFAULT")
	}
	if s.cfg.Service == Singpass && has("authentication_context_message") && !isContextMessage(acm) {
		return nil, badRequest("authentication_context_message must be at most 100 printable ASCII characters, without < > or `")
	}
	if has("acr_values") {
		if !c.AllowACR {
			return nil, badRequest("acr_values is not enabled for this app; Singpass allows it only for whitelisted apps")
		}
		for _, v := range strings.Fields(pr.acr) {
			switch v {
			case "urn:singpass:authentication:loa:1", "urn:singpass:authentication:loa:2", "urn:singpass:authentication:loa:3":
			default:
				return nil, badRequest("acr_values must be urn:singpass:authentication:loa:1, :2 or :3")
			}
		}
	}
	switch get("redirect_uri_https_type") {
	case "", "standard_https", "app_claimed_https":
	default:
		return nil, badRequest(`redirect_uri_https_type must be "standard_https" or "app_claimed_https"`)
	}
	return pr, nil
}

// checkStateNonce checks state or nonce: required, at most 255 characters
// of [A-Za-z0-9/+_\-=.], at least MinStateNonceLength.
func (s *Server) checkStateNonce(name, v string) *oauthError {
	least := max(s.cfg.MinStateNonceLength, 1)
	if len(v) < least || len(v) > maxStateLen {
		if v == "" {
			return badRequest(name + " is required (a fresh random value per login, such as 32 random bytes base64url-encoded)")
		}
		return badRequest(name + " must be between " + strconv.Itoa(least) + " and 255 characters")
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("/+_-=.", r)) {
			return badRequest(name + " may hold only letters, digits and / + _ - = .")
		}
	}
	return nil
}

// isBase64URL reports whether v is unpadded base64url of a length in
// [least, most].
func isBase64URL(v string, least, most int) bool {
	if len(v) < least || len(v) > most {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// isContextType reports whether v looks like one of Singpass's
// authentication_context_type values (APP_AUTHENTICATION_DEFAULT,
// CPF_…, BANK_…): 1 to 64 of A-Z, 0-9 and _.
func isContextType(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// isContextMessage reports whether v is at most 100 printable ASCII
// characters without < > or `.
func isContextMessage(v string) bool {
	if len(v) > 100 {
		return false
	}
	for _, r := range v {
		if r < 0x20 || r > 0x7e || r == '<' || r == '>' || r == '`' {
			return false
		}
	}
	return true
}
