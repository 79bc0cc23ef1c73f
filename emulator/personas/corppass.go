package personas

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Corppass entities are stored as corppass/<UEN>.json, one object per
// entity:
//
//	{"summary": "…", "sub_attributes": {…}, "entity_info": {…},
//	 "users": [{"id": "<UINFIN>", "email": "…", "auth_info": {…}, "tp_auth_info": {…}}]}
//
// sub_attributes is the entity's part of a Corppass ID token (entity_type,
// entity_reg_number, entity_coi, entity_name, entity_uen_status);
// entity_info is its whole Myinfo Business entity_info block. Each user is
// a Myinfo persona (by ID) who acts for the entity, with the Corppass
// account's email and the roles Corppass reports for them (auth_info and,
// for third-party roles, tp_auth_info). The UENs are invented.

//go:embed corppass/*.json
var corppassFiles embed.FS

// Entity is one Corppass test entity.
type Entity struct {
	// UEN is the entity's identifier, the file name without .json: the
	// Corppass ID token's sub.
	UEN string
	// Name is the entity's name, for login pages.
	Name string
	// Summary says in a line which edge cases the entity covers.
	Summary string
	// SubAttributes is the ID token's sub_attributes for the entity (every
	// entity scope granted).
	SubAttributes json.RawMessage
	// EntityInfo is the entity's Myinfo Business entity_info (every
	// entity scope granted).
	EntityInfo json.RawMessage
	// Users are the people who act for the entity.
	Users []EntityUser
}

// EntityUser is a person who acts for an entity.
type EntityUser struct {
	// ID is the person's Myinfo persona ID (UINFIN).
	ID string `json:"id"`
	// Email is the Corppass account's email (corppass_info).
	Email string `json:"email"`
	// AuthInfo is the auth_info block for the person; TPAuthInfo the
	// tp_auth_info block, nil when the person has no third-party roles.
	AuthInfo   json.RawMessage `json:"auth_info"`
	TPAuthInfo json.RawMessage `json:"tp_auth_info,omitempty"`
}

// Corppass returns every Corppass entity, ordered by UEN. Each call parses
// the embedded files afresh, so callers may keep or change what they get.
func Corppass() ([]Entity, error) {
	entries, err := corppassFiles.ReadDir("corppass")
	if err != nil {
		return nil, err
	}
	var out []Entity
	for _, e := range entries {
		b, err := corppassFiles.ReadFile(path.Join("corppass", e.Name()))
		if err != nil {
			return nil, err
		}
		var doc struct {
			Summary       string          `json:"summary"`
			SubAttributes json.RawMessage `json:"sub_attributes"`
			EntityInfo    json.RawMessage `json:"entity_info"`
			Users         []EntityUser    `json:"users"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("personas: corppass/%s: %w", e.Name(), err)
		}
		var head struct {
			RegNumber string `json:"entity_reg_number"`
			Name      string `json:"entity_name"`
		}
		if err := json.Unmarshal(doc.SubAttributes, &head); err != nil {
			return nil, fmt.Errorf("personas: corppass/%s: sub_attributes: %w", e.Name(), err)
		}
		uen := strings.TrimSuffix(e.Name(), ".json")
		if head.RegNumber != uen {
			return nil, fmt.Errorf("personas: corppass/%s: entity_reg_number %q does not match the file name", e.Name(), head.RegNumber)
		}
		if doc.EntityInfo == nil || len(doc.Users) == 0 {
			return nil, fmt.Errorf("personas: corppass/%s: needs entity_info and at least one user", e.Name())
		}
		for i, u := range doc.Users {
			if u.ID == "" || u.AuthInfo == nil {
				return nil, fmt.Errorf("personas: corppass/%s: users[%d] needs an id and auth_info", e.Name(), i)
			}
		}
		out = append(out, Entity{UEN: uen, Name: head.Name, Summary: doc.Summary,
			SubAttributes: doc.SubAttributes, EntityInfo: doc.EntityInfo, Users: doc.Users})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UEN < out[j].UEN })
	return out, nil
}
