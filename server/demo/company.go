package demo

import (
	"strings"

	"github.com/idconnect/idconnect"
)

// companySection is the form's company part, filled by Corppass: the
// entity the person logged in for (Result.Entity) and the person's own
// position in it.
func companySection() section {
	return section{
		ID: "company", Title: "Your company", Intro: "Retrieve it from Corppass (Myinfo Business), or type it in.",
		Fields: []field{
			{ID: "company-name", Label: "Company name", Kind: "text", Autocomplete: "organization", Wide: true, value: entityField(func(e *idconnect.Entity) *idconnect.Field { return e.Name })},
			{ID: "company-uen", Label: "UEN", Kind: "text", Autocomplete: "off", value: entityField(func(e *idconnect.Entity) *idconnect.Field { return e.RegistrationNumber })},
			{ID: "company-type", Label: "Entity type", Kind: "text", Autocomplete: "off", value: describedEntity(func(e *idconnect.Entity) *idconnect.Field { return e.Type })},
			{ID: "company-status", Label: "Registration status", Kind: "text", Autocomplete: "off", value: describedEntity(func(e *idconnect.Entity) *idconnect.Field { return e.Status })},
			{ID: "company-registered", Label: "Registered on", Kind: "date", Autocomplete: "off", value: entityField(func(e *idconnect.Entity) *idconnect.Field { return e.RegistrationDate })},
			{ID: "company-address", Label: "Registered address", Kind: "textarea", Autocomplete: "street-address", value: entityAddress},
			{ID: "company-officer", Label: "Your name", Kind: "text", Autocomplete: "name", value: personField(func(p *idconnect.Person) *idconnect.Field { return p.Name })},
			{ID: "company-position", Label: "Your position", Kind: "text", Autocomplete: "organization-title", value: ownPosition},
		},
	}
}

// entityField reads one field of the normalised entity.
func entityField(get func(*idconnect.Entity) *idconnect.Field) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		if r.Entity == nil {
			return nil
		}
		return get(r.Entity)
	}
}

// describedEntity shows a coded entity field by its description (LOCAL
// COMPANY, REGISTERED), or its value when it has none.
func describedEntity(get func(*idconnect.Entity) *idconnect.Field) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		f := entityField(get)(r)
		if f == nil || f.Description == "" {
			return f
		}
		return &idconnect.Field{Value: f.Description, Provenance: f.Provenance}
	}
}

// entityAddress is the entity's registered address, on lines.
func entityAddress(r *result) *idconnect.Field {
	if r.Entity == nil {
		return nil
	}
	for _, a := range r.Entity.Addresses {
		if a.Kind == "registered" {
			if text := formatAddress(a, true); text != "" {
				return &idconnect.Field{Value: text, Provenance: a.Provenance}
			}
		}
	}
	return nil
}

// ownPosition is the acting person's position in the entity, from its
// appointments (matched by identity number): "DIRECTOR".
func ownPosition(r *result) *idconnect.Field {
	if r.Entity == nil || r.Person == nil || r.Person.IDNumber == nil {
		return nil
	}
	for _, a := range r.Entity.Appointments {
		if a.Holder.Kind != "person" || a.Holder.IDNumber == nil || a.Position == nil ||
			!strings.EqualFold(a.Holder.IDNumber.Value, r.Person.IDNumber.Value) {
			continue
		}
		v := a.Position.Description
		if v == "" {
			v = a.Position.Value
		}
		return &idconnect.Field{Value: v, Provenance: a.Position.Provenance}
	}
	return nil
}
