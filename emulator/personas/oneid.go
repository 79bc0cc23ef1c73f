package personas

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// OneID personas are stored as oneid/<id>.json, one object per person:
//
//	{"summary": "…", "userinfo": {…}, "ageverification": {…}, "accounts": […]}
//
// Each member is the document OneID's data API answers for that person
// (seed 002): userinfo with its verified claims, fraud and, where the bank
// found no verified match, unverified_claims; ageverification; and accounts
// with each account's balance where the bank gives one.

//go:embed oneid/*.json
var oneidFiles embed.FS

// OneIDPersona is one OneID (UK) test person.
type OneIDPersona struct {
	// ID is the file name without .json, such as "janet-davidson": what a
	// login page or the emulator's persona= shortcut names.
	ID string
	// Subject is the userinfo sub, the person's identifier at OneID.
	Subject string
	// Name is the userinfo name, for login pages.
	Name string
	// Summary says in a line which edge cases the persona covers.
	Summary string
	// Userinfo is the whole GET /userinfo answer (every scope granted).
	Userinfo json.RawMessage
	// AgeVerification is the GET /ageverification answer.
	AgeVerification json.RawMessage
	// Accounts is the GET /accounts answer with accounts.balances granted:
	// an array whose accounts carry "balance" where the bank gives one.
	// Without accounts.balances OneID sends the same without "balance".
	Accounts json.RawMessage
}

// OneID returns every OneID persona, ordered by ID. Each call parses the
// embedded files afresh, so callers may keep or change what they get.
func OneID() ([]OneIDPersona, error) {
	entries, err := oneidFiles.ReadDir("oneid")
	if err != nil {
		return nil, err
	}
	var out []OneIDPersona
	for _, e := range entries {
		b, err := oneidFiles.ReadFile(path.Join("oneid", e.Name()))
		if err != nil {
			return nil, err
		}
		var doc struct {
			Summary         string          `json:"summary"`
			Userinfo        json.RawMessage `json:"userinfo"`
			AgeVerification json.RawMessage `json:"ageverification"`
			Accounts        json.RawMessage `json:"accounts"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("personas: oneid/%s: %w", e.Name(), err)
		}
		var head struct {
			Sub  string `json:"sub"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(doc.Userinfo, &head); err != nil {
			return nil, fmt.Errorf("personas: oneid/%s: userinfo: %w", e.Name(), err)
		}
		if head.Sub == "" || doc.AgeVerification == nil || doc.Accounts == nil {
			return nil, fmt.Errorf("personas: oneid/%s: needs userinfo with a sub, ageverification and accounts", e.Name())
		}
		out = append(out, OneIDPersona{
			ID:              strings.TrimSuffix(e.Name(), ".json"),
			Subject:         head.Sub,
			Name:            head.Name,
			Summary:         doc.Summary,
			Userinfo:        doc.Userinfo,
			AgeVerification: doc.AgeVerification,
			Accounts:        doc.Accounts,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
