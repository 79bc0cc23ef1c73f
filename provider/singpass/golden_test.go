package singpass_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/singpass"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/corppass")

// TestCorppassGolden: every Corppass entity and person acting for it, as
// Corppass staging sends them (each block a JSON string), normalised into
// the Entity and the Person, against testdata/corppass/<UEN>-<ID>.json
// (go test -update rewrites them). Values typed by hand are checked in
// corppass_test.go; these catch any change.
func TestCorppassGolden(t *testing.T) {
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	myinfo := map[string]map[string]json.RawMessage{}
	for _, p := range people {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(p.Myinfo, &m); err != nil {
			t.Fatal(err)
		}
		myinfo[p.ID] = m
	}
	str := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, e := range entities {
		for _, u := range e.Users {
			t.Run(e.UEN+"-"+u.ID, func(t *testing.T) {
				p := myinfo[u.ID]
				blocks := map[string]any{
					"entity_info":   string(e.EntityInfo),
					"person_info":   str(map[string]json.RawMessage{"uinfin": p["uinfin"], "name": p["name"], "regadd": p["regadd"]}),
					"auth_info":     string(u.AuthInfo),
					"corppass_info": str(map[string]any{"email": u.Email, "email_verified": true}),
				}
				if u.TPAuthInfo != nil {
					blocks["tp_auth_info"] = string(u.TPAuthInfo)
				}
				biz, err := singpass.ParseBusinessUserinfo([]byte(str(blocks)))
				if err != nil {
					t.Fatal(err)
				}
				biz.IDToken = &singpass.EntityIDToken{Subject: e.UEN, SubType: "entity", Act: &singpass.IDToken{Subject: "act", SubType: "user"}}
				if err := json.Unmarshal(e.SubAttributes, &biz.IDToken.SubAttributes); err != nil {
					t.Fatal(err)
				}
				got, err := json.MarshalIndent(map[string]any{"entity": biz.Entity(), "person": biz.Person()}, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, '\n')
				path := filepath.Join("testdata", "corppass", e.UEN+"-"+u.ID+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test -update writes it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs:\n got %s\nwant %s", path, got, want)
				}
			})
		}
	}
}
