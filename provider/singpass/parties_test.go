package singpass

import (
	"testing"

	"github.com/idconnect/idconnect/provider/myinfo"
)

// TestSameParties: userinfo blocks about another entity or person than the
// ID token names are refused; absent items are not compared.
func TestSameParties(t *testing.T) {
	token := func(sub, regNumber, actID string) *EntityIDToken {
		tok := &EntityIDToken{Subject: sub, Act: &IDToken{Subject: "c0ffee", SubAttributes: &SubAttributes{IdentityNumber: actID}}}
		if regNumber != "" {
			tok.SubAttributes = &EntityAttributes{EntityRegNumber: regNumber}
		}
		return tok
	}
	business := func(regNumber, uinfin string) *Business {
		b := new(Business)
		if regNumber != "" {
			b.EntityInfo = &EntityInfo{BasicProfile: &BasicProfile{RegistrationNumber: &myinfo.Value[string]{Value: regNumber}}}
		}
		if uinfin != "" {
			b.PersonInfo = &myinfo.Person{UINFIN: &myinfo.Value[string]{Value: uinfin}}
		}
		return b
	}
	for _, tt := range []struct {
		name   string
		tok    *EntityIDToken
		biz    *Business
		wantOK bool
	}{
		{"same entity and person", token("201834567M", "", "S8214727F"), business("201834567M", "S8214727F"), true},
		{"nothing to compare", token("201834567M", "", ""), business("", ""), true},
		{"the entity's own number in sub_attributes", token("CP-000123", "F-556677", "S8214727F"), business("F-556677", ""), true},
		{"act without an identity number", token("201834567M", "", ""), business("", "S8214727F"), true},
		{"another entity", token("201834567M", "", "S8214727F"), business("53312345K", "S8214727F"), false},
		{"another entity than sub_attributes names", token("CP-000123", "F-556677", ""), business("F-999999", ""), false},
		{"another person", token("201834567M", "", "S8214727F"), business("201834567M", "T0163548J"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := sameParties(tt.tok, tt.biz); (err == nil) != tt.wantOK {
				t.Errorf("sameParties = %v, want ok %v", err, tt.wantOK)
			}
		})
	}
}
