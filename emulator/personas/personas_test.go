package personas

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// checkLetter computes the check letter of an NRIC/FIN with the public
// algorithm: weights 2,7,6,5,4,3,2 over the seven digits, plus 4 for the T
// and G series, modulo 11, looked up in the series' letter table.
func checkLetter(id string) (byte, error) {
	if len(id) != 9 {
		return 0, fmt.Errorf("length %d, want 9", len(id))
	}
	weights := [7]int{2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		d := id[1+i]
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("character %d is not a digit", i+1)
		}
		sum += int(d-'0') * w
	}
	var table string
	switch id[0] {
	case 'S':
		table = "JZIHGFEDCBA"
	case 'T':
		table, sum = "JZIHGFEDCBA", sum+4
	case 'F':
		table = "XWUTRQPNMLK"
	case 'G':
		table, sum = "XWUTRQPNMLK", sum+4
	default:
		// The M series (from 2022) is not used by any persona.
		return 0, fmt.Errorf("unsupported series %q", id[0])
	}
	return table[sum%11], nil
}

func TestCheckLetter(t *testing.T) {
	tests := []struct {
		id   string
		want byte
	}{
		{"S0000001I", 'I'},
		{"T0000001E", 'E'},
		{"F0000001U", 'U'},
		{"G0000001P", 'P'},
		{"S6005048A", 'A'}, // the seed service's example person
		{"S1111111D", 'D'}, // the v3 specification's sample person
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := checkLetter(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("checkLetter(%s) = %c, want %c", tt.id, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "S123", "M1234567K", "S12A4567B"} {
		t.Run("reject "+bad, func(t *testing.T) {
			if _, err := checkLetter(bad); err == nil {
				t.Errorf("checkLetter(%q) succeeded, want an error", bad)
			}
		})
	}
}

// TestMyinfoPersonas checks every embedded persona: an object of items,
// a uinfin matching the file name with a valid check letter, a name, a
// summary, consistent partialuinfin, and no data beside an unavailable
// marker.
func TestMyinfoPersonas(t *testing.T) {
	ps, err := Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 9 {
		t.Errorf("got %d Myinfo personas, want at least 9", len(ps))
	}
	for _, p := range ps {
		t.Run(p.ID, func(t *testing.T) {
			var attrs map[string]json.RawMessage
			if err := json.Unmarshal(p.Myinfo, &attrs); err != nil {
				t.Fatalf("not a JSON object: %v", err)
			}
			var uinfin struct{ Value string }
			if err := json.Unmarshal(attrs["uinfin"], &uinfin); err != nil || uinfin.Value != p.ID {
				t.Errorf("uinfin = %q (%v), want %q", uinfin.Value, err, p.ID)
			}
			if p.Name == "" {
				t.Error("no name")
			}
			if p.Summary == "" {
				t.Error("no summary in myinfo-summaries.json")
			}
			letter, err := checkLetter(p.ID)
			if err != nil {
				t.Fatalf("check letter: %v", err)
			}
			if p.ID[8] != letter {
				t.Errorf("check letter %c, want %c", p.ID[8], letter)
			}
			if raw, ok := attrs["partialuinfin"]; ok {
				var partial struct{ Value string }
				if err := json.Unmarshal(raw, &partial); err != nil || partial.Value != "*****"+p.ID[5:] {
					t.Errorf("partialuinfin = %q, want %q", partial.Value, "*****"+p.ID[5:])
				}
			}
			for name, raw := range attrs {
				raw = bytes.TrimSpace(raw)
				if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
					t.Errorf("attribute %q is neither an object nor an array", name)
					continue
				}
				var item map[string]json.RawMessage
				if raw[0] != '{' || json.Unmarshal(raw, &item) != nil {
					continue
				}
				if string(item["unavailable"]) != "true" {
					continue
				}
				for _, k := range []string{"value", "code", "desc"} {
					if _, ok := item[k]; ok {
						t.Errorf("attribute %q is unavailable but has %q", name, k)
					}
				}
			}
		})
	}
}

// TestMyinfoSummaries checks that every summary belongs to a persona.
func TestMyinfoSummaries(t *testing.T) {
	summaries, err := myinfoSummaries()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]bool, len(ps))
	for _, p := range ps {
		ids[p.ID] = true
	}
	for id := range summaries {
		if !ids[id] {
			t.Errorf("myinfo-summaries.json names %s, which has no persona file", id)
		}
	}
}

// TestSeedPersonasUnchanged pins the two personas copied from the seed
// documents: they must stay byte-identical to what the seeds publish.
func TestSeedPersonasUnchanged(t *testing.T) {
	tests := []struct {
		file   string
		sha256 string
	}{
		{"myinfo/S6005048A.json", "7d24be5456b249ed5af54e5dbb9d349d8473a532828652d761b7ac9211e4e73c"},
		{"myinfo/S1111111D.json", "7a6dbbae607328f64ee1dda5df412ad0dda20ecad4626928677fb84bce16a3b2"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := myinfoFiles.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if got := hex.EncodeToString(sum[:]); got != tt.sha256 {
				t.Errorf("SHA-256 %s, want %s: the seed persona was edited", got, tt.sha256)
			}
		})
	}
}

func TestMyinfoReturnsFreshCopies(t *testing.T) {
	a, err := Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Myinfo[0] = 'x'
	b, err := Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Myinfo[0] != '{' {
		t.Error("changing a returned persona changed the next call's result")
	}
}

func TestItemLabel(t *testing.T) {
	for item, want := range map[string]string{"regadd": "Registered address", "uinfin": "NRIC/FIN", "vehicles": "vehicles"} {
		if got := ItemLabel(item); got != want {
			t.Errorf("ItemLabel(%q) = %q, want %q", item, got, want)
		}
	}
}
