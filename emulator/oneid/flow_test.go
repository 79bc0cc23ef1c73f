package oneid

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	want := map[string]any{
		"issuer":                 e.issuer,
		"authorization_endpoint": e.issuer + "/v2/authorize",
		"token_endpoint":         e.issuer + "/token",
		"userinfo_endpoint":      e.issuer + "/userinfo",
		"jwks_uri":               e.issuer + "/.well-known/jwks.json",
	}
	for k, v := range want {
		if e.disco[k] != v {
			t.Errorf("%s = %v, want %v", k, e.disco[k], v)
		}
	}
	for k, v := range map[string]string{
		"token_endpoint_auth_methods_supported": "client_secret_basic",
		"id_token_signing_alg_values_supported": "PS256",
		"code_challenge_methods_supported":      "S256",
		"response_types_supported":              "code",
	} {
		list, _ := e.disco[k].([]any)
		if len(list) != 1 || list[0] != v {
			t.Errorf("%s = %v, want [%s]", k, e.disco[k], v)
		}
	}
	if _, ok := e.disco["authorization_response_iss_parameter_supported"]; ok {
		t.Error("discovery claims RFC 9207 iss support, which OneID is not known to have")
	}
	if len(e.jwks.Keys) != 1 || e.jwks.Keys[0].Algorithm != "PS256" || e.jwks.Keys[0].KeyID != e.srv.KeyID() ||
		e.jwks.Keys[0].Use != "sig" || !e.jwks.Keys[0].IsPublic() {
		t.Errorf("JWKS %+v: want one public PS256 signing key with the server's kid", e.jwks.Keys)
	}
}

// withoutBalances removes "balance" from every account of an accounts
// document.
func withoutBalances(t *testing.T, doc []byte) []byte {
	var accounts []map[string]any
	if err := json.Unmarshal(doc, &accounts); err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		delete(a, "balance")
	}
	b, _ := json.Marshal(accounts)
	return b
}

// TestFullFlowEveryPersona logs every persona in with every data scope and
// checks each resource against the persona's file.
func TestFullFlowEveryPersona(t *testing.T) {
	e := newEnv(t)
	for _, p := range e.people {
		t.Run(p.ID, func(t *testing.T) {
			e.t = t
			l := e.newLogin(allScopes)
			tok := l.exchange(l.code(p.ID))
			if tok.expiresIn != 300 || tok.scope != allScopes || len(tok.access) != 36 {
				t.Errorf("expires_in %v, scope %q, access token %q: want 300, the scopes, an opaque UUID", tok.expiresIn, tok.scope, tok.access)
			}
			c, err := l.verifyIDToken(tok.idToken)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if c.Subject != p.Subject || c.IssuedAt.Time() != e.clock.Now() || c.Expiry.Time() != e.clock.Now().Add(DefaultIDTokenTTL) {
				t.Errorf("sub %s iat %v exp %v", c.Subject, c.IssuedAt.Time(), c.Expiry.Time())
			}

			// /userinfo: the persona's document, plus age_over_18 from
			// its age verification (the age_over_18 scope was granted).
			var want map[string]any
			if err := json.Unmarshal(p.Userinfo, &want); err != nil {
				t.Fatal(err)
			}
			var age map[string]any
			if err := json.Unmarshal(p.AgeVerification, &age); err != nil {
				t.Fatal(err)
			}
			want["age_over_18"] = age["age_over_18"]
			wantJSON, _ := json.Marshal(want)
			resp, body := e.get(e.endpoint("userinfo_endpoint"), tok.access)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !jsonEq(t, body, wantJSON) {
				t.Errorf("userinfo %d %s\nwant %s", resp.StatusCode, body, wantJSON)
			}
			resp, body = e.get(e.issuer+PathAgeVerification, tok.access)
			if resp.StatusCode != 200 || !jsonEq(t, body, p.AgeVerification) {
				t.Errorf("ageverification %d %s, want %s", resp.StatusCode, body, p.AgeVerification)
			}
			resp, body = e.get(e.issuer+PathAccounts, tok.access)
			if resp.StatusCode != 200 || !jsonEq(t, body, p.Accounts) {
				t.Errorf("accounts %d %s, want %s", resp.StatusCode, body, p.Accounts)
			}
			resp, body = e.get(e.issuer+DefaultReportPath, tok.access)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
				t.Errorf("report %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}

			// Without accounts.balances, the same accounts without balance.
			l = e.newLogin("openid accounts")
			tok = l.exchange(l.code(p.ID))
			resp, body = e.get(e.issuer+PathAccounts, tok.access)
			if resp.StatusCode != 200 || !jsonEq(t, body, withoutBalances(t, p.Accounts)) {
				t.Errorf("accounts without balances %d %s", resp.StatusCode, body)
			}
		})
	}
}

// TestUserinfoFollowsScopes checks each scope releases its claims only,
// unverified claims included, and that no nonce means no nonce claim.
func TestUserinfoFollowsScopes(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid profile")
	l.nonce = ""
	l.extra.Set("nonce", "")
	tok := l.exchange(l.code("janet-davidson"))
	c, err := l.verifyIDToken(tok.idToken)
	if err != nil || c.Nonce != "" {
		t.Fatalf("ID token without nonce: %v %+v", err, c)
	}
	_, body := e.get(e.endpoint("userinfo_endpoint"), tok.access)
	want := `{"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762","name":"Janet Davidson","given_name":"Janet","family_name":"Davidson",
		"unverified_claims":{"claims":{"name":"Mary Smith","given_name":"Mary","family_name":"Smith"}}}`
	if !jsonEq(t, body, []byte(want)) {
		t.Errorf("userinfo %s, want %s", body, want)
	}
}

// TestPages walks the login and consent pages as a browser would.
func TestPages(t *testing.T) {
	e := newEnv(t)
	post := func(action string, form url.Values) (*http.Response, []byte) {
		r, _ := http.NewRequest("POST", action, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return e.do(r)
	}
	flowOf := func(body []byte) string {
		_, rest, _ := strings.Cut(string(body), `name="flow" value="`)
		id, _, _ := strings.Cut(rest, `"`)
		return id
	}
	l := e.newLogin("openid profile accounts product:age_check")
	resp, body := e.get(l.authURL(), "")
	page := string(body)
	if resp.StatusCode != 200 || !strings.Contains(page, "Model Bank") {
		t.Fatalf("login page %d", resp.StatusCode)
	}
	for _, p := range e.people {
		if !strings.Contains(page, `value="`+p.ID+`"`) || !strings.Contains(page, p.Name) || !strings.Contains(page, htmlEscaped(p.Summary)) {
			t.Errorf("the login page does not list %s with its summary", p.ID)
		}
	}
	if !strings.Contains(page, `<button type="submit" name="cancel"`) {
		t.Error("no Cancel button")
	}
	base := e.issuer + PathAuthorize + "/"
	resp, body = post(base+"login", url.Values{"flow": {flowOf(body)}, "persona": {"alix-rayner"}})
	page = string(body)
	if resp.StatusCode != 200 || !strings.Contains(page, "Alix Rayner") || !strings.Contains(page, "(accounts)") ||
		!strings.Contains(page, "(product:age_check)") || !strings.Contains(page, `value="allow"`) || !strings.Contains(page, `value="deny"`) {
		t.Fatalf("consent page %d %s", resp.StatusCode, page)
	}
	flow := flowOf(body)
	resp, body = post(base+"consent", url.Values{"flow": {flow}, "decision": {"allow"}})
	q := e.callbackOf(resp, body)
	if q.Get("code") == "" || q.Get("state") != l.state {
		t.Fatalf("callback %v", q)
	}
	if tok := l.exchange(q.Get("code")); tok.access == "" {
		t.Fatal("no access token")
	}
	// The consent page is single use.
	if resp, _ = post(base+"consent", url.Values{"flow": {flow}, "decision": {"allow"}}); resp.StatusCode != 400 {
		t.Errorf("consent twice: %d, want 400", resp.StatusCode)
	}

	// Deny, Cancel and a session past 30 minutes end with sub-codes.
	deny := func(decision string) url.Values {
		l := e.newLogin("openid")
		_, body := e.get(l.authURL(), "")
		_, body = post(base+"login", url.Values{"flow": {flowOf(body)}, "persona": {"gary-humphrey"}})
		return e.callbackOf(post(base+"consent", url.Values{"flow": {flowOf(body)}, "decision": {decision}}))
	}
	if q := deny("deny"); q.Get("error") != "access_denied" || q.Get("error_oneid") != "OneID.OIDC.Redirect.UserCancelled" {
		t.Errorf("deny: %v", q)
	}
	_, body = e.get(e.newLogin("openid").authURL(), "")
	if q := e.callbackOf(post(base+"login", url.Values{"flow": {flowOf(body)}, "cancel": {"1"}})); q.Get("error_oneid") != "OneID.OIDC.Redirect.UserCancelled" {
		t.Errorf("cancel: %v", q)
	}
	l = e.newLogin("openid")
	_, body = e.get(l.authURL(), "")
	e.clock.Advance(SessionTTL)
	q = e.callbackOf(post(base+"login", url.Values{"flow": {flowOf(body)}, "persona": {"gary-humphrey"}}))
	if q.Get("error") != "access_denied" || q.Get("error_oneid") != "OneID.OIDC.Redirect.SessionExpired" || q.Get("state") != l.state {
		t.Errorf("expired session: %v", q)
	}
}

// htmlEscaped escapes s as html/template does in text.
func htmlEscaped(s string) string {
	return strings.NewReplacer("'", "&#39;", "&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// TestSubCodes injects each documented sub-code with oneid_error= and
// with the fault switch, in both parameter spellings.
func TestSubCodes(t *testing.T) {
	for _, param := range []string{"error_oneid", "oneid_error"} {
		e := newEnv(t, func(c *Config) { c.SubCodeParam = param })
		for _, code := range append(SubCodes, "OneID.OIDC.Redirect.SomethingNew") {
			full := code
			if !strings.Contains(code, ".") {
				full = SubCodePrefix + code
			}
			l := e.newLogin("openid")
			l.extra.Set("oneid_error", code)
			resp, body := e.get(l.authURL(), "")
			q := e.callbackOf(resp, body)
			if q.Get("error") != "access_denied" || q.Get(param) != full || q.Get("state") != l.state || q.Get("code") != "" {
				t.Errorf("%s=%s: callback %v", param, code, q)
			}
			if err := e.srv.Faults().SetAuthorizeError(code); err != nil {
				t.Fatal(err)
			}
			q = e.newLogin("openid").callback("janet-davidson", "allow")
			if q.Get(param) != full || q.Get("code") != "" {
				t.Errorf("fault %s: callback %v", code, q)
			}
			e.srv.Faults().Reset()
		}
		l := e.newLogin("openid")
		l.extra.Set("oneid_error", "Bad Code!")
		if resp, _ := e.get(l.authURL(), ""); resp.StatusCode != 400 {
			t.Errorf("a malformed oneid_error: %d, want an error page", resp.StatusCode)
		}
	}
	if err := (&Faults{}).SetAuthorizeError("no spaces"); err == nil {
		t.Error("SetAuthorizeError accepted a malformed code")
	}
}

// TestSecretEncodings accepts the Basic credentials form-encoded (RFC 6749
// §2.3.1) and as sent raw by clients that skip the encoding.
func TestSecretEncodings(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid")
	r, _ := http.NewRequest("POST", e.endpoint("token_endpoint"), strings.NewReader(l.tokenForm(l.code("janet-davidson")).Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(clientID, clientSecret) // raw, with + / =
	if resp, body := e.do(r); resp.StatusCode != 200 {
		t.Errorf("raw Basic credentials: %d %s", resp.StatusCode, body)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Config{
		Issuer:       "ftp://x",
		Clients:      []Client{{ID: "a b"}, {ID: "c", RedirectURIs: []string{"http://rp.example/cb"}, Scopes: []string{"nope"}}},
		CodeTTL:      time.Millisecond,
		ReportPath:   "/token",
		SubCodeParam: "oneidError",
	})
	if err == nil {
		t.Fatal("New accepted a bad Config")
	}
	for _, want := range []string{"Issuer", "no Personas", "Clients[0]: ID", "Clients[1]: no Secret", "must be https",
		`unknown scope "nope"`, "CodeTTL", "ReportPath", "SubCodeParam"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %q:\n%v", want, err)
		}
	}
}

func TestReportPathConfigurable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ReportPath = "/v2/report" })
	l := e.newLogin("openid profile")
	tok := l.exchange(l.code("gary-humphrey"))
	if resp, body := e.get(e.issuer+"/v2/report", tok.access); resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Errorf("report at the configured path: %d", resp.StatusCode)
	}
	if resp, _ := e.get(e.issuer+DefaultReportPath, tok.access); resp.StatusCode != 404 {
		t.Errorf("report at the default path: %d, want 404", resp.StatusCode)
	}
}
