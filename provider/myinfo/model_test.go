package myinfo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
)

// persona returns the embedded persona with the given ID.
func persona(t *testing.T, id string) json.RawMessage {
	t.Helper()
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == id {
			return p.Myinfo
		}
	}
	t.Fatalf("no persona %s", id)
	return nil
}

func TestParsePersonRejectsNonObjects(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "not a JSON object"},
		{"null", "null", "not a JSON object"},
		{"array", `[{"name":{"value":"X"}}]`, "not a JSON object"},
		{"string", `"S6005048A"`, "not a JSON object"},
		{"number", "42", "not a JSON object"},
		{"truncated", `{"name":{"value":"X"}`, "person data"},
		{"trailing garbage", `{} {}`, "person data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePerson([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParsePerson(%q) = %+v, want an error", tt.in, p)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestParsePersonNamesTheBadAttribute(t *testing.T) {
	const secret = "TAN SECRET VALUE"
	in := `{"uinfin":{"value":"S6005048A"},"ownerprivate":{"value":"` + secret + `"},"dob":{"value":"1988-10-06"}}`
	_, err := ParsePerson([]byte(in))
	if err == nil {
		t.Fatal("ParsePerson succeeded, want an error")
	}
	if !strings.Contains(err.Error(), `"ownerprivate"`) {
		t.Errorf("error %q does not name the attribute", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q quotes the value", err)
	}
}

func TestParsePersonKeepsUnknownAttributes(t *testing.T) {
	in := `{"uuid":{"value":"b6cb9308"},"name":{"value":"ANDY LAU"},"gender":"?"}`
	p, err := ParsePerson([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Name.Get(); got != "ANDY LAU" {
		t.Errorf("name = %q", got)
	}
	for _, k := range []string{"uuid", "name", "gender"} {
		if _, ok := p.Raw[k]; !ok {
			t.Errorf("Raw lacks %q", k)
		}
	}
	if string(p.Raw["uuid"]) != `{"value":"b6cb9308"}` {
		t.Errorf("Raw[uuid] = %s", p.Raw["uuid"])
	}
}

// TestParsePersonSample reads the specification's sample person and spot
// checks every kind of item.
func TestParsePersonSample(t *testing.T) {
	p, err := ParsePerson(persona(t, "S1111111D"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Raw) != 53 {
		t.Errorf("Raw has %d attributes, want 53", len(p.Raw))
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"uinfin", p.UINFIN.Value, "S1111111D"},
		{"uinfin provenance", p.UINFIN.Meta, Meta{Classification: "C", Source: "1", LastUpdated: "2019-03-26"}},
		{"marriedname empty", p.MarriedName.Value, ""},
		{"sex", *p.Sex, Code{Code: "F", Desc: "FEMALE", Meta: p.UINFIN.Meta}},
		{"regadd type", p.RegAdd.Type, "SG"},
		{"regadd block", p.RegAdd.Block.Value, "548"},
		{"regadd country", p.RegAdd.Country.Desc, "SINGAPORE"},
		{"ownerprivate", p.OwnerPrivate.Value, false},
		{"mobileno", p.MobileNo.Prefix.Value + p.MobileNo.AreaCode.Value + " " + p.MobileNo.Number.Value, "+65 66132665"},
		{"hdbownership loan", p.HDBOwnership[0].LoanGranted.Value, json.Number("310000.01")},
		{"hdbownership balance years", p.HDBOwnership[0].BalanceLoanRepayment.Years.Value, json.Number("2")},
		{"child vaccination", p.ChildrenBirthRecords[0].VaccinationRequirements[0].Fulfilled.Value, true},
		{"sponsored child", p.SponsoredChildrenRecords[0].NRIC.Value, "S5562882C"},
		{"occupation", p.Occupation.Value, ""},
		{"passtype", p.PassType.Code, "RPass"},
		{"vehicles as object", len(p.Vehicles), 1},
		{"vehicle provenance", p.Vehicles[0].LastUpdated, "2019-03-26"},
		{"qdl class issued", p.DrivingLicence.QDL.Classes[1].IssueDate.Value, "2018-06-06"},
		{"transcript grade", p.AcademicQualifications.Transcripts[0].Results[0].Grade.Value, "A"},
		{"opencert id", p.AcademicQualifications.Certificates[0].OpenCertificate.ID.Value, json.Number("100000000343840")},
		{"merdekagen", p.MerdekaGen.Eligibility.Value, true},
		{"noa-basic", p.NOABasic.Amount.Value, json.Number("100000.01")},
		{"noahistory-basic", p.NOAHistoryBasic.NOAs[0].YearOfAssessment.Value, "2018"},
		{"noa category", p.NOAHistory.NOAs[0].Category.Value, "ORIGINAL"},
		{"cpfcontributions", len(p.CPFContributions.History), 42},
		{"cpfemployers", p.CPFEmployers.History[41].Employer.Value, "Delta Marine Consultants PL"},
		{"cpfbalances ra", p.CPFBalances.RA.Value, json.Number("0.01")},
		{"housing withdrawal", p.CPFHousingWithdrawal.WithdrawalDetails[0].Address.Postal.Value, "460548"},
		{"hps share", p.CPFHomeProtectionScheme.ShareOfCover.Value, json.Number("20")},
		{"dps insurer", p.CPFDependantProtectionScheme.InsurerCode.Value, "9GEL"},
		{"cis account", p.CPFInvestmentScheme.Account.InvBankAcctNo.Value, "098-26644-4"},
		{"cis saq", p.CPFInvestmentScheme.SAQParticipationStatus.Desc, "Participated"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
}

// TestParsePersonas parses every embedded persona.
func TestParsePersonas(t *testing.T) {
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
			if got, _ := p.UINFIN.Get(); got != pp.ID {
				t.Errorf("uinfin = %q, want %q", got, pp.ID)
			}
			if got, _ := p.Name.Get(); got != pp.Name {
				t.Errorf("name = %q, want %q", got, pp.Name)
			}
			// Marshalling the model gives Myinfo JSON that parses to the same model.
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParsePerson(b)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := json.Marshal(again)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(b2) {
				t.Error("marshal → parse → marshal is not stable")
			}
		})
	}
}

func TestValueDecoding(t *testing.T) {
	str := func(in string) (any, bool, error) {
		var v Value[string]
		err := json.Unmarshal([]byte(in), &v)
		got, ok := v.Get()
		return got, ok, err
	}
	num := func(in string) (any, bool, error) {
		var v Value[json.Number]
		err := json.Unmarshal([]byte(in), &v)
		got, ok := v.Get()
		return got, ok, err
	}
	boolean := func(in string) (any, bool, error) {
		var v Value[bool]
		err := json.Unmarshal([]byte(in), &v)
		got, ok := v.Get()
		return got, ok, err
	}
	tests := []struct {
		name    string
		decode  func(string) (any, bool, error)
		in      string
		want    any
		wantOK  bool
		wantErr bool
	}{
		{"string", str, `{"value":"ANDY LAU"}`, "ANDY LAU", true, false},
		{"empty string", str, `{"value":""}`, "", true, false},
		{"null value", str, `{"value":null}`, "", true, false},
		{"no value", str, `{"source":"1"}`, "", true, false},
		{"number as string", str, `{"value":2018}`, "2018", true, false},
		{"bool as string", str, `{"value":true}`, "true", true, false},
		{"bare scalar", str, `"S6005048A"`, "S6005048A", true, false},
		{"unavailable", str, `{"unavailable":true,"classification":"C","source":"1","lastupdated":"2024-01-01"}`, "", false, false},
		{"object value", str, `{"value":{"a":1}}`, "", true, true},
		{"number", num, `{"value":100000.01}`, json.Number("100000.01"), true, false},
		{"big number kept", num, `{"value":100000000343840}`, json.Number("100000000343840"), true, false},
		{"numeric string", num, `{"value":"1581.48"}`, json.Number("1581.48"), true, false},
		{"empty number", num, `{"value":""}`, json.Number(""), true, false},
		{"text is not a number", num, `{"value":"ten"}`, json.Number(""), true, true},
		{"padded number", num, `{"value":" 12"}`, json.Number(""), true, true},
		{"bool is not a number", num, `{"value":true}`, json.Number(""), true, true},
		{"bool", boolean, `{"value":true}`, true, true, false},
		{"Y", boolean, `{"value":"Y"}`, true, true, false},
		{"false string", boolean, `{"value":"false"}`, false, true, false},
		{"empty bool", boolean, `{"value":""}`, false, true, false},
		{"maybe", boolean, `{"value":"maybe"}`, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := tt.decode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %#v, %v; want %#v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNilItemsAreSafe(t *testing.T) {
	var v *Value[string]
	if _, ok := v.Get(); ok {
		t.Error("nil Value: ok")
	}
	var c *Code
	if _, ok := c.Get(); ok {
		t.Error("nil Code: ok")
	}
	var a *Address
	if a.Unformatted() {
		t.Error("nil Address: unformatted")
	}
}

func TestCodeDecoding(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Code
		wantErr bool
	}{
		{"coded", `{"code":"SG","desc":"SINGAPORE","source":"1"}`, Code{Code: "SG", Desc: "SINGAPORE", Meta: Meta{Source: "1"}}, false},
		{"empty", `{"code":"","desc":""}`, Code{}, false},
		{"numeric code", `{"code":112,"desc":"2-ROOM FLAT (HDB)"}`, Code{Code: "112", Desc: "2-ROOM FLAT (HDB)"}, false},
		{"bare code", `"SG"`, Code{Code: "SG"}, false},
		{"unavailable", `{"unavailable":true,"source":"1"}`, Code{Meta: Meta{Source: "1", Unavailable: true}}, false},
		{"array code", `{"code":["SG"]}`, Code{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Code
			err := json.Unmarshal([]byte(tt.in), &c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && c != tt.want {
				t.Errorf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestItemMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"value", Value[string]{Value: "X", Meta: Meta{Source: "1"}}, `{"value":"X","source":"1"}`},
		{"empty value kept", Value[string]{}, `{"value":""}`},
		{"unavailable value", Value[string]{Meta: Meta{Source: "1", Unavailable: true}}, `{"source":"1","unavailable":true}`},
		{"number", Value[json.Number]{Value: "0.01"}, `{"value":0.01}`},
		{"code", Code{Code: "SG", Desc: "SINGAPORE"}, `{"code":"SG","desc":"SINGAPORE"}`},
		{"empty code kept", Code{}, `{"code":"","desc":""}`},
		{"unavailable code", Code{Meta: Meta{Unavailable: true}}, `{"unavailable":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got %s, want %s", b, tt.want)
			}
		})
	}
}

func TestListShapes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // each record's class value, "-" for an unavailable record
		wantErr bool
	}{
		{"array", `[{"class":{"value":"2A"}},{"class":{"value":"3A"}}]`, []string{"2A", "3A"}, false},
		{"empty array", `[]`, []string{}, false},
		{"null", `null`, nil, false},
		{"numbered object in order", `{"1":{"class":{"value":"3A"}},"0":{"class":{"value":"2A"}}}`, []string{"2A", "3A"}, false},
		{"numbered object sorted numerically", `{"10":{"class":{"value":"b"}},"9":{"class":{"value":"a"}}}`, []string{"a", "b"}, false},
		{"single record", `{"class":{"value":"2A"}}`, []string{"2A"}, false},
		{"leading zero is not an index", `{"01":{"class":{"value":"2A"}}}`, []string{""}, false},
		{"empty object", `{}`, []string{}, false},
		{"string", `"2A"`, nil, true},
		{"bad record", `[{"class":{"value":[1]}}]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l List[LicenceClass]
			err := json.Unmarshal([]byte(tt.in), &l)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if (l == nil) != (tt.want == nil) || len(l) != len(tt.want) {
				t.Fatalf("got %d records (nil %v), want %d (nil %v)", len(l), l == nil, len(tt.want), tt.want == nil)
			}
			for i, rec := range l {
				if got, _ := rec.Class.Get(); got != tt.want[i] {
					t.Errorf("record %d class = %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestUnavailableList(t *testing.T) {
	in := `{"vehicles":{"unavailable":true,"classification":"C","source":"1","lastupdated":"2026-02-14"}}`
	p, err := ParsePerson([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Vehicles) != 1 || !p.Vehicles[0].Unavailable || p.Vehicles[0].LastUpdated != "2026-02-14" {
		t.Errorf("vehicles = %+v, want one unavailable record", p.Vehicles)
	}
}

func TestAddressUnformatted(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"SG", `{"type":"SG","block":{"value":"1"}}`, false},
		{"Unformatted", `{"type":"Unformatted","line1":{"value":"A"}}`, true},
		{"UNFORMATTED", `{"type":"UNFORMATTED","line1":{"value":"A"}}`, true},
		{"lines without type", `{"line1":{"value":"A"}}`, true},
		{"fields without type", `{"street":{"value":"A"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Address
			if err := json.Unmarshal([]byte(tt.in), &a); err != nil {
				t.Fatal(err)
			}
			if got := a.Unformatted(); got != tt.want {
				t.Errorf("Unformatted() = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzPersonRoundTrip: a parsed person normalises, marshals and parses again.
func FuzzPersonRoundTrip(f *testing.F) {
	f.Add(`{"uinfin":{"value":"S6005048A"},"name":{"value":"ANDY LAU"},"sex":{"code":"M","desc":"MALE"}}`)
	f.Add(`{"regadd":{"type":"Unformatted","line1":{"value":"A"},"country":{"code":"MY"}},"mobileno":{"nbr":{"value":1}}}`)
	f.Add(`{"vehicles":{"0":{"classification":"C"},"1":{"unavailable":true}},"hdbownership":{"unavailable":true}}`)
	f.Add(`{"cpfbalances":{"ma":{"value":"1.5"}},"ownerprivate":{"value":"Y"},"email":"a@b"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePerson([]byte(in))
		if err != nil {
			return
		}
		_ = p.Normalize()
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("parsed person does not marshal: %v", err)
		}
		if _, err := ParsePerson(b); err != nil {
			t.Fatalf("marshalled person does not parse: %v", err)
		}
	})
}
