package singpass

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// unavailableItem is what person_info holds for a granted item the persona
// has no record of (the v3/v4 "unavailable" form).
var unavailableItem = json.RawMessage(`{"lastupdated":"","source":"1","classification":"C","unavailable":true}`)

// handleUserinfo serves GET /userinfo: Authorization: DPoP <access token>
// and a DPoP proof with ath, signed by the key the token is bound to; it
// answers application/jwt, a JWE (UserinfoEncryption) around an ES256 JWS
// of {person_info, iss, sub, aud, iat}.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	token, e := dpopToken(r)
	if e != nil {
		writeResourceError(w, e)
		return
	}
	ac, e := s.verifyAccessToken(token)
	if e != nil {
		writeResourceError(w, e)
		return
	}
	c := s.clients[ac.ClientID]
	p := s.bySub[ac.Sub]
	var ent *entity
	if s.cfg.Service == Corppass {
		p, ent = s.bySub[ac.Act], s.entities[ac.Sub]
		if ent != nil && p != nil && ent.users[p.id] == nil {
			p = nil
		}
	}
	if c == nil || p == nil || s.cfg.Service == Corppass && ent == nil {
		writeResourceError(w, &oauthError{http.StatusUnauthorized, "invalid_token", "the access token names a client or person this emulator no longer has"})
		return
	}
	jkt, e := s.checkDPoP(r, s.url(s.paths.userinfo), token)
	if e != nil {
		e.status = http.StatusUnauthorized
		writeResourceError(w, e)
		return
	}
	if jkt != ac.Cnf.Jkt {
		writeResourceError(w, &oauthError{http.StatusUnauthorized, "invalid_dpop_proof",
			"the DPoP proof is signed by another key than the one the access token is bound to: use the login's DPoP key (from PAR and token)"})
		return
	}
	if s.cfg.Service == Corppass {
		s.corppassUserinfo(w, r, c, ent, p, ac)
		return
	}
	if c.Kind == LoginApp {
		writeResourceError(w, &oauthError{http.StatusForbidden, "invalid_request",
			"userinfo is for Myinfo apps; a Login app reads the person from the ID token's sub_attributes"})
		return
	}
	sub := ac.Sub
	if s.faults.UserinfoSubMismatch() {
		sub = subjectOf(p.id + "\x00another person")
	}
	claims := map[string]any{
		"person_info": s.personInfo(p, strings.Fields(ac.Scope)),
		"iss":         s.issuer,
		"sub":         sub,
		"aud":         c.ID,
		"iat":         s.now().Unix(),
	}
	jws, e := s.sign(claims, s.faults.BadUserinfoSignature())
	if e != nil {
		writeError(w, e)
		return
	}
	jwe, e := s.encrypt(r.Context(), c, s.uiEnc, jws)
	if e != nil {
		writeError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwe))
}

// personInfo holds the persona's items for the granted scopes, each in its
// Myinfo v3 form; a dotted field scope grants its whole item.
func (s *Server) personInfo(p *person, scopes []string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, item := range itemsOf(scopes) {
		if v, ok := p.items[item]; ok {
			out[item] = v
		} else {
			out[item] = unavailableItem
		}
	}
	return out
}

// dpopToken reads "Authorization: DPoP <token>".
func dpopToken(r *http.Request) (string, *oauthError) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", &oauthError{http.StatusUnauthorized, "invalid_token",
			"send one Authorization header: DPoP <access token>"}
	}
	scheme, token, _ := strings.Cut(vals[0], " ")
	token = strings.TrimSpace(token)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return "", &oauthError{http.StatusUnauthorized, "invalid_token",
			"the access token is DPoP-bound: send Authorization: DPoP <access token>, not Bearer"}
	case !strings.EqualFold(scheme, "DPoP") || token == "":
		return "", &oauthError{http.StatusUnauthorized, "invalid_token",
			"send Authorization: DPoP <access token>"}
	}
	return token, nil
}

// writeResourceError writes a userinfo error with a WWW-Authenticate DPoP
// challenge (RFC 9449 §7.1) for 401s.
func writeResourceError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `DPoP algs="ES256", error="`+e.code+`", error_description="`+
			strings.ReplaceAll(e.description, `"`, `'`)+`"`)
	}
	writeError(w, e)
}

// corppassUserinfo answers a Corppass userinfo request: the Myinfo
// Business blocks for the granted scopes ({iss, sub, aud, iat} and the
// blocks), signed ES256 and, unless SignedUserinfo, encrypted (A256GCM,
// typ JWE, no cty, as staging sends). A Login app gets only auth_info and
// tp_auth_info, and must have asked for one of them.
func (s *Server) corppassUserinfo(w http.ResponseWriter, r *http.Request, c *client, e *entity, p *person, ac *accessClaims) {
	scopes := strings.Fields(ac.Scope)
	if c.Kind == LoginApp && !slices.Contains(scopes, "authinfo") && !slices.Contains(scopes, "tpauthinfo") {
		writeResourceError(w, &oauthError{http.StatusForbidden, "invalid_request",
			"a Corppass Login app calls userinfo only for roles (scope authinfo or tpauthinfo); the entity and the person are in the ID token"})
		return
	}
	claims := s.businessBlocks(c, e, p, scopes)
	sub := ac.Sub
	switch {
	case s.faults.UserinfoSubMismatch():
		sub = "199999999Z" // another entity's UEN
	case s.cfg.UserinfoSubjectClientID:
		sub = c.ID
	}
	claims["iss"], claims["sub"], claims["aud"], claims["iat"] = s.issuer, sub, c.ID, s.now().Unix()
	jws, oe := s.sign(claims, s.faults.BadUserinfoSignature())
	if oe != nil {
		writeError(w, oe)
		return
	}
	body := jws
	if !s.cfg.SignedUserinfo {
		if body, oe = s.encryptTyped(r.Context(), c, s.uiEnc, jws, "JWE", ""); oe != nil {
			writeError(w, oe)
			return
		}
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}
