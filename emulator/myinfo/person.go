package myinfo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// handlePerson serves GET /{api}/v3/person/{sub}[/].
func (s *Server) handlePerson(api string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			writeAPIError(w, http.StatusServiceUnavailable, "Myinfo is under maintenance", "")
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, "Malformed query", "")
			return
		}
		if k := repeatedParam(q); k != "" {
			writeAPIError(w, http.StatusBadRequest, "Repeated parameter", k)
			return
		}
		clientID := q.Get("client_id")
		bearer, ok := s.personAuth(w, r, clientID, q)
		if !ok {
			return
		}
		claims, expired := s.verifyToken(bearer)
		switch {
		case expired:
			writeAPIError(w, http.StatusUnauthorized, "Access token has expired", "")
			return
		case claims == nil:
			writeAPIError(w, http.StatusUnauthorized, "Invalid access token", "")
			return
		case claims.ClientID != clientID:
			writeAPIError(w, http.StatusUnauthorized, "Access token was not issued to this client", "client_id")
			return
		case claims.Realm != realm(api):
			writeAPIError(w, http.StatusForbidden, "Incorrect API URL", "")
			return
		case claims.Sub != r.PathValue("sub"):
			writeAPIError(w, http.StatusUnauthorized, "UIN/FIN requested does not match the logged in user", "")
			return
		}
		if api == "gov" && q.Get("sp_esvcId") == "" {
			writeAPIError(w, http.StatusForbidden, "Digital service is not registered: sp_esvcId is required", "sp_esvcId")
			return
		}
		if !q.Has("attributes") {
			writeAPIError(w, http.StatusBadRequest, "Missing attributes", "attributes")
			return
		}
		scope := map[string]bool{}
		for _, a := range claims.Scope {
			scope[a] = true
		}
		var attrs, disallowed []string
		seen := map[string]bool{}
		for _, a := range strings.Split(q.Get("attributes"), ",") {
			switch {
			case seen[a]:
			case !scope[a]:
				disallowed = append(disallowed, a)
			default:
				attrs = append(attrs, a)
			}
			seen[a] = true
		}
		if len(disallowed) > 0 {
			writeAPIError(w, http.StatusUnauthorized, "Disallowed", strings.Join(disallowed, ","))
			return
		}
		p := s.people[claims.Sub]
		if p == nil {
			writeAPIError(w, http.StatusNotFound, "UIN/FIN does not exist in MyInfo.", "")
			return
		}
		body := p.document(attrs)
		if s.cfg.Sandbox {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		out, err := s.protect(body)
		if err != nil {
			writeAPIError(w, http.StatusInternalServerError, "Unexpected error", "")
			return
		}
		w.Header().Set("Content-Type", "application/jose")
		_, _ = w.Write([]byte(out))
	}
}

// personAuth checks the person API's Authorization header and returns the
// access token. Outside the sandbox it must be "PKI_SIGN …,Bearer <token>"
// with a valid signature; in the sandbox "Bearer <token>" (a PKI_SIGN
// header is tolerated and not checked). On failure it writes the 401.
func (s *Server) personAuth(w http.ResponseWriter, r *http.Request, clientID string, q url.Values) (string, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		writeAPIError(w, http.StatusUnauthorized, "No security header given", "Authorization")
		return "", false
	}
	if s.cfg.Sandbox {
		if clientID != s.cfg.ClientID {
			writeAPIError(w, http.StatusUnauthorized, "Invalid client_id", "client_id")
			return "", false
		}
		if tok, ok := cutFold(h, "Bearer "); ok {
			return strings.TrimSpace(tok), true
		}
		if _, tok, err := ParsePKISign(h); err == nil && tok != "" {
			return tok, true
		}
		writeAPIError(w, http.StatusUnauthorized, "Authorization header must be Bearer <access token>", "Authorization")
		return "", false
	}
	p, bearer, err := ParsePKISign(h)
	if err != nil || bearer == "" {
		writeAPIError(w, http.StatusUnauthorized, "Authorization header must be PKI_SIGN …,Bearer <access token>", "Authorization")
		return "", false
	}
	if !s.checkPKISign(w, r, p, clientID, q) {
		return "", false
	}
	return bearer, true
}

// document returns the person's requested attributes, in the order
// requested, as a JSON object. Attributes the person lacks are left out.
func (p *person) document(attrs []string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, a := range attrs {
		v, ok := p.attrs[a]
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(a)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// protect signs the person document (JWS RS256, header alg and kid) and
// encrypts it (JWE RSA-OAEP A256GCM, kid of the recipient key) to the
// client. The JWE plaintext is the compact JWS as a JSON string, as real
// Myinfo sends it, or the bare JWS under Config.BareJWS.
func (s *Server) protect(doc []byte) (string, error) {
	key, err := s.signingKey(true)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(doc)
	if err != nil {
		return "", err
	}
	jws, err := sig.CompactSerialize()
	if err != nil {
		return "", err
	}
	plaintext := []byte(jws)
	if !s.cfg.BareJWS {
		if plaintext, err = json.Marshal(jws); err != nil {
			return "", err
		}
	}
	var recipient any = s.encKey
	if s.faults.WrongEncryptionKey() {
		wk, err := s.faultKey()
		if err != nil {
			return "", err
		}
		recipient = &wk.PublicKey
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: recipient, KeyID: s.encKID}, nil)
	if err != nil {
		return "", err
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
