//go:build interop

package mockpassfapi

// provider/singpass, through idconnect.Flow and store.Memory, against
// MockPass FAPI. The oracle is MockPass's own persona data, read from the
// peer's static/myinfo/v3.json at test time: MockPass copies a persona's
// Myinfo v3 items into person_info unchanged, and its sub is the persona's
// uuid item.
//
// MockPass deviates from real Singpass (research singpass-fapi.md, the
// peer README's "Differences"); none of it needs a provider/singpass switch:
//   - The callback has no iss, and discovery has no
//     authorization_response_iss_parameter_supported: provider/singpass
//     requires iss only from an issuer that advertises it, so a missing iss
//     passes (Singpass advertises it and sends it).
//   - The ID token's enc is A256GCM (Singpass: A256CBC-HS512); both are on
//     the provider's pinned allowlist.
//   - Discovery lacks dpop_signing_alg_values_supported, the PKCE and
//     userinfo_* fields; the provider reads none of them.
//   - The issuer is built from the Host header: every URL here uses
//     127.0.0.1, and the provider allows an http issuer on a loopback host.
//   - sub_attributes is in every ID token, and its name is "USER <NRIC>",
//     not the person's name (fapi.service.js generateTokenResponse).
//   - No login page choice: the callback URL of every persona is on the page
//     (peer.login picks one, as the page's script would).

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	rpClientID    = "idconnect-interop-singpass"
	rpRedirectURI = "http://127.0.0.1:1/callback" // never fetched
)

// rpScopes are the Myinfo data items the Myinfo-app logins ask for: every
// kind of item (value, code, address, phone, lists, records, history).
var rpScopes = []string{
	"uinfin", "name", "aliasname", "hanyupinyinname", "sex", "race", "dob", "birthcountry", "nationality",
	"residentialstatus", "passtype", "passstatus", "passexpirydate", "email", "mobileno", "homeno",
	"regadd", "mailadd", "billadd", "marital", "marriagedate", "edulevel", "occupation", "employment",
	"hdbtype", "housingtype", "hdbownership", "ownerprivate", "cpfbalances", "cpfcontributions",
	"noa-basic", "noahistory-basic", "vehicles", "drivinglicence", "childrenbirthrecords",
	"sponsoredchildrenrecords", "merdekagen", "silversupport", "gstvoucher",
}

// rpEnv is one MockPass peer with provider/singpass clients in a Flow.
type rpEnv struct {
	peer *mockPassFAPI
	keys *keyset.Set
	flow *idconnect.Flow
	web  *http.Client // the "browser" on MockPass's login page
}

// newRPEnv starts MockPass with our key set's public JWKS (keyset
// PublicJSON, served on 127.0.0.1 as FAPI_CLIENT_JWKS_ENDPOINT) and
// registers a Myinfo-app client "myinfo" and a Login-app client "login".
func newRPEnv(t *testing.T) *rpEnv {
	t.Helper()
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &rpEnv{keys: keys, web: peer.HTTPClient(t)}
	e.peer = startPeer(t, serveKeySet(t, keys))
	e.flow = &idconnect.Flow{Providers: map[string]idconnect.Provider{}, Store: &store.Memory{}}
	e.addClient(t, "myinfo", singpass.Myinfo, rpScopes)
	e.addClient(t, "login", singpass.Login, []string{"user.identity", "name"})
	return e
}

func (e *rpEnv) addClient(t *testing.T, name string, app singpass.App, scopes []string) *singpass.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := singpass.New(singpass.Config{
		Name: name, Issuer: e.peer.Issuer, ClientID: rpClientID, Keys: e.keys, RedirectURI: rpRedirectURI,
		App: app, Scopes: scopes, HTTPClient: &http.Client{Transport: tr, Timeout: peer.RequestTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers[name] = c
	return c
}

// serveKeySet serves keys.PublicJSON() at http://127.0.0.1:port/jwks.json
// (what the service publishes at /.well-known/jwks.json) and returns the URL.
func serveKeySet(t *testing.T, keys *keyset.Set) string {
	t.Helper()
	body, err := keys.PublicJSON()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(`"d"`)) {
		t.Fatal("PublicJSON holds a private key member")
	}
	return peer.ServeJSON(t, "/jwks.json", body)
}

// login runs one login through the Flow: bind a browser, Start (PAR),
// pick nric on MockPass's login page, and Finish with the callback's
// parameters (no iss: MockPass sends none).
func (e *rpEnv) login(t *testing.T, provider, nric string) (*idconnect.Login, *idconnect.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, err := e.flow.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/"+provider, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := e.flow.Start(ctx, provider, browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Start (PAR): %v\nMockPass log:\n%s", err, e.peer.Log())
	}
	cbURL := e.peer.login(t, e.web, authURL, nric)
	if cbURL.Query().Has("iss") {
		t.Errorf("MockPass's callback has iss=%q now: update the deviation notes", cbURL.Query().Get("iss"))
	}
	cb, err := idconnect.ParseCallback(cbURL.Query())
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return e.flow.Finish(ctx, provider, cb, browser)
}

// mockPassPersonas reads MockPass's Myinfo personas (NRIC → item → raw
// JSON) from the installed peer's static/myinfo/v3.json.
func mockPassPersonas(t *testing.T) map[string]map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(prepareMockPass(t), "static", "myinfo", "v3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Personas map[string]map[string]json.RawMessage `json:"personas"`
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f.Personas) == 0 {
		t.Fatalf("MockPass static/myinfo/v3.json: %v (%d personas)", err, len(f.Personas))
	}
	return f.Personas
}

// item is the parts of a Myinfo v3 item the checks read.
type item struct {
	Value       *json.RawMessage `json:"value"`
	Code        *json.RawMessage `json:"code"`
	Unavailable bool             `json:"unavailable"`
}

func parseItem(t *testing.T, raw json.RawMessage) item {
	t.Helper()
	var it item
	if raw[0] == '{' {
		if err := json.Unmarshal(raw, &it); err != nil {
			t.Fatalf("item %s: %v", raw, err)
		}
	}
	return it
}

// str is the string in raw ("" when raw is nil or not a string).
func str(raw *json.RawMessage) string {
	var s string
	if raw != nil {
		json.Unmarshal(*raw, &s)
	}
	return s
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v: %.200s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// wantFlat is sodata's value for one item, by the rule documented on
// myinfo.Flatten: unavailable → null, value, else code, else the item.
func wantFlat(t *testing.T, raw json.RawMessage) json.RawMessage {
	it := parseItem(t, raw)
	switch {
	case it.Unavailable:
		return json.RawMessage("null")
	case it.Value != nil:
		return *it.Value
	case it.Code != nil:
		return *it.Code
	}
	return raw
}

// TestSingpassMyinfoAppMockPassPersonas logs in as every MockPass Myinfo
// persona with a Myinfo app and compares person_info, sodata and the
// normalised person with MockPass's own persona data.
func TestSingpassMyinfoAppMockPassPersonas(t *testing.T) {
	personas := mockPassPersonas(t)
	nrics := make([]string, 0, len(personas))
	for nric := range personas {
		nrics = append(nrics, nric)
	}
	sort.Strings(nrics)
	if len(nrics) < 5 {
		t.Fatalf("MockPass has %d Myinfo personas, want at least 5", len(nrics))
	}
	e := newRPEnv(t)
	c := e.flow.Providers["myinfo"].(*singpass.Client)
	start := time.Now()
	for _, nric := range nrics {
		t.Run(nric, func(t *testing.T) {
			data := personas[nric]
			login, res, err := e.login(t, "myinfo", nric)
			if err != nil {
				t.Fatalf("login: %v\nMockPass log:\n%s", err, e.peer.Log())
			}
			if want := str(parseItem(t, data["uuid"]).Value); res.Subject != want || res.Provider != "myinfo" {
				t.Errorf("subject %q provider %q, want MockPass's uuid %q and myinfo", res.Subject, res.Provider, want)
			}
			if !slices.Equal(login.Attributes, rpScopes) {
				t.Errorf("login attributes %v, want %v", login.Attributes, rpScopes)
			}

			// person_info: exactly the requested items, each as in v3.json.
			var got map[string]json.RawMessage
			if err := json.Unmarshal(res.Raw, &got); err != nil {
				t.Fatalf("Raw: %v", err)
			}
			for _, name := range rpScopes {
				want, ok := data[name]
				if !ok {
					// MockPass's stand-in for an item the persona lacks.
					want = json.RawMessage(`{"lastupdated":"","source":"","classification":"","unavailable":true}`)
				}
				if g, ok := got[name]; !ok {
					t.Errorf("person_info lacks %s", name)
				} else if !sameJSON(t, g, want) {
					t.Errorf("person_info.%s = %.300s, want MockPass's %.300s", name, g, want)
				}
			}
			if len(got) != len(rpScopes) {
				t.Errorf("person_info has %d items, want the %d requested", len(got), len(rpScopes))
			}

			// sodata: one entry per requested item the person has.
			sod, err := c.Flatten(login, res)
			if err != nil {
				t.Fatalf("Flatten: %v", err)
			}
			var flat map[string]json.RawMessage
			if err := json.Unmarshal(sod, &flat); err != nil {
				t.Fatalf("sodata %.200s: %v", sod, err)
			}
			for _, name := range rpScopes {
				raw, ok := got[name]
				if !ok {
					continue
				}
				if g, ok := flat[name]; !ok {
					t.Errorf("sodata lacks %s", name)
				} else if want := wantFlat(t, raw); !sameJSON(t, g, want) {
					t.Errorf("sodata.%s = %.200s, want %.200s", name, g, want)
				}
			}

			// The normalised person.
			m, ok := res.Model.(*myinfo.Person)
			if !ok || m == nil {
				t.Fatalf("Model is %T, want *myinfo.Person", res.Model)
			}
			p := res.Person
			for _, f := range []struct {
				name  string
				field *idconnect.Field
				want  string
			}{
				{"uinfin", p.IDNumber, str(parseItem(t, data["uinfin"]).Value)},
				{"name", p.Name, str(parseItem(t, data["name"]).Value)},
				{"dob", p.BirthDate, str(parseItem(t, data["dob"]).Value)},
				{"sex", p.Sex, str(parseItem(t, data["sex"]).Code)},
				{"email", p.Email, str(parseItem(t, data["email"]).Value)},
			} {
				var g string
				if f.field != nil {
					g = f.field.Value
				}
				if g != f.want {
					t.Errorf("Person %s = %q, want MockPass's %q", f.name, g, f.want)
				}
			}
			if p.IDNumber == nil || p.IDNumber.Value != nric {
				t.Errorf("Person IDNumber %+v, want %s", p.IDNumber, nric)
			}
		})
	}
	t.Logf("%d Myinfo-app logins in %v", len(nrics), time.Since(start).Round(time.Millisecond))
}

// TestSingpassMyinfoAppNoDataPersona logs in as a MockPass persona without
// Myinfo data (NRIC and UUID only): person_info has uinfin and MockPass's
// "unavailable" stand-in (empty source and classification) for the rest.
func TestSingpassMyinfoAppNoDataPersona(t *testing.T) {
	const nric = "S8979373D" // lib/assertions.js: uuid a9865837-…, no Myinfo data
	e := newRPEnv(t)
	c := e.addClient(t, "myinfo-small", singpass.Myinfo, []string{"uinfin", "name", "regadd"})
	login, res, err := e.login(t, "myinfo-small", nric)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if res.Subject != "a9865837-7bd7-46ac-bef4-42a76a946424" {
		t.Errorf("subject %q, want MockPass's a9865837-7bd7-46ac-bef4-42a76a946424", res.Subject)
	}
	if res.Person.IDNumber == nil || res.Person.IDNumber.Value != nric || res.Person.Name != nil || len(res.Person.Addresses) != 0 {
		t.Errorf("person %+v, want IDNumber %s and nothing else", res.Person, nric)
	}
	sod, err := c.Flatten(login, res)
	if err != nil || !sameJSON(t, sod, []byte(`{"uinfin":"`+nric+`","name":null,"regadd":null}`)) {
		t.Errorf("sodata %s (%v), want uinfin with name and regadd null", sod, err)
	}
}

// TestSingpassLoginApp logs in with a Login app (authentication_context_type
// APP_AUTHENTICATION_DEFAULT, no userinfo call): the identity comes from
// the ID token's sub_attributes.
func TestSingpassLoginApp(t *testing.T) {
	personas := mockPassPersonas(t)
	e := newRPEnv(t)
	c := e.flow.Providers["login"].(*singpass.Client)
	for _, nric := range []string{"S9812381D", "G1612348Q"} {
		t.Run(nric, func(t *testing.T) {
			data, ok := personas[nric]
			if !ok {
				t.Fatalf("%s is not a MockPass Myinfo persona", nric)
			}
			login, res, err := e.login(t, "login", nric)
			if err != nil {
				t.Fatalf("login: %v\nMockPass log:\n%s", err, e.peer.Log())
			}
			if want := str(parseItem(t, data["uuid"]).Value); res.Subject != want {
				t.Errorf("subject %q, want MockPass's uuid %q", res.Subject, want)
			}
			m, ok := res.Model.(*singpass.IDToken)
			if !ok || m.SubAttributes == nil {
				t.Fatalf("Model %#v, want a *singpass.IDToken with sub_attributes", res.Model)
			}
			// MockPass names everyone "USER <NRIC>" (real Singpass: the name).
			want := singpass.SubAttributes{AccountType: "standard", IdentityNumber: nric, IdentityCOI: "SG", Name: "USER " + nric}
			if *m.SubAttributes != want || m.SubType != "user" {
				t.Errorf("sub_attributes %+v sub_type %q, want %+v and user", *m.SubAttributes, m.SubType, want)
			}
			if res.Person.IDNumber == nil || res.Person.IDNumber.Value != nric || res.Person.Name == nil || res.Person.Name.Value != want.Name {
				t.Errorf("person %+v", res.Person)
			}
			sod, err := c.Flatten(login, res)
			if err != nil || !sameJSON(t, sod, []byte(`{"uinfin":"`+nric+`","name":"USER `+nric+`"}`)) {
				t.Errorf("sodata %s (%v)", sod, err)
			}
		})
	}
}
