package personas

import (
	"encoding/json"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// seedJanetUserinfo is the GET /userinfo example of seed 002 (OneID's
// "Retrieve User Information"), copied by hand from the seed: the
// independent source the janet-davidson persona must equal.
const seedJanetUserinfo = `{
"sub":"6f35afb8-42ee-5b82-88be-29ee7dc0f762",
"name":"Janet Davidson",
"given_name":"Janet",
"family_name":"Davidson",
"email":"janet.davidson@example.com",
"birthdate":"1985-06-01",
"phone_number":"0480863009",
"address": {
"street_address":"3614 Poe Road",
"locality":"Heworth",
"region":"York",
"postal_code":"YO31 1EB",
"country":"UK"
},
"fraud": {
"searchPerformed": true,
"activityHistoryScore": 0,
"identityFraudScore": 0,
"nationalSIRAFraud": true,
"nationalSIRAVictim": false,
"disclosureOfDeathRegistrationInformationMatch": false,
"amberhillMatch": false,
"noMatch": false
},
"unverified_claims": {
"claims": {
"birthdate": "1990-02-01",
"name": "Mary Smith",
"given_name": "Mary",
"family_name": "Smith",
"address": {
"street_address":"80 Green Lane",
"locality":"Darlington",
"region":"North East",
"postal_code":"DL17 5OQ",
"country":"UK"
}
}
}
}`

// seedAccountWithBalance is seed 002's "Success response with balances".
const seedAccountWithBalance = `[{
"currency": "GBP",
"account_type": "Personal",
"account_sub_type": "CurrentAccount",
"nickname": "Personal",
"iban": "GB98MIDL07009312345678",
"bic": "AAAABBCC123",
"account_number": "01234567",
"sort_code": "012345",
"balance": {
"amount": "123.45",
"currency": "GBP"
}
}]`

func jsonEqual(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(a, b)
}

// TestOneIDSeedPerson pins Janet Davidson to seed 002, unverified_claims
// included, and her account to the seed's account example.
func TestOneIDSeedPerson(t *testing.T) {
	p := oneidByID(t, "janet-davidson")
	if !jsonEqual(t, p.Userinfo, seedJanetUserinfo) {
		t.Errorf("janet-davidson's userinfo differs from seed 002's example:\n%s", p.Userinfo)
	}
	if !jsonEqual(t, p.Accounts, seedAccountWithBalance) {
		t.Errorf("janet-davidson's accounts differ from seed 002's example with balances:\n%s", p.Accounts)
	}
	if !jsonEqual(t, p.AgeVerification, `{"age_over_18": true}`) {
		t.Errorf("ageverification %s, want seed 002's example", p.AgeVerification)
	}
	if p.Subject != "6f35afb8-42ee-5b82-88be-29ee7dc0f762" || p.Name != "Janet Davidson" {
		t.Errorf("Subject %q Name %q", p.Subject, p.Name)
	}
}

func oneidByID(t *testing.T, id string) OneIDPersona {
	t.Helper()
	ps, err := OneID()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no OneID persona %q", id)
	return OneIDPersona{}
}

// Shapes of OneID's documents (seed 002 and research §1.6).
type (
	oneidAddress struct {
		StreetAddress string `json:"street_address"`
		Locality      string `json:"locality"`
		Region        string `json:"region"`
		PostalCode    string `json:"postal_code"`
		Country       string `json:"country"`
	}
	oneidFraud struct {
		SearchPerformed      *bool `json:"searchPerformed"`
		ActivityHistoryScore *int  `json:"activityHistoryScore"`
		IdentityFraudScore   *int  `json:"identityFraudScore"`
		NationalSIRAFraud    *bool `json:"nationalSIRAFraud"`
		NationalSIRAVictim   *bool `json:"nationalSIRAVictim"`
		DeathMatch           *bool `json:"disclosureOfDeathRegistrationInformationMatch"`
		AmberhillMatch       *bool `json:"amberhillMatch"`
		NoMatch              *bool `json:"noMatch"`
	}
	oneidClaims struct {
		Name        string        `json:"name"`
		GivenName   string        `json:"given_name"`
		FamilyName  string        `json:"family_name"`
		Birthdate   string        `json:"birthdate"`
		Address     *oneidAddress `json:"address"`
		Email       string        `json:"email"`
		PhoneNumber string        `json:"phone_number"`
	}
	oneidUserinfo struct {
		Sub string `json:"sub"`
		oneidClaims
		Fraud      *oneidFraud `json:"fraud"`
		Unverified *struct {
			Claims *oneidClaims `json:"claims"`
		} `json:"unverified_claims"`
	}
	oneidAccount struct {
		AccountID      string `json:"account_id"`
		Status         string `json:"status"`
		Currency       string `json:"currency"`
		AccountType    string `json:"account_type"`
		AccountSubType string `json:"account_sub_type"`
		Nickname       string `json:"nickname"`
		IBAN           string `json:"iban"`
		BIC            string `json:"bic"`
		AccountNumber  string `json:"account_number"`
		SortCode       string `json:"sort_code"`
		Balance        *struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		} `json:"balance"`
	}
)

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	idRE       = regexp.MustCompile(`^[a-z]+(-[a-z]+)+$`)
	postcodeRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$`)
	sortCodeRE = regexp.MustCompile(`^[0-9]{6}$`)
	acctNumRE  = regexp.MustCompile(`^[0-9]{8,10}$`)
	bicRE      = regexp.MustCompile(`^[A-Z0-9]{11}$`)
	ibanRE     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,26}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	amountRE   = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)
	dateLayout = "2006-01-02"
	// oneidDataDate is when the personas' data was written: age_over_18
	// must match the birthdate on that day (a fixed date, not the clock,
	// so the test never changes its answer).
	oneidDataDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

// ibanValid checks an IBAN's ISO 13616 mod-97 check digits.
func ibanValid(iban string) bool {
	if !ibanRE.MatchString(iban) {
		return false
	}
	var digits strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		if r >= 'A' && r <= 'Z' {
			digits.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		} else {
			digits.WriteRune(r)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func TestIBANValid(t *testing.T) {
	for _, s := range []string{"GB98MIDL07009312345678", "GB29NWBK60161331926819"} {
		if !ibanValid(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"GB99MIDL07009312345678", "gb98MIDL07009312345678", "GB98", ""} {
		if ibanValid(s) {
			t.Errorf("%s accepted", s)
		}
	}
}

func checkAddress(t *testing.T, what string, a *oneidAddress) {
	t.Helper()
	if a == nil {
		t.Errorf("%s: no address", what)
		return
	}
	if a.StreetAddress == "" || a.Locality == "" || a.Region == "" || a.Country != "UK" {
		t.Errorf("%s: incomplete address %+v (country is \"UK\" in OneID's example)", what, *a)
	}
	if !postcodeRE.MatchString(a.PostalCode) {
		t.Errorf("%s: postal_code %q is not a UK postcode", what, a.PostalCode)
	}
}

// TestOneIDPersonas checks every OneID persona's documents against the
// shapes of seed 002: a UUID sub, names that agree, dates, a UK address,
// the full fraud block, unverified_claims as {claims:{…}}, age_over_18
// alone and agreeing with the birthdate, and accounts with at least one
// identification scheme, each scheme's fields well formed, balances as
// decimal strings in major units.
func TestOneIDPersonas(t *testing.T) {
	ps, err := OneID()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 5 {
		t.Errorf("got %d OneID personas, want at least 5", len(ps))
	}
	ids, subs := map[string]bool{}, map[string]bool{}
	for _, p := range ps {
		if ids[p.ID] || subs[p.Subject] {
			t.Errorf("%s: duplicate ID or sub", p.ID)
		}
		ids[p.ID], subs[p.Subject] = true, true
		t.Run(p.ID, func(t *testing.T) {
			if !idRE.MatchString(p.ID) {
				t.Errorf("ID %q: use given-family in lower case", p.ID)
			}
			if p.Summary == "" {
				t.Error("no summary")
			}
			var u oneidUserinfo
			dec := json.NewDecoder(strings.NewReader(string(p.Userinfo)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&u); err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if !uuidRE.MatchString(u.Sub) || u.Sub != p.Subject {
				t.Errorf("sub %q is not a UUID or differs from Subject", u.Sub)
			}
			if u.Name == "" || u.Name != u.GivenName+" "+u.FamilyName || u.Name != p.Name {
				t.Errorf("name %q, given %q, family %q", u.Name, u.GivenName, u.FamilyName)
			}
			born, err := time.Parse(dateLayout, u.Birthdate)
			if err != nil {
				t.Errorf("birthdate %q", u.Birthdate)
			}
			if !strings.HasSuffix(u.Email, "@example.com") || u.PhoneNumber == "" {
				t.Errorf("email %q (use example.com), phone %q", u.Email, u.PhoneNumber)
			}
			checkAddress(t, "address", u.Address)
			f := u.Fraud
			if f == nil || f.SearchPerformed == nil || f.ActivityHistoryScore == nil || f.IdentityFraudScore == nil ||
				f.NationalSIRAFraud == nil || f.NationalSIRAVictim == nil || f.DeathMatch == nil || f.AmberhillMatch == nil || f.NoMatch == nil {
				t.Fatal("fraud lacks a field of OneID's example")
			}
			if *f.ActivityHistoryScore < 0 || *f.ActivityHistoryScore > 4 || *f.IdentityFraudScore < 0 || *f.IdentityFraudScore > 3 {
				t.Errorf("scores %d, %d: activityHistoryScore is 0-4, identityFraudScore 0-3", *f.ActivityHistoryScore, *f.IdentityFraudScore)
			}
			if uv := u.Unverified; uv != nil {
				c := uv.Claims
				if c == nil || c.Name == "" || c.Name != c.GivenName+" "+c.FamilyName {
					t.Fatal("unverified_claims must be {claims:{name, given_name, family_name, …}}")
				}
				if _, err := time.Parse(dateLayout, c.Birthdate); err != nil {
					t.Errorf("unverified birthdate %q", c.Birthdate)
				}
				checkAddress(t, "unverified address", c.Address)
			}

			var age map[string]bool
			if err := json.Unmarshal(p.AgeVerification, &age); err != nil || len(age) != 1 {
				t.Fatalf("ageverification %s: want exactly {\"age_over_18\": bool}", p.AgeVerification)
			}
			over, ok := age["age_over_18"]
			adult := !born.AddDate(18, 0, 0).After(oneidDataDate)
			if !ok || over != adult {
				t.Errorf("age_over_18 = %v, but born %s is adult on %s: %v", over, u.Birthdate, oneidDataDate.Format(dateLayout), adult)
			}

			var accounts []oneidAccount
			dec = json.NewDecoder(strings.NewReader(string(p.Accounts)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&accounts); err != nil || len(accounts) == 0 {
				t.Fatalf("accounts: %v (want a non-empty array)", err)
			}
			for i, a := range accounts {
				if !currencyRE.MatchString(a.Currency) || a.AccountType == "" || a.AccountSubType == "" || a.Nickname == "" {
					t.Errorf("account %d: currency, account_type, account_sub_type and nickname are required", i)
				}
				if (a.SortCode == "") != (a.AccountNumber == "") {
					t.Errorf("account %d: UK.OBIE.SortCodeAccountNumber needs both sort_code and account_number", i)
				}
				if a.SortCode != "" && (!sortCodeRE.MatchString(a.SortCode) || !acctNumRE.MatchString(a.AccountNumber)) {
					t.Errorf("account %d: sort_code %q (6 digits), account_number %q (8-10 digits)", i, a.SortCode, a.AccountNumber)
				}
				if a.IBAN != "" && !ibanValid(a.IBAN) {
					t.Errorf("account %d: iban %q fails its check digits", i, a.IBAN)
				}
				if a.BIC != "" && !bicRE.MatchString(a.BIC) {
					t.Errorf("account %d: bic %q is not 11 alphanumerics", i, a.BIC)
				}
				if a.SortCode == "" && a.IBAN == "" && a.BIC == "" {
					t.Errorf("account %d has no identification scheme", i)
				}
				if a.AccountID != "" && !uuidRE.MatchString(a.AccountID) || a.Status != "" && a.Status != "Enabled" {
					t.Errorf("account %d: account_id %q, status %q (accounts are the enabled ones)", i, a.AccountID, a.Status)
				}
				if b := a.Balance; b != nil && (!amountRE.MatchString(b.Amount) || b.Currency != a.Currency) {
					t.Errorf("account %d: balance %+v: a decimal string in major units, in the account's currency", i, *b)
				}
			}
		})
	}
}

// TestOneIDCoverage checks the edge cases the emulator's tests rely on
// are present: the sandbox's Clear, Fraud and Victim people, someone under
// 18, and someone with two accounts that together use every
// identification scheme of seed 002, one with a balance and one without.
func TestOneIDCoverage(t *testing.T) {
	fraud := func(id string) oneidFraud {
		var u oneidUserinfo
		if err := json.Unmarshal(oneidByID(t, id).Userinfo, &u); err != nil || u.Fraud == nil {
			t.Fatal(err)
		}
		return *u.Fraud
	}
	if f := fraud("alix-rayner"); *f.IdentityFraudScore != 0 || !*f.NationalSIRAFraud || !*f.AmberhillMatch {
		t.Error("alix-rayner must carry fraud flags")
	}
	if f := fraud("gary-humphrey"); !*f.NationalSIRAVictim || *f.NationalSIRAFraud {
		t.Error("gary-humphrey must be a fraud victim, not a fraudster")
	}
	if !jsonEqual(t, oneidByID(t, "ruby-okafor").AgeVerification, `{"age_over_18": false}`) {
		t.Error("ruby-okafor must be under 18")
	}
	var accounts []oneidAccount
	if err := json.Unmarshal(oneidByID(t, "priya-shah").Accounts, &accounts); err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 2 {
		t.Fatalf("priya-shah has %d accounts, want 2", len(accounts))
	}
	a, b := accounts[0], accounts[1]
	if a.SortCode == "" || a.IBAN != "" || a.BIC != "" || a.Balance == nil {
		t.Error("priya-shah's first account: sort code and account number only, with a balance")
	}
	if b.SortCode != "" || b.IBAN == "" || b.BIC == "" || b.Balance != nil {
		t.Error("priya-shah's second account: IBAN and BIC only, without a balance")
	}
}

func TestOneIDReturnsFreshCopies(t *testing.T) {
	a, err := OneID()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Userinfo[0], a[0].Accounts[0] = 'x', 'x'
	b, err := OneID()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Userinfo[0] != '{' || b[0].Accounts[0] != '[' {
		t.Error("changing a returned persona changed the next call's result")
	}
}
