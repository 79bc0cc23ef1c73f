package idconnect

// Entity is the normalised business entity (a company, a sole
// proprietorship, …) a person logged in for, as Corppass reports it: the
// login's subject is the entity, and the person acting for it is in
// [Result.Person]. A field the provider did not return is the zero value;
// the provider's own detail stays in [Result.Raw] and [Result.Model].
type Entity struct {
	// RegistrationNumber is the entity's identifier: a UEN for Singapore
	// entities, or the identifier Corppass issues to others.
	RegistrationNumber *Field `json:"registration_number,omitempty"`
	// RegistrationType says which kind of number RegistrationNumber is
	// (Corppass: UEN, NON-UEN or GSTN).
	RegistrationType *Field `json:"registration_type,omitempty"`
	Name             *Field `json:"name,omitempty"`
	// Type is the entity's legal form, coded as the provider gives it
	// (Myinfo Business: LC "Local Company", BN "Business", …).
	Type *Field `json:"type,omitempty"`
	// Status is the registration status as the provider spells it
	// (Registered, Deregistered, Live, …).
	Status                 *Field `json:"status,omitempty"`
	CountryOfIncorporation *Field `json:"country_of_incorporation,omitempty"`
	RegistrationDate       *Field `json:"registration_date,omitempty"` // YYYY-MM-DD
	// Addresses are the entity's addresses (Kind "registered").
	Addresses []Address `json:"addresses,omitempty"`
	// Appointments are the entity's officers: directors, secretaries,
	// owners, partners.
	Appointments []Appointment `json:"appointments,omitempty"`
	// Shareholders are the entity's shareholders.
	Shareholders []Shareholding `json:"shareholders,omitempty"`
	// Roles are what the acting person may do for the entity in the
	// relying party's service (Corppass auth_info).
	Roles []Role `json:"roles,omitempty"`
}

// Party is a person or an entity named in another entity's records: an
// officer or a shareholder.
type Party struct {
	// Kind is "person" or "entity".
	Kind string `json:"kind"`
	Name *Field `json:"name,omitempty"`
	// IDNumber is a person's identity number (NRIC, FIN, passport) or an
	// entity's registration number.
	IDNumber    *Field `json:"id_number,omitempty"`
	Nationality *Field `json:"nationality,omitempty"` // persons only
}

// Appointment is one officer of an entity.
type Appointment struct {
	Holder   Party  `json:"holder"`
	Position *Field `json:"position,omitempty"` // coded: Director, Secretary, Owner, …
	Date     *Field `json:"date,omitempty"`     // appointed on, YYYY-MM-DD
}

// Shareholding is one shareholder's holding in an entity.
type Shareholding struct {
	Holder Party `json:"holder"`
	// Shares is the number of shares held, as the provider writes it.
	Shares    *Field `json:"shares,omitempty"`
	ShareType *Field `json:"share_type,omitempty"`
	Currency  *Field `json:"currency,omitempty"`
}

// Role is one authorisation the acting person holds for the entity in the
// relying party's service, as the entity's administrator assigned it.
type Role struct {
	// Service is the provider's identifier of the digital service.
	Service string `json:"service,omitempty"`
	Role    string `json:"role"`
	// SubEntity is the sub-unit the role is limited to, if any.
	SubEntity string `json:"sub_entity,omitempty"`
	// Start and End bound the role's validity (YYYY-MM-DD).
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Parameters are the service-specific settings of the role.
	Parameters map[string]string `json:"parameters,omitempty"`
	// ThirdParty marks a role held for a client entity (Corppass
	// tp_auth_info, a tax agent say); ClientID is that client's
	// identifier.
	ThirdParty bool   `json:"third_party,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
}
