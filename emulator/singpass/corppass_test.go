package singpass

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
)

const (
	cpIssuer  = "https://corppass.test" // like Corppass's: no /fapi
	cpCompany = "201834567M"
	cpSole    = "53312345K"
	cpOng     = "S8214727F" // acts for the company and his sole proprietorship
	cpArun    = "T0163548J" // the company only
)

// newCorppassEnv is newEnv in Corppass mode: the Myinfo rp is a Myinfo
// Business app, the Login rp a Corppass Login app.
func newCorppassEnv(t *testing.T, mods ...func(*Config)) *env {
	t.Helper()
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, append([]func(*Config){func(c *Config) {
		c.Service, c.Issuer, c.Entities = Corppass, cpIssuer, entities
	}}, mods...)...)
}

func TestCorppassDiscoveryAndJWKS(t *testing.T) {
	e := newCorppassEnv(t)
	for name, want := range map[string]string{
		"issuer":                                cpIssuer,
		"pushed_authorization_request_endpoint": cpIssuer + "/request",
		"authorization_endpoint":                cpIssuer + "/mga/sps/oauth/oauth20/authorize",
		"token_endpoint":                        cpIssuer + "/mga/sps/oauth/oauth20/token",
		"userinfo_endpoint":                     cpIssuer + "/userinfo",
		"jwks_uri":                              cpIssuer + "/.well-known/keys",
	} {
		if got := e.disco[name]; got != want {
			t.Errorf("%s = %v, want %s", name, got, want)
		}
	}
	rec := e.do(httptest.NewRequest("GET", cpIssuer+"/.well-known/keys", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("JWKS Content-Type %q", ct)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", rec.Body, err)
	}
	k := set.Keys[0]
	pub, ok := k.Key.(*ecdsa.PublicKey)
	if len(k.Certificates) != 1 || !ok || !pub.Equal(k.Certificates[0].PublicKey) || len(k.CertificateThumbprintSHA256) != 32 {
		t.Errorf("the signing key carries no certificate of itself: %+v", k)
	}
	// Singpass's paths are not Corppass's.
	if rec := e.do(httptest.NewRequest("POST", cpIssuer+"/par", nil)); rec.Code != http.StatusNotFound {
		t.Errorf("POST /par: %d", rec.Code)
	}
}

// TestCorppassContextParameters: Corppass's rules for
// authentication_context_type and _message, per app kind.
func TestCorppassContextParameters(t *testing.T) {
	tests := []struct {
		name   string
		login  bool // the Login app, else the Myinfo Business app
		extra  url.Values
		status int
		want   string
	}{
		{"Login app without a context type", true, url.Values{}, 400, "authentication_context_type is required"},
		{"Login app, another context type", true, url.Values{"authentication_context_type": {"APP_ONBOARDING_DEFAULT"}}, 400, "the only value Corppass allows"},
		{"Login app, a message with punctuation", true, url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"},
			"authentication_context_message": {"Log in, please!"}}, 400, "letters, digits and spaces"},
		{"Login app, a message of 101 characters", true, url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"},
			"authentication_context_message": {strings.Repeat("a", 101)}}, 400, "at most 100"},
		{"Login app, right", true, url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"},
			"authentication_context_message": {"Log in to Example Bank 2"}}, 201, ""},
		{"Myinfo Business app with a context type", false, url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}},
			400, "can only be provided for Login apps"},
		{"Myinfo Business app with a message only", false, url.Values{"authentication_context_message": {"hello"}},
			400, "can only be provided for Login apps"},
		{"Myinfo Business app, right", false, url.Values{}, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCorppassEnv(t)
			r := e.myinfo
			if tt.login {
				r = e.login
			}
			l := e.newLogin(r, "openid entity.identity authinfo")
			l.extra = tt.extra
			rec := l.sendPAR(l.parForm(), l.proof("POST", cpIssuer+"/request", ""))
			if tt.status == 201 {
				if rec.Code != 201 {
					t.Fatalf("PAR: %d %s", rec.Code, rec.Body)
				}
				return
			}
			oauthErr(t, rec, tt.status, "invalid_request", tt.want)
		})
	}
}

func TestCorppassScopes(t *testing.T) {
	tests := []struct {
		name  string
		login bool
		scope string
		ok    bool
	}{
		{"Login scopes", true, "openid entity.identity entity.basic_profile.name entity.basic_profile.uen_status user.identity user.name authinfo tpauthinfo", true},
		{"entity_info scope on a Login app", true, "openid entity.basic_profile.type", false},
		{"Singpass scope on a Login app", true, "openid name", false},
		{"Myinfo Business scopes", false, "openid entity.identity entity.basic_profile.name entity.appointments.position entity.financials.company_financial.revenue user.uinfin user.regadd corppass.email authinfo tpauthinfo", true},
		{"an unknown entity block", false, "openid entity.nonsense.name", false},
		{"a malformed field", false, "openid entity.basic_profile..name", false},
		{"an unknown person item", false, "openid user.nonsense", false},
		{"a bare Myinfo item", false, "openid uinfin", false},
		{"no openid", false, "entity.identity", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCorppassEnv(t)
			r, extra := e.myinfo, url.Values{}
			if tt.login {
				r, extra = e.login, url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}}
			}
			l := e.newLogin(r, tt.scope)
			l.extra = extra
			rec := l.sendPAR(l.parForm(), l.proof("POST", cpIssuer+"/request", ""))
			if tt.ok != (rec.Code == 201) {
				t.Fatalf("PAR: %d %s", rec.Code, rec.Body)
			}
			if !tt.ok {
				oauthErr(t, rec, 400, "invalid_scope", "scope")
			}
		})
	}
}

// openUserinfo decrypts a Corppass userinfo JWE (typ JWE, no cty) with the
// rp's key and verifies the JWS inside, or verifies a bare JWS.
func (e *env) openUserinfo(r *rp, body string) (jose.Header, map[string]any) {
	e.t.Helper()
	var h jose.Header
	inner := []byte(body)
	if strings.Count(body, ".") == 4 {
		jwe, err := jose.ParseEncryptedCompact(body, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			e.t.Fatal(err)
		}
		h = jwe.Header
		if inner, err = jwe.Decrypt(r.encKey); err != nil {
			e.t.Fatal(err)
		}
	}
	jws, err := jose.ParseSignedCompact(string(inner), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		e.t.Fatal(err)
	}
	keys := e.providerKeys()
	payload, err := jws.Verify(keys.Keys[0])
	if err != nil {
		e.t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		e.t.Fatal(err)
	}
	return h, claims
}

// TestCorppassMyinfoBusiness: a whole Myinfo Business login, checked on
// the wire: the entity subject, act, scope-gated sub_attributes, the
// echoed scope, the 10-minute token, userinfo on GET and POST with its
// blocks as JSON strings.
func TestCorppassMyinfoBusiness(t *testing.T) {
	e := newCorppassEnv(t)
	l := e.newLogin(e.myinfo, "openid entity.basic_profile.name entity.appointments.position user.uinfin corppass.email authinfo")
	l.par()
	l.authorizeCode(cpArun)
	rec := l.sendToken(l.tokenForm(), l.proof("POST", cpIssuer+"/mga/sps/oauth/oauth20/token", ""))
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || rec.Code != 200 {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	if tok.ExpiresIn != 600 || tok.Scope != l.scope {
		t.Errorf("expires_in %d, scope %q: want 600 and the granted scope echoed", tok.ExpiresIn, tok.Scope)
	}
	_, id, err := e.openJWT(e.myinfo, tok.IDToken, jose.A256CBC_HS512)
	if err != nil {
		t.Fatal(err)
	}
	arunSub := subjectOf(cpArun)
	act, _ := id["act"].(map[string]any)
	sa, _ := id["sub_attributes"].(map[string]any)
	if id["sub"] != cpCompany || id["sub_type"] != "entity" || act["sub"] != arunSub || act["sub_type"] != "user" {
		t.Fatalf("ID token %v", id)
	}
	// Only entity.basic_profile.name among the entity's attributes.
	if len(sa) != 1 || sa["entity_name"] != "MERLION HARBOUR LOGISTICS PTE. LTD." {
		t.Errorf("sub_attributes %v", sa)
	}
	if _, ok := act["sub_attributes"]; ok {
		t.Errorf("act.sub_attributes without user.identity or user.name: %v", act)
	}
	if _, ok := id["acr"]; ok {
		t.Errorf("acr, which Corppass does not document: %v", id["acr"])
	}
	l.access = tok.AccessToken

	ui := cpIssuer + "/userinfo"
	for _, method := range []string{"GET", "POST"} {
		r := httptest.NewRequest(method, ui, nil)
		r.Header.Set("Authorization", "DPoP "+l.access)
		r.Header.Set("DPoP", l.proof(method, ui, l.access))
		rec := e.do(r)
		if rec.Code != 200 {
			t.Fatalf("%s userinfo: %d %s", method, rec.Code, rec.Body)
		}
		h, claims := e.openUserinfo(e.myinfo, rec.Body.String())
		if h.ExtraHeaders["typ"] != "JWE" || h.ExtraHeaders["cty"] != nil || h.KeyID != e.myinfo.encKID {
			t.Errorf("userinfo JWE header %+v", h)
		}
		if claims["sub"] != cpCompany || claims["aud"] != myinfoID || claims["iss"] != cpIssuer {
			t.Errorf("userinfo claims %v", claims)
		}
		blocks := map[string]map[string]any{}
		for _, name := range []string{"entity_info", "person_info", "corppass_info", "auth_info"} {
			s, ok := claims[name].(string)
			var m map[string]any
			if !ok || json.Unmarshal([]byte(s), &m) != nil {
				t.Fatalf("%s is not a JSON string holding an object: %v", name, claims[name])
			}
			blocks[name] = m
		}
		if _, ok := claims["tp_auth_info"]; ok {
			t.Errorf("tp_auth_info without tpauthinfo")
		}
		ei := blocks["entity_info"]
		var bp map[string]any
		if s, ok := ei["basic_profile"].(string); !ok || json.Unmarshal([]byte(s), &bp) != nil || bp["name"] == nil {
			t.Errorf("basic_profile is not double-encoded as staging sends it: %v", ei["basic_profile"])
		}
		if apps, _ := ei["appointments"].([]any); len(apps) != 3 || len(ei) != 2 {
			t.Errorf("entity_info holds %d members and %d appointments, want basic_profile and appointments (3)", len(ei), len(apps))
		}
		if pi := blocks["person_info"]; len(pi) != 1 || pi["uinfin"] == nil {
			t.Errorf("person_info %v", pi)
		}
		if ci := blocks["corppass_info"]; ci["email"] != "arun@merlionharbour.example" || ci["email_verified"] != true {
			t.Errorf("corppass_info %v", ci)
		}
	}

	// The access token lives ten minutes.
	e.clock.Advance(10*time.Minute + time.Second)
	oauthErr(t, l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access)), 401, "invalid_token", "expired")
}

// TestCorppassVariants: the switches for the documented (or older) forms.
func TestCorppassVariants(t *testing.T) {
	e := newCorppassEnv(t, func(c *Config) {
		c.ObjectBlocks, c.SignedUserinfo, c.UserinfoSubjectClientID, c.EntityAttributesAlways = true, true, true, true
	})
	l := e.newLogin(e.myinfo, "openid entity.basic_profile.name authinfo")
	l.fullLogin(cpArun)
	_, id, err := e.openJWT(e.myinfo, l.idToken, jose.A256CBC_HS512)
	if err != nil {
		t.Fatal(err)
	}
	if sa, _ := id["sub_attributes"].(map[string]any); len(sa) != 5 {
		t.Errorf("EntityAttributesAlways: sub_attributes %v", sa)
	}
	body := l.userinfo()
	if strings.Count(body, ".") != 2 {
		t.Fatalf("SignedUserinfo: not a bare JWS")
	}
	_, claims := e.openUserinfo(e.myinfo, body)
	if claims["sub"] != myinfoID {
		t.Errorf("UserinfoSubjectClientID: sub %v", claims["sub"])
	}
	ei, ok := claims["entity_info"].(map[string]any)
	if _, bpOK := ei["basic_profile"].(map[string]any); !ok || !bpOK {
		t.Errorf("ObjectBlocks: entity_info %v", claims["entity_info"])
	}
}

// TestCorppassLoginApp: the person and entity in the ID token; userinfo
// only for roles.
func TestCorppassLoginApp(t *testing.T) {
	e := newCorppassEnv(t)
	l := e.newLogin(e.login, "openid entity.identity user.identity user.name")
	l.extra = url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}}
	l.par()
	l.authorizeCode(cpOng + "&entity=" + cpSole)
	l.token()
	_, id, err := e.openJWT(e.login, l.idToken, jose.A256CBC_HS512)
	if err != nil {
		t.Fatal(err)
	}
	act, _ := id["act"].(map[string]any)
	asa, _ := act["sub_attributes"].(map[string]any)
	sa, _ := id["sub_attributes"].(map[string]any)
	if id["sub"] != cpSole || asa["identity_number"] != cpOng || asa["name"] != "ONG KAI XIANG" || asa["account_type"] != "standard" ||
		sa["entity_reg_number"] != cpSole || sa["entity_type"] != "UEN" || sa["entity_name"] != nil {
		t.Fatalf("ID token %v", id)
	}
	ui := cpIssuer + "/userinfo"
	oauthErr(t, l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access)), 403, "invalid_request", "only for roles")

	l = e.newLogin(e.login, "openid authinfo")
	l.extra = url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}}
	l.par()
	l.authorizeCode(cpOng + "&entity=" + cpCompany)
	l.token()
	_, claims := e.openUserinfo(e.login, l.userinfo())
	var ai map[string]any
	if s, _ := claims["auth_info"].(string); json.Unmarshal([]byte(s), &ai) != nil || ai["Result_Set"] == nil || claims["entity_info"] != nil {
		t.Errorf("Login app userinfo %v", claims)
	}
}

// TestCorppassPersonaShortcuts: persona= and entity= pick who logs in for
// which entity, and say what is wrong before the request_uri is spent.
func TestCorppassPersonaShortcuts(t *testing.T) {
	e := newCorppassEnv(t)
	tests := []struct{ extra, want string }{
		{"&persona=" + cpOng, "acts for several entities: add entity= with one of 201834567M, 53312345K"},
		{"&persona=" + cpArun + "&entity=" + cpSole, "does not act for that entity"},
		{"&persona=" + cpOng + "&entity=999", "No such entity"},
		{"&persona=S6005048A", "acts for no entity here"},
		{"&entity=" + cpSole, "entity= needs persona="},
	}
	l := e.newLogin(e.myinfo, "openid authinfo")
	l.par()
	for _, tt := range tests {
		u := cpIssuer + "/mga/sps/oauth/oauth20/authorize?client_id=" + myinfoID + "&request_uri=" + url.QueryEscape(l.requestURI) + tt.extra
		rec := e.do(httptest.NewRequest("GET", u, nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("%s: %d, want a page saying %q", tt.extra, rec.Code, tt.want)
		}
	}
	// The request_uri is still unspent: the right shortcut logs in.
	if q := l.authorize("&persona=" + cpOng + "&entity=" + cpSole + "&consent=allow"); q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
}

// TestCorppassPages: the login page lists every entity with each person
// acting for it; choosing one leads to a consent page naming both.
func TestCorppassPages(t *testing.T) {
	e := newCorppassEnv(t)
	l := e.newLogin(e.myinfo, "openid entity.basic_profile.name")
	l.par()
	page := e.do(httptest.NewRequest("GET", cpIssuer+"/mga/sps/oauth/oauth20/authorize?client_id="+myinfoID+"&request_uri="+url.QueryEscape(l.requestURI), nil))
	body := page.Body.String()
	for _, s := range []string{"Log in with Corppass", `value="201834567M T0163548J"`, "ONG KAI XIANG for ONG KAI XIANG TRADING (53312345K)",
		`action="authorize/login"`, "this is not Corppass"} {
		if !strings.Contains(body, s) {
			t.Errorf("the login page lacks %q", s)
		}
	}
	flow := between(body, `name="flow" value="`, `"`)
	form := url.Values{"flow": {flow}, "persona": {cpSole + " " + cpOng}}
	r := httptest.NewRequest("POST", cpIssuer+"/mga/sps/oauth/oauth20/authorize/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	consent := e.do(r).Body.String()
	if !strings.Contains(consent, "acting for <strong>ONG KAI XIANG TRADING (53312345K)</strong>") || !strings.Contains(consent, "Myinfo Business app") {
		t.Errorf("consent page: %s", consent)
	}
	form.Set("persona", cpSole+" "+cpArun) // Arun does not act for it
	r = httptest.NewRequest("POST", cpIssuer+"/mga/sps/oauth/oauth20/authorize/login", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rec := e.do(r); rec.Code != 400 {
		t.Errorf("a person for an entity they do not act for: %d", rec.Code)
	}
}

func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}

func TestCorppassConfig(t *testing.T) {
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	people := mustPersonas(t)
	r := newRP(t, "c")
	base := func() Config {
		return Config{Service: Corppass, Issuer: cpIssuer, Personas: people, Entities: entities,
			Clients: []Client{{ID: "c", JWKS: &r.jwksDoc, RedirectURIs: []string{testRedirect}}}}
	}
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"Corppass without entities", func(c *Config) { c.Entities = nil }, "no Entities"},
		{"entities on Singpass", func(c *Config) { c.Service = Singpass }, "Entities are for Corppass only"},
		{"Corppass switches on Singpass", func(c *Config) { c.Service, c.Entities, c.ObjectBlocks = Singpass, nil, true }, "for Corppass only"},
		{"a user who is no persona", func(c *Config) { c.Personas = people[:1] }, "is not among the Personas"},
		{"an unknown service", func(c *Config) { c.Service = 9 }, "use Singpass or Corppass"},
		{"auth_info not JSON", func(c *Config) {
			c.Entities = append([]personas.Entity(nil), c.Entities...)
			c.Entities[0].Users = append([]personas.EntityUser(nil), c.Entities[0].Users...)
			c.Entities[0].Users[0].AuthInfo = json.RawMessage(`{"Result_Set":`)
		}, "must be JSON objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			tt.mod(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(base()); err != nil {
		t.Fatal(err)
	}
}
