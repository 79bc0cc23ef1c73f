//go:build interop

package openidclient

// openid-client's rp.js, unchanged, against OUR Singpass emulator
// (emulator/singpass) on 127.0.0.1. The oracle for the person data is
// emulator/personas, read by the test: the emulator puts each granted item
// of the persona into person_info unchanged.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
	emulator "github.com/idconnect/idconnect/emulator/singpass"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	emuMyinfoID = "MyinfoClient0123456789abcdefABCD"
	emuLoginID  = "LoginClient0123456789abcdefABCDE"
	// emuRedirectURI is a loopback redirect the Singpass portal accepts
	// (staging allows http://localhost), so the emulator needs no
	// AllowIPRedirectURIs. rp.js never fetches it.
	emuRedirectURI = "http://localhost:1/callback"
	// emuIPRedirectURI needs AllowIPRedirectURIs.
	emuIPRedirectURI = "http://127.0.0.1:1/callback"
)

// emuEnv is an emulator on http://127.0.0.1:port/fapi with a Myinfo app
// and a Login app whose JWKS is the rp's public key set.
type emuEnv struct {
	srv      *httptest.Server
	emu      *emulator.Server
	keys     *peer.ClientKeys
	personas map[string]personas.Persona
}

func newEmuEnv(t *testing.T, mod func(*emulator.Config)) *emuEnv {
	t.Helper()
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	e := &emuEnv{keys: peer.NewClientKeys(t), personas: map[string]personas.Persona{}}
	for _, p := range ps {
		e.personas[p.ID] = p
	}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	pub := e.keys.JWKS(false)
	cfg := emulator.Config{
		Issuer:   e.srv.URL + "/fapi",
		Personas: ps,
		Clients: []emulator.Client{
			{ID: emuMyinfoID, Kind: emulator.MyinfoApp, JWKS: &pub, RedirectURIs: []string{emuRedirectURI}},
			{ID: emuLoginID, Kind: emulator.LoginApp, JWKS: &pub, RedirectURIs: []string{emuRedirectURI}},
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	if e.emu, err = emulator.New(cfg); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/fapi/", http.StripPrefix("/fapi", e.emu))
	return e
}

func (e *emuEnv) rp(clientID, scope, persona string) rpConfig {
	return rpConfig{
		Issuer: e.emu.Issuer(), ClientID: clientID, RedirectURI: emuRedirectURI, Keys: e.keys.JWKS(true),
		Scope: scope, Persona: persona, Consent: "allow", RequireISS: true,
	}
}

// checkMyinfo compares rp.js's userinfo with the persona's data for the
// requested scopes (items the persona lacks: the emulator's unavailable
// form).
func (e *emuEnv) checkMyinfo(t *testing.T, res *rpResult, persona, scope string) {
	t.Helper()
	p, ok := e.personas[persona]
	if !ok {
		t.Fatalf("%s is not in emulator/personas", persona)
	}
	var person map[string]json.RawMessage
	if err := json.Unmarshal(p.Myinfo, &person); err != nil {
		t.Fatal(err)
	}
	wantSub, _ := e.emu.Subject(persona)
	if res.Sub != wantSub || res.Userinfo["sub"] != wantSub {
		t.Errorf("sub %q, userinfo sub %v, want %s", res.Sub, res.Userinfo["sub"], wantSub)
	}
	if res.IDTokenClaims["iss"] != e.emu.Issuer() || res.IDTokenClaims["aud"] != emuMyinfoID ||
		res.Userinfo["iss"] != e.emu.Issuer() || res.Userinfo["aud"] != emuMyinfoID {
		t.Errorf("ID token %v / userinfo iss %v aud %v: want iss %s, aud %s", res.IDTokenClaims, res.Userinfo["iss"], res.Userinfo["aud"], e.emu.Issuer(), emuMyinfoID)
	}
	raw, err := json.Marshal(res.Userinfo["person_info"])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("userinfo person_info %s: %v", raw, err)
	}
	items := 0
	seen := map[string]bool{}
	for _, s := range strings.Fields(scope) {
		name, _, _ := strings.Cut(s, ".")
		if name == "openid" || seen[name] {
			continue
		}
		seen[name] = true
		items++
		want, ok := person[name]
		if !ok {
			want = json.RawMessage(`{"lastupdated":"","source":"1","classification":"C","unavailable":true}`)
		}
		if !jsonEqual(got[name], want) {
			t.Errorf("person_info.%s = %.300s, want the persona's %.300s", name, got[name], want)
		}
	}
	if len(got) != items {
		t.Errorf("person_info has %d items, want %d: %.300s", len(got), items, raw)
	}
}

func jsonEqual(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestRPAgainstEmulatorMyinfo: rp.js completes Myinfo-app logins against
// the emulator, with the client assertion's typ "JWT" and without typ
// (Singpass accepts both; the emulator's default), for several personas.
func TestRPAgainstEmulatorMyinfo(t *testing.T) {
	e := newEmuEnv(t, nil)
	tests := []struct {
		persona, scope, typ string
	}{
		{"S6005048A", "openid uinfin name sex dob birthcountry nationality regadd", "JWT"},
		{"S6005048A", "openid uinfin name sex dob birthcountry nationality regadd mobileno", ""}, // lacks mobileno
		{"S0528417A", "openid uinfin name homeno mailadd cpfcontributions noa-basic childrenbirthrecords", "JWT"},
		{"S9164083Z", "openid uinfin name mobileno email regadd hdbtype cpfbalances.oa", "JWT"},
		{"F3275914U", "openid uinfin name nationality passtype passexpirydate regadd", ""},
	}
	for _, tt := range tests {
		typ := tt.typ
		if typ == "" {
			typ = "none"
		}
		t.Run(tt.persona+"/typ="+typ, func(t *testing.T) {
			cfg := e.rp(emuMyinfoID, tt.scope, tt.persona)
			cfg.AssertionTyp = tt.typ
			res := mustRunRP(t, cfg)
			e.checkMyinfo(t, res, tt.persona, tt.scope)
		})
	}
}

// TestRPAgainstEmulatorLoginApp: a Login app (authentication_context_type,
// no userinfo call) gets sub_attributes in the ID token.
func TestRPAgainstEmulatorLoginApp(t *testing.T) {
	e := newEmuEnv(t, nil)
	const persona = "S6005048A"
	cfg := e.rp(emuLoginID, "openid user.identity name", persona)
	cfg.NoUserinfo = true
	cfg.PARParams = url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}}
	res := mustRunRP(t, cfg)
	wantSub, _ := e.emu.Subject(persona)
	attrs, _ := res.IDTokenClaims["sub_attributes"].(map[string]any)
	if res.Sub != wantSub || res.IDTokenClaims["aud"] != emuLoginID || res.Userinfo != nil ||
		attrs["identity_number"] != persona || attrs["name"] != e.personas[persona].Name ||
		attrs["account_type"] != "standard" || attrs["identity_coi"] != "SG" {
		t.Errorf("result %+v: want sub %s, aud %s, sub_attributes of %s %s", res, wantSub, emuLoginID, persona, e.personas[persona].Name)
	}
}

// TestRPAgainstEmulatorSwitches: with AllowIPRedirectURIs an IP-address
// redirect URI works; with RequireAssertionTyp, openid-client's default
// assertion (no typ) is refused and typ "JWT" passes.
func TestRPAgainstEmulatorSwitches(t *testing.T) {
	e := newEmuEnv(t, func(c *emulator.Config) {
		c.AllowIPRedirectURIs = true
		c.RequireAssertionTyp = true
		c.Clients[0].RedirectURIs = []string{emuIPRedirectURI}
	})
	const scope = "openid uinfin name"
	cfg := e.rp(emuMyinfoID, scope, "S6005048A")
	cfg.RedirectURI = emuIPRedirectURI
	cfg.AssertionTyp = "JWT"
	e.checkMyinfo(t, mustRunRP(t, cfg), "S6005048A", scope)

	cfg.AssertionTyp = ""
	_, err := runRP(t, cfg)
	var rpErr *rpError
	if !errors.As(err, &rpErr) || rpErr.ExitCode != 1 || !strings.Contains(rpErr.Stderr, "invalid_client") {
		t.Errorf("no typ with RequireAssertionTyp: %v, want exit 1 naming invalid_client", err)
	}
}
