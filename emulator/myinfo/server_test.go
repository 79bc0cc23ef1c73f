package myinfo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	stdhtml "html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
)

func TestNewValidates(t *testing.T) {
	_, err := New(Config{RedirectURIs: []string{"not a url"}, PublicURL: "ftp://x", CodeTTL: -1})
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"no personas", "ClientID", "ClientSecret", "ClientPublicKey", "SigningKey", "RedirectURIs[0]", "PublicURL", "CodeTTL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

// TestFullFlow: authorise shortcut → token → person, checking the token's
// and the person answer's shape and cryptography.
func TestFullFlow(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	code := e.code("com", testPersona, testAttrs)

	resp := e.tokenRequest("com", tokenForm(code), &signOpts{spaces: true})
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tr map[string]any
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		t.Fatal(err)
	}
	if tr["token_type"] != "Bearer" || tr["expires_in"] != float64(1800) || tr["scope"] != "name dob sex nationality uinfin regadd" {
		t.Fatalf("token response %s", body)
	}
	tok := tr["access_token"].(string)
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Protected
	if h.KeyID != e.emu.KeyID() || h.ExtraHeaders["typ"] != "JWT" || h.ExtraHeaders["zip"] != "NONE" {
		t.Fatalf("token header %+v", h)
	}
	payload, err := jws.Verify(&e.keys.provider.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now().Unix()
	if c.Sub != testPersona || c.Aud != "myinfo" || c.ClientID != testClientID || len(c.Scope) != 6 ||
		c.Iat != now || c.Nbf != now || c.Exp != now+1800 || c.ExpiresIn != 1800 || c.Jti == "" {
		t.Fatalf("claims %+v", c)
	}

	for _, path := range []string{"person/" + testPersona + "/", "person/" + testPersona} {
		q := personQuery("uinfin,name,regadd")
		q.Set("txnNo", "abc123")
		resp = e.personRequest("com", path, q, tok, &signOpts{})
		body = readBody(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jose" {
			t.Fatalf("person %s: %d %s", path, resp.StatusCode, body)
		}
		m, err := openPerson(t, body, e.keys.client, &e.keys.provider.PublicKey, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 3 {
			t.Fatalf("attributes %v", attrNames(m))
		}
	}
}

// TestPersonAnswer checks the attributes returned: requested, consented,
// and present in the persona, nothing else.
func TestPersonAnswer(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	tok := e.token("com", e.code("com", testPersona, "name,uinfin,regadd,email"))
	resp := e.personRequest("com", "person/"+testPersona+"/", personQuery("uinfin,name,email"), tok, &signOpts{})
	m, err := openPerson(t, readBody(t, resp), e.keys.client, &e.keys.provider.PublicKey, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 {
		t.Fatalf("got attributes %v, want uinfin and name (the persona has no email)", attrNames(m))
	}
	var name struct{ Value string }
	if err := json.Unmarshal(m["name"], &name); err != nil || name.Value != "ANDY LAU" {
		t.Fatalf("name = %s", m["name"])
	}
}

func attrNames(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var (
	actionRE = regexp.MustCompile(`action="([^"]+)"`)
	flowRE   = regexp.MustCompile(`name="flow" value="([^"]+)"`)
)

// submit posts a page's form (relative action resolved against the page).
func (e *env) submit(page *url.URL, html string, field, value string) *http.Response {
	e.t.Helper()
	a, f := actionRE.FindStringSubmatch(html), flowRE.FindStringSubmatch(html)
	if a == nil || f == nil {
		e.t.Fatalf("no form in page:\n%s", html)
	}
	target, err := page.Parse(a[1])
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.client.PostForm(target.String(), url.Values{"flow": {f[1]}, field: {value}})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// TestHTMLFlow walks the pages like a browser, with the handler mounted
// under a prefix (as the service mounts it), for both authorise spellings.
func TestHTMLFlow(t *testing.T) {
	keys := newTestKeys(t)
	for _, tc := range []struct{ name, suffix, decision string }{
		{"allow", "", "allow"},
		{"allow trailing slash", "/", "allow"},
		{"deny", "", "deny"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvAt(t, keys, "/emulator/myinfo", nil)
			page, _ := url.Parse(strings.Replace(e.authoriseURL("com", nil), "/authorise?", "/authorise"+tc.suffix+"?", 1))
			resp := e.get(page.String())
			html := readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(html, "EMULATOR") || !strings.Contains(html, `<span class="id">S****048A</span> <span class="who">ANDY LAU</span>`) {
				t.Fatalf("login page %d:\n%s", resp.StatusCode, html)
			}
			people, _ := personas.Myinfo()
			for _, p := range people {
				if !strings.Contains(html, `value="`+p.ID+`"`) || !strings.Contains(stdhtml.UnescapeString(html), p.Summary) {
					t.Errorf("the login page does not list %s with its edge case", p.ID)
				}
			}
			resp = e.submit(page, html, "persona", testPersona)
			html = readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(html, "testing &lt;the&gt; emulator") || !strings.Contains(html, "<li>Registered address <code>regadd</code></li>") {
				t.Fatalf("consent page %d:\n%s", resp.StatusCode, html)
			}
			consentPage := resp.Request.URL
			resp = e.submit(consentPage, html, "decision", tc.decision)
			readBody(t, resp)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("consent answer %d", resp.StatusCode)
			}
			loc := resp.Header.Get("Location")
			if tc.decision == "deny" {
				want := testRedirect + "?state=st-123%20%2F%2B%3F&error=access_denied&error-description=Resource%20Owner%20did%20not%20authorize%20the%20request"
				if loc != want {
					t.Fatalf("Location = %s\nwant       %s", loc, want)
				}
				return
			}
			u, _ := url.Parse(loc)
			if !strings.HasPrefix(loc, testRedirect+"?code=") || u.Query().Get("state") != "st-123 /+?" {
				t.Fatalf("Location = %s", loc)
			}
			tok := e.token("com", u.Query().Get("code"))
			resp = e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{})
			if _, err := openPerson(t, readBody(t, resp), keys.client, &keys.provider.PublicKey, false); err != nil {
				t.Fatal(err)
			}
			// The consent page is single use.
			resp = e.submit(consentPage, html, "decision", "allow")
			if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("second consent: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestDenyShortcut(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	resp := e.get(e.authoriseURL("com", url.Values{"persona": {testPersona}, "consent": {"deny"}, "state": {"abc"}}))
	readBody(t, resp)
	want := testRedirect + "?state=abc&error=access_denied&error-description=Resource%20Owner%20did%20not%20authorize%20the%20request"
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAuthoriseErrors(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	for _, tc := range []struct {
		name  string
		extra url.Values
	}{
		{"unregistered redirect_uri", url.Values{"redirect_uri": {"https://evil.example/cb"}}},
		{"missing redirect_uri", url.Values{"redirect_uri": {""}}},
		{"unknown client", url.Values{"client_id": {"someone-else"}}},
		{"unknown attribute", url.Values{"attributes": {"name,secretthing"}}},
		{"empty attribute", url.Values{"attributes": {"name,,dob"}}},
		{"missing state", url.Values{"state": {""}}},
		{"missing purpose", url.Values{"purpose": {""}}},
		{"bad response_type", url.Values{"response_type": {"token"}}},
		{"unknown persona", url.Values{"persona": {"S0000000A"}, "consent": {"allow"}}},
		{"consent without persona", url.Values{"consent": {"allow"}}},
		{"bad consent", url.Values{"persona": {testPersona}, "consent": {"maybe"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.get(e.authoriseURL("com", tc.extra))
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "EMULATOR") {
				t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	// Known optional parameters are accepted.
	resp := e.get(e.authoriseURL("com", url.Values{"authmode": {"SINGPASS"}, "login_type": {"QR"}, "response_type": {"code"},
		"appLaunchURL": {"app://x"}, "persona": {testPersona}, "consent": {"allow"}}))
	if readBody(t, resp); resp.StatusCode != http.StatusFound {
		t.Fatalf("optional parameters: %d", resp.StatusCode)
	}
}

func TestTokenErrors(t *testing.T) {
	keys := newTestKeys(t)
	other := newRSAKey(t)
	e := newEnv(t, keys, nil)
	for _, tc := range []struct {
		name   string
		form   func(url.Values)
		opts   *signOpts
		status int
		fields string
	}{
		{"no security header", nil, nil, 401, "Authorization"},
		{"bad client secret", func(f url.Values) { f.Set("client_secret", "wrong") }, &signOpts{}, 401, "client_secret"},
		{"signed with another key", nil, &signOpts{key: other}, 401, "signature"},
		{"wrong app_id", nil, &signOpts{appID: "other-app"}, 401, "app_id"},
		{"unknown client_id", func(f url.Values) { f.Set("client_id", "other-app") }, &signOpts{appID: "other-app"}, 401, "app_id"},
		{"stale timestamp", nil, &signOpts{ts: e.clock.Now().Add(-ClockSkew - time.Second)}, 401, "timestamp"},
		{"future timestamp", nil, &signOpts{ts: e.clock.Now().Add(ClockSkew + time.Second)}, 401, "timestamp"},
		{"unknown signature_method", nil, &signOpts{method: "RS512"}, 401, "Authorization"},
		{"parameter left out of base string", nil, &signOpts{omit: "redirect_uri"}, 401, "signature"},
		{"signed for another URL", nil, &signOpts{signedURL: "https://test.api.myinfo.gov.sg/com/v3/token"}, 401, "signature"},
		{"wrong redirect_uri", func(f url.Values) { f.Set("redirect_uri", "http://localhost:3001/other") }, &signOpts{}, 400, "redirect_uri"},
		{"unknown code", func(f url.Values) { f.Set("code", "abc") }, &signOpts{}, 400, "code"},
		{"missing code", func(f url.Values) { f.Del("code") }, &signOpts{}, 400, "code"},
		{"bad grant_type", func(f url.Values) { f.Set("grant_type", "client_credentials") }, &signOpts{}, 400, "grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tokenForm(e.code("com", testPersona, "name"))
			if tc.form != nil {
				tc.form(form)
			}
			got := apiErr(t, e.tokenRequest("com", form, tc.opts), tc.status)
			if got.Fields != tc.fields {
				t.Fatalf("fields = %q, want %q", got.Fields, tc.fields)
			}
		})
	}
	t.Run("code from com at gov", func(t *testing.T) {
		apiErr(t, e.tokenRequest("gov", tokenForm(e.code("com", testPersona, "name")), &signOpts{}), 403)
	})
	t.Run("wrong content type", func(t *testing.T) {
		resp, err := e.client.Post(e.base+"/com/v3/token", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		apiErr(t, resp, 400)
	})
}

func TestTokenReplay(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	t.Run("repeated nonce", func(t *testing.T) {
		apiOK(t, e.tokenRequest("com", tokenForm(e.code("com", testPersona, "name")), &signOpts{nonce: "fixed-nonce"}))
		got := apiErr(t, e.tokenRequest("com", tokenForm(e.code("com", testPersona, "name")), &signOpts{nonce: "fixed-nonce"}), 401)
		if got.Fields != "nonce" {
			t.Fatalf("fields %q", got.Fields)
		}
	})
	t.Run("code reuse", func(t *testing.T) {
		code := e.code("com", testPersona, "name")
		e.token("com", code)
		got := apiErr(t, e.tokenRequest("com", tokenForm(code), &signOpts{}), 400)
		if !strings.Contains(got.Message, "already been used") {
			t.Fatalf("message %q", got.Message)
		}
	})
	t.Run("failed exchange burns the code", func(t *testing.T) {
		code := e.code("com", testPersona, "name")
		form := tokenForm(code)
		form.Set("redirect_uri", "http://localhost:3001/other")
		apiErr(t, e.tokenRequest("com", form, &signOpts{}), 400)
		apiErr(t, e.tokenRequest("com", tokenForm(code), &signOpts{}), 400)
	})
	t.Run("expired code", func(t *testing.T) {
		code := e.code("com", testPersona, "name")
		e.clock.Advance(DefaultCodeTTL)
		apiErr(t, e.tokenRequest("com", tokenForm(code), &signOpts{}), 400)
	})
}

func apiOK(t testing.TB, resp *http.Response) string {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	return body
}

func TestPersonErrors(t *testing.T) {
	keys := newTestKeys(t)
	e := newEnv(t, keys, nil)
	tok := e.token("com", e.code("com", testPersona, "name,dob"))
	path := "person/" + testPersona + "/"
	for _, tc := range []struct {
		name   string
		path   string
		q      url.Values
		token  string
		opts   *signOpts
		status int
		fields string
	}{
		{"wrong sub", "person/S1111111D/", personQuery("name"), tok, &signOpts{}, 401, ""},
		{"not consented", path, personQuery("name,sex"), tok, &signOpts{}, 401, "sex"},
		{"no attributes", path, url.Values{"client_id": {testClientID}}, tok, &signOpts{}, 400, "attributes"},
		{"tampered token", path, personQuery("name"), tamper(tok), &signOpts{}, 401, ""},
		{"forged token", path, personQuery("name"), forgeToken(t, newRSAKey(t), accessClaims{Sub: testPersona, Aud: "myinfo", Scope: []string{"name"}, Exp: 1 << 40, ClientID: testClientID, Realm: "/consent/myinfo-com"}), &signOpts{}, 401, ""},
		{"bearer only", path, personQuery("name"), tok, nil, 401, "Authorization"},
		{"signed with slash, sent without", "person/" + testPersona, personQuery("name"), tok, &signOpts{signedURL: e.base + "/com/v3/" + path}, 401, "signature"},
		{"signed without slash, sent with", path, personQuery("name"), tok, &signOpts{signedURL: e.base + "/com/v3/person/" + testPersona}, 401, "signature"},
		{"txnNo not signed", path, withParam(personQuery("name"), "txnNo", "1"), tok, &signOpts{omit: "txnNo"}, 401, "signature"},
		{"wrong client_id", path, url.Values{"client_id": {"x"}, "attributes": {"name"}}, tok, &signOpts{appID: "x"}, 401, "app_id"},
		{"gov URL", path, withParam(personQuery("name"), "sp_esvcId", "e"), tok, &signOpts{}, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := "com"
			if tc.name == "gov URL" {
				api = "gov"
			}
			got := apiErr(t, e.personRequest(api, tc.path, tc.q, tc.token, tc.opts), tc.status)
			if got.Fields != tc.fields {
				t.Fatalf("fields = %q, want %q", got.Fields, tc.fields)
			}
			if tc.fields == "sex" && got.Message != "Disallowed" {
				t.Fatalf("message %q", got.Message)
			}
		})
	}
	t.Run("unknown person", func(t *testing.T) {
		now := e.clock.Now().Unix()
		forged := forgeToken(t, keys.provider, accessClaims{Sub: "S0000000A", Aud: "myinfo", Scope: []string{"name"},
			Nbf: now, Exp: now + 60, ClientID: testClientID, Realm: "/consent/myinfo-com"})
		apiErr(t, e.personRequest("com", "person/S0000000A/", personQuery("name"), forged, &signOpts{}), 404)
	})
	t.Run("token expires", func(t *testing.T) {
		e.clock.Advance(DefaultTokenTTL)
		apiErr(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}), 401)
	})
}

func withParam(q url.Values, k, v string) url.Values { q.Set(k, v); return q }

// tamper changes the token's payload (sub) and keeps the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"name"`, `"name","sex"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestGov(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	tok := e.token("gov", e.code("gov", testPersona, "name,uinfin"))
	path := "person/" + testPersona + "/"
	q := withParam(personQuery("name,uinfin"), "sp_esvcId", "MYINFO-TEST-ESVC")
	m, err := openPerson(t, apiOK(t, e.personRequest("gov", path, q, tok, &signOpts{})), e.keys.client, &e.keys.provider.PublicKey, false)
	if err != nil || len(m) != 2 {
		t.Fatalf("%v %v", err, attrNames(m))
	}
	apiErr(t, e.personRequest("gov", path, personQuery("name"), tok, &signOpts{}), 403)
	apiErr(t, e.personRequest("gov", path, withParam(personQuery("name"), "sp_esvcId", "x"), tok, &signOpts{omit: "sp_esvcId"}), 401)
	// A gov token at the com person API.
	apiErr(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}), 403)
}

func TestSandbox(t *testing.T) {
	keys := newTestKeys(t)
	e := newEnv(t, keys, func(c *Config) { c.Sandbox = true; c.ClientPublicKey = nil })
	code := e.code("com", testPersona, "name,sex")
	body := apiOK(t, e.tokenRequest("com", tokenForm(code), nil))
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil {
		t.Fatal(err)
	}
	resp := e.personRequest("com", "person/"+testPersona, personQuery("name,sex"), tr.AccessToken, nil)
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(apiOK(t, resp)), &m); err != nil || len(m) != 2 {
		t.Fatalf("%v %v", err, attrNames(m))
	}
	form := tokenForm(e.code("com", testPersona, "name"))
	form.Set("client_secret", "nope")
	apiErr(t, e.tokenRequest("com", form, nil), 401)
}

func TestBareJWS(t *testing.T) {
	e := newEnv(t, newTestKeys(t), func(c *Config) { c.BareJWS = true })
	tok := e.token("com", e.code("com", testPersona, "name"))
	body := apiOK(t, e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{}))
	if _, err := openPerson(t, body, e.keys.client, &e.keys.provider.PublicKey, true); err != nil {
		t.Fatal(err)
	}
}

func TestEncryptionKey(t *testing.T) {
	keys := newTestKeys(t)
	enc := newRSAKey(t)
	e := newEnv(t, keys, func(c *Config) { c.EncryptionKey = &enc.PublicKey })
	tok := e.token("com", e.code("com", testPersona, "name"))
	body := apiOK(t, e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{}))
	if _, err := openPerson(t, body, enc, &keys.provider.PublicKey, false); err != nil {
		t.Fatal(err)
	}
}

func TestFaults(t *testing.T) {
	keys := newTestKeys(t)
	e := newEnv(t, keys, nil)
	f := e.emu.Faults()
	path := "person/" + testPersona + "/"

	t.Run("Down", func(t *testing.T) {
		code := e.code("com", testPersona, "name")
		tok := e.token("com", e.code("com", testPersona, "name"))
		f.SetDown(true)
		defer f.SetDown(false)
		apiErr(t, e.tokenRequest("com", tokenForm(code), &signOpts{}), 503)
		apiErr(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}), 503)
		resp := e.get(e.authoriseURL("com", url.Values{"state": {"s1"}}))
		readBody(t, resp)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != testRedirect+"?state=s1&error=503&error-description=Myinfo%20is%20under%20maintenance" {
			t.Fatalf("authorise: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = e.get(e.authoriseURL("com", url.Values{"redirect_uri": {"https://evil.example/"}}))
		if readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Location") != "" {
			t.Fatalf("authorise, bad redirect: %d", resp.StatusCode)
		}
	})
	t.Run("Slow", func(t *testing.T) {
		f.SetSlow(200 * time.Millisecond)
		start := time.Now()
		e.code("com", testPersona, "name")
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Fatalf("not delayed: %v", d)
		}
		f.SetSlow(time.Hour)
		defer f.SetSlow(0)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.authoriseURL("com", nil), nil)
		start = time.Now()
		_, err := e.client.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	})
	t.Run("BadSignature", func(t *testing.T) {
		tok := e.token("com", e.code("com", testPersona, "name"))
		f.SetBadSignature(true)
		defer f.SetBadSignature(false)
		body := apiOK(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}))
		if _, err := openPerson(t, body, keys.client, &keys.provider.PublicKey, false); err == nil {
			t.Fatal("person JWS verified under BadSignature")
		}
		bad := e.token("com", e.code("com", testPersona, "name"))
		jws, err := jose.ParseSigned(bad, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if jws.Signatures[0].Protected.KeyID != e.emu.KeyID() {
			t.Fatal("kid changed")
		}
		if _, err := jws.Verify(&keys.provider.PublicKey); err == nil {
			t.Fatal("access token verified under BadSignature")
		}
		apiErr(t, e.personRequest("com", path, personQuery("name"), bad, &signOpts{}), 401)
	})
	t.Run("BadPersonSignature", func(t *testing.T) {
		f.SetBadPersonSignature(true)
		defer f.SetBadPersonSignature(false)
		tok := e.token("com", e.code("com", testPersona, "name"))
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(&keys.provider.PublicKey); err != nil {
			t.Fatalf("access token under BadPersonSignature does not verify: %v", err)
		}
		body := apiOK(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}))
		if _, err := openPerson(t, body, keys.client, &keys.provider.PublicKey, false); err == nil {
			t.Fatal("person JWS verified under BadPersonSignature")
		}
	})
	t.Run("WrongEncryptionKey", func(t *testing.T) {
		tok := e.token("com", e.code("com", testPersona, "name"))
		f.SetWrongEncryptionKey(true)
		defer f.SetWrongEncryptionKey(false)
		body := apiOK(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}))
		jwe, err := jose.ParseEncrypted(body, []jose.KeyAlgorithm{jose.RSA_OAEP}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwe.Decrypt(keys.client); err == nil {
			t.Fatal("decrypted under WrongEncryptionKey")
		}
	})
	t.Run("ExpiredToken", func(t *testing.T) {
		f.SetExpiredToken(true)
		tok := e.token("com", e.code("com", testPersona, "name"))
		f.SetExpiredToken(false)
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := jws.Verify(&keys.provider.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		var c accessClaims
		_ = json.Unmarshal(payload, &c)
		if c.Exp >= e.clock.Now().Unix() {
			t.Fatalf("exp %d not in the past", c.Exp)
		}
		got := apiErr(t, e.personRequest("com", path, personQuery("name"), tok, &signOpts{}), 401)
		if !strings.Contains(got.Message, "expired") {
			t.Fatalf("message %q", got.Message)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		f.SetDown(true)
		f.SetBadSignature(true)
		f.SetBadPersonSignature(true)
		f.Reset()
		if f.Down() || f.BadSignature() || f.BadPersonSignature() || f.Slow() != 0 {
			t.Fatal("Reset left a fault on")
		}
	})
}

func TestSizeCaps(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	form := tokenForm(e.code("com", testPersona, "name"))
	form.Set("padding", strings.Repeat("x", MaxBodyBytes))
	apiErr(t, e.tokenRequest("com", form, &signOpts{}), http.StatusRequestEntityTooLarge)

	resp := e.get(e.authoriseURL("com", url.Values{"purpose": {strings.Repeat("p", MaxQueryBytes)}}))
	apiErr(t, resp, http.StatusRequestURITooLong)

	resp, err := e.client.PostForm(e.base+"/com/v3/authorise/login", url.Values{"flow": {strings.Repeat("f", MaxBodyBytes)}})
	if err != nil {
		t.Fatal(err)
	}
	if readBody(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("login form: %d", resp.StatusCode)
	}
}

func TestWrongURLs(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	apiErr(t, e.get(e.base+"/com/v3/tokens"), 403)
	apiErr(t, e.get(e.base+"/com/v3/person-basic/S6005048A/"), 403)
	resp := e.get(e.base + "/com/v3/token")
	apiErr(t, resp, 405)
	if resp.Header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
	apiErr(t, e.get(e.base+"/nothing"), 404)
}

func TestConsentPageShortcutAndLogger(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	e := newEnv(t, newTestKeys(t), func(c *Config) { c.Logger = logger })
	page, _ := url.Parse(e.authoriseURL("com", url.Values{"persona": {testPersona}}))
	resp := e.get(page.String())
	html := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `value="allow"`) || !strings.Contains(html, "S****048A") {
		t.Fatalf("consent page %d:\n%s", resp.StatusCode, html)
	}
	if strings.Contains(html, testPersona) {
		t.Fatal("consent page shows the full UIN/FIN")
	}
	resp = e.submit(page, html, "decision", "allow")
	readBody(t, resp)
	if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "code=") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok := e.token("com", e.code("com", testPersona, "name"))
	apiOK(t, e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{}))

	out := logs.String()
	for _, secret := range []string{testPersona, testSecret, tok, "ANDY", "st-123"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "GET /com/v3/person/{sub}/{$}") || !strings.Contains(out, "status=200") {
		t.Fatalf("log lacks route or status:\n%s", out)
	}
}

func TestSandboxToleratesPKISign(t *testing.T) {
	e := newEnv(t, newTestKeys(t), func(c *Config) { c.Sandbox = true })
	tok := e.token("com", e.code("com", testPersona, "name"))
	body := apiOK(t, e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{key: newRSAKey(t)}))
	if !strings.HasPrefix(body, `{"name":`) {
		t.Fatalf("body %s", body)
	}
}

// TestTokenStateBinding: the code is bound to the authorise request's
// state; a token call that sends another state (a stolen code redeemed in
// the thief's own session) is refused, and one that sends none, as the seed
// does, is not.
func TestTokenStateBinding(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	const authState = "st-123 /+?" // what e.code authorises with
	for _, tc := range []struct {
		name  string
		state []string // nil: no state parameter
		ok    bool
	}{
		{"same state", []string{authState}, true},
		{"no state (seed)", nil, true},
		{"empty state (.NET without one)", []string{""}, true},
		{"state=null (Java without one)", []string{"null"}, true},
		{"attacker's state", []string{"attacker-session-state"}, false},
		{"state differing in case", []string{"ST-123 /+?"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tokenForm(e.code("com", testPersona, "name"))
			if tc.state != nil {
				form["state"] = tc.state
			}
			resp := e.tokenRequest("com", form, &signOpts{})
			if tc.ok {
				apiOK(t, resp)
				return
			}
			got := apiErr(t, resp, http.StatusBadRequest)
			if got.Fields != "state" || !strings.Contains(got.Message, "state does not match") {
				t.Fatalf("error %+v", got)
			}
			if strings.Contains(got.Message, authState) || strings.Contains(got.Message, tc.state[0]) {
				t.Fatalf("message echoes a state: %q", got.Message)
			}
			// The refused attempt burned the code (RFC 6749 §4.1.2).
			apiErr(t, e.tokenRequest("com", tokenForm(form.Get("code")), &signOpts{}), http.StatusBadRequest)
		})
	}
}

// TestFloodDoesNotLockOut: more page loads and codes than the emulator
// keeps push out the oldest, and a fresh login still completes.
func TestFloodDoesNotLockOut(t *testing.T) {
	e := newEnv(t, newTestKeys(t), nil)
	serve := func(u string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.emu.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		return rec
	}
	loginPage := e.authoriseURL("com", nil)
	first := serve(loginPage).Body.String()
	for i := range maxFlows {
		if rec := serve(loginPage); rec.Code != http.StatusOK {
			t.Fatalf("page load %d: status %d", i+2, rec.Code)
		}
	}
	shortcut := e.authoriseURL("com", url.Values{"persona": {testPersona}, "consent": {"allow"}})
	for i := range maxCodes + 1 {
		if rec := serve(shortcut); rec.Code != http.StatusFound {
			t.Fatalf("code %d: status %d", i+1, rec.Code)
		}
	}

	// The oldest page was pushed out and says so.
	page, _ := url.Parse(loginPage)
	resp := e.submit(page, first, "persona", testPersona)
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Fatalf("evicted page: %d %s", resp.StatusCode, body)
	}

	// A fresh login, through the pages, completes.
	resp = e.get(loginPage)
	html := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page after the flood: %d", resp.StatusCode)
	}
	resp = e.submit(page, html, "persona", testPersona)
	html = readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page after the flood: %d %s", resp.StatusCode, html)
	}
	resp = e.submit(resp.Request.URL, html, "decision", "allow")
	readBody(t, resp)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("consent answer after the flood: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok := e.token("com", loc.Query().Get("code"))
	apiOK(t, e.personRequest("com", "person/"+testPersona+"/", personQuery("name"), tok, &signOpts{}))
}

// TestDefaultPortSpellings: https://host/… and https://host:443/… are one
// URL; a client may sign either, whichever way PublicURL spells it, and the
// token's iss has no default port, as real Myinfo's
// https://test.api.myinfo.gov.sg. Another port is another URL.
func TestDefaultPortSpellings(t *testing.T) {
	keys := newTestKeys(t)
	for _, tc := range []struct {
		public, signed, iss string
		ok                  bool
	}{
		{"https://test.api.myinfo.gov.sg", "https://test.api.myinfo.gov.sg", "https://test.api.myinfo.gov.sg", true},
		{"https://test.api.myinfo.gov.sg", "https://test.api.myinfo.gov.sg:443", "https://test.api.myinfo.gov.sg", true},
		{"https://127.0.0.1:443", "https://127.0.0.1", "https://127.0.0.1", true},
		{"https://127.0.0.1:443/", "https://127.0.0.1:443", "https://127.0.0.1", true},
		{"http://[::1]:80/emu", "http://[::1]/emu", "http://[::1]/emu", true},
		{"http://[::1]/emu", "http://[::1]:80/emu", "http://[::1]/emu", true},
		{"https://127.0.0.1", "https://127.0.0.1:8443", "", false},
		{"http://127.0.0.1", "http://127.0.0.1:443", "", false},
		{"https://127.0.0.1:5156", "https://127.0.0.1", "", false},
	} {
		t.Run(tc.public+" signed as "+tc.signed, func(t *testing.T) {
			e := newEnv(t, keys, func(c *Config) { c.PublicURL = tc.public })
			code := e.code("com", testPersona, "name")
			resp := e.tokenRequest("com", tokenForm(code), &signOpts{signedURL: tc.signed + "/com/v3/token"})
			if !tc.ok {
				got := apiErr(t, resp, http.StatusUnauthorized)
				if got.Fields != "signature" {
					t.Fatalf("error %+v", got)
				}
				return
			}
			var tr struct {
				AccessToken string `json:"access_token"`
			}
			if err := json.Unmarshal([]byte(apiOK(t, resp)), &tr); err != nil {
				t.Fatal(err)
			}
			jws, err := jose.ParseSigned(tr.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := jws.Verify(&keys.provider.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			var c accessClaims
			if err := json.Unmarshal(payload, &c); err != nil {
				t.Fatal(err)
			}
			if want := tc.iss + "/consent/oauth2/consent/myinfo-com"; c.Iss != want {
				t.Fatalf("iss = %q, want %q", c.Iss, want)
			}
		})
	}
}
