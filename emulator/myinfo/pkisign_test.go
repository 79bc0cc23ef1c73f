package myinfo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// TestPKISignVector reproduces the published known-answer vector byte for
// byte: base string, signature and header.
func TestPKISignVector(t *testing.T) {
	// The vector lives in the repository's top-level testdata folder; a
	// missing file fails the test, never skips it.
	path := filepath.Join("..", "..", "testdata", "myinfo-v3", "pki-sign-vector.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("test vector missing (expected testdata/ at the repository root): %v", err)
	}
	var v struct {
		Method             string            `json:"method"`
		URL                string            `json:"url"`
		Params             map[string]string `json:"params"`
		AppID              string            `json:"app_id"`
		Nonce              string            `json:"nonce"`
		Timestamp          string            `json:"timestamp"`
		SignatureMethod    string            `json:"signature_method"`
		ExpectedBaseString string            `json:"expected_base_string"`
		ExpectedHeader     string            `json:"expected_header_one_valid_field_order"`
		PrivateKeyPEM      string            `json:"private_key_pem"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(v.PrivateKeyPEM))
	if block == nil {
		t.Fatal("no PEM key in vector")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(*rsa.PrivateKey)

	params := url.Values{}
	for name, val := range v.Params {
		params.Set(name, val)
	}
	p := PKISign{AppID: v.AppID, Nonce: v.Nonce, Timestamp: v.Timestamp, SignatureMethod: v.SignatureMethod}
	all := p.Params()
	for name, val := range params {
		all[name] = val
	}
	if got := BaseString(v.Method, v.URL, all); got != v.ExpectedBaseString {
		t.Fatalf("base string:\n got %s\nwant %s", got, v.ExpectedBaseString)
	}

	parsed, bearer, err := ParsePKISign(v.ExpectedHeader)
	if err != nil || bearer != "" {
		t.Fatalf("ParsePKISign(vector header) = %v, %q", err, bearer)
	}
	if err := parsed.Verify(&key.PublicKey, v.Method, v.URL, params); err != nil {
		t.Fatalf("vector signature does not verify: %v", err)
	}
	sum := sha256.Sum256([]byte(v.ExpectedBaseString))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	p.Signature = base64.StdEncoding.EncodeToString(sig)
	if p != parsed {
		t.Fatalf("signing the base string gives %+v, vector has %+v", p, parsed)
	}
	if got := p.String(); got != v.ExpectedHeader {
		t.Fatalf("header:\n got %s\nwant %s", got, v.ExpectedHeader)
	}

	// One changed parameter must fail.
	params.Set("attributes", "name")
	if err := parsed.Verify(&key.PublicKey, v.Method, v.URL, params); err == nil {
		t.Fatal("verification passed with a changed parameter")
	}
}

func TestParsePKISign(t *testing.T) {
	want := PKISign{AppID: "app", Nonce: "n1", Timestamp: "1700000000000", SignatureMethod: "RS256", Signature: "c2ln"}
	ok := []struct {
		name, header, bearer string
	}{
		{"node order", `PKI_SIGN timestamp="1700000000000",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln"`, ""},
		{"alphabetical", `PKI_SIGN app_id="app",nonce="n1",signature="c2ln",signature_method="RS256",timestamp="1700000000000"`, ""},
		{"comma space", `PKI_SIGN timestamp="1700000000000", nonce="n1", app_id="app", signature_method="RS256", signature="c2ln"`, ""},
		{"unquoted", `PKI_SIGN timestamp=1700000000000,nonce=n1,app_id=app,signature_method=RS256,signature=c2ln`, ""},
		{"extra fields ignored", `PKI_SIGN app_id="app",client_secret="x,y",nonce="n1",signature_method="RS256",signature="c2ln",timestamp="1700000000000"`, ""},
		{"bearer", `PKI_SIGN timestamp="1700000000000",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln",Bearer eyJ.a.b`, "eyJ.a.b"},
		{"bearer after space", `PKI_SIGN timestamp="1700000000000",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln", Bearer eyJ.a.b`, "eyJ.a.b"},
		{"scheme case", `pki_sign timestamp="1700000000000",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln",bearer eyJ.a.b`, "eyJ.a.b"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			p, bearer, err := ParsePKISign(tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if p != want || bearer != tc.bearer {
				t.Fatalf("got %+v %q", p, bearer)
			}
		})
	}
	bad := []struct{ name, header string }{
		{"empty", ``},
		{"bearer only", `Bearer eyJ.a.b`},
		{"other scheme", `Basic abc`},
		{"missing signature", `PKI_SIGN timestamp="1",nonce="n1",app_id="app",signature_method="RS256"`},
		{"repeated field", `PKI_SIGN timestamp="1",nonce="n1",nonce="n2",app_id="app",signature_method="RS256",signature="c2ln"`},
		{"HS256", `PKI_SIGN timestamp="1",nonce="n1",app_id="app",signature_method="HS256",signature="c2ln"`},
		{"empty nonce", `PKI_SIGN timestamp="1",nonce="",app_id="app",signature_method="RS256",signature="c2ln"`},
		{"unterminated", `PKI_SIGN timestamp="1,nonce="n1",app_id="app",signature_method="RS256",signature="c2ln`},
		{"trailing comma", `PKI_SIGN timestamp="1",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln",`},
		{"junk after value", `PKI_SIGN timestamp="1"x,nonce="n1",app_id="app",signature_method="RS256",signature="c2ln"`},
		{"empty bearer", `PKI_SIGN timestamp="1",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln",Bearer `},
		{"bearer with space", `PKI_SIGN timestamp="1",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln",Bearer a b`},
		{"no equals", `PKI_SIGN timestamp`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if p, b, err := ParsePKISign(tc.header); err == nil {
				t.Fatalf("accepted: %+v %q", p, b)
			}
		})
	}
}

func TestBaseStringSortsAndKeepsRawValues(t *testing.T) {
	got := BaseString("post", "https://h/p", url.Values{
		"b":     {"x y"},
		"a":     {"1,2", "3"},
		"B":     {"upper"},
		"redir": {"http://l/cb?x=1&y=2"},
	})
	want := "POST&https://h/p&B=upper&a=1,2&a=3&b=x y&redir=http://l/cb?x=1&y=2"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// FuzzParsePKISign checks that the parser never panics and that a parsed
// header re-renders to one that parses to the same values.
func FuzzParsePKISign(f *testing.F) {
	for _, s := range []string{
		`PKI_SIGN timestamp="1700000000000",nonce="n1",app_id="app",signature_method="RS256",signature="c2ln"`,
		`PKI_SIGN app_id="a",nonce="n",signature_method="RS256",signature="s",timestamp="1",Bearer eyJ.a.b`,
		`PKI_SIGN timestamp=1, nonce=n, app_id=a, signature_method=RS256, signature=s, Bearer t`,
		`PKI_SIGN x="a,b",app_id="a",nonce="n",signature_method="RS256",signature="s",timestamp="1"`,
		`PKI_SIGN `, `Bearer x`, `PKI_SIGN a="`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		p, bearer, err := ParsePKISign(header)
		if err != nil {
			return
		}
		again := p.String()
		if bearer != "" {
			again += ",Bearer " + bearer
		}
		p2, bearer2, err := ParsePKISign(again)
		if err != nil {
			t.Fatalf("re-rendered header %q does not parse: %v", again, err)
		}
		if p2 != p || bearer2 != bearer {
			t.Fatalf("re-rendered header parses differently: %+v %q vs %+v %q", p2, bearer2, p, bearer)
		}
	})
}
