package oneid

import (
	"encoding/json"
	"net/http"
	"strings"
)

// bearer checks "Authorization: Bearer <access token>" and that the token
// is live and grants scope; it writes the error itself and returns nil on
// failure. Errors follow RFC 6750: 401 invalid_token, 403
// insufficient_scope, each with a WWW-Authenticate Bearer challenge.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, scope string) (*accessGrant, *person) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return nil, nil
	}
	fail := func(status int, code, desc string) (*accessGrant, *person) {
		ch := `Bearer realm="OneID", error="` + code + `", error_description="` + desc + `"`
		if code == "insufficient_scope" {
			ch += `, scope="` + scope + `"`
		}
		w.Header().Set("WWW-Authenticate", ch)
		writeError(w, &oauthError{status, code, desc})
		return nil, nil
	}
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return fail(http.StatusUnauthorized, "invalid_token", "send one Authorization header: Bearer <access_token from /token>")
	}
	scheme, token, _ := strings.Cut(vals[0], " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > MaxTokenBytes {
		return fail(http.StatusUnauthorized, "invalid_token", "send Authorization: Bearer <access_token from /token>")
	}
	now := s.now()
	s.mu.Lock()
	ag, _ := s.tokens.Get(token)
	var g accessGrant
	if ag != nil {
		g = *ag
	}
	s.mu.Unlock()
	switch {
	case ag == nil:
		return fail(http.StatusUnauthorized, "invalid_token", "the access token is unknown (or expired long ago): get one from /token")
	case !now.Before(g.expires):
		return fail(http.StatusUnauthorized, "invalid_token", "the access token has expired: it lives "+s.ttl.token.String()+
			", so fetch every resource right after the token exchange")
	case scope != "" && !hasScope(g.scopes, scope):
		return fail(http.StatusForbidden, "insufficient_scope", "this endpoint needs the "+scope+
			" scope, which the authorization request did not ask for")
	}
	return &g, s.people[g.persona]
}

// userinfo builds the /userinfo answer for the granted scopes: sub, the
// claims of each scope, age_over_18 with its scope, and unverified_claims
// holding the person's unverified claims of the same scopes.
func (s *Server) userinfo(p *person, granted []string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{"sub": p.userinfo["sub"]}
	unverified := map[string]json.RawMessage{}
	for _, sc := range granted {
		for _, claim := range scopeClaims[sc] {
			if v, ok := p.userinfo[claim]; ok {
				out[claim] = v
			}
			if v, ok := p.unverified[claim]; ok {
				unverified[claim] = v
			}
		}
	}
	if hasScope(granted, "age_over_18") {
		if v, ok := p.age["age_over_18"]; ok {
			out["age_over_18"] = v
		}
	}
	if len(unverified) > 0 {
		out["unverified_claims"] = mustJSON(map[string]any{"claims": unverified})
	}
	return out
}

// handleUserinfo serves GET /userinfo (scope openid).
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	g, p := s.bearer(w, r, "openid")
	if g == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.userinfo(p, g.scopes))
}

// handleAgeVerification serves GET /ageverification (scope age_over_18).
func (s *Server) handleAgeVerification(w http.ResponseWriter, r *http.Request) {
	g, p := s.bearer(w, r, "age_over_18")
	if g == nil {
		return
	}
	writeJSON(w, http.StatusOK, p.age)
}

// handleAccounts serves GET /accounts (scope accounts): each account, with
// its balance only when accounts.balances was granted too.
func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	g, p := s.bearer(w, r, "accounts")
	if g == nil {
		return
	}
	balances := hasScope(g.scopes, "accounts.balances") || s.faults.BalancesWithoutScope()
	out := make([]map[string]json.RawMessage, 0, len(p.accounts))
	for _, a := range p.accounts {
		acct := make(map[string]json.RawMessage, len(a))
		for k, v := range a {
			if k != "balance" || balances {
				acct[k] = v
			}
		}
		out = append(out, acct)
	}
	writeJSON(w, http.StatusOK, out)
}
