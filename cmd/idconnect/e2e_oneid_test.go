package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
)

// oneidStart starts a OneID login and returns the emulator's authorize
// URL.
func oneidStart(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	a := get(t, c, base+"/login/oneid")
	var start struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK || !strings.Contains(start.Data.URL, "/emulator/oneid/v2/authorize?") {
		t.Fatalf("/login/oneid: %d %s", a.status, a.body)
	}
	return start.Data.URL
}

// Every OneID persona logs in through the service on the embedded
// emulator: the answer holds the normalised person, the typed userinfo,
// age verification and accounts, and a one-time link to the PDF report.
func TestEndToEndOneIDEveryPersona(t *testing.T) {
	ts, _ := startService(t, nil)
	people, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	if len(people) < 5 {
		t.Fatalf("%d OneID personas", len(people))
	}
	for _, p := range people {
		t.Run(p.ID, func(t *testing.T) {
			c := browserClient(t)
			resp := get(t, c, oneidStart(t, c, ts.URL)+"&persona="+p.ID+"&consent=allow")
			loc := resp.header.Get("Location")
			if resp.status != http.StatusFound || !strings.HasPrefix(loc, ts.URL+"/callback/oneid?") {
				t.Fatalf("authorize: %d to %q", resp.status, loc)
			}
			done := get(t, c, loc)
			var body struct {
				Data struct {
					Provider, Subject string
					Person            struct {
						Name struct{ Value string }
					}
					Model struct {
						Userinfo        json.RawMessage   `json:"userinfo"`
						AgeVerification map[string]bool   `json:"age_verification"`
						Accounts        []json.RawMessage `json:"accounts"`
					}
					Documents map[string]string
				}
			}
			if err := json.Unmarshal([]byte(done.body), &body); err != nil || done.status != http.StatusOK {
				t.Fatalf("/callback/oneid: %d %s", done.status, done.body)
			}
			d := body.Data
			if d.Provider != "oneid" || d.Subject != p.Subject || d.Person.Name.Value == "" || len(d.Model.Userinfo) == 0 ||
				len(d.Model.AgeVerification) == 0 || len(d.Model.Accounts) == 0 {
				t.Fatalf("answer for %s: %s", p.ID, done.body)
			}
			if !strings.Contains(done.body, p.Name) {
				t.Fatalf("the answer does not name %q: %s", p.Name, done.body)
			}
			link := d.Documents["report"]
			report := get(t, c, ts.URL+link)
			if report.status != http.StatusOK || !strings.HasPrefix(report.body, "%PDF-") || report.header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("report %q: %d %q", link, report.status, report.header.Get("Content-Type"))
			}
			if again := get(t, c, ts.URL+link); again.status != http.StatusNotFound {
				t.Fatalf("report fetched twice: %d", again.status)
			}
		})
	}
}

// OneID's error sub-codes each give a clear answer: the person cancelled
// or the bank refused (consent denied), the session expired, or the
// provider's spam guard stopped the journey.
func TestEndToEndOneIDSubCodes(t *testing.T) {
	ts, _ := startService(t, nil)
	for _, tc := range []struct {
		sub, code string
		status    int
	}{
		{"UserCancelled", "CONSENT_DENIED", http.StatusForbidden},
		{"RequestDenied", "CONSENT_DENIED", http.StatusForbidden},
		{"SessionExpired", "LOGIN_EXPIRED", http.StatusBadRequest},
		{"SpamGuardBlocked", "PROVIDER_THROTTLED", http.StatusTooManyRequests},
	} {
		t.Run(tc.sub, func(t *testing.T) {
			c := browserClient(t)
			resp := get(t, c, oneidStart(t, c, ts.URL)+"&oneid_error="+tc.sub)
			loc := resp.header.Get("Location")
			if resp.status != http.StatusFound || !strings.Contains(loc, "error=") {
				t.Fatalf("authorize with oneid_error: %d to %q", resp.status, loc)
			}
			a := get(t, c, loc)
			if a.status != tc.status || envelopeCode(t, a) != tc.code {
				t.Fatalf("%s: %d %s, want %d %s", tc.sub, a.status, a.body, tc.status, tc.code)
			}
		})
	}
}
