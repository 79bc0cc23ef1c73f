package singpass

import (
	"net/http"
	"strings"
)

// loginScopes are a Login app's scopes besides openid; they fill the ID
// token's sub_attributes.
var loginScopes = []string{"user.identity", "name", "email", "mobileno"}

// myinfoItems are the Myinfo v3 data items (the Person API's attributes),
// which are also the Myinfo v5 scope names. Items of a configured persona
// are known too. A dataset may also be requested per field with a dotted
// scope such as cpfbalances.oa or vehicles.make.
var myinfoItems = [...]string{
	"partialuinfin", "uinfin", "name", "hanyupinyinname", "aliasname",
	"hanyupinyinaliasname", "marriedname", "sex", "race", "secondaryrace",
	"dialect", "nationality", "dob", "birthcountry", "residentialstatus",
	"passportnumber", "passportexpirydate", "regadd", "housingtype", "hdbtype",
	"hdbownership", "ownerprivate", "email", "mobileno", "marital",
	"marriagecertno", "countryofmarriage", "marriagedate", "divorcedate",
	"childrenbirthrecords", "sponsoredchildrenrecords", "occupation",
	"employment", "passtype", "passstatus", "passexpirydate",
	"employmentsector", "vehicles", "drivinglicence", "academicqualifications",
	"merdekagen", "pioneergen", "noa-basic", "noa", "noahistory-basic",
	"noahistory", "cpfcontributions", "cpfemployers", "cpfbalances",
	"cpfhousingwithdrawal", "cpfhomeprotectionscheme",
	"cpfdependantprotectionscheme", "cpfinvestmentscheme",
}

func badScope(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_scope", desc}
}

// checkScopes splits a PAR scope parameter and checks it for the client:
// openid is required; a Login app may add user.identity, name, email and
// mobileno; a Myinfo app may add Myinfo data items, or dotted field scopes
// of them; every scope must be approved for the app. Duplicates are dropped.
func (s *Server) checkScopes(c *client, scope string) ([]string, *oauthError) {
	var out []string
	seen := map[string]bool{}
	for _, sc := range strings.Fields(scope) {
		if !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	if !seen["openid"] {
		return nil, badScope(`scope must include "openid", space-separated from the other scopes (such as "openid uinfin name")`)
	}
	for _, sc := range out {
		if sc == "openid" {
			continue
		}
		if s.cfg.Service == Corppass {
			if e := s.checkCorppassScope(c, sc); e != nil {
				return nil, e
			}
		} else {
			switch c.Kind {
			case LoginApp:
				if !isLoginScope(sc) {
					return nil, badScope("scope " + quote(sc) + " is not a Login app scope: a Login app requests openid " +
						"plus user.identity, name, email or mobileno (Myinfo data items need a Myinfo app)")
				}
			default:
				if sc == "user.identity" {
					return nil, badScope(`scope "user.identity" is for Login apps only: a Myinfo app requests uinfin and reads it from userinfo`)
				}
				if !s.isMyinfoScope(sc) {
					return nil, badScope("scope " + quote(sc) + " is not a Myinfo data item: use the v3 attribute names " +
						"(uinfin, name, regadd, …) or a dotted field scope such as cpfbalances.oa")
				}
			}
		}
		if c.approved != nil && !c.approved[sc] {
			return nil, badScope("scope " + quote(sc) + " is not approved for this app")
		}
	}
	return out, nil
}

func isLoginScope(sc string) bool {
	for _, l := range loginScopes {
		if sc == l {
			return true
		}
	}
	return false
}

// isMyinfoScope reports whether sc is a known data item, or item.field with
// a field of lowercase letters, digits, '-', '_' and '.'.
func (s *Server) isMyinfoScope(sc string) bool {
	item, field, dotted := strings.Cut(sc, ".")
	if !s.known[item] {
		return false
	}
	if !dotted {
		return true
	}
	if field == "" || len(field) > 100 {
		return false
	}
	for _, r := range field {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// itemsOf returns the data items the scopes grant: each scope's part before
// its first dot, in order, without duplicates, openid and Login scopes
// aside.
func itemsOf(scopes []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range scopes {
		if sc == "openid" || sc == "user.identity" {
			continue
		}
		item, _, _ := strings.Cut(sc, ".")
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out
}
