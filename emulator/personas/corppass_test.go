package personas

import (
	"encoding/json"
	"testing"
)

// TestCorppassEntities checks the entities against the Myinfo personas and
// against themselves, and that the set covers the cases the emulator is
// for: a company with several appointments and shareholders, a sole
// proprietorship, a deregistered entity, one person acting for two
// entities.
func TestCorppassEntities(t *testing.T) {
	entities, err := Corppass()
	if err != nil {
		t.Fatal(err)
	}
	people, err := Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, p := range people {
		known[p.ID] = true
	}
	type item struct {
		Value any    `json:"value"`
		Code  string `json:"code"`
	}
	var company, soleProp, deregistered bool
	actsFor := map[string]int{}
	for _, e := range entities {
		var sa struct {
			Type, RegNumber, COI, Name, Status string
		}
		var raw map[string]string
		if err := json.Unmarshal(e.SubAttributes, &raw); err != nil {
			t.Fatalf("%s: sub_attributes: %v", e.UEN, err)
		}
		sa.Type, sa.RegNumber, sa.COI, sa.Name, sa.Status = raw["entity_type"], raw["entity_reg_number"], raw["entity_coi"], raw["entity_name"], raw["entity_uen_status"]
		var info struct {
			BasicProfile struct {
				Name               item `json:"name"`
				RegistrationNumber item `json:"registration_number"`
				Type               item `json:"type"`
				UENStatus          item `json:"uen_status"`
			} `json:"basic_profile"`
			Appointments []json.RawMessage `json:"appointments"`
			Shareholders []json.RawMessage `json:"shareholders"`
		}
		if err := json.Unmarshal(e.EntityInfo, &info); err != nil {
			t.Fatalf("%s: entity_info: %v", e.UEN, err)
		}
		bp := info.BasicProfile
		if bp.Name.Value != sa.Name || bp.RegistrationNumber.Value != e.UEN || sa.Name != e.Name {
			t.Errorf("%s: sub_attributes (%q) and entity_info (%v, %v) disagree", e.UEN, sa.Name, bp.Name.Value, bp.RegistrationNumber.Value)
		}
		if sa.Type != "UEN" || sa.COI != "SG" {
			t.Errorf("%s: entity_type %q, entity_coi %q", e.UEN, sa.Type, sa.COI)
		}
		if (bp.UENStatus.Code == "D") != (sa.Status == "Deregistered") {
			t.Errorf("%s: uen_status %q but entity_uen_status %q", e.UEN, bp.UENStatus.Code, sa.Status)
		}
		for _, u := range e.Users {
			if !known[u.ID] {
				t.Errorf("%s: user %s is not a Myinfo persona", e.UEN, u.ID)
			}
			actsFor[u.ID]++
		}
		company = company || bp.Type.Code == "LC" && len(info.Appointments) >= 2 && len(info.Shareholders) >= 2
		soleProp = soleProp || bp.Type.Code == "BN"
		deregistered = deregistered || sa.Status == "Deregistered"
	}
	twoEntities := false
	for _, n := range actsFor {
		twoEntities = twoEntities || n >= 2
	}
	if !company || !soleProp || !deregistered || !twoEntities {
		t.Errorf("missing a case: company %v, sole proprietorship %v, deregistered %v, a person acting for two %v",
			company, soleProp, deregistered, twoEntities)
	}
}
