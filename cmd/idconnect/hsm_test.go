//go:build cgo

package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect/emulator/personas"
	singpassemu "github.com/idconnect/idconnect/emulator/singpass"
	"github.com/idconnect/idconnect/internal/softhsm"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
)

// hsmEnv makes a SoftHSM2 token and returns the IDCONNECT_PKCS11_*
// variables naming it.
func hsmEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"IDCONNECT_PKCS11_MODULE": softhsm.NewToken(t, "idconnect-rp"),
		"IDCONNECT_PKCS11_TOKEN":  "idconnect-rp",
		"IDCONNECT_PKCS11_PIN":    softhsm.PIN,
	}
}

func runKeysEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"keys"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestKeysPKCS11: with IDCONNECT_PKCS11_* set, keys generate and keys
// rotate make the keys in the token, and the file holds only their public
// halves and labels.
func TestKeysPKCS11(t *testing.T) {
	env := hsmEnv(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	code, pub, stderr := runKeysEnv(t, env, "generate", "-out", path)
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	file, _ := os.ReadFile(path)
	if strings.Count(string(file), `"hsm_label"`) != 2 || strings.Contains(string(file), `"d"`) || strings.Contains(pub, `"d"`) {
		t.Fatalf("key set file:\n%s", file)
	}
	if code, _, stderr := runKeys(t, "public", "-in", path); code != 1 || !strings.Contains(stderr, "held in an HSM") {
		t.Errorf("public without the token: exit %d: %s", code, stderr)
	}
	if code, again, stderr := runKeysEnv(t, env, "public", "-in", path); code != 0 || again != pub {
		t.Errorf("public with the token: exit %d: %s\n%s", code, stderr, again)
	}
	if code, _, stderr := runKeysEnv(t, env, "rotate", "-in", path); code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	file, _ = os.ReadFile(path)
	if strings.Count(string(file), `"hsm_label"`) != 4 || strings.Contains(string(file), `"d"`) {
		t.Fatalf("rotated key set file:\n%s", file)
	}
	bad := map[string]string{"IDCONNECT_PKCS11_MODULE": env["IDCONNECT_PKCS11_MODULE"], "IDCONNECT_PKCS11_TOKEN": "idconnect-rp"}
	if code, _, stderr := runKeysEnv(t, bad, "generate", "-out", path+".2"); code != 1 || !strings.Contains(stderr, "go together") {
		t.Errorf("no PIN: exit %d: %s", code, stderr)
	}
}

// TestServiceOnHSM: the service, configured for a Singpass (here an
// emulator on loopback) with its key set and DPoP key in a SoftHSM2 token,
// completes a Myinfo login: the emulator fetches the service's JWKS,
// verifies client assertions and DPoP proofs signed in the token and
// encrypts to the token's key.
func TestServiceOnHSM(t *testing.T) {
	env := hsmEnv(t)
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	if code, _, stderr := runKeysEnv(t, env, "generate", "-out", keysFile); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	// A DPoP key in the token, as an operator makes one with the token's
	// own tools.
	tok, err := pkcs11.Open(pkcs11.Config{Module: env["IDCONNECT_PKCS11_MODULE"], TokenLabel: env["IDCONNECT_PKCS11_TOKEN"], PIN: env["IDCONNECT_PKCS11_PIN"]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Generate("rp-dpop", pkcs11.UseSig); err != nil {
		t.Fatal(err)
	}
	tok.Close()
	env["IDCONNECT_PKCS11_DPOP_KEY"] = "rp-dpop"

	svcSrv := httptest.NewUnstartedServer(nil)
	public := "http://" + svcSrv.Listener.Addr().String()
	var emuHandler http.Handler = http.NotFoundHandler()
	emuSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { emuHandler.ServeHTTP(w, r) }))
	defer emuSrv.Close()
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	const clientID = "idconnect-hsm-app"
	emu, err := singpassemu.New(singpassemu.Config{
		Issuer: emuSrv.URL + "/fapi", Personas: people, AllowIPRedirectURIs: true,
		Clients: []singpassemu.Client{{ID: clientID, Kind: singpassemu.MyinfoApp, JWKSURL: public + "/.well-known/jwks.json",
			RedirectURIs: []string{public + "/callback/singpass"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/fapi/", http.StripPrefix("/fapi", emu))
	mux.Handle("/.well-known/keys", emu.JWKSHandler())
	emuHandler = mux

	env["IDCONNECT_SINGPASS_ISSUER"] = emu.Issuer()
	env["IDCONNECT_SINGPASS_CLIENT_ID"] = clientID
	env["IDCONNECT_SINGPASS_KEYS"] = keysFile
	env["IDCONNECT_SINGPASS_SCOPES"] = "uinfin,name"
	env["IDCONNECT_REDIRECT_URL"] = public + "/callback"
	env["IDCONNECT_PKCS11_DPOP_KEY"] = "no-such-key"
	if _, err := loadServiceConfig(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "IDCONNECT_PKCS11_DPOP_KEY") {
		t.Fatalf("a missing DPoP key: %v", err)
	}
	env["IDCONNECT_PKCS11_DPOP_KEY"] = "rp-dpop"
	cfg, err := loadServiceConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.closeHSM()
	if cfg.HSM == nil {
		t.Fatal("the configuration opened no token")
	}
	if signer, _, err := cfg.Singpass.Keys.SigningKey(time.Now()); err != nil {
		t.Fatal(err)
	} else if _, ok := signer.(*pkcs11.Key); !ok {
		t.Fatalf("the service signs with a %T, not the token's key", signer)
	}
	if k, ok := cfg.Singpass.DPoPKey.(*pkcs11.Key); !ok || k.Label() != "rp-dpop" {
		t.Fatalf("the DPoP key is %T, not the token's rp-dpop", cfg.Singpass.DPoPKey)
	}
	dpop := &countingSigner{Signer: cfg.Singpass.DPoPKey}
	cfg.Singpass.DPoPKey = dpop
	svc, err := buildService(cfg, slog.New(slog.DiscardHandler), svcSrv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()
	svcSrv.Config.Handler = svc.handler
	svcSrv.Start()
	defer svcSrv.Close()

	c := browserClient(t)
	start := get(t, c, public+"/login/singpass")
	var a struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(start.body), &a); err != nil || start.status != http.StatusOK {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	auth := get(t, c, a.Data.URL+"&persona=S6005048A&consent=allow")
	loc := auth.header.Get("Location")
	if auth.status != http.StatusFound || !strings.HasPrefix(loc, public+"/callback/singpass?") {
		t.Fatalf("authorize: %d to %q", auth.status, loc)
	}
	done := get(t, c, loc)
	if done.status != http.StatusOK || !strings.Contains(done.body, `"S6005048A"`) || !strings.Contains(done.body, "ANDY LAU") {
		t.Fatalf("callback: %d %s", done.status, done.body)
	}
	if n := dpop.n.Load(); n != 3 {
		t.Errorf("the token's DPoP key signed %d proofs, want 3 (PAR, token, userinfo)", n)
	}
	// The published set is the token keys' public half.
	jwks := get(t, c, public+"/.well-known/jwks.json")
	file, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatal(err)
	}
	set, err := keyset.ParseHeld(file, cfg.HSM.Holder())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := set.PublicJSON()
	if jwks.body != string(want) {
		t.Errorf("served JWKS:\n%s\nwant\n%s", jwks.body, want)
	}
	if probs := keyset.CheckJWKS([]byte(jwks.body)); len(probs) != 0 {
		t.Errorf("the served JWKS would be rejected: %v", probs)
	}
}

// countingSigner counts the signatures a key makes.
type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, digest, opts)
}
