package singpass

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// rawJWS signs header and claims by hand (ES256, r||s), for proofs go-jose
// will not make, such as one whose jwk is not the signing key.
func rawJWS(t testing.TB, key *ecdsa.PrivateKey, header map[string]any, claims any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func publicJWK(t testing.TB, k *ecdsa.PrivateKey) json.RawMessage {
	b, err := jose.JSONWebKey{Key: &k.PublicKey}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPARRefusals sends one PAR per case, each broken in one way (or, for
// the "accepted" cases, bent in a way Singpass accepts).
func TestPARRefusals(t *testing.T) {
	type tc struct {
		name   string
		cfg    func(*Config)
		login  bool // use the Login app
		send   func(l *login, par string) *httptest.ResponseRecorder
		status int
		code   string
		want   string
	}
	// assert sends a PAR whose client assertion has the claims c (changed
	// by mod) under header typ.
	assert := func(typ string, mod func(c map[string]any)) func(l *login, par string) *httptest.ResponseRecorder {
		return func(l *login, par string) *httptest.ResponseRecorder {
			c := l.assertionClaims(testIssuer)
			mod(c)
			f := l.parForm()
			f.Set("client_assertion", signJWT(l.e.t, l.rp.sigKey, l.rp.sigKID, typ, false, c))
			return l.sendPAR(f, l.proof("POST", par, ""))
		}
	}
	form := func(mod func(f url.Values)) func(l *login, par string) *httptest.ResponseRecorder {
		return func(l *login, par string) *httptest.ResponseRecorder {
			f := l.parForm()
			mod(f)
			return l.sendPAR(f, l.proof("POST", par, ""))
		}
	}
	proof := func(mod func(c map[string]any)) func(l *login, par string) *httptest.ResponseRecorder {
		return func(l *login, par string) *httptest.ResponseRecorder {
			c := l.proofClaims("POST", par, "")
			mod(c)
			return l.sendPAR(l.parForm(), signJWT(l.e.t, l.dpopKey, "", "dpop+jwt", true, c))
		}
	}
	noop := func(map[string]any) {}
	cases := []tc{
		{name: "correct", send: form(func(url.Values) {}), status: 201},
		{name: "no openid scope", send: form(func(f url.Values) { f.Set("scope", "uinfin name") }),
			status: 400, code: "invalid_scope", want: `must include "openid"`},
		{name: "redirect_uri not registered", send: form(func(f url.Values) { f.Set("redirect_uri", "https://rp.test/other") }),
			status: 400, code: "invalid_request", want: "not registered"},
		{name: "unknown client", send: func(l *login, par string) *httptest.ResponseRecorder {
			l.rp = newRP(l.e.t, "UnknownClient0123456789abcdefABC")
			return l.sendPAR(l.parForm(), l.proof("POST", par, ""))
		}, status: 401, code: "invalid_client", want: "unknown client"},
		{name: "client_id differs from assertion iss", send: form(func(f url.Values) { f.Set("client_id", loginID) }),
			status: 401, code: "invalid_client", want: "differs from the client_assertion iss"},
		{name: "no client assertion", send: form(func(f url.Values) { f.Del("client_assertion") }),
			status: 401, code: "invalid_client", want: "client_assertion is missing"},
		{name: "assertion aud wrong", send: assert("JWT", func(c map[string]any) { c["aud"] = "https://singpass.test" }),
			status: 401, code: "invalid_client", want: `aud must be the issuer "` + testIssuer + `"`},
		{name: "assertion aud PAR URL refused by default", send: assert("JWT", func(c map[string]any) { c["aud"] = testIssuer + "/par" }),
			status: 401, code: "invalid_client", want: "aud must be the issuer"},
		{name: "assertion aud PAR URL under AcceptEndpointAudience", cfg: func(c *Config) { c.AcceptEndpointAudience = true },
			send: assert("JWT", func(c map[string]any) { c["aud"] = testIssuer + "/par" }), status: 201},
		{name: "assertion aud token URL at PAR under AcceptEndpointAudience", cfg: func(c *Config) { c.AcceptEndpointAudience = true },
			send:   assert("JWT", func(c map[string]any) { c["aud"] = testIssuer + "/token" }),
			status: 401, code: "invalid_client", want: "aud must be the issuer"},
		{name: "assertion aud array with issuer", send: assert("JWT", func(c map[string]any) { c["aud"] = []string{"x", testIssuer} }), status: 201},
		{name: "assertion typ wrong", send: assert("at+jwt", noop), status: 401, code: "invalid_client", want: `typ must be "JWT"`},
		{name: "assertion without typ accepted", send: assert("", noop), status: 201},
		{name: "assertion without typ under RequireAssertionTyp", cfg: func(c *Config) { c.RequireAssertionTyp = true },
			send: assert("", noop), status: 401, code: "invalid_client", want: `needs typ "JWT"`},
		{name: "assertion code claim ignored, nbf accepted", send: assert("JWT", func(c map[string]any) {
			c["code"] = "whatever"
			c["nbf"] = c["iat"]
		}), status: 201},
		{name: "assertion expired", send: assert("JWT", func(c map[string]any) {
			now := c["iat"].(int64)
			c["iat"], c["exp"] = now-200, now-140+59 // expired 81 s ago (past the 60 s skew)
		}), status: 401, code: "invalid_client", want: "has expired"},
		{name: "assertion lives longer than 120 s", send: assert("JWT", func(c map[string]any) { c["exp"] = c["iat"].(int64) + 121 }),
			status: 401, code: "invalid_client", want: "at most 120 seconds"},
		{name: "assertion iat in the future", send: assert("JWT", func(c map[string]any) {
			c["iat"] = c["iat"].(int64) + 61
			c["exp"] = c["iat"].(int64) + 60
		}), status: 401, code: "invalid_client", want: "iat is in the future"},
		{name: "assertion without exp", send: assert("JWT", func(c map[string]any) { delete(c, "exp") }),
			status: 401, code: "invalid_client", want: "needs exp"},
		{name: "assertion without jti", send: assert("JWT", func(c map[string]any) { delete(c, "jti") }),
			status: 401, code: "invalid_client", want: "needs a jti"},
		{name: "assertion sub differs", send: assert("JWT", func(c map[string]any) { c["sub"] = "someone" }),
			status: 401, code: "invalid_client", want: "sub must equal iss"},
		{name: "assertion signed by another key", send: func(l *login, par string) *httptest.ResponseRecorder {
			f := l.parForm()
			f.Set("client_assertion", signJWT(l.e.t, newKey(l.e.t, elliptic.P256()), l.rp.sigKID, "JWT", false, l.assertionClaims(testIssuer)))
			return l.sendPAR(f, l.proof("POST", par, ""))
		}, status: 401, code: "invalid_client", want: "does not verify"},
		{name: "assertion without kid tries every key", send: func(l *login, par string) *httptest.ResponseRecorder {
			f := l.parForm()
			f.Set("client_assertion", signJWT(l.e.t, l.rp.sigKey, "", "JWT", false, l.assertionClaims(testIssuer)))
			return l.sendPAR(f, l.proof("POST", par, ""))
		}, status: 201},
		{name: "assertion signed with the enc key", send: func(l *login, par string) *httptest.ResponseRecorder {
			f := l.parForm()
			f.Set("client_assertion", signJWT(l.e.t, l.rp.encKey, l.rp.encKID, "JWT", false, l.assertionClaims(testIssuer)))
			return l.sendPAR(f, l.proof("POST", par, ""))
		}, status: 401, code: "invalid_client", want: "no signing key with kid"},
		{name: "JWKS URL that redirects", cfg: func(c *Config) { c.Clients[0].JWKSURL = strings.Replace(c.Clients[0].JWKSURL, "/jwks", "/moved", 1) },
			send: form(func(url.Values) {}), status: 400, code: "upstream_dependency_error", want: "redirect"},
		{name: "JWKS URL answering 404", cfg: func(c *Config) { c.Clients[0].JWKSURL += "-gone" },
			send: form(func(url.Values) {}), status: 400, code: "upstream_dependency_error", want: "404"},
		{name: "no DPoP", send: func(l *login, par string) *httptest.ResponseRecorder { return l.sendPAR(l.parForm(), "") },
			status: 400, code: "invalid_dpop_proof", want: "DPoP header is required"},
		{name: "DPoP wrong htu", send: proof(func(c map[string]any) { c["htu"] = testIssuer + "/token" }),
			status: 400, code: "invalid_dpop_proof", want: `htu must be "` + testIssuer + `/par"`},
		{name: "DPoP htu other host", send: proof(func(c map[string]any) { c["htu"] = "https://127.0.0.1/fapi/par" }),
			status: 400, code: "invalid_dpop_proof", want: "htu must be"},
		{name: "DPoP htu with query and default port accepted", send: proof(func(c map[string]any) { c["htu"] = "https://SINGPASS.test:443/fapi/par?x=1" }),
			status: 201},
		{name: "DPoP wrong htm", send: proof(func(c map[string]any) { c["htm"] = "GET" }),
			status: 400, code: "invalid_dpop_proof", want: `htm must be "POST"`},
		{name: "DPoP without jti", send: proof(func(c map[string]any) { delete(c, "jti") }),
			status: 400, code: "invalid_dpop_proof", want: "unique jti"},
		{name: "DPoP too old", send: proof(func(c map[string]any) { c["iat"] = c["iat"].(int64) - 181 }),
			status: 400, code: "invalid_dpop_proof", want: "too old"},
		{name: "DPoP iat in the future", send: proof(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 61 }),
			status: 400, code: "invalid_dpop_proof", want: "in the future"},
		{name: "DPoP exp 120 s after iat accepted", send: proof(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 120 }), status: 201},
		{name: "DPoP exp too far", send: proof(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 121 }),
			status: 400, code: "invalid_dpop_proof", want: "at most 120 seconds"},
		{name: "DPoP typ wrong", send: func(l *login, par string) *httptest.ResponseRecorder {
			return l.sendPAR(l.parForm(), signJWT(l.e.t, l.dpopKey, "", "JWT", true, l.proofClaims("POST", par, "")))
		}, status: 400, code: "invalid_dpop_proof", want: `typ must be "dpop+jwt"`},
		{name: "DPoP without jwk", send: func(l *login, par string) *httptest.ResponseRecorder {
			return l.sendPAR(l.parForm(), signJWT(l.e.t, l.dpopKey, "", "dpop+jwt", false, l.proofClaims("POST", par, "")))
		}, status: 400, code: "invalid_dpop_proof", want: "public key in jwk"},
		{name: "DPoP signed by a key other than its jwk", send: func(l *login, par string) *httptest.ResponseRecorder {
			h := map[string]any{"alg": "ES256", "typ": "dpop+jwt", "jwk": publicJWK(l.e.t, newKey(l.e.t, elliptic.P256()))}
			return l.sendPAR(l.parForm(), rawJWS(l.e.t, l.dpopKey, h, l.proofClaims("POST", par, "")))
		}, status: 400, code: "invalid_dpop_proof", want: "does not verify with the key in its jwk"},
		{name: "DPoP ES384", send: func(l *login, par string) *httptest.ResponseRecorder {
			return l.sendPAR(l.parForm(), signJWT(l.e.t, newKey(l.e.t, elliptic.P384()), "", "dpop+jwt", true, l.proofClaims("POST", par, "")))
		}, status: 400, code: "invalid_dpop_proof", want: "ES256"},
		{name: "dpop_jkt differs from the proof's key", send: form(func(f url.Values) { f.Set("dpop_jkt", strings.Repeat("A", 43)) }),
			status: 400, code: "invalid_dpop_proof", want: "dpop_jkt differs"},
		{name: "state missing", send: form(func(f url.Values) { f.Del("state") }),
			status: 400, code: "invalid_request", want: "state is required"},
		{name: "nonce missing", send: form(func(f url.Values) { f.Del("nonce") }),
			status: 400, code: "invalid_request", want: "nonce is required"},
		{name: "state with a space", send: form(func(f url.Values) { f.Set("state", "a b") }),
			status: 400, code: "invalid_request", want: "only letters"},
		{name: "short nonce accepted by default", send: form(func(f url.Values) { f.Set("nonce", "n") }), status: 201},
		{name: "short nonce under MinStateNonceLength", cfg: func(c *Config) { c.MinStateNonceLength = 30 },
			send: form(func(f url.Values) { f.Set("nonce", strings.Repeat("n", 29)) }), status: 400, code: "invalid_request", want: "between 30 and 255"},
		{name: "PKCE plain", send: form(func(f url.Values) { f.Set("code_challenge_method", "plain") }),
			status: 400, code: "invalid_request", want: `must be "S256"`},
		{name: "PKCE challenge malformed", send: form(func(f url.Values) { f.Set("code_challenge", "short") }),
			status: 400, code: "invalid_request", want: "43 characters"},
		{name: "response_type token", send: form(func(f url.Values) { f.Set("response_type", "token") }),
			status: 400, code: "invalid_request", want: `response_type must be "code"`},
		{name: "repeated parameter", send: form(func(f url.Values) { f.Add("scope", "openid") }),
			status: 400, code: "invalid_request", want: "scope is repeated"},
		{name: "authentication_context_type on a Myinfo app", send: form(func(f url.Values) {
			f.Set("authentication_context_type", "APP_AUTHENTICATION_DEFAULT")
		}), status: 400, code: "invalid_request", want: "can only be provided for Login apps"},
		{name: "user.identity on a Myinfo app", send: form(func(f url.Values) { f.Set("scope", "openid user.identity") }),
			status: 400, code: "invalid_scope", want: "Login apps only"},
		{name: "unknown Myinfo item", send: form(func(f url.Values) { f.Set("scope", "openid shoesize") }),
			status: 400, code: "invalid_scope", want: "not a Myinfo data item"},
		{name: "Myinfo item on a Login app", login: true, send: form(func(f url.Values) { f.Set("scope", "openid uinfin") }),
			status: 400, code: "invalid_scope", want: "not a Login app scope"},
		{name: "unapproved scope", cfg: func(c *Config) { c.Clients[0].Scopes = []string{"uinfin"} },
			send: form(func(f url.Values) { f.Set("scope", "openid uinfin name") }), status: 400, code: "invalid_scope", want: `"name" is not approved`},
		{name: "acr_values not enabled", send: form(func(f url.Values) { f.Set("acr_values", "urn:singpass:authentication:loa:2") }),
			status: 400, code: "invalid_request", want: "acr_values is not enabled"},
		{name: "form in the query, not the body", send: func(l *login, par string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", par+"?"+l.parForm().Encode(), nil)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("DPoP", l.proof("POST", par, ""))
			return l.e.do(r)
		}, status: 401, code: "invalid_client", want: "private_key_jwt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mods []func(*Config)
			if c.cfg != nil {
				mods = append(mods, c.cfg)
			}
			e := newEnv(t, mods...)
			r := e.myinfo
			if c.login {
				r = e.login
			}
			l := e.newLogin(r, "openid uinfin name")
			rec := c.send(l, e.endpoint("pushed_authorization_request_endpoint"))
			if c.code == "" {
				if rec.Code != c.status {
					t.Fatalf("got %d %s; want %d", rec.Code, rec.Body, c.status)
				}
				return
			}
			oauthErr(t, rec, c.status, c.code, c.want)
		})
	}
}

func TestClientAssertionReplayed(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	par := e.endpoint("pushed_authorization_request_endpoint")
	f := l.parForm()
	if rec := l.sendPAR(f, l.proof("POST", par, "")); rec.Code != 201 {
		t.Fatalf("first PAR: %d %s", rec.Code, rec.Body)
	}
	e.clock.Advance(5 * time.Second)
	oauthErr(t, l.sendPAR(f, l.proof("POST", par, "")), 401, "invalid_client", "jti was used before")
}

func TestDPoPJTIReplayed(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	par := e.endpoint("pushed_authorization_request_endpoint")
	p := l.proof("POST", par, "")
	if rec := l.sendPAR(l.parForm(), p); rec.Code != 201 {
		t.Fatalf("first PAR: %d %s", rec.Code, rec.Body)
	}
	oauthErr(t, l.sendPAR(l.parForm(), p), 400, "invalid_dpop_proof", "jti was used before")
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Run("request_uri replayed", func(t *testing.T) {
		e := newEnv(t)
		l := e.newLogin(e.myinfo, "openid uinfin")
		l.par()
		l.authorizeCode(testPersona)
		q := l.authorize("&persona=" + testPersona + "&consent=allow")
		if q.Get("error") != "invalid_request_uri" || !strings.Contains(q.Get("error_description"), "already used") || q.Get("code") != "" {
			t.Fatalf("second use: %v", q)
		}
	})
	t.Run("request_uri expired", func(t *testing.T) {
		e := newEnv(t)
		l := e.newLogin(e.myinfo, "openid uinfin")
		l.par()
		e.clock.Advance(60 * time.Second)
		q := l.authorize("&persona=" + testPersona + "&consent=allow")
		if q.Get("error") != "invalid_request_uri" || !strings.Contains(q.Get("error_description"), "expired") {
			t.Fatalf("after 60 s: %v", q)
		}
	})
	t.Run("request_uri just in time", func(t *testing.T) {
		e := newEnv(t)
		l := e.newLogin(e.myinfo, "openid uinfin")
		l.par()
		e.clock.Advance(59 * time.Second)
		l.authorizeCode(testPersona)
	})
	for _, c := range []struct{ name, query, want string }{
		{"unknown request_uri", "client_id=" + myinfoID + "&request_uri=urn:ietf:params:oauth:request_uri:nope", "invalid_request_uri"},
		{"request_uri of another client", "client_id=" + loginID + "&request_uri=", "invalid_request_uri"},
		{"unknown client", "client_id=nobody&request_uri=", "client_id is missing or not a registered app"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			l := e.newLogin(e.myinfo, "openid uinfin")
			l.par()
			q := c.query
			if strings.HasSuffix(q, "=") {
				q += url.QueryEscape(l.requestURI)
			}
			rec := e.do(httptest.NewRequest("GET", e.endpoint("authorization_endpoint")+"?"+q, nil))
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), c.want) || rec.Header().Get("Location") != "" {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	cases := []struct {
		name   string
		cfg    func(*Config)
		send   func(l *login, tok string) *httptest.ResponseRecorder
		status int
		code   string
		want   string
	}{
		{name: "code used twice", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.token()
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "already used"},
		{name: "code expired", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.e.clock.Advance(60 * time.Second)
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "expired"},
		{name: "code just in time", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.e.clock.Advance(59 * time.Second)
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 200},
		{name: "code unknown", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Set("code", "nonsense")
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "unknown"},
		{name: "PKCE mismatch", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Set("code_verifier", strings.Repeat("v", 43))
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "PKCE failed"},
		{name: "PKCE verifier missing", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Del("code_verifier")
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "code_verifier must be"},
		{name: "redirect_uri mismatch", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Set("redirect_uri", "https://rp.test/other")
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "redirect_uri must equal the one sent to PAR"},
		{name: "DPoP key differs from PAR's", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.dpopKey = newKey(l.e.t, elliptic.P256())
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_dpop_proof", want: "does not match the initial dpop_jkt"},
		{name: "DPoP htu of PAR", send: func(l *login, tok string) *httptest.ResponseRecorder {
			return l.sendToken(l.tokenForm(), l.proof("POST", testIssuer+"/par", ""))
		}, status: 400, code: "invalid_dpop_proof", want: `htu must be "` + testIssuer + `/token"`},
		{name: "no DPoP", send: func(l *login, tok string) *httptest.ResponseRecorder {
			return l.sendToken(l.tokenForm(), "")
		}, status: 400, code: "invalid_dpop_proof", want: "DPoP header is required"},
		{name: "grant_type refresh_token", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Set("grant_type", "refresh_token")
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 400, code: "unsupported_grant_type", want: "authorization_code"},
		{name: "code of another client", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.rp = l.e.login
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 400, code: "invalid_grant", want: "another client"},
		{name: "unknown client", send: func(l *login, tok string) *httptest.ResponseRecorder {
			l.rp = newRP(l.e.t, "UnknownClient0123456789abcdefABC")
			return l.sendToken(l.tokenForm(), l.proof("POST", tok, ""))
		}, status: 401, code: "invalid_client", want: "unknown client"},
		{name: "assertion aud token URL refused by default", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			f.Set("client_assertion", signJWT(l.e.t, l.rp.sigKey, l.rp.sigKID, "JWT", false, l.assertionClaims(tok)))
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 401, code: "invalid_client", want: "aud must be the issuer"},
		{name: "assertion aud token URL under AcceptEndpointAudience", cfg: func(c *Config) { c.AcceptEndpointAudience = true },
			send: func(l *login, tok string) *httptest.ResponseRecorder {
				f := l.tokenForm()
				f.Set("client_assertion", signJWT(l.e.t, l.rp.sigKey, l.rp.sigKID, "JWT", false, l.assertionClaims(tok)))
				return l.sendToken(f, l.proof("POST", tok, ""))
			}, status: 200},
		{name: "assertion expired", send: func(l *login, tok string) *httptest.ResponseRecorder {
			f := l.tokenForm()
			c := l.assertionClaims(testIssuer)
			c["iat"], c["exp"] = c["iat"].(int64)-180, c["iat"].(int64)-61
			f.Set("client_assertion", signJWT(l.e.t, l.rp.sigKey, l.rp.sigKID, "JWT", false, c))
			return l.sendToken(f, l.proof("POST", tok, ""))
		}, status: 401, code: "invalid_client", want: "has expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mods []func(*Config)
			if c.cfg != nil {
				mods = append(mods, c.cfg)
			}
			e := newEnv(t, mods...)
			l := e.newLogin(e.myinfo, "openid uinfin")
			l.par()
			l.authorizeCode(testPersona)
			rec := c.send(l, e.endpoint("token_endpoint"))
			if c.code == "" {
				if rec.Code != c.status {
					t.Fatalf("got %d %s; want %d", rec.Code, rec.Body, c.status)
				}
				return
			}
			oauthErr(t, rec, c.status, c.code, c.want)
		})
	}
}

func TestTokenAssertionReplayedFromPAR(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	par := e.endpoint("pushed_authorization_request_endpoint")
	pf := l.parForm()
	rec := l.sendPAR(pf, l.proof("POST", par, ""))
	if rec.Code != 201 {
		t.Fatal(rec.Body)
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &struct {
		R *string `json:"request_uri"`
	}{&l.requestURI})
	l.authorizeCode(testPersona)
	f := l.tokenForm()
	f.Set("client_assertion", pf.Get("client_assertion"))
	oauthErr(t, l.sendToken(f, l.proof("POST", e.endpoint("token_endpoint"), "")), 401, "invalid_client", "jti was used before")
}

func TestUserinfoRefusals(t *testing.T) {
	cases := []struct {
		name   string
		send   func(l *login, ui string) *httptest.ResponseRecorder
		status int
		code   string
		want   string
	}{
		{name: "ath missing", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, ""))
		}, status: 401, code: "invalid_dpop_proof", want: "needs ath"},
		{name: "ath of another token", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access+"x"))
		}, status: 401, code: "invalid_dpop_proof", want: "ath does not match"},
		{name: "DPoP key differs from the token's", send: func(l *login, ui string) *httptest.ResponseRecorder {
			l.dpopKey = newKey(l.e.t, elliptic.P256())
			return l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access))
		}, status: 401, code: "invalid_dpop_proof", want: "another key"},
		{name: "DPoP wrong htm", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("DPoP "+l.access, l.proof("POST", ui, l.access))
		}, status: 401, code: "invalid_dpop_proof", want: `htm must be "GET"`},
		{name: "DPoP wrong htu", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("DPoP "+l.access, l.proof("GET", "https://singpass.test/userinfo", l.access))
		}, status: 401, code: "invalid_dpop_proof", want: `htu must be "` + testIssuer + `/userinfo"`},
		{name: "DPoP jti reused", send: func(l *login, ui string) *httptest.ResponseRecorder {
			p := l.proof("GET", ui, l.access)
			if rec := l.sendUserinfo("DPoP "+l.access, p); rec.Code != 200 {
				l.e.t.Fatalf("first userinfo: %d %s", rec.Code, rec.Body)
			}
			return l.sendUserinfo("DPoP "+l.access, p)
		}, status: 401, code: "invalid_dpop_proof", want: "jti was used before"},
		{name: "no DPoP", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("DPoP "+l.access, "")
		}, status: 401, code: "invalid_dpop_proof", want: "DPoP header is required"},
		{name: "Bearer", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("Bearer "+l.access, l.proof("GET", ui, l.access))
		}, status: 401, code: "invalid_token", want: "not Bearer"},
		{name: "no Authorization", send: func(l *login, ui string) *httptest.ResponseRecorder {
			return l.sendUserinfo("", l.proof("GET", ui, l.access))
		}, status: 401, code: "invalid_token", want: "DPoP <access token>"},
		{name: "access token forged", send: func(l *login, ui string) *httptest.ResponseRecorder {
			parts := strings.Split(l.access, ".")
			forged := parts[0] + "." + parts[1] + "." + b64(make([]byte, 64))
			return l.sendUserinfo("DPoP "+forged, l.proof("GET", ui, forged))
		}, status: 401, code: "invalid_token", want: "not one this emulator issued"},
		{name: "access token expired", send: func(l *login, ui string) *httptest.ResponseRecorder {
			l.e.clock.Advance(30 * time.Minute)
			return l.sendUserinfo("DPoP "+l.access, l.proof("GET", ui, l.access))
		}, status: 401, code: "invalid_token", want: "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			l := e.newLogin(e.myinfo, "openid uinfin")
			l.fullLogin(testPersona)
			rec := c.send(l, e.endpoint("userinfo_endpoint"))
			oauthErr(t, rec, c.status, c.code, c.want)
			if wa := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(wa, "DPoP ") || !strings.Contains(wa, `error="`+c.code+`"`) {
				t.Errorf("WWW-Authenticate %q", wa)
			}
		})
	}
}

func TestJWKSRefetchOnUnknownKid(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.par()
	hits := func() int { e.jwksMu.Lock(); defer e.jwksMu.Unlock(); return e.jwksHits }
	if hits() != 1 {
		t.Fatalf("JWKS fetched %d times for one PAR", hits())
	}
	// The RP rotates its signing key: the new kid makes the emulator
	// refetch at once, without waiting for the cache to expire.
	e.myinfo.sigKey = newKey(t, elliptic.P256())
	e.myinfo.sigKID = "rotated"
	e.jwksMu.Lock()
	e.myinfo.jwksDoc.Keys[0] = jose.JSONWebKey{Key: &e.myinfo.sigKey.PublicKey, KeyID: "rotated", Use: "sig", Algorithm: "ES256"}
	e.jwksMu.Unlock()
	e.clock.Advance(JWKSRefetchInterval)
	l2 := e.newLogin(e.myinfo, "openid uinfin")
	l2.par()
	if hits() != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", hits())
	}
	// An unknown kid within JWKSRefetchInterval of the last fetch does not
	// fetch again.
	l3 := e.newLogin(e.myinfo, "openid uinfin")
	f := l3.parForm()
	f.Set("client_assertion", signJWT(t, l3.rp.sigKey, "unknown-kid", "JWT", false, l3.assertionClaims(testIssuer)))
	oauthErr(t, l3.sendPAR(f, l3.proof("POST", e.endpoint("pushed_authorization_request_endpoint"), "")), 401, "invalid_client", "no signing key")
	if hits() != 2 {
		t.Fatalf("JWKS fetched %d times, want still 2", hits())
	}
}

func TestLoopbackRedirectURIs(t *testing.T) {
	ok := func(c *Config) { c.Clients[1].RedirectURIs = []string{"http://localhost:3080/callback"} }
	newEnv(t, ok)
	for _, c := range []struct {
		ru    string
		allow bool
		want  string
	}{
		{"http://127.0.0.1:3080/callback", false, "IP-address hosts"},
		{"https://10.0.0.1/callback", false, "IP-address hosts"},
		{"http://rp.example/callback", false, "must be https"},
		{"http://10.0.0.1/callback", true, "must be https"},
		{"myapp://callback", false, "must be https"},
		{"https://rp.test/cb#frag", false, "fragment"},
	} {
		_, err := New(testConfig(t, func(cfg *Config) {
			cfg.Clients[0].RedirectURIs = []string{c.ru}
			cfg.AllowIPRedirectURIs = c.allow
		}))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s (allow IP %v): %v; want %q", c.ru, c.allow, err, c.want)
		}
	}
	if _, err := New(testConfig(t, func(cfg *Config) {
		cfg.Clients[0].RedirectURIs = []string{"http://127.0.0.1:3080/callback", "http://[::1]:3080/callback"}
		cfg.AllowIPRedirectURIs = true
	})); err != nil {
		t.Errorf("loopback IPs under AllowIPRedirectURIs: %v", err)
	}
}

// testConfig is a valid Config with a pasted JWKS, changed by mod.
func testConfig(t *testing.T, mod func(*Config)) Config {
	r := newRP(t, myinfoID)
	cfg := Config{Issuer: testIssuer, Personas: mustPersonas(t),
		Clients: []Client{{ID: myinfoID, JWKS: &r.jwksDoc, RedirectURIs: []string{testRedirect}}}}
	mod(&cfg)
	return cfg
}

func TestNewReportsEveryProblem(t *testing.T) {
	r := newRP(t, "x")
	priv := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: r.sigKey, KeyID: "p", Use: "sig"}}}
	_, err := New(Config{
		Issuer:              "singpass.test/fapi",
		SigningKey:          newKey(t, elliptic.P384()),
		IDTokenEncryption:   jose.A128GCM,
		CodeTTL:             1500 * time.Millisecond,
		Clients:             []Client{{ID: "a", JWKS: &priv}, {ID: "a"}, {ID: "b", Kind: 7, RedirectURIs: []string{testRedirect}}},
		MinStateNonceLength: -1,
	})
	if err == nil {
		t.Fatal("New accepted a bad Config")
	}
	for _, want := range []string{"Issuer", "no Personas", "private key", "duplicate ID", "Kind is AppKind(7)", "set JWKSURL or JWKS",
		"no RedirectURIs", "P-256", "A128GCM", "CodeTTL", "MinStateNonceLength"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	e := newEnv(t)
	oauthErr(t, e.do(httptest.NewRequest("GET", testIssuer+"/nope", nil)), 404, "invalid_request", "discovery document")
	rec := e.do(httptest.NewRequest("GET", testIssuer+"/token", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET /token: %d", rec.Code)
	}
}

func TestAuthorizeBadScriptParamsKeepRequestURI(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.par()
	for _, extra := range []string{"&persona=S0000000X", "&consent=allow", "&persona=" + testPersona + "&consent=maybe"} {
		u := e.endpoint("authorization_endpoint") + "?client_id=" + myinfoID + "&request_uri=" + url.QueryEscape(l.requestURI) + extra
		if rec := e.do(httptest.NewRequest("GET", u, nil)); rec.Code != 400 {
			t.Fatalf("%s: %d", extra, rec.Code)
		}
	}
	l.authorizeCode(testPersona)
}
