package myinfo

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/<name>, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./provider/myinfo -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./provider/myinfo -run Golden -update\ngot:\n%s", path, got)
	}
}

// TestGoldenPerson pins Normalize's output for every persona, as indented
// JSON in testdata/golden/<ID>.person.json.
func TestGoldenPerson(t *testing.T) {
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, pp := range ps {
		t.Run(pp.ID, func(t *testing.T) {
			p, err := ParsePerson(pp.Myinfo)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(p.Normalize(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, pp.ID+".person.json", append(b, '\n'))
		})
	}
}

func TestNormalize(t *testing.T) {
	prov := &idconnect.Provenance{Source: "1", Classification: "C", LastUpdated: "2024-01-02"}
	const meta = `"classification":"C","source":"1","lastupdated":"2024-01-02"`
	tests := []struct {
		name string
		in   string
		want *idconnect.Person
	}{
		{
			name: "empty",
			in:   `{}`,
			want: &idconnect.Person{},
		},
		{
			name: "value and coded fields",
			in: `{"uinfin":{"value":"S6005048A",` + meta + `},"name":{"value":"ANDY LAU",` + meta + `},` +
				`"aliasname":{"value":"ANDY",` + meta + `},"dob":{"value":"1988-10-06",` + meta + `},` +
				`"sex":{"code":"M","desc":"MALE",` + meta + `},"nationality":{"code":"SG","desc":"SINGAPORE CITIZEN",` + meta + `},` +
				`"birthcountry":{"code":"SG","desc":"SINGAPORE"},"residentialstatus":{"code":"C","desc":"CITIZEN",` + meta + `},` +
				`"email":{"value":"a@example.com","source":"4"}}`,
			want: &idconnect.Person{
				IDNumber:          &idconnect.Field{Value: "S6005048A", Provenance: prov},
				Name:              &idconnect.Field{Value: "ANDY LAU", Provenance: prov},
				AliasName:         &idconnect.Field{Value: "ANDY", Provenance: prov},
				BirthDate:         &idconnect.Field{Value: "1988-10-06", Provenance: prov},
				Sex:               &idconnect.Field{Value: "M", Description: "MALE", Provenance: prov},
				Nationality:       &idconnect.Field{Value: "SG", Description: "SINGAPORE CITIZEN", Provenance: prov},
				BirthCountry:      &idconnect.Field{Value: "SG", Description: "SINGAPORE"},
				ResidentialStatus: &idconnect.Field{Value: "C", Description: "CITIZEN", Provenance: prov},
				Email:             &idconnect.Field{Value: "a@example.com", Provenance: &idconnect.Provenance{Source: "4"}},
			},
		},
		{
			name: "unavailable and empty items are left out",
			in: `{"name":{"unavailable":true,` + meta + `},"aliasname":{"value":"",` + meta + `},` +
				`"sex":{"code":"","desc":"",` + meta + `},"nationality":{"unavailable":true},` +
				`"email":{"unavailable":true},"mobileno":{"unavailable":true,` + meta + `},` +
				`"homeno":{"prefix":{"value":""},"areacode":{"value":""},"nbr":{"value":""},` + meta + `},` +
				`"regadd":{"unavailable":true,` + meta + `},` +
				`"mailadd":{"type":"SG","block":{"value":""},"street":{"value":""},"country":{"code":"SG","desc":"SINGAPORE"}},` +
				`"billadd":{"type":"Unformatted","line1":{"value":" "},"line2":{"value":""}}}`,
			want: &idconnect.Person{},
		},
		{
			name: "phones",
			in: `{"mobileno":{"prefix":{"value":"+"},"areacode":{"value":"65"},"nbr":{"value":"97399245"},` + meta + `},` +
				`"homeno":{"areacode":{"value":"65"},"nbr":{"value":"66132665"}}}`,
			want: &idconnect.Person{Phones: []idconnect.Phone{
				{Kind: "mobile", CountryCode: "+65", Number: "97399245", Provenance: prov},
				{Kind: "home", CountryCode: "65", Number: "66132665"},
			}},
		},
		{
			name: "addresses",
			in: `{"regadd":{"type":"SG","block":{"value":"319"},"building":{"value":""},"floor":{"value":"38"},` +
				`"unit":{"value":"10"},"street":{"value":"ANCHORVALE DRIVE"},"postal":{"value":"542319"},` +
				`"country":{"code":"SG","desc":"SINGAPORE"},` + meta + `},` +
				`"mailadd":{"type":"Unformatted","line1":{"value":"NO 12 JALAN INDAH"},"line2":{"value":"81200 JOHOR BAHRU"},` +
				`"country":{"code":"MY","desc":"MALAYSIA"},` + meta + `},` +
				`"billadd":{"type":"UNFORMATTED","line1":{"value":""},"line2":{"value":"PO BOX 1"}}}`,
			want: &idconnect.Person{Addresses: []idconnect.Address{
				{Kind: "registered", Format: "structured", Block: "319", Floor: "38", Unit: "10",
					Street: "ANCHORVALE DRIVE", PostalCode: "542319", Country: "SG", CountryName: "SINGAPORE", Provenance: prov},
				{Kind: "mailing", Format: "lines", Lines: []string{"NO 12 JALAN INDAH", "81200 JOHOR BAHRU"},
					Country: "MY", CountryName: "MALAYSIA", Provenance: prov},
				{Kind: "billing", Format: "lines", Lines: []string{"PO BOX 1"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePerson([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got := p.Normalize()
			if !reflect.DeepEqual(got, tt.want) {
				gb, _ := json.MarshalIndent(got, "", "  ")
				wb, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("got\n%s\nwant\n%s", gb, wb)
			}
		})
	}
}

func TestNormalizeNil(t *testing.T) {
	var p *Person
	if got := p.Normalize(); !reflect.DeepEqual(got, &idconnect.Person{}) {
		t.Errorf("nil person normalises to %+v", got)
	}
}
