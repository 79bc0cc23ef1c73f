package oneid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Data is a Result's Model: everything OneID returned for the login, typed,
// each resource present only when its scope was granted and the resource
// fetched. Verified and unverified data are kept apart.
type Data struct {
	// Scopes are the granted scopes the resources were chosen by: the
	// token answer's scope (only those also asked for), or, when it has
	// none, the scopes asked for. "openid" is not listed.
	Scopes []string `json:"scopes"`
	// Userinfo holds the claims OneID verified with the person's bank
	// (from /userinfo), nil when /userinfo was not called.
	Userinfo *Claims `json:"userinfo,omitempty"`
	// Unverified holds unverified_claims.claims from /userinfo: data the
	// person typed in, not verified by OneID. Never mixed into Userinfo.
	Unverified *Claims `json:"unverified_claims,omitempty"`
	// Fraud is /userinfo's fraud object (the fraud scope).
	Fraud *Fraud `json:"fraud,omitempty"`
	// AgeVerification is /ageverification's answer (age_over_18 scope).
	AgeVerification AgeVerification `json:"age_verification,omitempty"`
	// Accounts is /accounts's answer (accounts scope), nil when not
	// fetched. Balances are present only when accounts.balances was
	// granted; ones sent without it are dropped.
	Accounts []Account `json:"accounts,omitempty"`
}

// Claims are the standard person claims of /userinfo (verified) or of its
// unverified_claims.claims (unverified).
type Claims struct {
	Name        string `json:"name,omitempty"`
	GivenName   string `json:"given_name,omitempty"`
	FamilyName  string `json:"family_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Birthdate   string `json:"birthdate,omitempty"` // YYYY-MM-DD
	PhoneNumber string `json:"phone_number,omitempty"`
	// Address is the postal address, as OIDC's address claim.
	Address *Address `json:"address,omitempty"`
	// AgeOver18 is set when /userinfo carries age_over_18 (some clients
	// read it there rather than from /ageverification).
	AgeOver18 *bool `json:"age_over_18,omitempty"`
}

// Address is OIDC's structured address claim as OneID sends it. Country
// is OneID's value ("UK" in its examples).
type Address struct {
	StreetAddress string `json:"street_address,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
}

// Fraud is OneID's fraud check (ID Assure). A member OneID did not send
// is nil: a score of 0 is meaningful (identityFraudScore 0 means potential
// identity fraud), so absent and zero are kept apart.
type Fraud struct {
	SearchPerformed *bool `json:"searchPerformed,omitempty"`
	// ActivityHistoryScore is 0 to 4.
	ActivityHistoryScore *int `json:"activityHistoryScore,omitempty"`
	// IdentityFraudScore is 0 to 3; 0 means potential identity fraud.
	IdentityFraudScore *int  `json:"identityFraudScore,omitempty"`
	NationalSIRAFraud  *bool `json:"nationalSIRAFraud,omitempty"`
	NationalSIRAVictim *bool `json:"nationalSIRAVictim,omitempty"`
	// DisclosureOfDeathRegistrationInformationMatch: a death registration
	// matched.
	DisclosureOfDeathRegistrationInformationMatch *bool `json:"disclosureOfDeathRegistrationInformationMatch,omitempty"`
	AmberhillMatch                                *bool `json:"amberhillMatch,omitempty"`
	NoMatch                                       *bool `json:"noMatch,omitempty"`
}

// AgeVerification is /ageverification's answer: each age_over_NN member
// and its value, such as {"age_over_18": true}. Other members are dropped.
type AgeVerification map[string]bool

// Over reports OneID's answer for age n: over is the answer, known whether
// OneID gave one.
func (a AgeVerification) Over(n int) (over, known bool) {
	over, known = a[fmt.Sprintf("age_over_%d", n)]
	return over, known
}

// Identification schemes of an account (Open Banking UK names), as
// listed by OneID.
const (
	SchemeSortCodeAccountNumber = "UK.OBIE.SortCodeAccountNumber"
	SchemeIBAN                  = "UK.OBIE.IBAN"
	SchemeBICFI                 = "UK.OBIE.BICFI"
)

// Account is one of the person's enabled personal accounts.
type Account struct {
	AccountID      string `json:"account_id,omitempty"`
	Status         string `json:"status,omitempty"` // e.g. "Enabled"
	Currency       string `json:"currency,omitempty"`
	AccountType    string `json:"account_type,omitempty"`     // e.g. "Personal"
	AccountSubType string `json:"account_sub_type,omitempty"` // e.g. "CurrentAccount"
	Nickname       string `json:"nickname,omitempty"`
	// SortCode (6 digits) and AccountNumber (8 to 10 digits) are the
	// UK.OBIE.SortCodeAccountNumber scheme.
	SortCode      string `json:"sort_code,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	// IBAN is the UK.OBIE.IBAN scheme (up to 30 letters and digits).
	IBAN string `json:"iban,omitempty"`
	// BIC is the UK.OBIE.BICFI scheme (8 or 11 letters and digits).
	BIC string `json:"bic,omitempty"`
	// Balance is present only when accounts.balances was granted.
	Balance *Balance `json:"balance,omitempty"`
}

// Identification is an account identifier under one scheme.
type Identification struct {
	Scheme         string `json:"scheme"`
	Identification string `json:"identification"`
}

// Identifications lists the account's identifiers, one per scheme OneID
// filled. For UK.OBIE.SortCodeAccountNumber the identification is the
// sort code followed by the account number, as in Open Banking.
func (a Account) Identifications() []Identification {
	var ids []Identification
	if a.SortCode != "" && a.AccountNumber != "" {
		ids = append(ids, Identification{SchemeSortCodeAccountNumber, a.SortCode + a.AccountNumber})
	}
	if a.IBAN != "" {
		ids = append(ids, Identification{SchemeIBAN, a.IBAN})
	}
	if a.BIC != "" {
		ids = append(ids, Identification{SchemeBICFI, a.BIC})
	}
	return ids
}

// Balance is an account balance: Amount is a decimal string in major units
// (pounds, not pence), never a float; Currency an ISO 4217 code.
type Balance struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// UnmarshalJSON reads amount as a string, or as a JSON number whose
// literal text is kept as is (never through a float).
func (b *Balance) UnmarshalJSON(data []byte) error {
	var raw struct {
		Amount   json.RawMessage `json:"amount"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	amount := bytes.TrimSpace(raw.Amount)
	switch {
	case len(amount) == 0:
		return errors.New("balance without amount")
	case amount[0] == '"':
		var s string
		if err := json.Unmarshal(amount, &s); err != nil {
			return err
		}
		b.Amount = s
	default:
		b.Amount = string(amount)
	}
	b.Currency = raw.Currency
	if !decimal(b.Amount) {
		return errors.New("balance amount is not a decimal")
	}
	if !currency(b.Currency) {
		return errors.New("balance currency is not an ISO 4217 code")
	}
	return nil
}

// userinfo is /userinfo's answer.
type userinfo struct {
	Subject string `json:"sub"`
	Claims
	Fraud      *Fraud `json:"fraud"`
	Unverified *struct {
		Claims *Claims `json:"claims"`
	} `json:"unverified_claims"`
}

// Limits on values, against absurd answers.
const (
	maxString   = 1024
	maxAccounts = 100
)

// parseUserinfo reads /userinfo's answer: verified claims, fraud and
// unverified claims, apart.
func parseUserinfo(body []byte) (sub string, verified, unverified *Claims, fraud *Fraud, err error) {
	if !object(body) {
		return "", nil, nil, nil, errors.New("not a JSON object")
	}
	var u userinfo
	if err := json.Unmarshal(body, &u); err != nil {
		return "", nil, nil, nil, errors.New("a member has the wrong type")
	}
	if !token(u.Subject, 255) {
		return "", nil, nil, nil, errors.New("sub is missing or not an identifier")
	}
	if err := u.Claims.check(true); err != nil {
		return "", nil, nil, nil, err
	}
	if u.Unverified != nil && u.Unverified.Claims != nil {
		if err := u.Unverified.Claims.check(false); err != nil {
			return "", nil, nil, nil, fmt.Errorf("unverified_claims: %w", err)
		}
		unverified = u.Unverified.Claims
	}
	if u.Fraud != nil {
		if err := u.Fraud.check(); err != nil {
			return "", nil, nil, nil, err
		}
	}
	c := u.Claims
	return u.Subject, &c, unverified, u.Fraud, nil
}

// check bounds the claims' sizes; a verified birthdate must be a date.
func (c *Claims) check(verified bool) error {
	vals := []string{c.Name, c.GivenName, c.FamilyName, c.Email, c.Birthdate, c.PhoneNumber}
	if a := c.Address; a != nil {
		vals = append(vals, a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country)
	}
	for _, v := range vals {
		if len(v) > maxString {
			return errors.New("a claim is too long")
		}
	}
	if verified && c.Birthdate != "" && !date(c.Birthdate) {
		return errors.New("birthdate is not YYYY-MM-DD")
	}
	return nil
}

func (f *Fraud) check() error {
	if s := f.ActivityHistoryScore; s != nil && (*s < 0 || *s > 4) {
		return errors.New("fraud: activityHistoryScore out of range")
	}
	if s := f.IdentityFraudScore; s != nil && (*s < 0 || *s > 3) {
		return errors.New("fraud: identityFraudScore out of range")
	}
	return nil
}

// parseAgeVerification reads /ageverification's answer: at least one
// age_over_NN member, each a boolean.
func parseAgeVerification(body []byte) (AgeVerification, error) {
	if !object(body) {
		return nil, errors.New("not a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errors.New("not a JSON object")
	}
	out := AgeVerification{}
	for k, v := range m {
		n, ok := strings.CutPrefix(k, "age_over_")
		if !ok {
			continue
		}
		if n == "" || len(n) > 3 || strings.Trim(n, "0123456789") != "" {
			return nil, errors.New("an age_over member is not age_over_NN")
		}
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, errors.New("an age_over member is not a boolean")
		}
		out[k] = b
	}
	if len(out) == 0 {
		return nil, errors.New("no age_over member")
	}
	return out, nil
}

// parseAccounts reads /accounts's answer, a JSON array of accounts, and
// checks each identifier against its scheme.
func parseAccounts(body []byte) ([]Account, error) {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '[' {
		return nil, errors.New("not a JSON array")
	}
	var accts []Account
	if err := json.Unmarshal(body, &accts); err != nil {
		return nil, errors.New("an account is not the expected object")
	}
	if len(accts) > maxAccounts {
		return nil, fmt.Errorf("more than %d accounts", maxAccounts)
	}
	if accts == nil {
		accts = []Account{}
	}
	for i, a := range accts {
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("account %d: %w", i, err)
		}
	}
	return accts, nil
}

func (a *Account) check() error {
	for _, v := range []string{a.AccountID, a.Status, a.AccountType, a.AccountSubType, a.Nickname} {
		if len(v) > maxString {
			return errors.New("a member is too long")
		}
	}
	switch {
	case a.Currency != "" && !currency(a.Currency):
		return errors.New("currency is not an ISO 4217 code")
	case a.SortCode != "" && !digits(a.SortCode, 6, 6):
		return errors.New("sort_code is not 6 digits")
	case a.AccountNumber != "" && !digits(a.AccountNumber, 8, 10):
		return errors.New("account_number is not 8 to 10 digits")
	case (a.SortCode == "") != (a.AccountNumber == ""):
		return errors.New("sort_code and account_number come together")
	case a.IBAN != "" && !alnum(a.IBAN, 5, 30):
		return errors.New("iban is not up to 30 letters and digits")
	case a.BIC != "" && !(alnum(a.BIC, 8, 8) || alnum(a.BIC, 11, 11)):
		return errors.New("bic is not 8 or 11 letters and digits")
	}
	return nil
}

func object(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '{'
}

func date(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == 10
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func alnum(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('0' <= ch && ch <= '9' || 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z') {
			return false
		}
	}
	return true
}

func currency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// decimal accepts an optional minus sign, digits, and an optional
// fraction: "123.45", "-0.50", "1000".
func decimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	if len(s) > 32 || !digits(whole, 1, 32) {
		return false
	}
	return !dot || digits(frac, 1, 32)
}
