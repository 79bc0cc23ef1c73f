package oneid_test

// Tests against emulator/oneid, the OneID emulator written independently
// of this client, through idconnect.Flow and store.Memory, for every OneID
// persona of emulator/personas. Expected values come from the personas'
// own documents, not from this client.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
	emulator "github.com/idconnect/idconnect/emulator/oneid"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/oneid"
	"github.com/idconnect/idconnect/store"
)

const (
	emuClientID = "idconnect-test-client"
	emuSecret   = "emu/s3cret+with%odd&chars"
)

type emuEnv struct {
	clock  *clock
	srv    *httptest.Server
	emu    *emulator.Server
	people []personas.OneIDPersona
	flow   *idconnect.Flow
}

func newEmuEnv(t *testing.T, mods ...func(*emulator.Config)) *emuEnv {
	t.Helper()
	ps, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}
	e := &emuEnv{clock: newClock(), people: ps}
	var handler http.Handler = http.NotFoundHandler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	cfg := emulator.Config{
		Issuer:     e.srv.URL + "/oneid",
		Personas:   ps,
		Clients:    []emulator.Client{{ID: emuClientID, Secret: emuSecret, RedirectURIs: []string{redirectURI}}},
		SigningKey: sharedRSA(t),
		Now:        e.clock.Now,
		// As strict as the emulator can be: the client sends both.
		RequirePKCE:             true,
		RequireTokenRedirectURI: true,
	}
	for _, m := range mods {
		m(&cfg)
	}
	if e.emu, err = emulator.New(cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/oneid/", http.StripPrefix("/oneid", e.emu))
	handler = mux
	e.flow = &idconnect.Flow{Providers: map[string]idconnect.Provider{}, Store: &store.Memory{Now: e.clock.Now}, Now: e.clock.Now}
	return e
}

func (e *emuEnv) provider(t *testing.T, sc []string, mods ...func(*oneid.Config)) {
	t.Helper()
	cfg := oneid.Config{
		Issuer: e.emu.Issuer(), ClientID: emuClientID, ClientSecret: emuSecret, RedirectURI: redirectURI,
		Scopes: sc, FetchReport: true, HTTPClient: e.srv.Client(), Now: e.clock.Now,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := oneid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.flow.Providers["oneid"] = c
}

// login runs a whole login through the Flow: start, the browser at the
// emulator (persona= and consent= answer its pages), callback, redeem.
func (e *emuEnv) login(t *testing.T, persona string, extra url.Values) (*idconnect.Result, error) {
	t.Helper()
	ctx := context.Background()
	rec := httptest.NewRecorder()
	browser, err := e.flow.BindBrowser(rec, httptest.NewRequest(http.MethodGet, "/login/oneid", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := e.flow.Start(ctx, "oneid", browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"persona": {persona}, "consent": {"allow"}}
	for k, v := range extra {
		q[k] = v
	}
	client := e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(authURL + "&" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("authorize: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.flow.Callback(ctx, "oneid", cb, browser); err != nil {
		return nil, err
	}
	_, res, err := e.flow.Redeem(ctx, "oneid", cb.Code, browser)
	return res, err
}

// generic decodes JSON into plain maps and slices, for comparison.
func generic(t *testing.T, v any) any {
	t.Helper()
	b, ok := v.([]byte)
	if raw, isRaw := v.(json.RawMessage); isRaw {
		b, ok = raw, true
	}
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := generic(t, got), generic(t, want); !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func TestEmulatorPersonas(t *testing.T) {
	e := newEmuEnv(t)
	if len(e.people) < 3 {
		t.Fatalf("%d OneID personas", len(e.people))
	}
	for _, p := range e.people {
		t.Run(p.ID, func(t *testing.T) {
			e := newEmuEnv(t)
			e.provider(t, allScopes)
			res, err := e.login(t, p.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Subject != p.Subject || res.Provider != "oneid" {
				t.Errorf("subject %q provider %q", res.Subject, res.Provider)
			}
			var ui map[string]json.RawMessage
			if err := json.Unmarshal(p.Userinfo, &ui); err != nil {
				t.Fatal(err)
			}
			// Raw is /userinfo's answer: the persona's document (plus
			// age_over_18, which comes with its scope).
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(res.Raw, &raw); err != nil {
				t.Fatal(err)
			}
			delete(raw, "age_over_18")
			sameJSON(t, "raw", map[string]json.RawMessage(raw), map[string]json.RawMessage(ui))

			d := res.Model.(*oneid.Data)
			verified := map[string]json.RawMessage{}
			for k, v := range ui {
				if k != "sub" && k != "fraud" && k != "unverified_claims" {
					verified[k] = v
				}
			}
			got := *d.Userinfo
			got.AgeOver18 = nil
			sameJSON(t, "verified claims", got, verified)
			if u, ok := ui["unverified_claims"]; ok {
				var uc struct{ Claims json.RawMessage }
				_ = json.Unmarshal(u, &uc)
				sameJSON(t, "unverified claims", d.Unverified, uc.Claims)
			} else if d.Unverified != nil {
				t.Errorf("unverified claims %+v from nowhere", d.Unverified)
			}
			sameJSON(t, "fraud", d.Fraud, ui["fraud"])
			sameJSON(t, "age verification", d.AgeVerification, p.AgeVerification)
			sameJSON(t, "accounts", d.Accounts, p.Accounts)

			if res.Person.Name == nil || res.Person.Name.Value != p.Name || res.Person.Name.Provenance.Source != oneid.SourceVerified {
				t.Errorf("person name %+v, want %q verified", res.Person.Name, p.Name)
			}
			if len(res.Documents) != 1 || res.Documents[0].Name != "report" || res.Documents[0].ContentType != "application/pdf" ||
				!bytes.HasPrefix(res.Documents[0].Data, []byte("%PDF-")) {
				t.Errorf("documents %d", len(res.Documents))
			}
		})
	}
}

// Without accounts.balances no balance is anywhere in the result, whether
// the emulator follows the rule or (a fault) sends them anyway.
func TestEmulatorBalances(t *testing.T) {
	for _, anyway := range []bool{false, true} {
		t.Run(map[bool]string{false: "not granted", true: "sent anyway"}[anyway], func(t *testing.T) {
			e := newEmuEnv(t)
			e.emu.Faults().SetBalancesWithoutScope(anyway)
			e.provider(t, []string{"profile", "accounts"})
			res, err := e.login(t, "janet-davidson", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Model.(*oneid.Data).Accounts) == 0 {
				t.Fatal("no accounts")
			}
			noBalance(t, res)
		})
	}
}

func TestEmulatorFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  func(*emulator.Faults)
		want   error
		phrase string
	}{
		{"foreign key", func(f *emulator.Faults) { f.SetIDTokenForeignKey(true) }, idconnect.ErrSignature, "does not verify"},
		{"RS256 under a PS256 key", func(f *emulator.Faults) { f.SetIDTokenRS256(true) }, idconnect.ErrSignature, "algorithm"},
		{"expired", func(f *emulator.Faults) { f.SetIDTokenExpired(true) }, idconnect.ErrTokenInvalid, "expired"},
		{"wrong nonce", func(f *emulator.Faults) { f.SetIDTokenWrongNonce(true) }, idconnect.ErrTokenInvalid, "nonce"},
		{"report not a PDF", func(f *emulator.Faults) { f.SetReportNotPDF(true) }, idconnect.ErrMalformed, "not a PDF"},
		{"report over the cap", func(f *emulator.Faults) { f.SetReportOversize(emulator.DefaultOversizeReport) }, idconnect.ErrMalformed, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmuEnv(t)
			e.provider(t, []string{"profile"})
			tc.fault(e.emu.Faults())
			res, err := e.login(t, "janet-davidson", nil)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.phrase) {
				t.Fatalf("got %v, want %v naming %q", err, tc.want, tc.phrase)
			}
			if res != nil {
				t.Error("a result with the error")
			}
			if strings.Contains(err.Error(), "Janet") || strings.Contains(err.Error(), e.srv.URL) {
				t.Errorf("personal data or URL in %q", err)
			}
		})
	}
	t.Run("down", func(t *testing.T) {
		e := newEmuEnv(t)
		e.provider(t, []string{"profile"})
		ctx := context.Background()
		rec := httptest.NewRecorder()
		browser, _ := e.flow.BindBrowser(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		e.emu.Faults().SetDown(true)
		if _, _, err := e.flow.Start(ctx, "oneid", browser, idconnect.StartOptions{}); !errors.Is(err, idconnect.ErrProviderUnavailable) {
			t.Fatalf("got %v", err)
		}
	})
}

// Every sub-code, in both parameter names, reaches the client through
// ParseCallback's Extra and the Flow's CallbackErrorer.
func TestEmulatorSubCodes(t *testing.T) {
	for _, param := range []string{"error_oneid", "oneid_error"} {
		for _, tc := range []struct {
			sub  string
			want error
		}{
			{"UserCancelled", idconnect.ErrConsentDenied},
			{"RequestDenied", idconnect.ErrConsentDenied},
			{"SessionExpired", oneid.ErrSessionExpired},
			{"SpamGuardBlocked", oneid.ErrSpamGuardBlocked},
			{"IDScanFlagged", idconnect.ErrProviderRefused},
			{"SomethingNew", idconnect.ErrConsentDenied},
		} {
			t.Run(param+"/"+tc.sub, func(t *testing.T) {
				e := newEmuEnv(t, func(c *emulator.Config) { c.SubCodeParam = param })
				e.provider(t, []string{"profile"})
				if err := e.emu.Faults().SetAuthorizeError(tc.sub); err != nil {
					t.Fatal(err)
				}
				_, err := e.login(t, "janet-davidson", nil)
				var oe *oneid.Error
				if !errors.Is(err, tc.want) || !errors.As(err, &oe) || oe.SubCode != tc.sub {
					t.Fatalf("got %#v, want %v with sub-code %q", err, tc.want, tc.sub)
				}
			})
		}
	}
	// Deny on the consent page.
	e := newEmuEnv(t)
	e.provider(t, []string{"profile"})
	_, err := e.login(t, "janet-davidson", url.Values{"consent": {"deny"}})
	var oe *oneid.Error
	if !errors.Is(err, idconnect.ErrConsentDenied) || !errors.As(err, &oe) || oe.SubCode != oneid.SubCodeUserCancelled {
		t.Fatalf("deny: %v", err)
	}
}
