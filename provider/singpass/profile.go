package singpass

import (
	"fmt"
	"slices"
)

// Service is the identity service a Client is registered with. Singpass
// and Corppass run the same FAPI 2.0 profile (PAR, PKCE, DPoP,
// private_key_jwt, JWE ID token and userinfo); what differs is data (the
// issuers, the scopes, the subject) and two small hooks, kept in a profile
// per service.
type Service int

const (
	// Singpass is Singapore's personal identity: the ID token's subject
	// is the person.
	Singpass Service = iota
	// Corppass is Singapore's business identity: the ID token's subject
	// is the entity (sub_type "entity"), the person acting for it is in
	// act. Its App Login is a Corppass Login app; its App Myinfo is a
	// Myinfo Business (v3) app, whose userinfo holds entity_info,
	// person_info, corppass_info, auth_info and tp_auth_info.
	Corppass
)

func (s Service) String() string {
	if p := s.profile(); p != nil {
		return p.label
	}
	return fmt.Sprintf("Service(%d)", int(s))
}

// Issuers of Corppass's FAPI 2.0 API: the host itself, with no /fapi path
// (the legacy profile has the same issuer and discovery document).
const (
	CorppassStaging    = "https://stg-id.corppass.gov.sg"
	CorppassProduction = "https://id.corppass.gov.sg"
)

// Default scopes of Corppass apps, used when Config.Scopes is empty.
var (
	// DefaultCorppassLoginScopes fill the ID token: the entity's identity,
	// name and status in sub_attributes, the person's identity and name
	// in act.sub_attributes.
	DefaultCorppassLoginScopes = []string{
		"entity.identity", "entity.basic_profile.name", "entity.basic_profile.uen_status",
		"user.identity", "user.name",
	}
	// DefaultMyinfoBusinessScopes ask for the entity's profile, address,
	// appointments and shareholders, the person's identity and name, and
	// the person's roles for the service (auth_info).
	DefaultMyinfoBusinessScopes = []string{
		"entity.basic_profile.name", "entity.basic_profile.registration_number", "entity.basic_profile.type",
		"entity.basic_profile.uen_status", "entity.basic_profile.registration_date",
		"entity.basic_profile.country_of_incorporation", "entity.address.postal_code",
		"entity.appointments.position", "entity.shareholders.allocation",
		"user.uinfin", "user.name", "authinfo",
	}
)

// profile is what one Service changes in the shared FAPI client.
type profile struct {
	name  string // the default Config.Name
	label string // the service in messages
	// myinfoScopes and loginScopes are the default scopes per App.
	myinfoScopes, loginScopes []string
	// contextTypes are the authentication_context_type values a Login
	// app may send; nil allows any of Singpass's form (A-Z, 0-9, _).
	contextTypes []string
	// entity: the ID token's subject is an entity and the person is in
	// act; userinfo carries the Myinfo Business blocks, each possibly a
	// JSON string holding the block. A Login app also calls userinfo when
	// it asks for roles (authinfo, tpauthinfo).
	entity bool
	// signedUserinfo: userinfo may be a bare JWS. Corppass's userinfo page
	// says "a Signed JWT (JWS)" while staging sends JWE(JWS), so both are
	// taken unless Config.RequireEncryptedUserinfo.
	signedUserinfo bool
}

// profiles is indexed by Service.
var profiles = [...]profile{
	Singpass: {
		name: "singpass", label: "Singpass",
		myinfoScopes: DefaultMyinfoScopes,
		loginScopes:  DefaultLoginScopes,
	},
	Corppass: {
		name: "corppass", label: "Corppass",
		myinfoScopes:   DefaultMyinfoBusinessScopes,
		loginScopes:    DefaultCorppassLoginScopes,
		contextTypes:   []string{DefaultAuthenticationContextType},
		entity:         true,
		signedUserinfo: true,
	},
}

// profile returns the service's profile, nil for an unknown service.
func (s Service) profile() *profile {
	if s < 0 || int(s) >= len(profiles) {
		return nil
	}
	return &profiles[s]
}

// defaultScopes are the scopes of app when the configuration names none.
func (p *profile) defaultScopes(app App) []string {
	if app == Login {
		return slices.Clone(p.loginScopes)
	}
	return slices.Clone(p.myinfoScopes)
}

// allowsContextType reports whether a Login app of this service may send
// the authentication_context_type v.
func (p *profile) allowsContextType(v string) bool {
	if p.contextTypes != nil {
		return slices.Contains(p.contextTypes, v)
	}
	return contextType(v)
}
