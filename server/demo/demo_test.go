package demo

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
)

func newApp(t *testing.T) *App {
	t.Helper()
	a, err := New(Config{ServiceURL: "http://127.0.0.1:1", APIKey: "k", Providers: StandardProviders()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The page runs no inline script or style and allows nothing inline: its
// script and style are files of its own origin.
func TestPageHasNoInlineCode(t *testing.T) {
	a := newApp(t)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	if rec.Code != http.StatusOK || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("GET /: %d, CSP %q", rec.Code, csp)
	}
	if m := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>|<style|\son[a-z]+=|javascript:`).FindString(body); m != "" {
		t.Errorf("inline code in the page: %q", m)
	}
	for _, p := range StandardProviders() {
		if !strings.Contains(body, `data-provider="`+p.Name+`"`) || !strings.Contains(body, ">"+p.Button+"</button>") {
			t.Errorf("no button for %s", p.Name)
		}
	}
	// Every control has a label.
	for _, id := range regexp.MustCompile(`<(?:input|textarea) id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `<label for="`+id[1]+`">`) {
			t.Errorf("control %s has no label", id[1])
		}
	}
	for _, file := range []string{"/demo/assets/app.js", "/demo/assets/app.css"} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("GET", file, nil))
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("%s: %d", file, rec.Code)
		}
	}
}

// A section is shown only when one of its providers is configured.
func TestSectionsFollowProviders(t *testing.T) {
	a, err := New(Config{ServiceURL: "http://127.0.0.1:1", APIKey: "k", Providers: StandardProviders()[2:]})
	if err != nil {
		t.Fatal(err)
	}
	page := string(a.page)
	if strings.Contains(page, `data-section="sg"`) || !strings.Contains(page, `data-section="uk"`) {
		t.Error("with OneID alone, the page should show the UK section only")
	}
}

func TestNewChecksConfig(t *testing.T) {
	good := StandardProviders()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no service URL", Config{APIKey: "k", Providers: good}, "ServiceURL"},
		{"no API key", Config{ServiceURL: "http://x", Providers: good}, "APIKey"},
		{"no providers", Config{ServiceURL: "http://x", APIKey: "k"}, "Providers"},
		{"unknown section", Config{ServiceURL: "http://x", APIKey: "k", Providers: []Provider{{Name: "p", Button: "P", Section: "nope"}}}, "section"},
		{"twice", Config{ServiceURL: "http://x", APIKey: "k", Providers: append(good, good[0])}, "twice"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}

// Each failure the person can meet has its own message; a code that is
// not a code is not echoed.
func TestMessages(t *testing.T) {
	seen := map[string]string{}
	for _, code := range []string{"CONSENT_DENIED", "LOGIN_EXPIRED", "LOGIN_UNKNOWN", "NOT_STARTED", "TOO_MANY_LOGINS", "PROVIDER_UNAVAILABLE"} {
		m := messageFor(code)
		if m.Title == "" || m.Text == "" || m.Code != code {
			t.Errorf("%s: %+v", code, m)
		}
		if other, dup := seen[m.Title]; dup {
			t.Errorf("%s and %s share the title %q", code, other, m.Title)
		}
		seen[m.Title] = code
	}
	if messageFor("NOT_STARTED").Retry || !messageFor("CONSENT_DENIED").Retry {
		t.Error("retry offered where it cannot help, or not where it can")
	}
	if m := messageFor("<script>alert(1)</script>"); m.Code != "?" {
		t.Errorf("junk code echoed: %q", m.Code)
	}
}

// Begin accepts only a configured provider, and the return route
// redeems nothing for a browser that began no login.
func TestBeginAndReturnRefuse(t *testing.T) {
	a := newApp(t)
	for _, tc := range []struct {
		contentType, body string
		want              int
	}{
		{"application/json", `{"provider":"nope"}`, http.StatusBadRequest},
		{"text/plain", `{"provider":"myinfo"}`, http.StatusUnsupportedMediaType}, // a cross-site form's
		{"application/json; charset=utf-8", `{"provider":"myinfo"}`, http.StatusOK},
	} {
		req := httptest.NewRequest("POST", BeginPath, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.contentType)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("begin %s %s: %d, want %d", tc.contentType, tc.body, rec.Code, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", BeginPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET begin: %d", rec.Code)
	}
}

// A value the provider did not verify never fills a verified field: with
// only an unverified name (OneID's unverified_claims, normalised with
// Unverified set), the UK name stays for the person to type, and the
// claim is listed apart.
func TestUnverifiedStaysApart(t *testing.T) {
	a := newApp(t)
	r := &result{
		Provider: "oneid",
		Person: &idconnect.Person{
			Name:      &idconnect.Field{Value: "Mary Smith", Provenance: &idconnect.Provenance{Source: "oneid:unverified", Unverified: true}},
			BirthDate: &idconnect.Field{Value: "1985-06-01", Provenance: &idconnect.Provenance{Source: "oneid:verified"}},
		},
		Model: json.RawMessage(`{"unverified_claims":{"name":"Mary Smith"},"age_verification":{"age_over_18":false}}`),
	}
	v := a.formView(a.providers["oneid"], r)
	if f, ok := v.Fields["uk-name"]; ok {
		t.Errorf("an unverified name fills the verified field: %+v", f)
	}
	if f := v.Fields["uk-dob"]; f.Value != "1985-06-01" || !f.Verified {
		t.Errorf("verified date of birth: %+v", f)
	}
	if f := v.Fields["uk-over18"]; f.Value != "Under 18" {
		t.Errorf("age badge: %+v", f)
	}
	if len(v.Unverified) != 1 || v.Unverified[0] != (item{"Name", "Mary Smith"}) {
		t.Errorf("unverified list %+v", v.Unverified)
	}
	if !slices.Contains(v.Missing, "uk-name") {
		t.Errorf("uk-name is not left for the person: missing %v", v.Missing)
	}
}

// A failed result fetch is logged without the URL, which holds the handle.
func TestFetchFailureLogHasNoHandle(t *testing.T) {
	var logs strings.Builder
	a, err := New(Config{ServiceURL: "http://127.0.0.1:1", APIKey: "k", Providers: StandardProviders(),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	const handle = "handle-0123456789abcdef"
	v := a.redeem(context.Background(), "myinfo", handle)
	if v.Message == nil || v.Message.Code != "RESULT_UNAVAILABLE" {
		t.Fatalf("view %+v", v)
	}
	if !strings.Contains(logs.String(), "result fetch failed") || strings.Contains(logs.String(), handle) {
		t.Errorf("log %q", logs.String())
	}
}

// The page gets only what the form shows: items of the person outside the
// form (a home phone, a mailing address, a country of birth) stay in the
// backend.
func TestViewHoldsOnlyTheForm(t *testing.T) {
	a := newApp(t)
	r := &result{Provider: "myinfo", Person: &idconnect.Person{
		Name:         &idconnect.Field{Value: "TAN AH KOW", Provenance: &idconnect.Provenance{Source: "1", LastUpdated: "2026-01-02"}},
		BirthCountry: &idconnect.Field{Value: "COUNTRY-OUTSIDE-FORM"},
		Phones: []idconnect.Phone{
			{Kind: "home", CountryCode: "+65", Number: "HOME-OUTSIDE-FORM"},
			{Kind: "mobile", CountryCode: "+65", Number: "91234567", Provenance: &idconnect.Provenance{Source: "4"}},
		},
		Addresses: []idconnect.Address{
			{Kind: "mailing", Format: "lines", Lines: []string{"MAIL-OUTSIDE-FORM"}},
			{Kind: "registered", Format: "structured", Block: "1", Street: "MAIN ROAD", PostalCode: "123456", CountryName: "SINGAPORE"},
		},
	}}
	b, err := json.Marshal(a.formView(a.providers["myinfo"], r))
	if err != nil {
		t.Fatal(err)
	}
	for _, outside := range []string{"COUNTRY-OUTSIDE-FORM", "HOME-OUTSIDE-FORM", "MAIL-OUTSIDE-FORM"} {
		if strings.Contains(string(b), outside) {
			t.Errorf("the view holds %s: %s", outside, b)
		}
	}
	for _, inside := range []string{"TAN AH KOW", "+65 91234567", `1 MAIN ROAD\nSINGAPORE 123456`, "2026-01-02"} {
		if !strings.Contains(string(b), inside) {
			t.Errorf("the view lacks %s: %s", inside, b)
		}
	}
}
