package oneid

import (
	"strings"

	"github.com/idconnect/idconnect"
)

// Provenance sources of the normalised Person's values.
const (
	// SourceVerified: OneID verified the value with the person's bank.
	SourceVerified = "oneid:verified"
	// SourceUnverified: the person typed the value in (OneID's
	// unverified_claims); OneID did not verify it.
	SourceUnverified = "oneid:unverified"
)

// Kinds of the normalised Person's phones and addresses. OneID does not
// say which kind of number or address it returns.
const (
	PhoneKind   = "phone"
	AddressKind = "residential"
)

// Person is the normalised view of d: name, birth date, email, phone and
// address. Each value comes from the verified claims; only where OneID
// sent no verified value does an unverified one appear, and then its
// Provenance.Source is SourceUnverified (verified ones carry
// SourceVerified), so an unverified value never takes a verified one's
// place. An address's country "UK" becomes the ISO 3166 code "GB".
func (d *Data) Person() *idconnect.Person {
	p := new(idconnect.Person)
	if d == nil {
		return p
	}
	v, u := d.Userinfo, d.Unverified
	if v == nil {
		v = &Claims{}
	}
	if u == nil {
		u = &Claims{}
	}
	p.Name = pick(v.Name, u.Name, nil)
	p.BirthDate = pick(v.Birthdate, u.Birthdate, date)
	p.Email = pick(v.Email, u.Email, nil)
	switch {
	case v.PhoneNumber != "":
		p.Phones = []idconnect.Phone{{Kind: PhoneKind, Number: v.PhoneNumber, Provenance: prov(SourceVerified)}}
	case u.PhoneNumber != "":
		p.Phones = []idconnect.Phone{{Kind: PhoneKind, Number: u.PhoneNumber, Provenance: prov(SourceUnverified)}}
	}
	if a, ok := address(v.Address, SourceVerified); ok {
		p.Addresses = []idconnect.Address{a}
	} else if a, ok := address(u.Address, SourceUnverified); ok {
		p.Addresses = []idconnect.Address{a}
	}
	return p
}

func prov(source string) *idconnect.Provenance {
	return &idconnect.Provenance{Source: source, Unverified: source == SourceUnverified}
}

// pick returns the verified value, else the unverified one (if valid
// says so), each marked with its source.
func pick(verified, unverified string, valid func(string) bool) *idconnect.Field {
	if verified != "" {
		return &idconnect.Field{Value: verified, Provenance: prov(SourceVerified)}
	}
	if unverified != "" && (valid == nil || valid(unverified)) {
		return &idconnect.Field{Value: unverified, Provenance: prov(SourceUnverified)}
	}
	return nil
}

func address(a *Address, source string) (idconnect.Address, bool) {
	if a == nil || *a == (Address{}) {
		return idconnect.Address{}, false
	}
	country := a.Country
	if strings.EqualFold(country, "UK") {
		country = "GB"
	}
	return idconnect.Address{
		Kind:       AddressKind,
		Format:     "structured",
		Street:     a.StreetAddress,
		Locality:   a.Locality,
		Region:     a.Region,
		PostalCode: a.PostalCode,
		Country:    country,
		Provenance: prov(source),
	}, true
}
