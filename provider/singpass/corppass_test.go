package singpass_test

// Corppass: the client's Corppass profile against emulator/singpass in its
// Corppass mode (issuer at the host root, Corppass's paths), through
// idconnect.Flow and store.Memory.

import (
	"context"
	"encoding/json"
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
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"
)

const (
	cpLoginID  = "CpLoginClient0123456"
	cpMIBID    = "CpMIBClient012345678"
	cpCompany  = "201834567M" // MERLION HARBOUR LOGISTICS PTE. LTD.
	cpSoleProp = "53312345K"  // ONG KAI XIANG TRADING
	cpDereg    = "200912345D" // ORCHID BAY HOLDINGS PTE. LTD., deregistered
	cpOng      = "S8214727F"  // ONG KAI XIANG: acts for the company and his sole proprietorship
	cpArun     = "T0163548J"  // ARUN KUMAR S/O SELVARAJ: the company, with a third-party role
	cpAnanya   = "S9164083Z"  // ANANYA KRISHNAMURTHY: the deregistered company
)

// newCorppassEnv starts the emulator in Corppass mode at the root of an
// httptest server, with a Login app and a Myinfo Business app.
func newCorppassEnv(t testing.TB, mods ...func(*emulator.Config)) *emuEnv {
	t.Helper()
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &emuEnv{clock: newClock(), keys: keys}
	var handler http.Handler = http.NotFoundHandler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	cfg := emulator.Config{
		Service:  emulator.Corppass,
		Issuer:   e.srv.URL,
		Personas: people,
		Entities: entities,
		Clients: []emulator.Client{
			{ID: cpLoginID, Kind: emulator.LoginApp, JWKS: keys.Public(), RedirectURIs: []string{redirectURI}},
			{ID: cpMIBID, Kind: emulator.MyinfoApp, JWKS: keys.Public(), RedirectURIs: []string{redirectURI}},
		},
		Now:                 e.clock.Now,
		RequireAssertionTyp: true,
	}
	for _, m := range mods {
		m(&cfg)
	}
	if e.emu, err = emulator.New(cfg); err != nil {
		t.Fatal(err)
	}
	handler = e.emu
	e.flow = &idconnect.Flow{Providers: map[string]idconnect.Provider{}, Store: &store.Memory{Now: e.clock.Now}, Now: e.clock.Now}
	return e
}

// corppass registers a Corppass client under name.
func (e *emuEnv) corppass(t testing.TB, name string, app singpass.App, id string, mod func(*singpass.Config), scopes ...string) *singpass.Client {
	t.Helper()
	cfg := singpass.Config{
		Name: name, Service: singpass.Corppass, Issuer: e.emu.Issuer(), ClientID: id, Keys: e.keys, RedirectURI: redirectURI,
		App: app, Scopes: scopes, HTTPClient: e.srv.Client(), Now: e.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := singpass.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers[name] = c
	return c
}

// loginAs runs one login with the emulator's shortcut parameters (persona,
// entity, consent).
func (e *emuEnv) loginAs(t testing.TB, provider, persona, entity string) (*idconnect.Login, *idconnect.Result, error) {
	t.Helper()
	ctx := context.Background()
	rec := httptest.NewRecorder()
	browser, err := e.flow.BindBrowser(rec, httptest.NewRequest("GET", "/login/"+provider, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := e.flow.Start(ctx, provider, browser, idconnect.StartOptions{})
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasPrefix(authURL, e.srv.URL+emulator.CorppassPathAuthorize+"?") {
		t.Fatalf("authorization URL is not Corppass's path")
	}
	q := url.Values{"persona": {persona}, "consent": {"allow"}}
	if entity != "" {
		q.Set("entity", entity)
	}
	hc := e.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL + "&" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return e.flow.Finish(ctx, provider, cb, browser)
}

func value(f *idconnect.Field) string {
	if f == nil {
		return ""
	}
	return f.Value
}

func TestCorppassLogin(t *testing.T) {
	e := newCorppassEnv(t)
	c := e.corppass(t, "corppass-login", singpass.Login, cpLoginID, nil)
	login, res, err := e.loginAs(t, "corppass-login", cpOng, cpCompany)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subject != cpCompany {
		t.Errorf("subject %q, want the entity's UEN", res.Subject)
	}
	m := res.Model.(*singpass.EntityIDToken)
	actSub, _ := e.emu.Subject(cpOng)
	if m.SubType != "entity" || m.Act == nil || m.Act.Subject != actSub || m.Act.SubType != "user" {
		t.Fatalf("model %+v", m)
	}
	// Hand-typed from emulator/personas/corppass/201834567M.json.
	en := res.Entity
	if en == nil || value(en.Name) != "MERLION HARBOUR LOGISTICS PTE. LTD." || value(en.RegistrationNumber) != cpCompany ||
		value(en.RegistrationType) != "UEN" || value(en.Status) != "Registered" || value(en.CountryOfIncorporation) != "SG" {
		t.Errorf("entity %+v", en)
	}
	if value(res.Person.IDNumber) != cpOng || value(res.Person.Name) != "ONG KAI XIANG" {
		t.Errorf("person %+v", res.Person)
	}
	if len(en.Roles) != 0 {
		t.Errorf("roles without authinfo: %+v", en.Roles)
	}
	if sod, err := c.Flatten(login, res); sod != nil || err != nil {
		t.Errorf("Flatten = %s, %v; want no sodata for an entity", sod, err)
	}
}

// TestCorppassLoginScopeGated: without entity.identity the registration
// number comes from sub, and no other entity attribute is sent.
func TestCorppassLoginScopeGated(t *testing.T) {
	e := newCorppassEnv(t)
	e.corppass(t, "cp", singpass.Login, cpLoginID, nil, "user.name", "authinfo")
	_, res, err := e.loginAs(t, "cp", cpOng, cpSoleProp)
	if err != nil {
		t.Fatal(err)
	}
	en := res.Entity
	if value(en.RegistrationNumber) != cpSoleProp || en.Name != nil || en.Status != nil || en.RegistrationType != nil {
		t.Errorf("entity %+v", en)
	}
	if res.Person.IDNumber != nil || value(res.Person.Name) != "ONG KAI XIANG" {
		t.Errorf("person %+v", res.Person)
	}
	// authinfo: a Login app reads the roles from userinfo.
	if len(en.Roles) != 1 || en.Roles[0].Role != "Admin" || en.Roles[0].Service != "IDCONNECT-DEMO" {
		t.Errorf("roles %+v", en.Roles)
	}
}

var mibScopes = append(append([]string{}, singpass.DefaultMyinfoBusinessScopes...),
	"entity.identity", "entity.financials.company_financial.revenue", "corppass.email", "tpauthinfo", "user.regadd")

func TestCorppassMyinfoBusiness(t *testing.T) {
	for _, tt := range []struct {
		name string
		emu  func(*emulator.Config)
		cli  func(*singpass.Config)
	}{
		{"blocks as strings, JWE", nil, nil},
		{"blocks as objects", func(c *emulator.Config) { c.ObjectBlocks = true }, nil},
		{"bare JWS userinfo", func(c *emulator.Config) { c.SignedUserinfo = true }, nil},
		{"userinfo sub is the client_id", func(c *emulator.Config) { c.UserinfoSubjectClientID = true },
			func(c *singpass.Config) { c.AcceptClientIDUserinfoSubject = true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*emulator.Config)
			if tt.emu != nil {
				mods = append(mods, tt.emu)
			}
			e := newCorppassEnv(t, mods...)
			e.corppass(t, "corppass", singpass.Myinfo, cpMIBID, tt.cli, mibScopes...)
			_, res, err := e.loginAs(t, "corppass", cpArun, "")
			if err != nil {
				t.Fatal(err)
			}
			checkCompany(t, res)
		})
	}
}

// checkCompany checks a Myinfo Business result for Arun at Merlion
// Harbour Logistics against values hand-typed from the persona files.
func checkCompany(t *testing.T, res *idconnect.Result) {
	t.Helper()
	if res.Subject != cpCompany {
		t.Errorf("subject %q", res.Subject)
	}
	biz := res.Model.(*singpass.Business)
	if biz.EntityInfo == nil || biz.PersonInfo == nil || biz.AuthInfo == nil || biz.TPAuthInfo == nil || biz.CorppassInfo == nil {
		t.Fatalf("blocks missing: %+v", biz)
	}
	if len(biz.EntityInfo.Financials) != 1 {
		t.Errorf("financials %d", len(biz.EntityInfo.Financials))
	}
	en := res.Entity
	if value(en.Name) != "MERLION HARBOUR LOGISTICS PTE. LTD." || value(en.Type) != "LC" || en.Status == nil ||
		en.Status.Value != "R" || en.Status.Description != "REGISTERED" || value(en.RegistrationDate) != "2018-03-14" {
		t.Errorf("entity %+v", en)
	}
	if en.Name.Provenance == nil || en.Name.Provenance.Source != "1" {
		t.Errorf("entity_info's provenance lost: %+v", en.Name)
	}
	if len(en.Addresses) != 1 || en.Addresses[0].PostalCode != "117439" || en.Addresses[0].Kind != "registered" {
		t.Errorf("addresses %+v", en.Addresses)
	}
	if len(en.Appointments) != 3 || value(en.Appointments[1].Holder.IDNumber) != cpArun ||
		value(en.Appointments[0].Position) != "DIR" || en.Appointments[2].Holder.Kind != "entity" ||
		value(en.Appointments[2].Holder.IDNumber) != "201099887K" {
		t.Errorf("appointments %+v", en.Appointments)
	}
	if len(en.Shareholders) != 3 || value(en.Shareholders[0].Shares) != "60000" || en.Shareholders[2].Holder.Kind != "entity" ||
		value(en.Shareholders[2].ShareType) != "PREF" {
		t.Errorf("shareholders %+v", en.Shareholders)
	}
	if len(en.Roles) != 2 || en.Roles[0].Role != "Viewer" || en.Roles[0].SubEntity != "BRANCH-01" ||
		!en.Roles[1].ThirdParty || en.Roles[1].ClientID != cpSoleProp || en.Roles[1].Role != "Preparer" {
		t.Errorf("roles %+v", en.Roles)
	}
	p := res.Person
	if value(p.IDNumber) != cpArun || value(p.Name) != "ARUN KUMAR S/O SELVARAJ" || value(p.Email) != "arun@merlionharbour.example" ||
		len(p.Addresses) != 1 {
		t.Errorf("person %+v", p)
	}
}

func TestCorppassEntities(t *testing.T) {
	e := newCorppassEnv(t)
	e.corppass(t, "corppass", singpass.Myinfo, cpMIBID, nil, mibScopes...)
	t.Run("sole proprietorship", func(t *testing.T) {
		_, res, err := e.loginAs(t, "corppass", cpOng, cpSoleProp)
		if err != nil {
			t.Fatal(err)
		}
		en := res.Entity
		if res.Subject != cpSoleProp || value(en.Type) != "BN" || len(en.Appointments) != 1 || len(en.Shareholders) != 0 ||
			value(en.Appointments[0].Holder.IDNumber) != cpOng {
			t.Errorf("entity %+v", en)
		}
	})
	t.Run("deregistered", func(t *testing.T) {
		_, res, err := e.loginAs(t, "corppass", cpAnanya, "")
		if err != nil {
			t.Fatal(err)
		}
		en := res.Entity
		if res.Subject != cpDereg || en.Status == nil || en.Status.Value != "D" || len(en.Addresses) != 0 || len(en.Roles) != 0 {
			t.Errorf("entity %+v", en)
		}
	})
}

// TestCorppassRefusals: the negative cases the issue names, and the
// client's own checks.
func TestCorppassRefusals(t *testing.T) {
	t.Run("Login-app PAR without authentication_context_type", func(t *testing.T) {
		e := newCorppassEnv(t)
		// A client that believes it is a Myinfo Business app sends no
		// context type; Corppass knows the client as a Login app.
		e.corppass(t, "cp", singpass.Myinfo, cpLoginID, nil, "entity.identity", "authinfo")
		_, _, err := e.loginAs(t, "cp", cpOng, cpCompany)
		var pe *idconnect.ProviderError
		if !errors.As(err, &pe) || pe.Code != "invalid_request" || !strings.Contains(pe.Description, "authentication_context_type is required") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Myinfo Business PAR with authentication_context_type", func(t *testing.T) {
		e := newCorppassEnv(t)
		e.corppass(t, "cp", singpass.Login, cpMIBID, nil, "entity.identity", "authinfo")
		_, _, err := e.loginAs(t, "cp", cpOng, cpCompany)
		var pe *idconnect.ProviderError
		if !errors.As(err, &pe) || pe.Code != "invalid_request" || !strings.Contains(pe.Description, "can only be provided for Login apps") {
			t.Fatalf("err = %v", err)
		}
	})
	faults := []struct {
		name  string
		app   singpass.App
		fault func(*emulator.Faults)
		cli   func(*singpass.Config)
		emu   func(*emulator.Config)
		want  error
	}{
		{"act missing", singpass.Login, func(f *emulator.Faults) { f.SetMissingAct(true) }, nil, nil, idconnect.ErrTokenInvalid},
		{"act missing (Myinfo Business)", singpass.Myinfo, func(f *emulator.Faults) { f.SetMissingAct(true) }, nil, nil, idconnect.ErrTokenInvalid},
		{"entity_info neither an object nor a string holding one", singpass.Myinfo,
			func(f *emulator.Faults) { f.SetBadEntityBlock(true) }, nil, nil, idconnect.ErrMalformed},
		{"entity_info about another entity", singpass.Myinfo, func(f *emulator.Faults) { f.SetOtherEntityInfo(true) }, nil, nil, idconnect.ErrSubjectMismatch},
		{"userinfo sub differs", singpass.Myinfo, func(f *emulator.Faults) { f.SetUserinfoSubMismatch(true) }, nil, nil, idconnect.ErrSubjectMismatch},
		{"userinfo sub is the client_id, not accepted", singpass.Myinfo, nil, nil,
			func(c *emulator.Config) { c.UserinfoSubjectClientID = true }, idconnect.ErrSubjectMismatch},
		{"bare JWS userinfo refused", singpass.Myinfo, nil, func(c *singpass.Config) { c.RequireEncryptedUserinfo = true },
			func(c *emulator.Config) { c.SignedUserinfo = true }, idconnect.ErrDecrypt},
		{"bad userinfo signature", singpass.Myinfo, func(f *emulator.Faults) { f.SetBadUserinfoSignature(true) }, nil, nil, idconnect.ErrSignature},
		{"bare JWS with a bad signature", singpass.Myinfo, func(f *emulator.Faults) { f.SetBadUserinfoSignature(true) }, nil,
			func(c *emulator.Config) { c.SignedUserinfo = true }, idconnect.ErrSignature},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*emulator.Config)
			if tt.emu != nil {
				mods = append(mods, tt.emu)
			}
			e := newCorppassEnv(t, mods...)
			id, scopes := cpLoginID, singpass.DefaultCorppassLoginScopes
			if tt.app == singpass.Myinfo {
				id, scopes = cpMIBID, mibScopes
			}
			e.corppass(t, "cp", tt.app, id, tt.cli, scopes...)
			if tt.fault != nil {
				tt.fault(e.emu.Faults())
			}
			_, res, err := e.loginAs(t, "cp", cpOng, cpCompany)
			if !errors.Is(err, tt.want) || res != nil {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCorppassConfig(t *testing.T) {
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := singpass.Config{Service: singpass.Corppass, Issuer: singpass.CorppassStaging, ClientID: cpLoginID, Keys: keys, RedirectURI: redirectURI}
	tests := []struct {
		name string
		mod  func(*singpass.Config)
		want string // "" for accepted
	}{
		{"defaults", nil, ""},
		{"Login app", func(c *singpass.Config) { c.App = singpass.Login }, ""},
		{"Corppass's only context type", func(c *singpass.Config) {
			c.App, c.AuthenticationContextType = singpass.Login, "APP_AUTHENTICATION_DEFAULT"
		}, ""},
		{"another context type", func(c *singpass.Config) {
			c.App, c.AuthenticationContextType = singpass.Login, "APP_ONBOARDING_DEFAULT"
		}, "Corppass has only"},
		{"context type on Myinfo Business", func(c *singpass.Config) { c.AuthenticationContextType = "APP_AUTHENTICATION_DEFAULT" }, "Login apps only"},
		{"unknown service", func(c *singpass.Config) { c.Service = 7 }, "Service: unknown"},
		{"Corppass switches on Singpass", func(c *singpass.Config) {
			c.Service, c.Issuer, c.RequireEncryptedUserinfo = singpass.Singpass, singpass.Staging, true
		}, "for Corppass only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			c, err := singpass.New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			case tt.want == "" && c.Name() != "corppass" && cfg.Service == singpass.Corppass:
				t.Errorf("default name %q", c.Name())
			}
		})
	}
}

// BenchmarkCorppassMyinfoBusinessLogin is one whole Myinfo Business login
// through the Flow against the emulator in process: both sides' crypto,
// and userinfo's blocks sent as JSON strings and unwrapped.
func BenchmarkCorppassMyinfoBusinessLogin(b *testing.B) {
	e := newCorppassEnv(b)
	e.corppass(b, "corppass", singpass.Myinfo, cpMIBID, nil, mibScopes...)
	for b.Loop() {
		if _, _, err := e.loginAs(b, "corppass", cpArun, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBusinessUserinfo decodes the company's userinfo with every
// block a JSON string and basic_profile double-encoded, as the emulator
// (and Corppass staging) sends it.
func BenchmarkParseBusinessUserinfo(b *testing.B) {
	entities, err := personas.Corppass()
	if err != nil {
		b.Fatal(err)
	}
	var info map[string]json.RawMessage
	for _, e := range entities {
		if e.UEN == cpCompany {
			if err := json.Unmarshal(e.EntityInfo, &info); err != nil {
				b.Fatal(err)
			}
			bp, _ := json.Marshal(string(info["basic_profile"]))
			info["basic_profile"] = bp
			ei, _ := json.Marshal(info)
			auth, _ := json.Marshal(string(e.Users[0].AuthInfo))
			quoted, _ := json.Marshal(string(ei))
			payload := []byte(`{"sub":"` + cpCompany + `","entity_info":` + string(quoted) + `,"auth_info":` + string(auth) + `}`)
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := singpass.ParseBusinessUserinfo(payload); err != nil {
					b.Fatal(err)
				}
			}
			return
		}
	}
	b.Fatal("no company")
}

// TestCorppassLoginEmail: with the emulator's LoginCorppassEmail (an older
// Corppass docs page), a Login app's user.corppass.email puts the account's
// email in act, and the person's email comes from it.
func TestCorppassLoginEmail(t *testing.T) {
	e := newCorppassEnv(t, func(c *emulator.Config) { c.LoginCorppassEmail = true })
	e.corppass(t, "cp", singpass.Login, cpLoginID, nil, "user.name", "user.corppass.email")
	_, res, err := e.loginAs(t, "cp", cpArun, "")
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model.(*singpass.EntityIDToken)
	if m.Act.SubAttributes == nil || m.Act.SubAttributes.CorppassEmail != "arun@merlionharbour.example" || value(res.Person.Email) != "arun@merlionharbour.example" {
		t.Errorf("act %+v, person %+v", m.Act.SubAttributes, res.Person)
	}
	// Without the switch the scope is not a Login scope.
	e = newCorppassEnv(t)
	e.corppass(t, "cp", singpass.Login, cpLoginID, nil, "user.name", "user.corppass.email")
	var pe *idconnect.ProviderError
	if _, _, err := e.loginAs(t, "cp", cpArun, ""); !errors.As(err, &pe) || pe.Code != "invalid_scope" {
		t.Errorf("err = %v, want invalid_scope", err)
	}
}
