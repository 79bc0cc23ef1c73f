package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
)

// demoView is what the demo's page reads from /demo/result.
type demoView struct {
	State    string `json:"state"`
	Provider string `json:"provider"`
	Section  string `json:"section"`
	Fields   map[string]struct {
		Value, Source, Updated string
		Verified               bool
	} `json:"fields"`
	Missing    []string                        `json:"missing"`
	Unverified []struct{ Label, Value string } `json:"unverified"`
	Message    *struct {
		Code  string `json:"code"`
		Retry bool   `json:"retry"`
	} `json:"message"`
}

// demoLogin walks one demo login as the page and a person do it: the
// page tells the demo's backend it begins, asks idconnect for the
// provider's URL, the person picks a persona and answers the consent page
// (by query: the pages themselves are driven in the browser test), the
// provider redirects to /demo/callback, idconnect hands off to
// /demo/return, and the page reads /demo/result. extra is added to the
// authorise URL (persona=…&consent=…, or a OneID error sub-code).
func demoLogin(t *testing.T, c *http.Client, base, provider, extra string) demoView {
	t.Helper()
	resp, err := c.Post(base+"/demo/begin", "application/json", strings.NewReader(`{"provider":"`+provider+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/demo/begin: %d", resp.StatusCode)
	}
	a := get(t, c, base+"/demo/login/"+provider)
	var start struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK {
		t.Fatalf("/demo/login/%s: %d %s", provider, a.status, a.body)
	}
	a = get(t, c, start.Data.URL+"&"+extra)
	callback := a.header.Get("Location")
	if a.status != http.StatusFound || !strings.HasPrefix(callback, base+"/demo/callback/"+provider+"?") {
		t.Fatalf("authorise: %d to %q", a.status, callback)
	}
	a = get(t, c, callback)
	ret := a.header.Get("Location")
	if a.status != http.StatusFound || !strings.HasPrefix(ret, base+"/demo/return?") {
		t.Fatalf("demo callback: %d to %q: %s", a.status, ret, a.body)
	}
	if q, _ := url.ParseQuery(ret[strings.Index(ret, "?")+1:]); len(q) != 1 || (q.Get("result") == "" && q.Get("error") == "") {
		t.Fatalf("the return URL carries more than a handle or a code: %q", ret)
	}
	if a = get(t, c, ret); a.status != http.StatusSeeOther || a.header.Get("Location") != "/#form" {
		t.Fatalf("demo return: %d to %q", a.status, a.header.Get("Location"))
	}
	return demoResult(t, c, base, provider)
}

// demoResult is the page's view of the provider's section.
func demoResult(t *testing.T, c *http.Client, base, provider string) demoView {
	t.Helper()
	a := get(t, c, base+"/demo/result")
	var out struct{ Views []demoView }
	if err := json.Unmarshal([]byte(a.body), &out); err != nil || a.status != http.StatusOK {
		t.Fatalf("/demo/result: %d %s", a.status, a.body)
	}
	for _, v := range out.Views {
		if v.Provider == provider {
			return v
		}
	}
	if len(out.Views) == 1 {
		return out.Views[0]
	}
	t.Fatalf("/demo/result has no view for %s: %s", provider, a.body)
	return demoView{}
}

// item reads a Myinfo item's member (value, code, desc) from a persona
// file, "" when the item is missing or unavailable.
func item(person map[string]json.RawMessage, name string) map[string]any {
	var m map[string]any
	if json.Unmarshal(person[name], &m) != nil || m["unavailable"] == true {
		return nil
	}
	return m
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// sgItems are the Myinfo items behind the demo's Singapore fields.
var sgItems = map[string]string{"sg-name": "name", "sg-uinfin": "uinfin", "sg-sex": "sex", "sg-dob": "dob",
	"sg-nationality": "nationality", "sg-email": "email", "sg-mobile": "mobileno", "sg-regadd": "regadd"}

// expectedSG is the demo's Singapore section for a Myinfo persona, read
// from its file: whole values, or for the address, the parts it must hold;
// and each item's metadata.
func expectedSG(t *testing.T, raw json.RawMessage) (exact map[string]string, address []string, meta map[string]map[string]any) {
	t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	described := func(name string) string {
		m := item(p, name)
		if d := str(m, "desc"); d != "" {
			return d
		}
		return str(m, "code")
	}
	exact = map[string]string{
		"sg-name":        str(item(p, "name"), "value"),
		"sg-uinfin":      str(item(p, "uinfin"), "value"),
		"sg-sex":         described("sex"),
		"sg-dob":         str(item(p, "dob"), "value"),
		"sg-nationality": described("nationality"),
		"sg-email":       str(item(p, "email"), "value"),
	}
	if m := item(p, "mobileno"); str(m, "nbr", "value") != "" {
		exact["sg-mobile"] = strings.TrimSpace(str(m, "prefix", "value") + str(m, "areacode", "value") + " " + str(m, "nbr", "value"))
	} else {
		exact["sg-mobile"] = ""
	}
	if m := item(p, "regadd"); m != nil {
		for _, part := range []string{"block", "street", "postal", "line1", "line2"} {
			if v := strings.TrimSpace(str(m, part, "value")); v != "" {
				address = append(address, v)
			}
		}
		if f, u := str(m, "floor", "value"), str(m, "unit", "value"); f != "" || u != "" {
			address = append(address, "#"+f+"-"+u)
		}
	}
	meta = map[string]map[string]any{}
	for id, name := range sgItems {
		meta[id] = item(p, name)
	}
	return exact, address, meta
}

// Every Myinfo persona fills the demo's form through Myinfo v3 and
// through Singpass FAPI 2.0, each value equal to the persona file's,
// verified ones marked with their source and date; what the persona lacks
// is left for the person to fill in.
func TestEndToEndDemoMyinfo(t *testing.T) {
	ts, _ := startService(t, nil)
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, provider := range []string{"myinfo", "singpass"} {
		for _, p := range people {
			t.Run(provider+"/"+p.ID, func(t *testing.T) {
				v := demoLogin(t, browserClient(t), ts.URL, provider, "persona="+p.ID+"&consent=allow")
				if v.State != "filled" || v.Provider != provider || v.Section != "sg" {
					t.Fatalf("view %+v", v)
				}
				exact, address, meta := expectedSG(t, p.Myinfo)
				for id, want := range exact {
					got := v.Fields[id]
					if got.Value != want {
						t.Errorf("%s = %q, want %q", id, got.Value, want)
					}
					missing := strings.Contains(fmt.Sprint(v.Missing), id)
					if (want == "") != missing {
						t.Errorf("%s: missing %v, want %v", id, missing, want == "")
					}
				}
				// Myinfo's sources: 1 government-verified, 4 verified by
				// Singpass, 2 provided by the person (not verified).
				for id, m := range meta {
					got, src := v.Fields[id], str(m, "source")
					if got.Value == "" {
						continue
					}
					if wantVerified := src == "1" || src == "4"; got.Verified != wantVerified || got.Updated != str(m, "lastupdated") {
						t.Errorf("%s (source %q, updated %q): verified %v, updated %q, note %q", id, src, str(m, "lastupdated"), got.Verified, got.Updated, got.Source)
					}
				}
				for _, part := range address {
					if !strings.Contains(v.Fields["sg-regadd"].Value, part) {
						t.Errorf("registered address %q lacks %q", v.Fields["sg-regadd"].Value, part)
					}
				}
				if len(address) == 0 {
					t.Errorf("persona %s has no registered address to check", p.ID)
				}
			})
		}
	}
}

// Every OneID persona fills the UK section with bank-verified values only;
// what the person typed in unverified is listed apart, never in a field.
func TestEndToEndDemoOneID(t *testing.T) {
	ts, _ := startService(t, nil)
	people, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		t.Run(p.ID, func(t *testing.T) {
			var ui struct {
				Name, Birthdate string
				Address         *struct {
					StreetAddress string `json:"street_address"`
					PostalCode    string `json:"postal_code"`
				}
				Unverified *struct {
					Claims map[string]any
				} `json:"unverified_claims"`
			}
			var age map[string]bool
			if err := json.Unmarshal(p.Userinfo, &ui); err != nil || json.Unmarshal(p.AgeVerification, &age) != nil {
				t.Fatalf("persona %s: %v", p.ID, err)
			}
			v := demoLogin(t, browserClient(t), ts.URL, "oneid", "persona="+p.ID+"&consent=allow")
			if v.State != "filled" || v.Section != "uk" {
				t.Fatalf("view %+v", v)
			}
			if got := v.Fields["uk-name"].Value; got != ui.Name {
				t.Errorf("name %q, want %q", got, ui.Name)
			}
			if got := v.Fields["uk-dob"].Value; got != ui.Birthdate {
				t.Errorf("date of birth %q, want %q", got, ui.Birthdate)
			}
			if ui.Address != nil {
				got := v.Fields["uk-address"].Value
				if !strings.Contains(got, ui.Address.StreetAddress) || !strings.Contains(got, ui.Address.PostalCode) {
					t.Errorf("address %q, want %+v", got, *ui.Address)
				}
			}
			wantAge := map[bool]string{true: "Over 18", false: "Under 18"}[age["age_over_18"]]
			if got := v.Fields["uk-over18"]; got.Value != wantAge || !got.Verified {
				t.Errorf("age badge %+v, want %q", got, wantAge)
			}
			for id, f := range v.Fields {
				if !f.Verified || !strings.Contains(f.Source, "Verified by the bank") {
					t.Errorf("%s is not marked bank-verified: %+v", id, f)
				}
			}
			var claims map[string]any
			if ui.Unverified != nil {
				claims = ui.Unverified.Claims
			}
			if name, _ := claims["name"].(string); name != "" {
				found := false
				for _, it := range v.Unverified {
					found = found || (it.Label == "Name" && it.Value == name)
				}
				if !found {
					t.Errorf("unverified name %q not listed apart: %+v", name, v.Unverified)
				}
			}
			if len(claims) == 0 && len(v.Unverified) != 0 {
				t.Errorf("unverified values from nowhere: %+v", v.Unverified)
			}
		})
	}
}

// A denied consent, an expired login and a provider error each reach the
// page as a message with a retry, and nothing is filled.
func TestEndToEndDemoFailures(t *testing.T) {
	ts, svc := startService(t, nil)
	for _, tc := range []struct {
		name, provider, extra, code string
	}{
		{"denied at Myinfo", "myinfo", "persona=S6005048A&consent=deny", "CONSENT_DENIED"},
		{"denied at Singpass", "singpass", "persona=S6005048A&consent=deny", "CONSENT_DENIED"},
		{"cancelled at OneID", "oneid", "oneid_error=UserCancelled", "CONSENT_DENIED"},
		{"OneID session expired", "oneid", "oneid_error=SessionExpired", "LOGIN_EXPIRED"},
		{"OneID spam guard", "oneid", "oneid_error=SpamGuardBlocked", "PROVIDER_THROTTLED"},
		{"Myinfo's person signature", "myinfo", "persona=S6005048A&consent=allow", "PROVIDER_SIGNATURE_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.code == "PROVIDER_SIGNATURE_INVALID" {
				svc.myinfo.Faults().SetBadPersonSignature(true)
				defer svc.myinfo.Faults().SetBadPersonSignature(false)
			}
			v := demoLogin(t, browserClient(t), ts.URL, tc.provider, tc.extra)
			if v.State != "error" || v.Message == nil || v.Message.Code != tc.code || !v.Message.Retry || v.Provider != tc.provider || len(v.Fields) != 0 {
				t.Fatalf("view %+v (message %+v), want the %s message", v, v.Message, tc.code)
			}
		})
	}
}

// A result handle that reaches the demo in a browser that began no login
// (someone else's link) is not redeemed: the form is not filled with
// another person's data, and the handle stays good for its owner.
func TestEndToEndDemoIgnoresForeignHandle(t *testing.T) {
	ts, _ := startService(t, nil)
	owner := browserClient(t)
	resp, err := owner.Post(ts.URL+"/demo/begin", "application/json", strings.NewReader(`{"provider":"myinfo"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a := get(t, owner, ts.URL+"/demo/login/myinfo")
	var start struct{ Data struct{ URL string } }
	json.Unmarshal([]byte(a.body), &start)
	a = get(t, owner, get(t, owner, start.Data.URL+"&persona=S6005048A&consent=allow").header.Get("Location"))
	ret := a.header.Get("Location")
	if !strings.Contains(ret, "/demo/return?result=") {
		t.Fatalf("no handoff: %q", ret)
	}
	victim := browserClient(t)
	get(t, victim, ret)
	v := demoResult(t, victim, ts.URL, "")
	if v.State != "error" || v.Message == nil || v.Message.Code != "NOT_STARTED" || len(v.Fields) != 0 {
		t.Fatalf("foreign handle: %+v", v)
	}
	get(t, owner, ret)
	v = demoResult(t, owner, ts.URL, "myinfo")
	if v.State != "filled" || v.Fields["sg-name"].Value != "ANDY LAU" {
		t.Fatalf("the owner's result: %+v", v)
	}
}

// IDCONNECT_DEMO: on by default with the emulators, off on request (GET /
// is then the one-button page and the demo's routes are gone).
func TestDemoSetting(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
		err  string
	}{
		{nil, true, ""},
		{map[string]string{"IDCONNECT_DEMO": "off"}, false, ""},
		{map[string]string{"IDCONNECT_DEMO": "ON"}, true, ""},
		{map[string]string{"IDCONNECT_DEMO": "yes"}, false, "IDCONNECT_DEMO"},
		{map[string]string{"IDCONNECT_ONEID_ENV": "sandbox", "IDCONNECT_ONEID_CLIENT_ID": "c", "IDCONNECT_ONEID_CLIENT_SECRET": "s"}, false, ""},
		{map[string]string{"IDCONNECT_ONEID_ENV": "sandbox", "IDCONNECT_ONEID_CLIENT_ID": "c", "IDCONNECT_ONEID_CLIENT_SECRET": "s", "IDCONNECT_DEMO": "on"}, true, ""},
	} {
		cfg, err := loadServiceConfig(func(k string) string { return tc.env[k] })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || cfg.Demo != tc.want {
			t.Errorf("%v: Demo %v (%v), want %v", tc.env, cfg.Demo, err, tc.want)
		}
	}
	ts, _ := startService(t, map[string]string{"IDCONNECT_DEMO": "off"})
	c := browserClient(t)
	if a := get(t, c, ts.URL+"/"); a.status != http.StatusOK || strings.Contains(a.body, "Open an account") {
		t.Errorf("demo off: GET / %d %.80q", a.status, a.body)
	}
	if a := get(t, c, ts.URL+"/demo/login/myinfo"); a.status != http.StatusNotFound {
		t.Errorf("demo off: /demo/login answered %d", a.status)
	}
}

// With the result handoff configured, the demo redeems with the
// configured API key, and the generic routes still hand off to the
// configured application.
func TestEndToEndDemoWithConfiguredHandoff(t *testing.T) {
	ts, _ := startService(t, map[string]string{"IDCONNECT_RETURN_URL": "http://127.0.0.1:9/app/done", "IDCONNECT_API_KEY": e2eAPIKey})
	v := demoLogin(t, browserClient(t), ts.URL, "oneid", "persona=janet-davidson&consent=allow")
	if v.State != "filled" || v.Fields["uk-name"].Value != "Janet Davidson" {
		t.Fatalf("demo with a configured handoff: %+v", v)
	}
	c := browserClient(t)
	a := get(t, c, oneidStart(t, c, ts.URL)+"&persona=janet-davidson&consent=allow")
	if loc := get(t, c, a.header.Get("Location")).header.Get("Location"); !strings.HasPrefix(loc, "http://127.0.0.1:9/app/done?result=") {
		t.Fatalf("generic callback went to %q", loc)
	}
}

// Each section keeps what its last login brought: a OneID login after a
// Myinfo one leaves the Singapore section filled.
func TestEndToEndDemoKeepsEachSection(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	demoLogin(t, c, ts.URL, "myinfo", "persona=S6005048A&consent=allow")
	if v := demoLogin(t, c, ts.URL, "oneid", "persona=ruby-okafor&consent=allow"); v.Fields["uk-over18"].Value != "Under 18" {
		t.Errorf("OneID view %+v", v)
	}
	if v := demoResult(t, c, ts.URL, "myinfo"); v.State != "filled" || v.Fields["sg-name"].Value != "ANDY LAU" {
		t.Errorf("after OneID, the Singapore section is %+v", v)
	}
}
