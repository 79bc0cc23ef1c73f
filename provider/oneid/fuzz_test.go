package oneid

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResources feeds the resource parsers (/userinfo, /ageverification,
// /accounts) and the error-redirect reader arbitrary input: they must
// never panic; what they accept must hold the invariants the rest of the
// client relies on.
func FuzzResources(f *testing.F) {
	for _, p := range []string{"janet", "alix", "gary"} {
		for _, name := range []string{"userinfo.json", "ageverification.json", "accounts.json"} {
			b, err := os.ReadFile(filepath.Join("testdata", p, name))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"balance":{"amount":1e400,"currency":"GBP"}}]`))
	f.Add([]byte(`{"sub":"x","unverified_claims":{"claims":null},"fraud":null}`))
	f.Add([]byte(`{"age_over_":true,"age_over_1000":false}`))
	f.Add([]byte("error=access_denied&error_oneid=OneID.OIDC.Redirect.UserCancelled&oneid_error="))
	f.Fuzz(func(t *testing.T, b []byte) {
		if sub, v, u, fr, err := parseUserinfo(b); err == nil {
			if sub == "" || v == nil {
				t.Fatal("accepted without sub or claims")
			}
			if v.Birthdate != "" && !date(v.Birthdate) {
				t.Fatal("verified birthdate not a date")
			}
			if fr != nil && fr.check() != nil {
				t.Fatal("fraud out of range")
			}
			d := &Data{Userinfo: v, Unverified: u}
			p := d.Person()
			if p.Name != nil && p.Name.Value != v.Name && v.Name != "" {
				t.Fatal("an unverified name took a verified one's place")
			}
		}
		if a, err := parseAgeVerification(b); err == nil && len(a) == 0 {
			t.Fatal("empty age verification accepted")
		}
		if accts, err := parseAccounts(b); err == nil {
			for _, a := range accts {
				if a.Balance != nil && (!decimal(a.Balance.Amount) || !currency(a.Balance.Currency)) {
					t.Fatal("balance accepted that is not a decimal with a currency")
				}
				if _, err := json.Marshal(a); err != nil {
					t.Fatal(err)
				}
			}
		}
		if q, err := url.ParseQuery(string(b)); err == nil {
			if e, ok := ParseError(q).(*Error); ok && strings.HasPrefix(e.SubCode, SubCodePrefix) {
				t.Fatal("sub-code kept its prefix")
			} else if ok {
				_ = e.Error()
				_ = e.Unwrap()
			}
		}
	})
}
