package singpass

import (
	"encoding/json"
	"strings"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Flatten implements idconnect.Flattener: the seed service's sodata. For a
// Myinfo app it is myinfo.Flatten over person_info, one entry per data
// item the login asked for (a field scope such as "cpfbalances.oa" names
// its item, "cpfbalances"). For a Login app it is the asked-for
// sub_attributes as plain strings under Myinfo's names: user.identity as
// "uinfin", then "name", "email" and "mobileno".
//
// A Corppass login has no sodata (nil): its subject is an entity, which
// the seed's person shape cannot hold.
func (c *Client) Flatten(login *idconnect.Login, res *idconnect.Result) (json.RawMessage, error) {
	if c.prof.entity {
		return nil, nil
	}
	if c.cfg.App == Login {
		return flattenLogin(login.Attributes, res.Raw)
	}
	return myinfo.Flatten(Items(login.Attributes), res.Raw)
}

// Items returns the data items that scopes ask for: each scope's part
// before the first '.', once each, in order.
func Items(scopes []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range scopes {
		item, _, _ := strings.Cut(s, ".")
		if item != "" && item != "openid" && !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out
}
