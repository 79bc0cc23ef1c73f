package demo

import (
	"encoding/json"
	"strings"

	"github.com/idconnect/idconnect"
)

// Provider is one button of the sign-up form: a provider configured at
// idconnect and the form section its data fills.
type Provider struct {
	// Name is the provider's name at idconnect: the button starts a login
	// at /demo/login/{Name}.
	Name string
	// Button is the button's label.
	Button string
	// Section is the ID of the form section the data fills (see sections).
	Section string
	// Source names the provider where a field says where it came from.
	Source string
	// Attributes are the data items (or scopes) the login asks for: only
	// what the form shows. Nil asks for the provider's configured default.
	Attributes []string
	// Purpose is shown on Myinfo's consent page; "" keeps the provider's.
	Purpose string
}

// StandardProviders are the buttons for the providers the embedded
// emulators run: Myinfo v3, Singpass FAPI 2.0 (its Myinfo app), OneID and
// Corppass (its Myinfo Business app).
// A new provider is a row here plus, for a new kind of data, a section.
func StandardProviders() []Provider {
	sg := []string{"name", "uinfin", "sex", "dob", "nationality", "regadd", "email", "mobileno"}
	return []Provider{
		{Name: "myinfo", Button: "Retrieve Myinfo with Singpass", Section: "sg", Source: "Myinfo", Attributes: sg, Purpose: "Opening an account (idconnect demo)"},
		{Name: "singpass", Button: "Retrieve Myinfo with Singpass (FAPI 2.0)", Section: "sg", Source: "Singpass", Attributes: sg},
		{Name: "oneid", Button: "Verify with OneID", Section: "uk", Source: "OneID", Attributes: []string{"profile", "date_of_birth", "address", "age_over_18"}},
		// Corppass (Myinfo Business) asks for its configured scopes.
		{Name: "corppass", Button: "Log in with Corppass", Section: "company", Source: "Corppass"},
	}
}

// result is what the demo reads of a handed-off result
// (GET /results/{handle}): the normalised person and the provider's model.
type result struct {
	Provider string            `json:"provider"`
	Person   *idconnect.Person `json:"person"`
	Entity   *idconnect.Entity `json:"entity"`
	Model    json.RawMessage   `json:"model"`
}

// section is one part of the form, filled by the providers that name it.
type section struct {
	ID     string
	Title  string
	Intro  string
	Fields []field
	// unverified lists the values the provider passed on without
	// verifying them, shown apart from the form; nil for none.
	unverified func(*result) []item
}

// field is one form control and where its value comes from.
type field struct {
	ID    string // the element id, unique on the page
	Label string
	// Kind is "text", "date", "email", "tel", "textarea", or "badge" (a
	// status, not an input). A date is a YYYY-MM-DD text input: a browser's
	// date input shows the locale's order, and 04/09/1982 is ambiguous.
	Kind         string
	Autocomplete string
	// Wide fields take a whole row: a company's name runs long.
	Wide  bool
	value func(*result) *idconnect.Field
}

// item is a labelled value, of the unverified list.
type item struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// sections are the form's sections, in page order.
func sections() []section {
	return []section{
		{
			ID: "sg", Title: "Your details", Intro: "Retrieve them from Myinfo, or type them in.",
			Fields: []field{
				{ID: "sg-name", Label: "Full name", Kind: "text", Autocomplete: "name", value: personField(func(p *idconnect.Person) *idconnect.Field { return p.Name })},
				{ID: "sg-uinfin", Label: "NRIC/FIN", Kind: "text", Autocomplete: "off", value: personField(func(p *idconnect.Person) *idconnect.Field { return p.IDNumber })},
				{ID: "sg-sex", Label: "Sex", Kind: "text", Autocomplete: "sex", value: described(func(p *idconnect.Person) *idconnect.Field { return p.Sex })},
				{ID: "sg-dob", Label: "Date of birth", Kind: "date", Autocomplete: "bday", value: personField(func(p *idconnect.Person) *idconnect.Field { return p.BirthDate })},
				{ID: "sg-nationality", Label: "Nationality", Kind: "text", Autocomplete: "off", value: described(func(p *idconnect.Person) *idconnect.Field { return p.Nationality })},
				{ID: "sg-regadd", Label: "Registered address", Kind: "textarea", Autocomplete: "street-address", value: addressField("registered", true)},
				{ID: "sg-email", Label: "Email", Kind: "email", Autocomplete: "email", value: personField(func(p *idconnect.Person) *idconnect.Field { return p.Email })},
				{ID: "sg-mobile", Label: "Mobile number", Kind: "tel", Autocomplete: "tel", value: phoneField("mobile")},
			},
		},
		{
			ID: "uk", Title: "UK identity", Intro: "Verified by your bank through OneID.",
			Fields: []field{
				{ID: "uk-name", Label: "Name (bank-verified)", Kind: "text", Autocomplete: "name", value: verifiedOnly(personField(func(p *idconnect.Person) *idconnect.Field { return p.Name }))},
				{ID: "uk-dob", Label: "Date of birth (bank-verified)", Kind: "date", Autocomplete: "bday", value: verifiedOnly(personField(func(p *idconnect.Person) *idconnect.Field { return p.BirthDate }))},
				{ID: "uk-address", Label: "Address (bank-verified)", Kind: "textarea", Autocomplete: "street-address", value: verifiedOnly(addressField("", false))},
				{ID: "uk-over18", Label: "Age", Kind: "badge", value: ageOver18},
			},
			unverified: oneIDUnverified,
		},
		companySection(),
	}
}

// personField reads one field of the normalised person.
func personField(get func(*idconnect.Person) *idconnect.Field) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		if r.Person == nil {
			return nil
		}
		return get(r.Person)
	}
}

// described shows a coded field by its description (MALE, SINGAPORE
// CITIZEN), or its code when it has none.
func described(get func(*idconnect.Person) *idconnect.Field) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		f := personField(get)(r)
		if f == nil || f.Description == "" {
			return f
		}
		return &idconnect.Field{Value: f.Description, Provenance: f.Provenance}
	}
}

// verifiedOnly drops a value the provider did not verify: it is shown
// apart, never in a verified field.
func verifiedOnly(get func(*result) *idconnect.Field) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		f := get(r)
		if f == nil || f.Provenance == nil || f.Provenance.Unverified {
			return nil
		}
		return f
	}
}

// addressField is the first address of the kind ("" for any), on lines.
// withCountry adds the country's name, for Singapore's registered address.
func addressField(kind string, withCountry bool) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		if r.Person == nil {
			return nil
		}
		for _, a := range r.Person.Addresses {
			if kind == "" || a.Kind == kind {
				text := formatAddress(a, withCountry)
				if text == "" {
					return nil
				}
				return &idconnect.Field{Value: text, Provenance: a.Provenance}
			}
		}
		return nil
	}
}

// formatAddress writes an address as a person reads it: Singapore's
// "319 ANCHORVALE DRIVE / #38-10 BUILDING / SINGAPORE 542319", a UK
// street, town, region and postcode, or the lines of a free-form one.
func formatAddress(a idconnect.Address, withCountry bool) string {
	if a.Format == "lines" {
		lines := a.Lines
		if withCountry && a.CountryName != "" {
			lines = append(lines[:len(lines):len(lines)], a.CountryName)
		}
		return strings.Join(lines, "\n")
	}
	var lines []string
	add := func(parts ...string) {
		var kept []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			lines = append(lines, strings.Join(kept, " "))
		}
	}
	// No "BLK" before the number: Myinfo's block is a house or building
	// number too, and a company's "BLK 21 PASIR PANJANG ROAD" misleads.
	add(a.Block, a.Street)
	unit := ""
	if a.Floor != "" || a.Unit != "" {
		unit = "#" + a.Floor + "-" + a.Unit
	}
	add(unit, a.Building)
	add(a.Locality)
	add(a.Region)
	if withCountry {
		add(a.CountryName, a.PostalCode)
	} else {
		add(a.PostalCode)
	}
	return strings.Join(lines, "\n")
}

// phoneField is the first phone of the kind: "+65 97399245".
func phoneField(kind string) func(*result) *idconnect.Field {
	return func(r *result) *idconnect.Field {
		if r.Person == nil {
			return nil
		}
		for _, p := range r.Person.Phones {
			if p.Kind == kind {
				return &idconnect.Field{Value: strings.TrimSpace(p.CountryCode + " " + p.Number), Provenance: p.Provenance}
			}
		}
		return nil
	}
}

// oneIDModel is the part of OneID's model the form reads.
type oneIDModel struct {
	Unverified      *oneIDClaims    `json:"unverified_claims"`
	AgeVerification map[string]bool `json:"age_verification"`
}

type oneIDClaims struct {
	Name        string `json:"name"`
	Birthdate   string `json:"birthdate"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phone_number"`
	Address     *struct {
		StreetAddress string `json:"street_address"`
		Locality      string `json:"locality"`
		Region        string `json:"region"`
		PostalCode    string `json:"postal_code"`
		Country       string `json:"country"`
	} `json:"address"`
}

func (r *result) oneID() oneIDModel {
	var m oneIDModel
	_ = json.Unmarshal(r.Model, &m) // another provider's model leaves it empty
	return m
}

// ageOver18 is OneID's age check, verified by the bank.
func ageOver18(r *result) *idconnect.Field {
	over, ok := r.oneID().AgeVerification["age_over_18"]
	if !ok {
		return nil
	}
	text := "Under 18"
	if over {
		text = "Over 18"
	}
	return &idconnect.Field{Value: text, Provenance: &idconnect.Provenance{Source: "oneid:verified"}}
}

// oneIDUnverified lists what the person typed into OneID, unverified.
func oneIDUnverified(r *result) []item {
	c := r.oneID().Unverified
	if c == nil {
		return nil
	}
	var out []item
	for _, it := range []item{{"Name", c.Name}, {"Date of birth", c.Birthdate}, {"Email", c.Email}, {"Phone", c.PhoneNumber}} {
		if it.Value != "" {
			out = append(out, it)
		}
	}
	if a := c.Address; a != nil {
		text := formatAddress(idconnect.Address{Street: a.StreetAddress, Locality: a.Locality, Region: a.Region, PostalCode: a.PostalCode}, false)
		if text != "" {
			out = append(out, item{"Address", strings.ReplaceAll(text, "\n", ", ")})
		}
	}
	return out
}

// sourceText says where a value comes from, for the note under its field:
// "Government-verified · Myinfo". Myinfo's sources are "1" (government-
// verified), "2" (provided by the person), "3" (not applicable) and "4"
// (verified by Singpass).
func sourceText(provider string, p *idconnect.Provenance) (text string, verified bool) {
	if p == nil {
		return "From " + provider, false
	}
	switch p.Source {
	case "1":
		return "Government-verified · " + provider, true
	case "4":
		return "Verified by Singpass · " + provider, true
	case "2":
		return "Provided by the person, not verified · " + provider, false
	case "3":
		return "Not applicable · " + provider, false
	case "oneid:verified":
		return "Verified by the bank · " + provider, true
	}
	if p.Unverified {
		return "Not verified · " + provider, false
	}
	return "From " + provider, false
}
