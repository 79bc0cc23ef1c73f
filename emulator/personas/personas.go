// Package personas embeds the test people the provider emulators serve,
// and the Corppass test entities they act for.
// They are invented (apart from the published sample people of the seed
// documents) and cover the edge cases we know: FIN holders, non-Singapore
// ("Unformatted") addresses, items marked unavailable, empty values, lists.
//
// Each Myinfo persona is a complete Myinfo v3 person JSON document, stored as
// myinfo/<UINFIN>.json; the emulator returns the requested attributes of it.
package personas

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed myinfo/*.json myinfo-summaries.json
var myinfoFiles embed.FS

// Persona is one test person.
type Persona struct {
	// ID is the person's identifier at the provider (NRIC/FIN for Myinfo).
	ID string
	// Name is the person's name, for login pages.
	Name string
	// Myinfo is the full Myinfo v3 person JSON, attributes as keys.
	Myinfo json.RawMessage
	// Summary says in a line which edge cases the persona covers, for
	// login pages. It is "" for a persona without one.
	Summary string
}

// Myinfo returns every Myinfo persona, ordered by ID. Each call parses the
// embedded files afresh, so callers may keep or change what they get.
func Myinfo() ([]Persona, error) {
	entries, err := myinfoFiles.ReadDir("myinfo")
	if err != nil {
		return nil, err
	}
	summaries, err := myinfoSummaries()
	if err != nil {
		return nil, err
	}
	var out []Persona
	for _, e := range entries {
		b, err := myinfoFiles.ReadFile(path.Join("myinfo", e.Name()))
		if err != nil {
			return nil, err
		}
		var head struct {
			UINFIN struct{ Value string } `json:"uinfin"`
			Name   struct{ Value string } `json:"name"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("personas: %s: %w", e.Name(), err)
		}
		id := strings.TrimSuffix(e.Name(), ".json")
		if head.UINFIN.Value != id {
			return nil, fmt.Errorf("personas: %s: uinfin %q does not match the file name", e.Name(), head.UINFIN.Value)
		}
		out = append(out, Persona{ID: id, Name: head.Name.Value, Myinfo: json.RawMessage(b), Summary: summaries[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// myinfoSummaries reads the one-line summaries of the Myinfo personas,
// keyed by ID.
func myinfoSummaries() (map[string]string, error) {
	b, err := myinfoFiles.ReadFile("myinfo-summaries.json")
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("personas: myinfo-summaries.json: %w", err)
	}
	return m, nil
}
