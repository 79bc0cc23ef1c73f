package singpass

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/idconnect/idconnect/provider/myinfo"
)

// EntityIDToken is the verified ID token of a Corppass app: the entity is
// the subject, the person acting for it is Act. It is the Result.Model of
// a Corppass Login app (with the roles when it asked for authinfo or
// tpauthinfo), and part of a Myinfo Business app's [Business].
type EntityIDToken struct {
	// Subject is the entity: its UEN, or an identifier Corppass issued
	// to an entity without one.
	Subject string `json:"sub"`
	// SubType is "entity".
	SubType string `json:"sub_type,omitempty"`
	// SubAttributes describe the entity, for the entity.* scopes granted.
	SubAttributes *EntityAttributes `json:"sub_attributes,omitempty"`
	// Act is the person acting for the entity: a Singpass-style subject
	// (sub a UUID, sub_type "user") whose SubAttributes hold the user.*
	// scopes granted. Corppass always sends it.
	Act *IDToken `json:"act"`
	AMR []string `json:"amr,omitempty"`
	ACR string   `json:"acr,omitempty"`
	// AuthInfo and TPAuthInfo are the person's roles from userinfo, for a
	// Login app that asked for authinfo or tpauthinfo.
	AuthInfo   *AuthInfo   `json:"auth_info,omitempty"`
	TPAuthInfo *TPAuthInfo `json:"tp_auth_info,omitempty"`
}

// EntityAttributes is the entity's sub_attributes in a Corppass ID token.
type EntityAttributes struct {
	// EntityType is UEN, NON-UEN or GSTN (scope entity.identity).
	EntityType      string `json:"entity_type,omitempty"`
	EntityRegNumber string `json:"entity_reg_number,omitempty"`
	// EntityCOI is the two-letter country of incorporation.
	EntityCOI  string `json:"entity_coi,omitempty"`
	EntityName string `json:"entity_name,omitempty"` // entity.basic_profile.name
	// EntityUENStatus is the registration status as Corppass spells it
	// (Registered, De-Registered or Deregistered: sources differ, so it
	// is kept as sent). Scope entity.basic_profile.uen_status.
	EntityUENStatus string `json:"entity_uen_status,omitempty"`
}

// Business is the Result.Model of a Myinfo Business app: the ID token and
// userinfo's blocks, each decoded whether it arrived as an object or as a
// JSON string holding one (as Corppass staging sends them).
type Business struct {
	IDToken *EntityIDToken `json:"id_token"`
	// EntityInfo is the entity's Myinfo Business data (entity.* scopes).
	EntityInfo *EntityInfo `json:"entity_info,omitempty"`
	// PersonInfo is the acting person's Myinfo data (user.* scopes), its
	// items under their Myinfo names without the user. prefix.
	PersonInfo   *myinfo.Person `json:"person_info,omitempty"`
	CorppassInfo *CorppassInfo  `json:"corppass_info,omitempty"`
	AuthInfo     *AuthInfo      `json:"auth_info,omitempty"`
	TPAuthInfo   *TPAuthInfo    `json:"tp_auth_info,omitempty"`
}

// EntityInfo is userinfo's entity_info block. Items follow Myinfo's
// envelope ({value} or {code, desc} with classification, source and
// lastupdated); the lists Corppass sends beyond appointments and
// shareholders are kept as they came.
type EntityInfo struct {
	BasicProfile *BasicProfile       `json:"basic_profile,omitempty"`
	Address      *myinfo.Address     `json:"address,omitempty"`
	History      json.RawMessage     `json:"history,omitempty"`
	Appointments []EntityAppointment `json:"appointments,omitempty"`
	Shareholders []EntityShareholder `json:"shareholders,omitempty"`
	Capitals     []json.RawMessage   `json:"capitals,omitempty"`
	Financials   []json.RawMessage   `json:"financials,omitempty"`
	Grants       []json.RawMessage   `json:"grants,omitempty"`
	Licences     []json.RawMessage   `json:"licences,omitempty"`
	Builders     []json.RawMessage   `json:"builders,omitempty"`
	Contractors  []json.RawMessage   `json:"contractors,omitempty"`
}

// BasicProfile is entity_info.basic_profile.
type BasicProfile struct {
	Name                   *myinfo.Value[string] `json:"name,omitempty"`
	RegistrationNumber     *myinfo.Value[string] `json:"registration_number,omitempty"`
	Type                   *myinfo.Code          `json:"type,omitempty"`
	CompanyType            *myinfo.Code          `json:"company_type,omitempty"`
	Constitution           *myinfo.Code          `json:"constitution,omitempty"`
	UENStatus              *myinfo.Code          `json:"uen_status,omitempty"`
	RegistrationDate       *myinfo.Value[string] `json:"registration_date,omitempty"`
	ExpiryDate             *myinfo.Value[string] `json:"expiry_date,omitempty"`
	CountryOfIncorporation *myinfo.Code          `json:"country_of_incorporation,omitempty"`
	PrimaryActivity        *myinfo.Code          `json:"primary_activity,omitempty"`
	SecondaryActivity      *myinfo.Code          `json:"secondary_activity,omitempty"`
	myinfo.Meta
}

// EntityAppointment is one entry of entity_info.appointments: a person
// (IndividualAppointment) or an entity (EntityAppointment) holding a
// position.
type EntityAppointment struct {
	Position              *myinfo.Code          `json:"position,omitempty"`
	Category              *myinfo.Code          `json:"category,omitempty"`
	Designation           *myinfo.Code          `json:"designation,omitempty"`
	AppointmentDate       *myinfo.Value[string] `json:"appointment_date,omitempty"`
	IndividualAppointment *IndividualParty      `json:"individual_appointment,omitempty"`
	EntityAppointment     *EntityParty          `json:"entity_appointment,omitempty"`
	myinfo.Meta
}

// EntityShareholder is one entry of entity_info.shareholders.
type EntityShareholder struct {
	// Allocation is the number of shares, its digits as sent.
	Allocation            *myinfo.Value[string] `json:"allocation,omitempty"`
	Category              *myinfo.Code          `json:"category,omitempty"`
	Currency              *myinfo.Code          `json:"currency,omitempty"`
	ShareType             *myinfo.Code          `json:"share_type,omitempty"`
	IndividualShareholder *IndividualParty      `json:"individual_shareholder,omitempty"`
	EntityShareholder     *EntityParty          `json:"entity_shareholder,omitempty"`
	myinfo.Meta
}

// IndividualParty is a person named in an entity's records.
type IndividualParty struct {
	Name        *myinfo.Value[string] `json:"name,omitempty"`
	IDNumber    *myinfo.Value[string] `json:"id_number,omitempty"`
	IDType      *myinfo.Code          `json:"id_type,omitempty"`
	Nationality *myinfo.Code          `json:"nationality,omitempty"`
}

// EntityParty is an entity named in another entity's records.
type EntityParty struct {
	Name               *myinfo.Value[string] `json:"name,omitempty"`
	RegistrationNumber *myinfo.Value[string] `json:"registration_number,omitempty"`
	Type               *myinfo.Code          `json:"type,omitempty"`
}

// CorppassInfo is userinfo's corppass_info block: the person's Corppass
// account email.
type CorppassInfo struct {
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
}

// AuthInfo is userinfo's auth_info block: the roles the person holds for
// the entity in each of the app's digital services. Corppass writes it in
// PascalCase without Myinfo's envelope. An empty ESrvc_Result means the
// person holds no role.
type AuthInfo struct {
	ResultSet struct {
		Services []struct {
			ServiceID string `json:"CPESrvcID"`
			Roles     struct {
				Rows []AuthRow `json:"Row"`
			} `json:"Auth_Result_Set"`
		} `json:"ESrvc_Result"`
	} `json:"Result_Set"`
}

// AuthRow is one role of an auth_info or tp_auth_info result. A mandatory
// value the entity's administrator never set reads "ERROR_MISSING_VALUE".
type AuthRow struct {
	SubEntity       string          `json:"CPEntID_SUB,omitempty"`
	ClientSubEntity string          `json:"CP_ClntEnt_SUB,omitempty"` // tp_auth_info
	Role            string          `json:"CPRole"`
	StartDate       string          `json:"StartDate,omitempty"`
	EndDate         string          `json:"EndDate,omitempty"`
	Parameters      []RoleParameter `json:"Parameter,omitempty"`
}

// RoleParameter is one service-specific parameter of a role.
type RoleParameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TPAuthInfo is userinfo's tp_auth_info block: roles held for client
// entities (a tax agent's clients, say).
type TPAuthInfo struct {
	ResultSet struct {
		Services []struct {
			ServiceID string `json:"CPESrvcID"`
			AuthSet   struct {
				Clients []struct {
					ClientID   string `json:"CP_Clnt_ID"`
					ClientType string `json:"CP_ClntEnt_TYPE"`
					Roles      struct {
						Rows []AuthRow `json:"Row"`
					} `json:"Auth_Result_Set"`
				} `json:"TP_Auth"`
			} `json:"Auth_Set"`
		} `json:"ESrvc_Result"`
	} `json:"Result_Set"`
}

// errBlock is the error of a userinfo block that is neither an object nor
// a JSON string holding one.
var errBlock = errors.New("neither an object nor a JSON string holding one")

// ParseBusinessUserinfo decodes a verified Myinfo Business userinfo
// payload's blocks (entity_info, person_info, corppass_info, auth_info,
// tp_auth_info). Each block may be an object or a JSON string holding the
// object, and so may any object or list nested in it. Another shape is an
// error that names the block but never quotes its content. The returned
// Business has no IDToken.
func ParseBusinessUserinfo(payload []byte) (*Business, error) {
	var blocks struct {
		EntityInfo   json.RawMessage `json:"entity_info"`
		PersonInfo   json.RawMessage `json:"person_info"`
		CorppassInfo json.RawMessage `json:"corppass_info"`
		AuthInfo     json.RawMessage `json:"auth_info"`
		TPAuthInfo   json.RawMessage `json:"tp_auth_info"`
	}
	if err := json.Unmarshal(payload, &blocks); err != nil {
		return nil, errors.New("userinfo is not a JSON object")
	}
	b := new(Business)
	var errs []error
	decode := func(name string, raw json.RawMessage, dst any) bool {
		if raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return false
		}
		obj, err := unwrapBlock(raw)
		if err == nil {
			err = json.Unmarshal(obj, dst)
			if err != nil {
				err = errors.New("not the expected shape")
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return false
		}
		return true
	}
	if ei := new(EntityInfo); decode("entity_info", blocks.EntityInfo, ei) {
		b.EntityInfo = ei
	}
	if blocks.PersonInfo != nil && !bytes.Equal(bytes.TrimSpace(blocks.PersonInfo), []byte("null")) {
		if obj, err := unwrapBlock(blocks.PersonInfo); err != nil {
			errs = append(errs, fmt.Errorf("person_info: %w", err))
		} else if p, err := myinfo.ParsePerson(obj); err != nil {
			errs = append(errs, fmt.Errorf("person_info: %w", err))
		} else {
			b.PersonInfo = p
		}
	}
	if ci := new(CorppassInfo); decode("corppass_info", blocks.CorppassInfo, ci) {
		b.CorppassInfo = ci
	}
	if ai := new(AuthInfo); decode("auth_info", blocks.AuthInfo, ai) {
		b.AuthInfo = ai
	}
	if tp := new(TPAuthInfo); decode("tp_auth_info", blocks.TPAuthInfo, tp) {
		b.TPAuthInfo = tp
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b, nil
}

// unwrapBlock returns a block as a JSON object: the object itself, or the
// object a JSON string holds. Objects and lists nested in it that arrived
// as JSON strings are unwrapped too.
func unwrapBlock(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errBlock
	}
	if s, ok := v.(string); ok {
		inner, ok := parseNested(s)
		if !ok {
			return nil, errBlock
		}
		v = inner
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errBlock
	}
	out, err := json.Marshal(unwrapDeep(v, 0))
	if err != nil {
		return nil, errBlock
	}
	return out, nil
}

// maxNesting bounds how deep unwrapDeep looks for strings holding JSON.
const maxNesting = 32

// unwrapDeep replaces, inside v, every string holding a JSON object or
// list with what it holds.
func unwrapDeep(v any, depth int) any {
	if depth > maxNesting {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = unwrapDeep(e, depth+1)
		}
	case []any:
		for i, e := range x {
			x[i] = unwrapDeep(e, depth+1)
		}
	case string:
		if inner, ok := parseNested(x); ok {
			return unwrapDeep(inner, depth+1)
		}
	}
	return v
}

// parseNested parses s when it is a JSON object or list, and nothing else.
func parseNested(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data
	}
	return v, true
}
