package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestLoadServiceConfigEmulatedByDefault(t *testing.T) {
	cfg, err := loadServiceConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Emulated || cfg.Addr != ":3001" || cfg.RedirectURL != "http://localhost:3001/callback" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if strings.Join(cfg.Myinfo.Attributes, ",") != defaultAttributes {
		t.Errorf("attributes %v", cfg.Myinfo.Attributes)
	}
}

func TestLoadServiceConfigReportsEveryProblem(t *testing.T) {
	env := map[string]string{
		"IDCONNECT_ADDR":              "no-port",
		"IDCONNECT_REDIRECT_URL":      "not a url",
		"IDCONNECT_PROVIDER_TIMEOUT":  "soon",
		"IDCONNECT_MYINFO_ENV":        "staging",
		"IDCONNECT_MYINFO_CLIENT_KEY": filepath.Join(t.TempDir(), "missing.pem"),
		"IDCONNECT_MYINFO_ATTRIBUTES": "name,NAME",
	}
	_, err := loadServiceConfig(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"IDCONNECT_ADDR", "IDCONNECT_REDIRECT_URL", "IDCONNECT_PROVIDER_TIMEOUT", "unknown environment", "missing.pem", "IDCONNECT_MYINFO_CERT", "ClientID", "ClientSecret", "NAME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func genKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadServiceConfigSeedNames(t *testing.T) {
	client, provider := genKey(t), genKey(t)
	der, _ := x509.MarshalPKCS8PrivateKey(client)
	pub, _ := x509.MarshalPKIXPublicKey(&provider.PublicKey)
	env := map[string]string{
		"MYINFO_HOST":                 "https://test.api.myinfo.gov.sg/com/v3",
		"MYINFO_CLIENT_ID":            "STG2-MYINFO-SELF-TEST",
		"MYINFO_CLIENT_SECRET":        "secret",
		"KASA_GENERATED_PRIVATE_KEY":  strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n", `\n`),
		"MYINFO_GENERATED_PUBLIC_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		"KASA_REDIRECT_URL":           "http://localhost:3001/callback",
	}
	cfg, err := loadServiceConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Emulated || cfg.Myinfo.BaseURL != env["MYINFO_HOST"] || cfg.Myinfo.ClientID != "STG2-MYINFO-SELF-TEST" ||
		cfg.Myinfo.ClientKey == nil || !cfg.Myinfo.ProviderKey.Equal(&provider.PublicKey) {
		t.Fatalf("seed variables not honoured: %+v", cfg.Myinfo)
	}
	if _, err := buildService(cfg, nil, "127.0.0.1:3001"); err != nil {
		t.Fatalf("buildService: %v", err)
	}
}

func TestDecodeCommand(t *testing.T) {
	dir := t.TempDir()
	provider, client, other := genKey(t), genKey(t), genKey(t)
	certDER, _ := x509.MarshalPKIXPublicKey(&provider.PublicKey)
	certPath := writePEM(t, dir, "cert.pem", "PUBLIC KEY", certDER)
	clientDER, _ := x509.MarshalPKCS8PrivateKey(client)
	keyPath := writePEM(t, dir, "key.pem", "PRIVATE KEY", clientDER)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	otherPath := writePEM(t, dir, "other.pem", "PRIVATE KEY", otherDER)

	const person = `{"name":{"value":"ANDY LAU","source":"1"},"sex":{"code":"M","desc":"MALE"},"email":{"unavailable":true}}`
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: provider}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(person))
	if err != nil {
		t.Fatal(err)
	}
	compactJWS, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(compactJWS)
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: &client.PublicKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwe, err := enc.Encrypt(quoted)
	if err != nil {
		t.Fatal(err)
	}
	compactJWE, err := jwe.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}

	// Each row checks what could go wrong for it. A success row wants its
	// exact stdout (or, with --raw, the signed payload itself) and an empty
	// stderr. A failure row wants nothing on stdout and stderr to begin with
	// the step that failed, as decode names it: "decrypt failed",
	// "signature check failed" or "format error".
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  string // exact stdout; "" with wantRaw or a failure
		wantRaw  string // stdout, compacted, must equal this JSON
		wantErr  string // stderr prefix after "idconnect decode: "; "" means stderr is empty
		wantUse  bool   // stderr is the usage text
	}{
		{name: "JWE to sodata", args: []string{"--cert", certPath, "--key", keyPath}, stdin: compactJWE,
			wantOut: "{\n  \"name\": \"ANDY LAU\",\n  \"sex\": \"M\",\n  \"email\": null\n}\n"},
		{name: "JWS raw", args: []string{"--cert", certPath, "--raw"}, stdin: string(quoted), wantRaw: person},
		{name: "chosen attributes", args: []string{"--cert", certPath, "--attributes", "sex"}, stdin: compactJWS,
			wantOut: "{\n  \"sex\": \"M\"\n}\n"},
		{name: "wrong key", args: []string{"--cert", certPath, "--key", otherPath}, stdin: compactJWE, wantCode: 1,
			wantErr: "decrypt failed: "},
		{name: "wrong certificate", args: []string{"--cert", otherPathPub(t, dir, other)}, stdin: compactJWS, wantCode: 1,
			wantErr: "signature check failed: "},
		{name: "garbage", args: []string{"--cert", certPath}, stdin: "hello", wantCode: 1,
			wantErr: "format error: "},
		{name: "no certificate", stdin: compactJWS, wantCode: 2, wantUse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"decode", "myinfo-v3"}, tt.args...), func(string) string { return "" }, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			switch {
			case tt.wantRaw != "":
				var compact bytes.Buffer
				if err := json.Compact(&compact, stdout.Bytes()); err != nil {
					t.Fatalf("raw output is not JSON (%v): %s", err, stdout.String())
				}
				if compact.String() != tt.wantRaw {
					t.Errorf("raw output is not the signed person JSON:\n got %s\nwant %s", compact.String(), tt.wantRaw)
				}
			case stdout.String() != tt.wantOut:
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.wantOut)
			}
			switch {
			case tt.wantUse:
				if !strings.HasPrefix(stderr.String(), "Usage of decode myinfo-v3:") || !strings.Contains(stderr.String(), "-cert") {
					t.Errorf("stderr is not the usage text: %q", stderr.String())
				}
			case tt.wantErr == "":
				if stderr.Len() != 0 {
					t.Errorf("stderr not empty on success: %q", stderr.String())
				}
			default:
				if want := "idconnect decode: " + tt.wantErr; !strings.HasPrefix(stderr.String(), want) {
					t.Errorf("stderr %q does not begin with %q", stderr.String(), want)
				}
			}
		})
	}
}

func otherPathPub(t *testing.T, dir string, k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return writePEM(t, dir, "other-pub.pem", "PUBLIC KEY", der)
}

func TestRunUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"version"}, func(string) string { return "" }, nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "idconnect ") {
		t.Errorf("version: exit %d, %s", code, stdout.String())
	}
}

// Real Singpass is configured by issuer name, client id and the key-set
// file of `idconnect keys generate`; the seed routes can run on it.
func TestLoadServiceConfigSingpass(t *testing.T) {
	dir := t.TempDir()
	keysPath := filepath.Join(dir, "keys.json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keys", "generate", "-out", keysPath}, func(string) string { return "" }, nil, &out, &errb); code != 0 {
		t.Fatalf("keys generate: %d %s", code, errb.String())
	}
	env := map[string]string{
		"IDCONNECT_SINGPASS_ISSUER":    "staging",
		"IDCONNECT_SINGPASS_CLIENT_ID": "abcdefghijklmnopqrstuvwxyz012345",
		"IDCONNECT_SINGPASS_KEYS":      keysPath,
		"IDCONNECT_SINGPASS_NAME":      "sp",
		"IDCONNECT_MYINFO_API":         "fapi",
		"IDCONNECT_REDIRECT_URL":       "https://app.example/callback",
	}
	cfg, err := loadServiceConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Emulated || cfg.MyinfoV3 || cfg.Singpass == nil || cfg.Singpass.Issuer != "https://stg-id.singpass.gov.sg/fapi" || cfg.Singpass.Name != "sp" {
		t.Fatalf("config: %+v %+v", cfg, cfg.Singpass)
	}
	svc, err := buildService(cfg, nil, "127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	svc.handler.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"d"`) {
		t.Fatalf("jwks: %d %s", rec.Code, rec.Body)
	}
}

func TestLoadServiceConfigSingpassProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"fapi without Singpass", map[string]string{"IDCONNECT_MYINFO_API": "fapi", "IDCONNECT_MYINFO_CLIENT_ID": "x"}, []string{"IDCONNECT_MYINFO_API is fapi"}},
		{"v3 without Myinfo", map[string]string{"IDCONNECT_MYINFO_API": "v3", "IDCONNECT_SINGPASS_ISSUER": "staging"}, []string{"IDCONNECT_MYINFO_API is v3", "IDCONNECT_SINGPASS_KEYS is required"}},
		{"unknown API", map[string]string{"IDCONNECT_MYINFO_API": "v4"}, []string{"want v3 or fapi"}},
		{"bad app and keys", map[string]string{"IDCONNECT_MYINFO_API": "fapi", "IDCONNECT_SINGPASS_ISSUER": "staging", "IDCONNECT_SINGPASS_APP": "corp",
			"IDCONNECT_SINGPASS_KEYS": "/nonexistent/keys.json"}, []string{"IDCONNECT_SINGPASS_APP", "/nonexistent/keys.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadServiceConfig(func(k string) string { return tc.env[k] })
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// Real OneID is configured by environment, client id and secret; the
// redirect URI is the generic route's, and the seed routes are left out
// when neither Myinfo v3 nor Singpass runs.
func TestLoadServiceConfigOneID(t *testing.T) {
	env := map[string]string{
		"IDCONNECT_ONEID_ENV":           "sandbox",
		"IDCONNECT_ONEID_CLIENT_ID":     "client-1",
		"IDCONNECT_ONEID_CLIENT_SECRET": "s3cret-value",
		"IDCONNECT_ONEID_SCOPES":        "openid profile accounts accounts.balances",
		"IDCONNECT_ONEID_REPORT":        "on",
		"IDCONNECT_REDIRECT_URL":        "https://app.example/callback",
	}
	cfg, err := loadServiceConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Emulated || cfg.MyinfoV3 || cfg.SeedAPI != "" || cfg.OneID == nil || cfg.OneID.Issuer != "https://controller.sandbox.myoneid.co.uk" ||
		cfg.OneID.RedirectURI != "https://app.example/callback/oneid" || !cfg.OneID.FetchReport || len(cfg.OneID.Scopes) != 4 {
		t.Fatalf("config: %+v %+v", cfg, cfg.OneID)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", cfg, cfg.OneID, cfg.OneID), "s3cret-value") {
		t.Fatal("the client secret prints")
	}
	svc, err := buildService(cfg, nil, "127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	svc.handler.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/users/me/external/myinfo-redirect-login", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("seed route without Myinfo: %d", rec.Code)
	}

	env["IDCONNECT_ONEID_SCOPES"] = "openid accounts.balances"
	env["IDCONNECT_ONEID_REPORT"] = "maybe"
	if _, err := loadServiceConfig(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "IDCONNECT_ONEID_REPORT") || !strings.Contains(err.Error(), "accounts") {
		t.Fatalf("bad OneID settings: err = %v", err)
	}
}
