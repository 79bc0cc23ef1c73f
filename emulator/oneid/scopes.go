package oneid

import (
	"errors"
	"strings"
)

// scopes are OneID's scopes (research §1.3, docs.oneid.uk/guides/scopes),
// with what the consent page says each shares.
var scopes = []struct{ name, says string }{
	{"openid", "your OneID identifier"},
	{"profile", "your name"},
	{"date_of_birth", "your date of birth"},
	{"address", "your address"},
	{"email", "your email address"},
	{"phone", "your phone number"},
	{"age_over_18", "whether you are over 18"},
	{"accounts", "your account details (sort code, account number, IBAN)"},
	{"accounts.balances", "your account balances"},
	{"accounts.bank_address", "your bank's address"},
	{"fraud", "the results of fraud checks about you"},
	{"pep_and_sanctions", "politically exposed person and sanctions checks"},
	{"idscan", "your identity document scan"},
	{"dbs", "a DBS identity check"},
	{"rtw", "a right-to-work check"},
}

// productScopePrefix starts the product scopes some clients send (such as
// product:age_check, research §1.3); they are accepted and shown, and
// grant no data.
const productScopePrefix = "product:"

// scopeClaims maps each scope to the userinfo members it releases.
var scopeClaims = map[string][]string{
	"profile":       {"name", "given_name", "family_name"},
	"date_of_birth": {"birthdate"},
	"address":       {"address"},
	"email":         {"email"},
	"phone":         {"phone_number"},
	"fraud":         {"fraud"},
}

func knownScope(sc string) bool {
	if strings.HasPrefix(sc, productScopePrefix) && len(sc) > len(productScopePrefix) {
		return true
	}
	for _, s := range scopes {
		if s.name == sc {
			return true
		}
	}
	return false
}

func scopeList() []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.name
	}
	return out
}

// scopeSays is what the consent page shows for sc.
func scopeSays(sc string) string {
	for _, s := range scopes {
		if s.name == sc {
			return s.says
		}
	}
	return "the product " + strings.TrimPrefix(sc, productScopePrefix)
}

var (
	errScopeEmpty = errors.New("scope is empty")
	errScopeChar  = errors.New("a scope holds a character outside RFC 6749's scope-token set")
)

// parseScope splits a space-separated scope parameter (RFC 6749 §3.3) into
// its tokens, dropping repeats and keeping order. Runs of spaces are
// tolerated; any other character outside %x21 / %x23-5B / %x5D-7E is
// refused.
func parseScope(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			continue
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return nil, errScopeChar
			}
		}
		if !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	if len(out) == 0 {
		return nil, errScopeEmpty
	}
	return out, nil
}

func hasScope(granted []string, sc string) bool {
	for _, g := range granted {
		if g == sc {
			return true
		}
	}
	return false
}
