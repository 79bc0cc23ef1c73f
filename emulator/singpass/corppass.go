package singpass

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/emulator/personas"
)

// Service is the identity service a Server emulates: Singpass or
// Corppass, which run the same FAPI 2.0 profile with other paths, another
// subject and other scopes.
type Service int

const (
	// Singpass: the subject is the person.
	Singpass Service = iota
	// Corppass: the subject is an entity (Config.Entities) and the
	// person acting for it is in act. MyinfoApp is a Myinfo Business app,
	// LoginApp a Corppass Login app.
	Corppass
)

func (s Service) String() string {
	switch s {
	case Singpass:
		return "Singpass"
	case Corppass:
		return "Corppass"
	}
	return fmt.Sprintf("Service(%d)", int(s))
}

// Corppass's endpoint paths below its issuer (research corppass-fapi §1);
// discovery, JWKS and userinfo are at Singpass's paths.
const (
	CorppassPathPAR       = "/request"
	CorppassPathAuthorize = "/mga/sps/oauth/oauth20/authorize"
	CorppassPathToken     = "/mga/sps/oauth/oauth20/token"
)

// DefaultCorppassTokenTTL is the access token lifetime Corppass documents.
const DefaultCorppassTokenTTL = 10 * time.Minute

// endpoints are a service's paths below the issuer.
type endpoints struct{ par, authorize, token, userinfo string }

// pathsOf returns the service's endpoint paths.
func pathsOf(s Service) endpoints {
	if s == Corppass {
		return endpoints{CorppassPathPAR, CorppassPathAuthorize, CorppassPathToken, PathUserinfo}
	}
	return endpoints{PathPAR, PathAuthorize, PathToken, PathUserinfo}
}

// corppassContextType is the only authentication_context_type Corppass
// has.
const corppassContextType = "APP_AUTHENTICATION_DEFAULT"

// corppassLoginScopes are a Corppass Login app's scopes besides openid.
var corppassLoginScopes = []string{
	"entity.identity", "entity.basic_profile.name", "entity.basic_profile.uen_status",
	"user.identity", "user.name", "authinfo", "tpauthinfo",
}

// entityBlocks are entity_info's members; lists are sent as [] when the
// entity has none.
var entityBlocks = map[string]bool{
	"basic_profile": false, "address": false, "history": false,
	"appointments": true, "shareholders": true, "capitals": true, "financials": true,
	"grants": true, "licences": true, "builders": true, "contractors": true,
}

// entity is a Corppass entity prepared for serving.
type entity struct {
	uen, name, summary string
	subAttributes      map[string]string
	info               map[string]json.RawMessage // entity_info, compacted
	users              map[string]*personas.EntityUser
	userOrder          []string
}

// addEntities checks and prepares Config.Entities.
func (s *Server) addEntities(list []personas.Entity, bad func(string, ...any)) {
	if s.cfg.Service != Corppass {
		if len(list) > 0 {
			bad("Entities are for Corppass only")
		}
		return
	}
	if len(list) == 0 {
		bad("no Entities: Corppass logs people in for an entity")
	}
	for i, e := range list {
		if e.UEN == "" || strings.ContainsAny(e.UEN, " \t\r\n/") {
			bad("Entities[%d]: UEN is empty or has spaces", i)
			continue
		}
		if s.entities[e.UEN] != nil {
			bad("Entities[%d]: duplicate UEN %q", i, e.UEN)
			continue
		}
		en := &entity{uen: e.UEN, name: e.Name, summary: e.Summary, users: map[string]*personas.EntityUser{}}
		if err := json.Unmarshal(e.SubAttributes, &en.subAttributes); err != nil {
			bad("Entities[%d]: sub_attributes is not an object of strings", i)
		}
		if err := json.Unmarshal(e.EntityInfo, &en.info); err != nil || en.info == nil {
			bad("Entities[%d]: entity_info is not a JSON object", i)
		}
		for k, v := range en.info {
			var buf bytes.Buffer
			if json.Compact(&buf, v) == nil {
				en.info[k] = buf.Bytes()
			}
		}
		for j := range e.Users {
			u := e.Users[j]
			if s.people[u.ID] == nil {
				bad("Entities[%d]: users[%d] %q is not among the Personas", i, j, u.ID)
				continue
			}
			if en.users[u.ID] != nil {
				bad("Entities[%d]: users[%d] %q repeated", i, j, u.ID)
				continue
			}
			if !isJSONObject(u.AuthInfo) || u.TPAuthInfo != nil && !isJSONObject(u.TPAuthInfo) {
				bad("Entities[%d]: users[%d]: auth_info (and tp_auth_info, if any) must be JSON objects", i, j)
				continue
			}
			en.users[u.ID] = &u
			en.userOrder = append(en.userOrder, u.ID)
		}
		s.entities[e.UEN] = en
		s.entityOrder = append(s.entityOrder, en)
	}
}

// actingFor returns the entities the person acts for, in order.
func (s *Server) actingFor(personID string) []*entity {
	var out []*entity
	for _, e := range s.entityOrder {
		if e.users[personID] != nil {
			out = append(out, e)
		}
	}
	return out
}

// checkCorppassScope checks one Corppass scope for an app kind: a Login
// app's fixed list; a Myinfo Business app's entity.<block>[.<field>],
// user.<Myinfo item>[.<field>], authinfo, tpauthinfo and corppass.email.
// entity.identity is taken from both, as Corppass takes it although its
// Myinfo Business scope pages do not list it.
func (s *Server) checkCorppassScope(c *client, sc string) *oauthError {
	if c.Kind == LoginApp {
		if sc == "user.corppass.email" && s.cfg.LoginCorppassEmail {
			return nil
		}
		if !slices.Contains(corppassLoginScopes, sc) {
			return badScope("scope " + quote(sc) + " is not a Corppass Login scope: use openid plus " +
				strings.Join(corppassLoginScopes, ", ") + " (entity_info needs a Myinfo Business app)")
		}
		return nil
	}
	switch {
	case sc == "authinfo" || sc == "tpauthinfo" || sc == "corppass.email" || sc == "entity.identity":
		return nil
	case strings.HasPrefix(sc, "entity."):
		block, _, _ := strings.Cut(strings.TrimPrefix(sc, "entity."), ".")
		if _, ok := entityBlocks[block]; ok && fieldName(strings.TrimPrefix(sc, "entity.")) {
			return nil
		}
	case strings.HasPrefix(sc, "user."):
		if s.isMyinfoScope(strings.TrimPrefix(sc, "user.")) {
			return nil
		}
	}
	return badScope("scope " + quote(sc) + " is not a Myinfo Business scope: use entity.<block>.<field> (such as " +
		"entity.basic_profile.name), user.<Myinfo item> (such as user.uinfin), authinfo, tpauthinfo or corppass.email")
}

// fieldName reports whether s is lowercase letters, digits, '_', '-' and
// dots between them.
func fieldName(s string) bool {
	if s == "" || len(s) > 100 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// checkCorppassContext applies Corppass's context-parameter rules: a Login
// app must send authentication_context_type APP_AUTHENTICATION_DEFAULT,
// and may send a message of letters, digits and spaces; a Myinfo Business
// app must send neither.
func checkCorppassContext(c *client, form map[string][]string) *oauthError {
	_, hasType := form["authentication_context_type"]
	_, hasMsg := form["authentication_context_message"]
	if c.Kind != LoginApp {
		if hasType || hasMsg {
			return badRequest("authentication_context_type and authentication_context_message can only be provided for Login apps. Please remove these fields from your request body.")
		}
		return nil
	}
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	switch {
	case !hasType:
		return badRequest("authentication_context_type is required for a Corppass Login app: send APP_AUTHENTICATION_DEFAULT")
	case get("authentication_context_type") != corppassContextType:
		return badRequest("authentication_context_type must be APP_AUTHENTICATION_DEFAULT, the only value Corppass allows")
	}
	if hasMsg {
		m := get("authentication_context_message")
		ok := len(m) <= 100
		for _, r := range m {
			ok = ok && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ' ')
		}
		if !ok {
			return badRequest("authentication_context_message must be at most 100 letters, digits and spaces (Corppass allows nothing else)")
		}
	}
	return nil
}

// entityClaims fills a Corppass ID token: sub is the entity, sub_type
// "entity", sub_attributes the entity's for the granted entity scopes (all
// of them with EntityAttributesAlways), act the person with
// sub_attributes for user.identity and user.name.
func (s *Server) entityClaims(claims map[string]any, g *grant, p *person) {
	e := s.entities[g.entity]
	granted := func(sc string) bool { return s.cfg.EntityAttributesAlways || slices.Contains(g.par.scopes, sc) }
	claims["sub"] = e.uen
	claims["sub_type"] = "entity"
	delete(claims, "acr") // no source documents Corppass's acr
	sa := map[string]string{}
	copyAttr := func(names ...string) {
		for _, n := range names {
			if v := e.subAttributes[n]; v != "" {
				sa[n] = v
			}
		}
	}
	if granted("entity.identity") {
		copyAttr("entity_type", "entity_reg_number", "entity_coi")
	}
	if granted("entity.basic_profile.name") {
		copyAttr("entity_name")
	}
	if granted("entity.basic_profile.uen_status") {
		copyAttr("entity_uen_status")
	}
	if len(sa) > 0 {
		claims["sub_attributes"] = sa
	}
	act := map[string]any{"sub": p.sub, "sub_type": "user"}
	asa := map[string]any{}
	if slices.Contains(g.par.scopes, "user.identity") {
		if id := itemValue(p.items["uinfin"]); id != "" {
			asa["account_type"] = "standard"
			asa["identity_number"] = id
			asa["identity_coi"] = "SG"
		}
	}
	if slices.Contains(g.par.scopes, "user.name") {
		if v := itemValue(p.items["name"]); v != "" {
			asa["name"] = v
		}
	}
	if slices.Contains(g.par.scopes, "user.corppass.email") {
		if u := e.users[p.id]; u != nil && u.Email != "" {
			asa["corppass_email"] = u.Email
			asa["corppass_email_verified"] = true
		}
	}
	if len(asa) > 0 {
		act["sub_attributes"] = asa
	}
	if !s.faults.MissingAct() {
		claims["act"] = act
	}
}

// businessBlocks builds a Corppass userinfo's blocks for the granted
// scopes: entity_info (each entity.<block> scope grants its whole block),
// person_info (user.<item> grants the item, unprefixed), corppass_info,
// auth_info and tp_auth_info. Unless ObjectBlocks, each block is sent as a
// JSON string holding it, as Corppass staging does, and so is
// entity_info's basic_profile inside it.
func (s *Server) businessBlocks(c *client, e *entity, p *person, scopes []string) map[string]any {
	out := map[string]any{}
	user := e.users[p.id]
	has := func(sc string) bool { return slices.Contains(scopes, sc) }
	if has("authinfo") {
		out["auth_info"] = user.AuthInfo
	}
	if has("tpauthinfo") {
		tp := user.TPAuthInfo
		if tp == nil {
			tp = json.RawMessage(`{"Result_Set":{"ESrvc_Row_Count":0,"ESrvc_Result":[]}}`)
		}
		out["tp_auth_info"] = tp
	}
	if c.Kind == MyinfoApp {
		info := map[string]json.RawMessage{}
		var items []string
		for _, sc := range scopes {
			switch {
			case strings.HasPrefix(sc, "entity.") && sc != "entity.identity":
				block, _, _ := strings.Cut(strings.TrimPrefix(sc, "entity."), ".")
				if _, done := info[block]; done {
					continue
				}
				v, ok := e.info[block]
				if block == "basic_profile" && s.faults.OtherEntityInfo() {
					v, ok = s.otherEntity(e).info[block]
				}
				switch {
				case ok:
				case entityBlocks[block]:
					v = json.RawMessage(`[]`)
				default:
					v = unavailableItem
				}
				if block == "basic_profile" && !s.cfg.ObjectBlocks {
					v = stringified(v)
				}
				info[block] = v
			case strings.HasPrefix(sc, "user."):
				items = append(items, strings.TrimPrefix(sc, "user."))
			}
		}
		if len(info) > 0 {
			out["entity_info"] = info
		}
		if len(items) > 0 {
			out["person_info"] = s.personInfo(p, items)
		}
		if has("corppass.email") && user.Email != "" {
			out["corppass_info"] = map[string]any{"email": user.Email, "email_verified": true}
		}
	}
	if !s.cfg.ObjectBlocks {
		for k, v := range out {
			out[k] = stringified(mustJSON(v))
		}
	}
	if s.faults.BadEntityBlock() {
		out["entity_info"] = 42 // neither an object nor a string holding one
	}
	return out
}

// otherEntity is the first entity that is not e (e itself when it is the
// only one), for the OtherEntityInfo fault.
func (s *Server) otherEntity(e *entity) *entity {
	for _, o := range s.entityOrder {
		if o != e {
			return o
		}
	}
	return e
}

// stringified is v as a JSON string holding v.
func stringified(v []byte) json.RawMessage { return mustJSON(string(v)) }

// entityChoice reads the login page's choice, "<UEN> <UINFIN>".
func (s *Server) entityChoice(v string) (uen, who string, ok bool) {
	uen, who, found := strings.Cut(v, " ")
	e := s.entities[uen]
	return uen, who, found && e != nil && e.users[who] != nil
}

// pickEntity resolves the persona= and entity= shortcuts of a Corppass
// authorization URL to an entity, or says what is wrong.
func (s *Server) pickEntity(who, uen string) (string, string) {
	if uen != "" {
		e := s.entities[uen]
		switch {
		case e == nil:
			return "", "No such entity: entity= takes a UEN from the login page."
		case e.users[who] == nil:
			return "", "That persona does not act for that entity."
		}
		return uen, ""
	}
	acting := s.actingFor(who)
	switch len(acting) {
	case 0:
		return "", "That persona acts for no entity here."
	case 1:
		return acting[0].uen, ""
	}
	var uens []string
	for _, e := range acting {
		uens = append(uens, e.uen)
	}
	return "", "That persona acts for several entities: add entity= with one of " + strings.Join(uens, ", ") + "."
}

// allowedUserinfoMethod: Corppass takes GET or POST at userinfo, Singpass
// GET.
func (s *Server) allowedUserinfoMethod(m string) bool {
	return m == http.MethodGet || s.cfg.Service == Corppass && m == http.MethodPost
}

// withCertificate attaches to jwk a self-signed certificate of key (x5c,
// x5t, x5t#S256), as Corppass's JWKS carries one for its signing key.
func withCertificate(jwk *jose.JSONWebKey, key *ecdsa.PrivateKey, now time.Time) error {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "Corppass emulator ID token signing"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	jwk.Certificates = []*x509.Certificate{cert}
	jwk.CertificateThumbprintSHA1, jwk.CertificateThumbprintSHA256 = s1[:], s256[:]
	return nil
}

// isJSONObject reports whether b is one JSON object.
func isJSONObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}
