package singpass

import (
	"encoding/json"
	stdhtml "html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	want := map[string]any{
		"issuer":                                testIssuer,
		"authorization_endpoint":                testIssuer + "/auth",
		"pushed_authorization_request_endpoint": testIssuer + "/par",
		"token_endpoint":                        testIssuer + "/token",
		"userinfo_endpoint":                     testIssuer + "/userinfo",
		"jwks_uri":                              testIssuer + "/.well-known/keys",
		"authorization_response_iss_parameter_supported": true,
		"require_pushed_authorization_requests":          true,
	}
	for k, v := range want {
		if e.disco[k] != v {
			t.Errorf("%s = %v, want %v", k, e.disco[k], v)
		}
	}
	lists := map[string]string{
		"id_token_signing_alg_values_supported":    "ES256",
		"userinfo_signing_alg_values_supported":    "ES256",
		"id_token_encryption_enc_values_supported": "A256CBC-HS512",
		"userinfo_encryption_enc_values_supported": "A256GCM",
		"id_token_encryption_alg_values_supported": "ECDH-ES+A256KW",
		"code_challenge_methods_supported":         "S256",
		"token_endpoint_auth_methods_supported":    "private_key_jwt",
		"dpop_signing_alg_values_supported":        "ES256",
		"scopes_supported":                         "openid",
	}
	for k, v := range lists {
		l, _ := e.disco[k].([]any)
		found := false
		for _, x := range l {
			found = found || x == v
		}
		if !found {
			t.Errorf("%s = %v, want it to list %s", k, e.disco[k], v)
		}
	}
}

func TestJWKSServedAtBothPaths(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{testIssuer + "/.well-known/keys", "https://singpass.test/.well-known/keys"} {
		rec := e.do(httptest.NewRequest("GET", u, nil))
		var set jose.JSONWebKeySet
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &set) != nil || len(set.Keys) != 1 {
			t.Fatalf("%s: %d %s", u, rec.Code, rec.Body)
		}
		k := set.Keys[0]
		if k.KeyID != e.srv.KeyID() || k.Use != "sig" || k.Algorithm != "ES256" || !k.IsPublic() {
			t.Errorf("%s: key %+v", u, k)
		}
	}
}

// TestMyinfoAppFlow runs a whole Myinfo app login as a relying party
// would, and checks the ID token and userinfo against the persona's own
// document.
func TestMyinfoAppFlow(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin name regadd cpfbalances.oa hdbtype")
	l.fullLogin(testPersona)

	h, id, err := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if h.Algorithm != "ECDH-ES+A256KW" {
		t.Errorf("ID token JWE alg %q", h.Algorithm)
	}
	sub, _ := id["sub"].(string)
	wantSub, _ := e.srv.Subject(testPersona)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	now := float64(e.clock.Now().Unix())
	switch {
	case !uuid.MatchString(sub) || sub != wantSub:
		t.Errorf("sub %q, want the persona's UUID %q", sub, wantSub)
	case id["iss"] != testIssuer || id["aud"] != myinfoID || id["nonce"] != l.nonce || id["sub_type"] != "user":
		t.Errorf("claims %v", id)
	case id["iat"] != now || id["exp"] != now+600:
		t.Errorf("iat %v exp %v, want %v and +600", id["iat"], id["exp"], now)
	case id["sub_attributes"] != nil:
		t.Errorf("a Myinfo app got sub_attributes %v", id["sub_attributes"])
	}

	jwe := l.userinfo()
	uh, ui, err := e.openJWT(l.rp, jwe, jose.A256GCM)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if uh.Algorithm != "ECDH-ES+A256KW" {
		t.Errorf("userinfo JWE alg %q", uh.Algorithm)
	}
	if ui["sub"] != sub || ui["iss"] != testIssuer || ui["aud"] != myinfoID || ui["iat"] != now {
		t.Errorf("userinfo claims %v", ui)
	}
	pi, _ := ui["person_info"].(map[string]any)
	// Hand-typed from the seed's example person.
	uinfin, _ := pi["uinfin"].(map[string]any)
	name, _ := pi["name"].(map[string]any)
	if uinfin["value"] != "S6005048A" || uinfin["source"] != "1" || uinfin["classification"] != "C" || name["value"] != "ANDY LAU" {
		t.Errorf("person_info uinfin %v name %v", uinfin, name)
	}
	// Every granted item equals the persona document's; missing ones are
	// marked unavailable; nothing else is there.
	var doc map[string]any
	ps, _ := personas.Myinfo()
	for _, p := range ps {
		if p.ID == testPersona {
			_ = json.Unmarshal(p.Myinfo, &doc)
		}
	}
	for _, item := range []string{"uinfin", "name", "regadd"} {
		a, _ := json.Marshal(pi[item])
		b, _ := json.Marshal(doc[item])
		if string(a) != string(b) {
			t.Errorf("person_info.%s = %s, want %s", item, a, b)
		}
	}
	for _, item := range []string{"cpfbalances", "hdbtype"} {
		m, _ := pi[item].(map[string]any)
		if m["unavailable"] != true {
			t.Errorf("person_info.%s = %v, want unavailable (the persona has none)", item, pi[item])
		}
	}
	if len(pi) != 5 {
		t.Errorf("person_info has %d items, want 5: %v", len(pi), pi)
	}
}

// TestLoginAppFlowPages walks a Login app through the login and consent
// pages as a browser would, and checks sub_attributes.
func TestLoginAppFlowPages(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.login, "openid user.identity name mobileno")
	l.extra.Set("authentication_context_type", "APP_AUTHENTICATION_DEFAULT")
	l.extra.Set("authentication_context_message", "Log in to Test App")
	l.par()

	authURL := e.endpoint("authorization_endpoint") + "?client_id=" + loginID + "&request_uri=" + url.QueryEscape(l.requestURI)
	rec := e.do(httptest.NewRequest("GET", authURL, nil))
	page := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(page, "EMULATOR") || !strings.Contains(page, "Elderly citizen") {
		t.Fatalf("login page: %d %s", rec.Code, page)
	}
	people, _ := personas.Myinfo()
	for _, p := range people {
		if !strings.Contains(page, `value="`+p.ID+`"`) || !strings.Contains(stdhtml.UnescapeString(page), p.Summary) {
			t.Errorf("the login page does not list %s with its edge case", p.ID)
		}
	}
	action, flowID := formOf(t, page)
	base, _ := url.Parse(authURL)
	post := func(action string, form url.Values) *httptest.ResponseRecorder {
		u, _ := base.Parse(action)
		r := httptest.NewRequest("POST", u.String(), strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(r)
	}
	rec = post(action, url.Values{"flow": {flowID}, "persona": {"S8652190C"}})
	page = rec.Body.String()
	if rec.Code != 200 || !strings.Contains(page, "Your identity (NRIC/FIN) (user.identity)") || !strings.Contains(page, "Mobile number (mobileno)") ||
		!strings.Contains(page, ">Allow</button>") || !strings.Contains(page, ">Deny</button>") {
		t.Fatalf("consent page: %d %s", rec.Code, page)
	}
	action, flowID = formOf(t, page)
	base, _ = base.Parse("auth/login")
	rec = post(action, url.Values{"flow": {flowID}, "decision": {"allow"}})
	if rec.Code != http.StatusFound {
		t.Fatalf("consent: %d %s", rec.Code, rec.Body)
	}
	l.code = l.callback(rec).Get("code")
	l.token()

	_, id, err := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512)
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := id["sub_attributes"].(map[string]any)
	want := map[string]any{"account_type": "standard", "identity_number": "S8652190C", "identity_coi": "SG"}
	for k, v := range want {
		if sa[k] != v {
			t.Errorf("sub_attributes.%s = %v, want %v", k, sa[k], v)
		}
	}
	if n, _ := sa["name"].(string); !strings.Contains(n, "'") || sa["mobileno"] == nil || sa["email"] != nil {
		t.Errorf("sub_attributes %v: want name (with its apostrophe) and mobileno, no email", sa)
	}
	// A Login app does not call userinfo.
	ui := e.endpoint("userinfo_endpoint")
	oauthErr(t, l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access)), 403, "invalid_request", "Myinfo apps")
}

// formOf returns a page's form action and flow id.
func formOf(t *testing.T, page string) (string, string) {
	t.Helper()
	a := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page)
	f := regexp.MustCompile(`name="flow" value="([^"]+)"`).FindStringSubmatch(page)
	if a == nil || f == nil {
		t.Fatalf("no form in %s", page)
	}
	return a[1], f[1]
}

func TestDenyRedirectsAccessDenied(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.par()
	q := l.authorize("&persona=" + testPersona + "&consent=deny")
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Fatalf("deny callback %v", q)
	}
}

func TestDPoPKeyReusedAcrossLoginsAccepted(t *testing.T) {
	e := newEnv(t)
	first := e.newLogin(e.myinfo, "openid uinfin")
	first.fullLogin(testPersona)
	second := e.newLogin(e.myinfo, "openid name")
	second.dpopKey = first.dpopKey
	second.fullLogin("S8214727F")
	second.userinfo()
}

func TestDPoPJKTInBodyInsteadOfHeader(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	jwk := jose.JSONWebKey{Key: &l.dpopKey.PublicKey}
	tp, _ := jwk.Thumbprint(cryptoSHA256)
	l.extra.Set("dpop_jkt", b64(tp))
	rec := l.sendPAR(l.parForm(), "")
	if rec.Code != 201 {
		t.Fatalf("PAR with dpop_jkt: %d %s", rec.Code, rec.Body)
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &struct {
		R *string `json:"request_uri"`
	}{&l.requestURI})
	l.authorizeCode(testPersona)
	l.token()
	l.userinfo()
}

func TestEncryptionConfigurable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IDTokenEncryption = jose.A256GCM; c.UserinfoEncryption = jose.A256CBC_HS512 })
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.fullLogin(testPersona)
	if _, _, err := e.openJWT(l.rp, l.idToken, jose.A256GCM); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.openJWT(l.rp, l.userinfo(), jose.A256CBC_HS512); err != nil {
		t.Fatal(err)
	}
}
