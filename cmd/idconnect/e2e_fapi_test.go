package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// fapiLogin starts a login at startURL (a route answering like the seed's
// redirect-login) and walks the embedded Singpass emulator with the persona
// and consent shortcut, returning the callback URL it redirected to.
func fapiLogin(t *testing.T, c *http.Client, startURL, persona, consent, wantCallback string) string {
	t.Helper()
	a := get(t, c, startURL)
	var start struct {
		Message string
		Data    struct{ URL, State string }
	}
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK || start.Message != "OK" {
		t.Fatalf("start %s: %d %s", startURL, a.status, a.body)
	}
	if !strings.Contains(start.Data.URL, "/emulator/singpass/auth?") || !strings.Contains(start.Data.URL, "request_uri=") {
		t.Fatalf("authorization URL %s is not a PAR redirect to the emulator", start.Data.URL)
	}
	resp := get(t, c, start.Data.URL+"&persona="+persona+"&consent="+consent)
	loc := resp.header.Get("Location")
	if resp.status != http.StatusFound || !strings.HasPrefix(loc, wantCallback+"?") || !strings.Contains(loc, "iss=") {
		t.Fatalf("authorize: %d to %q, want %s?…&iss=…", resp.status, loc, wantCallback)
	}
	return loc
}

// The embedded Singpass FAPI emulator serves a Myinfo app through the
// generic routes: PAR, DPoP, private_key_jwt, the encrypted id_token and
// userinfo, all real, and the same sodata as Myinfo v3 for the seed's
// person, byte for byte.
func TestEndToEndSingpassMyinfoApp(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	cb := fapiLogin(t, c, ts.URL+"/login/singpass", "S6005048A", "allow", ts.URL+"/callback/singpass")
	done := get(t, c, cb)
	var body struct {
		Message string
		Data    struct {
			Provider, Subject string
			Person            struct {
				IDNumber struct{ Value string } `json:"id_number"`
			}
			Sodata json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(done.body), &body); err != nil || done.status != http.StatusOK {
		t.Fatalf("/callback/singpass: %d %s", done.status, done.body)
	}
	if body.Data.Provider != "singpass" || body.Data.Subject == "" || body.Data.Subject == "S6005048A" || body.Data.Person.IDNumber.Value != "S6005048A" {
		t.Fatalf("/callback/singpass answer (want a UUID subject and the NRIC in the person): %s", done.body)
	}
	if string(body.Data.Sodata) != seedSodata {
		t.Fatalf("FAPI sodata differs from the seed's:\n got %s\nwant %s", body.Data.Sodata, seedSodata)
	}
	if again := get(t, c, cb); again.status != http.StatusBadRequest || envelopeCode(t, again) != "LOGIN_UNKNOWN" {
		t.Fatalf("replayed callback: %d %s", again.status, again.body)
	}
}

// A Singpass Login app: the result is the id_token's subject and its
// sub_attributes, with no userinfo call.
func TestEndToEndSingpassLoginApp(t *testing.T) {
	ts, _ := startService(t, nil)
	c := browserClient(t)
	cb := fapiLogin(t, c, ts.URL+"/login/singpass-login", "S6005048A", "allow", ts.URL+"/callback/singpass-login")
	done := get(t, c, cb)
	var body struct {
		Data struct {
			Subject string
			Person  struct {
				IDNumber struct{ Value string } `json:"id_number"`
				Name     struct{ Value string }
			}
		}
	}
	if err := json.Unmarshal([]byte(done.body), &body); err != nil || done.status != http.StatusOK {
		t.Fatalf("/callback/singpass-login: %d %s", done.status, done.body)
	}
	if body.Data.Subject == "" || body.Data.Person.IDNumber.Value != "S6005048A" || body.Data.Person.Name.Value != "ANDY LAU" {
		t.Fatalf("Login app answer: %s", done.body)
	}
}

// IDCONNECT_MYINFO_API=fapi runs the seed's routes on Singpass FAPI: the
// same three routes, the same callback page, the same sodata.
func TestEndToEndSeedRoutesOnFAPI(t *testing.T) {
	ts, _ := startService(t, map[string]string{"IDCONNECT_MYINFO_API": "fapi"})
	c := browserClient(t)
	cb := fapiLogin(t, c, ts.URL+"/users/me/external/myinfo-redirect-login", "S6005048A", "allow", ts.URL+"/callback")
	page := get(t, c, cb)
	m := codeRe.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("callback page: %d %s", page.status, page.body)
	}
	person := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1])
	if want := `{"message":"OK","sodata":` + seedSodata + "}\n"; person.status != http.StatusOK || person.body != want {
		t.Fatalf("person answer %d:\n got %s\nwant %s", person.status, person.body, want)
	}
	denied := get(t, c, fapiLogin(t, c, ts.URL+"/users/me/external/myinfo-redirect-login", "S6005048A", "deny", ts.URL+"/callback"))
	if denied.status != http.StatusOK || !strings.Contains(denied.body, "No data was shared") {
		t.Fatalf("denied consent: %d %s", denied.status, denied.body)
	}
}

// The service publishes the public half of its key set, and nothing
// private, for Singpass to fetch.
func TestEndToEndJWKS(t *testing.T) {
	ts, _ := startService(t, nil)
	a := get(t, browserClient(t), ts.URL+"/.well-known/jwks.json")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(a.body), &set); err != nil || a.status != http.StatusOK {
		t.Fatalf("jwks: %d %s", a.status, a.body)
	}
	uses := map[any]int{}
	for _, k := range set.Keys {
		if _, ok := k["d"]; ok {
			t.Fatalf("the published JWKS holds a private key: %s", a.body)
		}
		uses[k["use"]]++
	}
	if uses["sig"] != 1 || uses["enc"] != 1 {
		t.Fatalf("want one sig and one enc key: %s", a.body)
	}
}
