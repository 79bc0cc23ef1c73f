package singpass_test

// Tests against emulator/singpass, the strict Singpass emulator written
// independently of this client, through idconnect.Flow and store.Memory.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	emulator "github.com/idconnect/idconnect/emulator/singpass"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"
)

const (
	emuMyinfoID = "MyinfoClient0123456789abcdefABCD"
	emuLoginID  = "LoginClient0123456789abcdefABCDE"
	emuPersona  = "S6005048A" // ANDY LAU in emulator/personas
)

type emuEnv struct {
	clock *clock
	keys  *keyset.Set
	srv   *httptest.Server
	emu   *emulator.Server
	flow  *idconnect.Flow
}

func newEmuEnv(t *testing.T, mods ...func(*emulator.Config)) *emuEnv {
	t.Helper()
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &emuEnv{clock: newClock(), keys: keys}
	var handler http.Handler = http.NotFoundHandler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	cfg := emulator.Config{
		Issuer:   e.srv.URL + "/fapi",
		Personas: ps,
		Clients: []emulator.Client{
			{ID: emuMyinfoID, Kind: emulator.MyinfoApp, JWKS: keys.Public(), RedirectURIs: []string{redirectURI}},
			{ID: emuLoginID, Kind: emulator.LoginApp, JWKS: keys.Public(), RedirectURIs: []string{redirectURI}},
		},
		Now:                 e.clock.Now,
		RequireAssertionTyp: true,
		MinStateNonceLength: 30,
	}
	for _, m := range mods {
		m(&cfg)
	}
	if e.emu, err = emulator.New(cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/fapi/", http.StripPrefix("/fapi", e.emu))
	mux.Handle("/.well-known/keys", e.emu.JWKSHandler())
	handler = mux
	e.flow = &idconnect.Flow{Providers: map[string]idconnect.Provider{}, Store: &store.Memory{Now: e.clock.Now}, Now: e.clock.Now}
	return e
}

func (e *emuEnv) provider(t *testing.T, name string, app singpass.App, id string, scopes ...string) *singpass.Client {
	t.Helper()
	c, err := singpass.New(singpass.Config{
		Name: name, Issuer: e.emu.Issuer(), ClientID: id, Keys: e.keys, RedirectURI: redirectURI,
		App: app, Scopes: scopes, HTTPClient: e.srv.Client(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers[name] = c
	return c
}

// login runs one login through the Flow: bind a browser, start, let the
// persona consent at the emulator (persona= and consent= on the
// authorization URL, the emulator's shortcut for its login pages), and
// finish with the callback's parameters.
func (e *emuEnv) login(t *testing.T, provider string, consent string) (*idconnect.Login, *idconnect.Result, error) {
	t.Helper()
	ctx := context.Background()
	rec := httptest.NewRecorder()
	browser, err := e.flow.BindBrowser(rec, httptest.NewRequest("GET", "/login/"+provider, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := e.flow.Start(ctx, provider, browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	hc := e.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL + "&persona=" + emuPersona + "&consent=" + consent)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("redirected elsewhere: %v", err)
	}
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return e.flow.Finish(ctx, provider, cb, browser)
}

func TestEmulatorMyinfoApp(t *testing.T) {
	e := newEmuEnv(t)
	c := e.provider(t, "singpass", singpass.Myinfo, emuMyinfoID, "uinfin", "name", "sex", "regadd", "mobileno", "hdbtype")
	login, res, err := e.login(t, "singpass", "allow")
	if err != nil {
		t.Fatal(err)
	}
	wantSub, _ := e.emu.Subject(emuPersona)
	if res.Subject != wantSub || res.Provider != "singpass" {
		t.Errorf("subject %q provider %q", res.Subject, res.Provider)
	}
	m := res.Model.(*myinfo.Person)
	// Hand-typed from the seed's example person.
	if m.UINFIN.Value != "S6005048A" || m.Name.Value != "ANDY LAU" || res.Person.IDNumber.Value != "S6005048A" {
		t.Errorf("person %+v", res.Person)
	}
	if m.HDBType == nil {
		t.Error("hdbtype missing")
	}
	sod, err := c.Flatten(login, res)
	if err != nil || !strings.HasPrefix(string(sod), `{"uinfin":"S6005048A","name":"ANDY LAU","sex":"M",`) {
		t.Errorf("sodata = %.60s…, %v", sod, err)
	}
}

func TestEmulatorLoginApp(t *testing.T) {
	e := newEmuEnv(t)
	c := e.provider(t, "singpass-login", singpass.Login, emuLoginID, "user.identity", "name")
	login, res, err := e.login(t, "singpass-login", "allow")
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model.(*singpass.IDToken)
	if m.SubAttributes == nil || m.SubAttributes.IdentityNumber != "S6005048A" || m.SubAttributes.Name != "ANDY LAU" {
		t.Fatalf("model %+v", m)
	}
	if res.Person.IDNumber.Value != "S6005048A" || res.Person.Name.Value != "ANDY LAU" {
		t.Errorf("person %+v", res.Person)
	}
	sod, err := c.Flatten(login, res)
	if err != nil || string(sod) != `{"uinfin":"S6005048A","name":"ANDY LAU"}` {
		t.Errorf("sodata = %s, %v", sod, err)
	}
}

func TestEmulatorEndpointAudienceAndEncryptions(t *testing.T) {
	e := newEmuEnv(t, func(c *emulator.Config) {
		c.AcceptEndpointAudience = true
		c.IDTokenEncryption, c.UserinfoEncryption = "A256GCM", "A256CBC-HS512"
	})
	c, err := singpass.New(singpass.Config{
		Issuer: e.emu.Issuer(), ClientID: emuMyinfoID, Keys: e.keys, RedirectURI: redirectURI,
		AssertionAudience: singpass.AudienceEndpoint, HTTPClient: e.srv.Client(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers["singpass"] = c
	if _, _, err := e.login(t, "singpass", "allow"); err != nil {
		t.Fatal(err)
	}
}

func TestEmulatorFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   func(f *emulator.Faults)
		consent string
		want    error
	}{
		{"consent denied", nil, "deny", idconnect.ErrConsentDenied},
		{"bad ID-token signature", func(f *emulator.Faults) { f.SetBadIDTokenSignature(true) }, "allow", idconnect.ErrSignature},
		{"bad userinfo signature", func(f *emulator.Faults) { f.SetBadUserinfoSignature(true) }, "allow", idconnect.ErrSignature},
		{"wrong encryption key", func(f *emulator.Faults) { f.SetWrongEncryptionKey(true) }, "allow", idconnect.ErrDecrypt},
		{"userinfo sub differs", func(f *emulator.Faults) { f.SetUserinfoSubMismatch(true) }, "allow", idconnect.ErrSubjectMismatch},
		{"ID token wrong nonce", func(f *emulator.Faults) { f.SetIDTokenWrongNonce(true) }, "allow", idconnect.ErrTokenInvalid},
		{"ID token wrong audience", func(f *emulator.Faults) { f.SetIDTokenWrongAudience(true) }, "allow", idconnect.ErrTokenInvalid},
		{"ID token wrong issuer", func(f *emulator.Faults) { f.SetIDTokenWrongIssuer(true) }, "allow", idconnect.ErrTokenInvalid},
		{"ID token expired", func(f *emulator.Faults) { f.SetIDTokenExpired(true) }, "allow", idconnect.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEmuEnv(t)
			e.provider(t, "singpass", singpass.Myinfo, emuMyinfoID)
			if tt.fault != nil {
				tt.fault(e.emu.Faults())
			}
			_, res, err := e.login(t, "singpass", tt.consent)
			if !errors.Is(err, tt.want) || res != nil {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
