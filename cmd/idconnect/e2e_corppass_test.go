package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idconnect/idconnect/provider/singpass"
)

// corppassLogin starts a login at /login/{provider} and walks the
// embedded Corppass emulator with its persona, entity and consent
// shortcuts, returning the callback URL it redirected to.
func corppassLogin(t *testing.T, c *http.Client, base, provider, persona, entity string) string {
	t.Helper()
	a := get(t, c, base+"/login/"+provider)
	var start struct {
		Message string
		Data    struct{ URL, State string }
	}
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK || start.Message != "OK" {
		t.Fatalf("start %s: %d %s", provider, a.status, a.body)
	}
	// Corppass's own authorize path below an issuer without /fapi.
	if !strings.HasPrefix(start.Data.URL, base+"/emulator/corppass/mga/sps/oauth/oauth20/authorize?") || !strings.Contains(start.Data.URL, "request_uri=") {
		t.Fatalf("authorization URL %s is not a PAR redirect to the Corppass emulator", start.Data.URL)
	}
	q := url.Values{"persona": {persona}, "consent": {"allow"}}
	if entity != "" {
		q.Set("entity", entity)
	}
	resp := get(t, c, start.Data.URL+"&"+q.Encode())
	loc := resp.header.Get("Location")
	if want := base + "/callback/" + provider + "?"; resp.status != http.StatusFound || !strings.HasPrefix(loc, want) {
		t.Fatalf("authorize: %d to %q, want %s…", resp.status, loc, want)
	}
	return loc
}

// corppassAnswer is the generic callback's answer, the parts these tests
// read.
type corppassAnswer struct {
	Message string
	Data    struct {
		Provider, Subject string
		Person            struct {
			IDNumber struct{ Value string } `json:"id_number"`
			Name     struct{ Value string }
			Email    struct{ Value string }
		}
		Entity struct {
			RegistrationNumber struct{ Value string } `json:"registration_number"`
			Name               struct{ Value string }
			Type               struct{ Value string }
			Status             struct{ Value, Description string }
			Addresses          []struct {
				PostalCode string `json:"postal_code"`
			}
			Appointments []struct {
				Holder struct {
					Kind     string
					IDNumber struct{ Value string } `json:"id_number"`
				}
				Position struct{ Value string }
			}
			Shareholders []json.RawMessage
			Roles        []struct {
				Role       string
				ThirdParty bool   `json:"third_party"`
				ClientID   string `json:"client_id"`
			}
		}
		Sodata json.RawMessage
	}
}

func finishCorppass(t *testing.T, c *http.Client, cb string) corppassAnswer {
	t.Helper()
	done := get(t, c, cb)
	var body corppassAnswer
	if err := json.Unmarshal([]byte(done.body), &body); err != nil || done.status != http.StatusOK || body.Message != "OK" {
		t.Fatalf("callback: %d %s", done.status, done.body)
	}
	return body
}

// A Corppass Login app through the service and the embedded emulator: the
// subject is the entity, the person acting is in the result's person, the
// roles come from userinfo's auth_info. Expected values are hand-typed
// from emulator/personas/corppass.
func TestEndToEndCorppassLogin(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	// Ong Kai Xiang acts for two entities: entity= picks his sole
	// proprietorship.
	body := finishCorppass(t, c, corppassLogin(t, c, ts.URL, "corppass-login", "S8214727F", "53312345K"))
	d := body.Data
	if d.Provider != "corppass-login" || d.Subject != "53312345K" || d.Entity.RegistrationNumber.Value != "53312345K" ||
		d.Entity.Name.Value != "ONG KAI XIANG TRADING" || d.Entity.Status.Value != "Registered" {
		t.Fatalf("entity: %+v", d)
	}
	if d.Person.IDNumber.Value != "S8214727F" || d.Person.Name.Value != "ONG KAI XIANG" {
		t.Fatalf("person: %+v", d.Person)
	}
	if len(d.Entity.Roles) != 1 || d.Entity.Roles[0].Role != "Admin" {
		t.Fatalf("roles: %+v", d.Entity.Roles)
	}
	if d.Sodata != nil {
		t.Errorf("an entity login has no sodata: %s", d.Sodata)
	}
}

// A Myinfo Business app: entity_info, person_info, corppass_info,
// auth_info and tp_auth_info, each sent by the emulator as a JSON string,
// arrive typed and normalised.
func TestEndToEndCorppassMyinfoBusiness(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	body := finishCorppass(t, c, corppassLogin(t, c, ts.URL, "corppass", "T0163548J", ""))
	d := body.Data
	e := d.Entity
	if d.Subject != "201834567M" || e.Name.Value != "MERLION HARBOUR LOGISTICS PTE. LTD." || e.Type.Value != "LC" ||
		e.Status.Value != "R" || e.Status.Description != "REGISTERED" {
		t.Fatalf("entity: %+v", e)
	}
	if len(e.Addresses) != 1 || e.Addresses[0].PostalCode != "117439" {
		t.Errorf("addresses: %+v", e.Addresses)
	}
	if len(e.Appointments) != 3 || e.Appointments[1].Holder.IDNumber.Value != "T0163548J" || e.Appointments[2].Holder.Kind != "entity" {
		t.Errorf("appointments: %+v", e.Appointments)
	}
	if len(e.Shareholders) != 3 {
		t.Errorf("shareholders: %d", len(e.Shareholders))
	}
	if len(e.Roles) != 2 || e.Roles[0].Role != "Viewer" || !e.Roles[1].ThirdParty || e.Roles[1].ClientID != "53312345K" {
		t.Errorf("roles: %+v", e.Roles)
	}
	if d.Person.IDNumber.Value != "T0163548J" || d.Person.Name.Value != "ARUN KUMAR S/O SELVARAJ" ||
		d.Person.Email.Value != "arun@merlionharbour.example" {
		t.Errorf("person: %+v", d.Person)
	}

	// The deregistered company, for its last director.
	body = finishCorppass(t, c, corppassLogin(t, c, ts.URL, "corppass", "S9164083Z", ""))
	if body.Data.Subject != "200912345D" || body.Data.Entity.Status.Value != "D" || len(body.Data.Entity.Roles) != 0 {
		t.Errorf("deregistered entity: %+v", body.Data.Entity)
	}
}

// persona= alone is refused for a person acting for several entities: the
// emulator says which entity= values there are.
func TestEndToEndCorppassAmbiguousPersona(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	a := get(t, c, ts.URL+"/login/corppass")
	var start struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(a.body), &start); err != nil {
		t.Fatal(err)
	}
	page := get(t, c, start.Data.URL+"&persona=S8214727F&consent=allow")
	if page.status != http.StatusBadRequest || !strings.Contains(page.body, "201834567M, 53312345K") {
		t.Fatalf("%d %s", page.status, page.body)
	}
}

// The demo's "Log in with Corppass" button fills the company section from
// a Myinfo Business login: the entity's profile and registered address,
// and the acting person's name and position in it. Expected values are
// hand-typed from emulator/personas/corppass/201834567M.json.
func TestEndToEndDemoCorppass(t *testing.T) {
	ts, _ := startService(t, nil)
	v := demoLogin(t, browserClient(t), ts.URL, "corppass", "persona=T0163548J&consent=allow")
	if v.State != "filled" || v.Provider != "corppass" || v.Section != "company" {
		t.Fatalf("view %+v", v)
	}
	want := map[string]string{
		"company-name":       "MERLION HARBOUR LOGISTICS PTE. LTD.",
		"company-uen":        "201834567M",
		"company-type":       "LOCAL COMPANY",
		"company-status":     "REGISTERED",
		"company-registered": "2018-03-14",
		"company-address":    "21 PASIR PANJANG ROAD\n#05-12 MERLION HARBOUR HUB\nSINGAPORE 117439",
		"company-officer":    "ARUN KUMAR S/O SELVARAJ",
		"company-position":   "DIRECTOR",
	}
	for id, w := range want {
		if got := v.Fields[id]; got.Value != w {
			t.Errorf("%s = %q, want %q", id, got.Value, w)
		}
	}
	if f := v.Fields["company-name"]; !f.Verified || f.Updated != "2026-06-30" {
		t.Errorf("company-name: verified %v, updated %q (entity_info's source 1)", f.Verified, f.Updated)
	}
	if len(v.Missing) != 0 {
		t.Errorf("missing %v", v.Missing)
	}

	// The deregistered company has no address on record: left to fill in.
	v = demoLogin(t, browserClient(t), ts.URL, "corppass", "persona=S9164083Z&consent=allow")
	if v.Fields["company-status"].Value != "DEREGISTERED" || !strings.Contains(fmt.Sprint(v.Missing), "company-address") {
		t.Errorf("deregistered company: %+v", v)
	}
}

// Real Corppass is configured by issuer name, client id and app kind; its
// key set is Singpass's when both run (the service publishes one JWKS),
// and two different files are refused.
func TestLoadServiceConfigCorppass(t *testing.T) {
	dir := t.TempDir()
	keys := func(name string) string {
		path := filepath.Join(dir, name)
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"keys", "generate", "-out", path}, func(string) string { return "" }, nil, &out, &errb); code != 0 {
			t.Fatalf("keys generate: %d %s", code, errb.String())
		}
		return path
	}
	spKeys, other := keys("sp.json"), keys("other.json")
	env := map[string]string{
		"IDCONNECT_SINGPASS_ISSUER":                     "staging",
		"IDCONNECT_SINGPASS_CLIENT_ID":                  "abcdefghijklmnopqrstuvwxyz012345",
		"IDCONNECT_SINGPASS_KEYS":                       spKeys,
		"IDCONNECT_CORPPASS_ISSUER":                     "production",
		"IDCONNECT_CORPPASS_CLIENT_ID":                  "51YUlwazLASM7aqMiBNW",
		"IDCONNECT_CORPPASS_APP":                        "login",
		"IDCONNECT_CORPPASS_NAME":                       "biz",
		"IDCONNECT_CORPPASS_REQUIRE_ENCRYPTED_USERINFO": "true",
		"IDCONNECT_REDIRECT_URL":                        "https://app.example/callback",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadServiceConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	cp := cfg.Corppass
	if cfg.Emulated || cp == nil || cp.Issuer != "https://id.corppass.gov.sg" || cp.Name != "biz" || cp.App != singpass.Login ||
		cp.Service != singpass.Corppass || !cp.RequireEncryptedUserinfo || cp.AcceptClientIDUserinfoSubject || cp.Keys == nil {
		t.Fatalf("config: %+v", cp)
	}
	svc, err := buildService(cfg, nil, "127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	// The published JWKS is the one key set both services use. (No login
	// is started: that would call the real Corppass.)
	rec := httptest.NewRecorder()
	svc.handler.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/.well-known/jwks.json", nil))
	want, err := cp.Keys.PublicJSON()
	if err != nil {
		t.Fatal(err)
	}
	if svc.corppass != nil || rec.Code != http.StatusOK || !jsonSame(rec.Body.Bytes(), want) {
		t.Fatalf("jwks: %d %s, want %s (and no emulator)", rec.Code, rec.Body, want)
	}

	for _, tc := range []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"two key sets", map[string]string{"IDCONNECT_CORPPASS_KEYS": other}, []string{"publishes one JWKS"}},
		{"unknown app and switch", map[string]string{"IDCONNECT_CORPPASS_APP": "myinfo", "IDCONNECT_CORPPASS_ACCEPT_CLIENT_ID_SUB": "yes"},
			[]string{"want myinfo-business or login", "IDCONNECT_CORPPASS_ACCEPT_CLIENT_ID_SUB"}},
		{"no keys anywhere", map[string]string{"IDCONNECT_SINGPASS_ISSUER": "", "IDCONNECT_SINGPASS_CLIENT_ID": "", "IDCONNECT_SINGPASS_KEYS": ""},
			[]string{"IDCONNECT_CORPPASS_KEYS is required"}},
		{"a client id the client refuses", map[string]string{"IDCONNECT_CORPPASS_CLIENT_ID": "has space"}, []string{"ClientID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env2 := map[string]string{}
			for k, v := range env {
				env2[k] = v
			}
			for k, v := range tc.set {
				env2[k] = v
			}
			_, err := loadServiceConfig(func(k string) string { return env2[k] })
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func jsonSame(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// `idconnect emulate corppass` serves Corppass's discovery document, with
// its paths, on its own address.
func TestEmulateCorppassCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"emulate", "corppass", "-addr", addr, "-kind", "login"}, func(string) string { return "" }, nil, &stderr, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("emulate exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("emulate did not stop")
		}
	}()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stderr.String(), "Corppass FAPI 2.0 emulator (not Corppass)") {
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var disco map[string]any
	a := get(t, browserClient(t), "http://"+addr+"/.well-known/openid-configuration")
	if err := json.Unmarshal([]byte(a.body), &disco); err != nil || a.status != http.StatusOK {
		t.Fatalf("discovery: %d %s", a.status, a.body)
	}
	if disco["pushed_authorization_request_endpoint"] != "http://"+addr+"/request" ||
		disco["token_endpoint"] != "http://"+addr+"/mga/sps/oauth/oauth20/token" {
		t.Errorf("discovery %v", disco)
	}
	if code := run(context.Background(), []string{"emulate", "corppass", "-kind", "myinfo"}, func(string) string { return "" }, nil, &stderr, &stderr); code == 0 {
		t.Error("-kind myinfo accepted for Corppass")
	}
}
