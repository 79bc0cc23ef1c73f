package myinfo

import (
	"strings"

	"github.com/idconnect/idconnect"
)

// Normalize maps the person to the provider-neutral [idconnect.Person].
//
// uinfin, name, aliasname, dob, sex, nationality, birthcountry,
// residentialstatus and email become fields; mobileno and homeno become
// phones ("mobile", "home"); regadd, mailadd and billadd become addresses
// ("registered", "mailing", "billing"), structured for type "SG" and as lines
// for "Unformatted". Every field carries its provenance. Items that are
// missing, marked unavailable or empty ("") are left out. Normalize is safe
// on a nil *Person, which gives an empty person.
func (p *Person) Normalize() *idconnect.Person {
	out := new(idconnect.Person)
	if p == nil {
		return out
	}
	out.IDNumber = valueField(p.UINFIN)
	out.Name = valueField(p.Name)
	out.AliasName = valueField(p.AliasName)
	out.BirthDate = valueField(p.DOB)
	out.Sex = codeField(p.Sex)
	out.Nationality = codeField(p.Nationality)
	out.BirthCountry = codeField(p.BirthCountry)
	out.ResidentialStatus = codeField(p.ResidentialStatus)
	out.Email = valueField(p.Email)
	for _, ph := range []struct {
		kind  string
		phone *Phone
	}{{"mobile", p.MobileNo}, {"home", p.HomeNo}} {
		if n, ok := phone(ph.kind, ph.phone); ok {
			out.Phones = append(out.Phones, n)
		}
	}
	for _, ad := range []struct {
		kind string
		addr *Address
	}{{"registered", p.RegAdd}, {"mailing", p.MailAdd}, {"billing", p.BillAdd}} {
		if a, ok := address(ad.kind, ad.addr); ok {
			out.Addresses = append(out.Addresses, a)
		}
	}
	return out
}

// provenance converts Myinfo's metadata; nil when there is none.
func provenance(m Meta) *idconnect.Provenance {
	if m.Source == "" && m.Classification == "" && m.LastUpdated == "" {
		return nil
	}
	return &idconnect.Provenance{
		Source:         m.Source,
		Classification: m.Classification,
		LastUpdated:    m.LastUpdated,
	}
}

func valueField(v *Value[string]) *idconnect.Field {
	s, ok := v.Get()
	if !ok || s == "" {
		return nil
	}
	return &idconnect.Field{Value: s, Provenance: provenance(v.Meta)}
}

func codeField(c *Code) *idconnect.Field {
	code, ok := c.Get()
	if !ok || (code == "" && c.Desc == "") {
		return nil
	}
	return &idconnect.Field{Value: code, Description: c.Desc, Provenance: provenance(c.Meta)}
}

// text is the value of a nested item, "" when it is missing or unavailable.
func text(v *Value[string]) string {
	s, _ := v.Get()
	return s
}

func phone(kind string, ph *Phone) (idconnect.Phone, bool) {
	if ph == nil || ph.Unavailable || text(ph.Number) == "" {
		return idconnect.Phone{}, false
	}
	return idconnect.Phone{
		Kind:        kind,
		CountryCode: text(ph.Prefix) + text(ph.AreaCode),
		Number:      text(ph.Number),
		Provenance:  provenance(ph.Meta),
	}, true
}

func address(kind string, a *Address) (idconnect.Address, bool) {
	if a == nil || a.Unavailable {
		return idconnect.Address{}, false
	}
	out := idconnect.Address{Kind: kind, Provenance: provenance(a.Meta)}
	if c, ok := a.Country.Get(); ok {
		out.Country = c
		out.CountryName = a.Country.Desc
	}
	if a.Unformatted() {
		out.Format = "lines"
		for _, l := range []*Value[string]{a.Line1, a.Line2} {
			if s := strings.TrimSpace(text(l)); s != "" {
				out.Lines = append(out.Lines, s)
			}
		}
		return out, len(out.Lines) > 0
	}
	out.Format = "structured"
	out.Block = text(a.Block)
	out.Building = text(a.Building)
	out.Floor = text(a.Floor)
	out.Unit = text(a.Unit)
	out.Street = text(a.Street)
	out.PostalCode = text(a.Postal)
	empty := out.Block == "" && out.Building == "" && out.Floor == "" &&
		out.Unit == "" && out.Street == "" && out.PostalCode == ""
	return out, !empty
}
