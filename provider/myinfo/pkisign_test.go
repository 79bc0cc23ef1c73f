package myinfo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/idconnect/idconnect/internal/jwx"
)

// pkiVector mirrors testdata/myinfo-v3/pki-sign-vector.json at the repository root.
type pkiVector struct {
	Method             string            `json:"method"`
	URL                string            `json:"url"`
	Params             map[string]string `json:"params"`
	AppID              string            `json:"app_id"`
	Nonce              string            `json:"nonce"`
	Timestamp          string            `json:"timestamp"`
	ExpectedBaseString string            `json:"expected_base_string"`
	ExpectedHeader     string            `json:"expected_header_one_valid_field_order"`
	PrivateKeyPEM      string            `json:"private_key_pem"`
}

// repoTestdata locates a file in the repository's top-level testdata folder
// (../../testdata from this package). A missing file fails the test: the
// known-answer vectors are part of what make test proves, never skipped.
func repoTestdata(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("repository test data missing (expected testdata/ at the repository root): %v", err)
	}
	return p
}

func TestPKISignVector(t *testing.T) {
	b, err := os.ReadFile(repoTestdata(t, "myinfo-v3", "pki-sign-vector.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v pkiVector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	key, err := jwx.ParseRSAPrivateKey([]byte(v.PrivateKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	p := pkiSign{method: v.Method, url: v.URL, params: v.Params, appID: v.AppID, nonce: v.Nonce, timestamp: v.Timestamp}
	if got := p.baseString(); got != v.ExpectedBaseString {
		t.Errorf("base string:\n got %s\nwant %s", got, v.ExpectedBaseString)
	}
	got, err := p.header(key)
	if err != nil {
		t.Fatal(err)
	}
	if got != v.ExpectedHeader {
		t.Errorf("header:\n got %s\nwant %s", got, v.ExpectedHeader)
	}
}

func TestBaseStringRawValuesSorted(t *testing.T) {
	p := pkiSign{
		method: "post", url: "https://example.test/com/v3/token",
		params: map[string]string{"redirect_uri": "http://localhost:3001/callback", "code": "a b&c", "client_id": "X"},
		appID:  "X", nonce: "n", timestamp: "1",
	}
	want := "POST&https://example.test/com/v3/token&app_id=X&client_id=X&code=a b&c&nonce=n&redirect_uri=http://localhost:3001/callback&signature_method=RS256&timestamp=1"
	if got := p.baseString(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
