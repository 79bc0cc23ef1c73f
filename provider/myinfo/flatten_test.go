package myinfo

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
)

// seedAttributes is the attribute list of the seed service, in its order.
var seedAttributes = []string{"name", "dob", "birthcountry", "nationality", "uinfin", "sex", "regadd"}

// TestFlattenSeedExample checks the seed service's published sodata byte
// for byte.
func TestFlattenSeedExample(t *testing.T) {
	const want = `{"name":"ANDY LAU","dob":"1988-10-06","birthcountry":"SG","nationality":"SG","uinfin":"S6005048A","sex":"M",` +
		`"regadd":{"country":{"code":"SG","desc":"SINGAPORE"},"unit":{"value":"10"},"street":{"value":"ANCHORVALE DRIVE"},` +
		`"lastupdated":"2022-07-14","block":{"value":"319"},"source":"1","postal":{"value":"542319"},"classification":"C",` +
		`"floor":{"value":"38"},"type":"SG","building":{"value":""}}}`
	got, err := Flatten(seedAttributes, persona(t, "S6005048A"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFlatten(t *testing.T) {
	const person = `{
		"name": {"value": "TAN \u00c9LISE", "classification": "C", "source": "1", "lastupdated": "2024-01-02"},
		"dob": {"lastupdated": "2024-01-02", "value": "1990-01-01"},
		"sex": {"code": "F", "desc": "FEMALE"},
		"email": {"unavailable": true, "classification": "C", "source": "1", "lastupdated": "2024-01-02"},
		"mobileno": {"prefix": {"value": "+"}, "areacode": {"value": "65"}, "nbr": {"value": "97399245"}},
		"ownerprivate": {"value": false},
		"amount": {"value": 100000.010},
		"marriedname": {"value": ""},
		"both": {"code": "C", "value": "V"},
		"notunavailable": {"unavailable": false, "code": "X"},
		"emptyitem": {},
		"nullvalue": {"value": null},
		"hdbownership": [ {"noofowners": {"value": 2}} ],
		"scalar": 42,
		"html": {"value": "<b>&amp;</b>"},
		"a&b": {"code": "\u0026"}
	}`
	tests := []struct {
		name  string
		attrs []string
		want  string
	}{
		{"value", []string{"name"}, `{"name":"TAN \u00c9LISE"}`},
		{"value key anywhere in the item", []string{"dob"}, `{"dob":"1990-01-01"}`},
		{"code", []string{"sex"}, `{"sex":"F"}`},
		{"unavailable is null", []string{"email"}, `{"email":null}`},
		{"record passes through", []string{"mobileno"}, `{"mobileno":{"prefix":{"value":"+"},"areacode":{"value":"65"},"nbr":{"value":"97399245"}}}`},
		{"boolean value", []string{"ownerprivate"}, `{"ownerprivate":false}`},
		{"number copied verbatim", []string{"amount"}, `{"amount":100000.010}`},
		{"empty string", []string{"marriedname"}, `{"marriedname":""}`},
		{"value wins over code", []string{"both"}, `{"both":"V"}`},
		{"unavailable false is ignored", []string{"notunavailable"}, `{"notunavailable":"X"}`},
		{"item with neither passes through", []string{"emptyitem"}, `{"emptyitem":{}}`},
		{"null value", []string{"nullvalue"}, `{"nullvalue":null}`},
		{"list passes through", []string{"hdbownership"}, `{"hdbownership":[{"noofowners":{"value":2}}]}`},
		{"non-object passes through", []string{"scalar"}, `{"scalar":42}`},
		{"escapes kept verbatim", []string{"html"}, `{"html":"<b>&amp;</b>"}`},
		{"keys not HTML-escaped", []string{"a&b"}, `{"a&b":"\u0026"}`},
		{"requested order", []string{"sex", "name", "dob"}, `{"sex":"F","name":"TAN \u00c9LISE","dob":"1990-01-01"}`},
		{"missing attributes are left out", []string{"uinfin", "sex", "regadd"}, `{"sex":"F"}`},
		{"each attribute once", []string{"sex", "sex", "dob", "sex"}, `{"sex":"F","dob":"1990-01-01"}`},
		{"nothing requested", nil, `{}`},
		{"nothing found", []string{"", "uinfin"}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Flatten(tt.attrs, json.RawMessage(person))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"null", "null"},
		{"array", `[{"name":{"value":"X"}}]`},
		{"string", `"name"`},
		{"truncated", `{"name":{"value":"X"}`},
		{"trailing data", `{"name":{"value":"X"}} x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Flatten([]string{"name"}, json.RawMessage(tt.in)); err == nil {
				t.Errorf("Flatten(%q) = %s, want an error", tt.in, got)
			}
		})
	}
}

// attributeOrder lists the person's attribute names in document order.
func attributeOrder(t *testing.T, person []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(person))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// TestGoldenSodata pins Flatten's output for every persona, indented:
//
//   - <ID>.sodata.json: the seed service's seven attributes in its order
//     (name, dob, birthcountry, nationality, uinfin, sex, regadd), which
//     is what the seed-compatible route returns;
//   - <ID>.sodata-all.json: every attribute of the persona in file order,
//     plus one the persona lacks, so every rule meets every kind of item.
func TestGoldenSodata(t *testing.T) {
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, pp := range ps {
		t.Run(pp.ID, func(t *testing.T) {
			lists := []struct {
				file  string
				attrs []string
			}{
				{pp.ID + ".sodata.json", seedAttributes},
				{pp.ID + ".sodata-all.json", append(attributeOrder(t, pp.Myinfo), "nosuchattribute")},
			}
			for _, l := range lists {
				out, err := Flatten(l.attrs, pp.Myinfo)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := json.Indent(&buf, out, "", "  "); err != nil {
					t.Fatalf("%s: output is not valid JSON: %v", l.file, err)
				}
				buf.WriteByte('\n')
				golden(t, l.file, buf.Bytes())
			}
		})
	}
}

func FuzzFlatten(f *testing.F) {
	f.Add(strings.Join(seedAttributes, ","), `{"name":{"value":"ANDY LAU"},"sex":{"code":"M"},"regadd":{"type":"SG"}}`)
	f.Add("email,name,name", `{"email":{"unavailable":true},"name":{"value":null}}`)
	f.Add("a,b", `{"a":[1,2],"b":{"code":{"x":1},"value":"\ud800"}}`)
	f.Add("vehicles", `{"vehicles":{"0":{"classification":"C"}}}`)
	f.Add("x", `[]`)
	f.Add("x", `{"x":{"unavailable":true} `)
	f.Fuzz(func(t *testing.T, attrs, person string) {
		names := strings.Split(attrs, ",")
		out, err := Flatten(names, json.RawMessage(person))
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Flatten(%q, %q) = %q: not valid JSON", names, person, out)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output is not an object: %v", err)
		}
		requested := make(map[string]bool, len(names))
		for _, n := range names {
			// Keys are JSON-encoded, which replaces invalid UTF-8.
			requested[strings.ToValidUTF8(n, "\uFFFD")] = true
		}
		for k := range got {
			if !requested[k] {
				t.Fatalf("output has %q, which was not requested", k)
			}
		}
	})
}
