package idconnect

// Person is the normalised person shape shared by every provider. A field the
// provider did not return, marked unavailable, or sent empty is the zero
// value (nil for pointers); the provider's own detail is kept in [Result.Raw] and
// [Result.Model].
type Person struct {
	// IDNumber is the national identity number (NRIC/FIN for Singapore).
	IDNumber          *Field    `json:"id_number,omitempty"`
	Name              *Field    `json:"name,omitempty"`
	AliasName         *Field    `json:"alias_name,omitempty"`
	BirthDate         *Field    `json:"birth_date,omitempty"` // YYYY-MM-DD
	Sex               *Field    `json:"sex,omitempty"`        // code as the provider gives it (M, F, U)
	Nationality       *Field    `json:"nationality,omitempty"`
	BirthCountry      *Field    `json:"birth_country,omitempty"`
	ResidentialStatus *Field    `json:"residential_status,omitempty"`
	Email             *Field    `json:"email,omitempty"`
	Phones            []Phone   `json:"phones,omitempty"`
	Addresses         []Address `json:"addresses,omitempty"`
}

// Field is one value with its provenance. Value is the plain value (for a
// coded item, its code); Description is the code's description, if any.
type Field struct {
	Value       string      `json:"value"`
	Description string      `json:"description,omitempty"`
	Provenance  *Provenance `json:"provenance,omitempty"`
}

// Provenance says where a value comes from, as the provider reports it.
type Provenance struct {
	Source         string `json:"source,omitempty"`         // Myinfo: 1 government-verified, 2 user provided, 3 field, 4 verified by a service
	Classification string `json:"classification,omitempty"` // Myinfo: C (confidential)
	LastUpdated    string `json:"last_updated,omitempty"`   // YYYY-MM-DD
	// Unverified marks a value the provider passed on without verifying it
	// (OneID's unverified_claims): shown, never to be trusted as verified.
	Unverified bool `json:"unverified,omitempty"`
}

// Phone is a telephone number split as the provider gives it.
type Phone struct {
	Kind        string      `json:"kind"`                   // "mobile", "home", …
	CountryCode string      `json:"country_code,omitempty"` // with its prefix, e.g. "+65"
	Number      string      `json:"number"`
	Provenance  *Provenance `json:"provenance,omitempty"`
}

// Address is a postal address. Structured addresses fill the structured
// fields; free-form ones (Myinfo "Unformatted") fill Lines.
type Address struct {
	Kind        string      `json:"kind"`   // "registered", "mailing", …
	Format      string      `json:"format"` // "structured" or "lines"
	Block       string      `json:"block,omitempty"`
	Building    string      `json:"building,omitempty"`
	Floor       string      `json:"floor,omitempty"`
	Unit        string      `json:"unit,omitempty"`
	Street      string      `json:"street,omitempty"`
	PostalCode  string      `json:"postal_code,omitempty"`
	Locality    string      `json:"locality,omitempty"`
	Region      string      `json:"region,omitempty"`
	Lines       []string    `json:"lines,omitempty"`
	Country     string      `json:"country,omitempty"` // ISO-style code where given
	CountryName string      `json:"country_name,omitempty"`
	Provenance  *Provenance `json:"provenance,omitempty"`
}
