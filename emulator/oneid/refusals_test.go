package oneid

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTokenRefusals checks each token-endpoint check refuses what it
// names, with the OAuth error and a description that teaches the fix.
func TestTokenRefusals(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*Config)
		prepare    func(e *env, l *login) (form url.Values, user, pass string, header string)
		status     int
		code, desc string
	}{
		{"wrong secret", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(l.code("janet-davidson")), clientID, "wrong", ""
		}, 401, "invalid_client", "client secret is wrong"},
		{"no Basic auth", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(l.code("janet-davidson")), "", "", ""
		}, 401, "invalid_client", "send Authorization: Basic"},
		{"client_secret_post", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Set("client_id", clientID)
			f.Set("client_secret", clientSecret)
			return f, "", "", ""
		}, 401, "invalid_client", "HTTP Basic only"},
		{"Bearer instead of Basic", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(l.code("janet-davidson")), "", "", "Bearer " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret))
		}, 401, "invalid_client", "must be Basic"},
		{"unknown client", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(l.code("janet-davidson")), "nobody", clientSecret, ""
		}, 401, "invalid_client", "not a registered client"},
		{"code of another client", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(l.code("janet-davidson")), otherID, otherSecret, ""
		}, 400, "invalid_grant", "issued to another client"},
		{"PKCE mismatch", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Set("code_verifier", randID(e.t))
			return f, clientID, clientSecret, ""
		}, 400, "invalid_grant", "PKCE failed"},
		{"PKCE verifier missing", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Del("code_verifier")
			return f, clientID, clientSecret, ""
		}, 400, "invalid_grant", "code_verifier is required"},
		{"PKCE verifier malformed", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Set("code_verifier", "short")
			return f, clientID, clientSecret, ""
		}, 400, "invalid_grant", "43 to 128"},
		{"code reused", nil, func(e *env, l *login) (url.Values, string, string, string) {
			code := l.code("janet-davidson")
			l.exchange(code)
			return l.tokenForm(code), clientID, clientSecret, ""
		}, 400, "invalid_grant", "already used"},
		{"code expired", nil, func(e *env, l *login) (url.Values, string, string, string) {
			code := l.code("janet-davidson")
			e.clock.Advance(DefaultCodeTTL)
			return l.tokenForm(code), clientID, clientSecret, ""
		}, 400, "invalid_grant", "expired"},
		{"code unknown", nil, func(e *env, l *login) (url.Values, string, string, string) {
			return l.tokenForm(randID(e.t)), clientID, clientSecret, ""
		}, 400, "invalid_grant", "unknown"},
		{"redirect_uri mismatch", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Set("redirect_uri", "https://rp.test/other")
			return f, clientID, clientSecret, ""
		}, 400, "invalid_grant", "redirect_uri must equal"},
		{"redirect_uri missing when required", func(c *Config) { c.RequireTokenRedirectURI = true }, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Del("redirect_uri")
			return f, clientID, clientSecret, ""
		}, 400, "invalid_request", "redirect_uri is required"},
		{"grant_type", nil, func(e *env, l *login) (url.Values, string, string, string) {
			f := l.tokenForm(l.code("janet-davidson"))
			f.Set("grant_type", "refresh_token")
			return f, clientID, clientSecret, ""
		}, 400, "unsupported_grant_type", "authorization_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			e := newEnv(t, mods...)
			l := e.newLogin("openid profile")
			form, user, pass, header := tt.prepare(e, l)
			var status int
			var m map[string]any
			var h http.Header
			if header != "" {
				r, _ := http.NewRequest("POST", e.endpoint("token_endpoint"), strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Authorization", header)
				resp, body := e.do(r)
				status, h = resp.StatusCode, resp.Header
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("not JSON: %s", body)
				}
			} else {
				status, m, h = e.tokenRequest(form, user, pass)
			}
			desc, _ := m["error_description"].(string)
			if status != tt.status || m["error"] != tt.code || !strings.Contains(desc, tt.desc) {
				t.Errorf("got %d %v %q, want %d %s %q", status, m["error"], desc, tt.status, tt.code, tt.desc)
			}
			if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %q", h.Get("WWW-Authenticate"))
			}
			if strings.Contains(desc, clientSecret) || strings.Contains(desc, otherSecret) {
				t.Error("the error echoes a secret")
			}
		})
	}
}

// TestCodeBurntByFailure checks a code presented with a wrong verifier
// cannot be used again with the right one.
func TestCodeBurntByFailure(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid")
	code := l.code("janet-davidson")
	f := l.tokenForm(code)
	f.Set("code_verifier", randID(t))
	if status, _, _ := e.tokenRequest(f, clientID, clientSecret); status != 400 {
		t.Fatalf("wrong verifier: %d", status)
	}
	if status, m, _ := e.tokenRequest(l.tokenForm(code), clientID, clientSecret); status != 400 || m["error"] != "invalid_grant" {
		t.Errorf("the code survived a failed exchange: %d %v", status, m)
	}
}

// TestResourceRefusals checks every resource's scope check and the bearer
// token checks.
func TestResourceRefusals(t *testing.T) {
	e := newEnv(t)
	// A token granting everything except the resource's scope.
	for scope, path := range map[string]string{"openid": PathUserinfo, "age_over_18": PathAgeVerification,
		"accounts": PathAccounts, "openid ": DefaultReportPath} {
		scope = strings.TrimSpace(scope)
		var granted []string
		for _, sc := range strings.Fields(allScopes) {
			if sc != scope {
				granted = append(granted, sc)
			}
		}
		l := e.newLogin(strings.Join(granted, " "))
		tok := l.exchange(l.code("priya-shah"))
		resp, body := e.get(e.issuer+path, tok.access)
		ch := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != 403 || !strings.Contains(string(body), "insufficient_scope") ||
			!strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="`+scope+`"`) {
			t.Errorf("%s without %s: %d %s %q", path, scope, resp.StatusCode, body, ch)
		}
	}

	l := e.newLogin(allScopes)
	tok := l.exchange(l.code("priya-shah"))
	for _, path := range []string{PathUserinfo, PathAgeVerification, PathAccounts, DefaultReportPath} {
		for name, header := range map[string]string{
			"no header":    "",
			"bad token":    "Bearer " + randID(t),
			"Basic scheme": "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+clientSecret)),
			"empty bearer": "Bearer ",
		} {
			r, _ := http.NewRequest("GET", e.issuer+path, nil)
			if header != "" {
				r.Header.Set("Authorization", header)
			}
			resp, body := e.do(r)
			if resp.StatusCode != 401 || !strings.Contains(string(body), "invalid_token") ||
				!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: %d %s", path, name, resp.StatusCode, body)
			}
		}
		if resp, _ := e.get(e.issuer+path, tok.access); resp.StatusCode != 200 {
			t.Errorf("%s with the good token: %d", path, resp.StatusCode)
		}
	}
	// The access token lives 300 s.
	e.clock.Advance(DefaultTokenTTL)
	resp, body := e.get(e.issuer+PathUserinfo, tok.access)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "expired") {
		t.Errorf("expired token: %d %s", resp.StatusCode, body)
	}
}

// TestAuthorizeRefusals checks the authorization endpoint: error pages
// (never a redirect) for an unknown client or redirect URI, redirects with
// the OAuth error otherwise.
func TestAuthorizeRefusals(t *testing.T) {
	e := newEnv(t)
	page := func(name string, mod func(l *login), want string) {
		t.Helper()
		l := e.newLogin("openid")
		mod(l)
		resp, body := e.get(l.authURL(), "")
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q, want an error page saying %q", name, resp.StatusCode, body, want)
		}
	}
	page("unknown client", func(l *login) { l.clientID = "nobody" }, "client_id")
	page("unregistered redirect_uri", func(l *login) { l.redirect = "https://evil.test/cb" }, "Return URLs")
	page("unknown persona", func(l *login) { l.extra.Set("persona", "nobody") }, "No such persona")
	page("bad consent", func(l *login) { l.extra.Set("persona", "janet-davidson"); l.extra.Set("consent", "maybe") }, "allow or deny")

	redirect := func(name string, cfg func(*Config), mod func(l *login), code, desc string) {
		t.Helper()
		var mods []func(*Config)
		if cfg != nil {
			mods = append(mods, cfg)
		}
		e := newEnv(t, mods...)
		l := e.newLogin("openid profile")
		mod(l)
		q := l.callback("janet-davidson", "allow")
		if q.Get("error") != code || !strings.Contains(q.Get("error_description"), desc) || q.Get("state") != l.state || q.Get("code") != "" {
			t.Errorf("%s: callback %v, want error %s %q", name, q, code, desc)
		}
	}
	redirect("response_type", nil, func(l *login) { l.extra.Set("response_type", "token") }, "unsupported_response_type", "code")
	redirect("no scope", nil, func(l *login) { l.scope = "" }, "invalid_request", "scope is required")
	redirect("unknown scope", nil, func(l *login) { l.scope = "openid wealth" }, "invalid_scope", "unknown scope wealth")
	redirect("scope not enabled", nil, func(l *login) { l.clientID, l.secret = otherID, otherSecret; l.scope = "openid accounts" },
		"invalid_scope", "not enabled")
	redirect("plain PKCE", nil, func(l *login) { l.extra.Set("code_challenge_method", "plain") }, "invalid_request", "S256")
	redirect("malformed challenge", nil, func(l *login) { l.extra.Set("code_challenge", "abc") }, "invalid_request", "43 base64url")
	redirect("PKCE required", func(c *Config) { c.RequirePKCE = true },
		func(l *login) { l.extra.Set("code_challenge", ""); l.extra.Set("code_challenge_method", "") }, "invalid_request", "PKCE is required")

	// Without RequirePKCE, a login without PKCE works (OneID documents PKCE
	// as optional), and a verifier sent anyway is refused.
	l := e.newLogin("openid")
	l.extra.Set("code_challenge", "")
	l.extra.Set("code_challenge_method", "")
	code := l.code("janet-davidson")
	f := l.tokenForm(code)
	f.Del("code_verifier")
	if status, m, _ := e.tokenRequest(f, clientID, clientSecret); status != 200 {
		t.Errorf("login without PKCE: %d %v", status, m)
	}
	// Unknown paths teach the real ones.
	resp, body := e.get(e.issuer+"/authorize", "")
	if resp.StatusCode != 404 || !strings.Contains(string(body), "/v2/authorize") {
		t.Errorf("/authorize: %d %s", resp.StatusCode, body)
	}
}
