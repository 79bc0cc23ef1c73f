package singpass_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/provider/singpass"
)

func TestParseBusinessUserinfo(t *testing.T) {
	const profile = `{"basic_profile":{"name":{"value":"ACME PTE. LTD.","source":"1"},"uen_status":{"code":"R","desc":"REGISTERED"}},` +
		`"appointments":[{"position":{"code":"DIR","desc":"DIRECTOR"},"individual_appointment":{"id_number":{"value":"S1234567D"}}}]}`
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	// basic_profile itself double-encoded inside the block, as staging
	// does for some nested objects.
	nested := `{"basic_profile":` + quoted(`{"name":{"value":"ACME PTE. LTD."}}`) + `}`
	const notBlock = "neither an object nor a JSON string holding one"
	tests := []struct {
		name    string
		payload string
		want    string // entity name, or the error's text
		wantErr bool
	}{
		{"object", `{"entity_info":` + profile + `}`, "ACME PTE. LTD.", false},
		{"JSON string holding the object", `{"entity_info":` + quoted(profile) + `}`, "ACME PTE. LTD.", false},
		{"nested object as a JSON string", `{"entity_info":` + quoted(nested) + `}`, "ACME PTE. LTD.", false},
		{"no entity_info", `{"auth_info":{"Result_Set":{"ESrvc_Row_Count":0,"ESrvc_Result":[]}}}`, "", false},
		{"null entity_info", `{"entity_info":null}`, "", false},
		{"a number", `{"entity_info":42}`, "entity_info: " + notBlock, true},
		{"a list", `{"entity_info":[` + profile + `]}`, "entity_info: " + notBlock, true},
		{"a string holding a number", `{"entity_info":"42"}`, "entity_info: " + notBlock, true},
		{"a string holding a list", `{"entity_info":` + quoted(`[1]`) + `}`, "entity_info: " + notBlock, true},
		{"a string holding broken JSON", `{"entity_info":` + quoted(`{"basic_profile":`) + `}`, "entity_info: " + notBlock, true},
		{"a string holding an object and more", `{"entity_info":` + quoted(`{} {}`) + `}`, "entity_info: " + notBlock, true},
		{"plain text", `{"entity_info":"ACME"}`, "entity_info: " + notBlock, true},
		{"auth_info a boolean", `{"auth_info":true}`, "auth_info: " + notBlock, true},
		{"person_info a number", `{"person_info":7}`, "person_info: " + notBlock, true},
		{"entity_info of the wrong shape", `{"entity_info":{"appointments":{"a":1}}}`, "entity_info: not the expected shape", true},
		{"not an object", `[]`, "userinfo is not a JSON object", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := singpass.ParseBusinessUserinfo([]byte(tt.payload))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "ACME") || strings.Contains(err.Error(), "S1234567D") {
					t.Errorf("the error quotes the data: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if b.EntityInfo != nil && b.EntityInfo.BasicProfile != nil {
				got, _ = b.EntityInfo.BasicProfile.Name.Get()
			}
			if got != tt.want {
				t.Errorf("name %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseBusinessUserinfo: the Myinfo Business block decoding must
// never panic, must refuse with an error naming no data, and whatever it
// accepts must decode again the same way from the object form.
func FuzzParseBusinessUserinfo(f *testing.F) {
	f.Add(`{"entity_info":{"basic_profile":{"name":{"value":"A"}}}}`)
	f.Add(`{"entity_info":"{\"basic_profile\":\"{\\\"name\\\":{\\\"value\\\":\\\"A\\\"}}\"}"}`)
	f.Add(`{"auth_info":{"Result_Set":{"ESrvc_Result":[{"CPESrvcID":"x","Auth_Result_Set":{"Row":[{"CPRole":"r","Parameter":[{"name":"n","value":"v"}]}]}}]}}}`)
	f.Add(`{"tp_auth_info":"{\"Result_Set\":{}}","corppass_info":{"email":"a@b"}}`)
	f.Add(`{"person_info":{"name":{"value":"B"}},"entity_info":42}`)
	f.Add(`{"entity_info":"[[[[[[[[[[]]]]]]]]]]"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		b, err := singpass.ParseBusinessUserinfo([]byte(payload))
		if err != nil {
			if b != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		if b == nil {
			t.Fatal("no result and no error")
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("cannot encode what was accepted: %v", err)
		}
		var b2 singpass.Business
		if err := json.Unmarshal(again, &b2); err != nil {
			t.Fatalf("what was accepted does not decode again: %v", err)
		}
	})
}
