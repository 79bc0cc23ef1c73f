package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idconnect/idconnect/keyset"
)

func runKeys(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"keys"}, args...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestKeysGenerateAndPublic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	code, pub, stderr := runKeys(t, "generate", "-out", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	set, err := keyset.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pub, `"d"`) || !strings.Contains(pub, `"use": "sig"`) || !strings.Contains(pub, `"use": "enc"`) {
		t.Errorf("public set:\n%s", pub)
	}
	want, _ := set.PublicJSON()
	if pub != string(want) {
		t.Errorf("printed public set is not the file's")
	}
	// keys public prints the same set.
	code, pub2, stderr := runKeys(t, "public", "-in", path)
	if code != 0 || pub2 != pub {
		t.Fatalf("keys public: exit %d %s\n%s", code, stderr, pub2)
	}
	// No overwrite without -force.
	code, _, stderr = runKeys(t, "generate", "-out", path)
	if code != 1 || !strings.Contains(stderr, "-force") {
		t.Errorf("overwrite: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Error("the existing file changed")
	}
	os.Chmod(path, 0o644)
	if code, _, stderr = runKeys(t, "generate", "-out", path, "-force"); code != 0 {
		t.Fatalf("-force: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(path); bytes.Equal(again, data) {
		t.Error("-force did not replace the file")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after -force %v", st.Mode().Perm())
	}
}

func TestKeysRefusals(t *testing.T) {
	dir := t.TempDir()
	pubOnly := filepath.Join(dir, "public.json")
	set, _ := keyset.Generate(nil)
	pub, _ := set.PublicJSON()
	os.WriteFile(pubOnly, pub, 0o600)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"rotate"}, 2, "-in"},
		{[]string{"unknown"}, 2, "usage"},
		{[]string{"public", "-in", pubOnly, "-at", "tomorrow"}, 1, "RFC 3339"},
		{[]string{"public"}, 2, "-in"},
		{[]string{"public", "-in", filepath.Join(dir, "missing.json")}, 1, "no such file"},
		{[]string{"public", "-in", pubOnly}, 1, "public key only"},
		{[]string{"generate", "extra"}, 2, ""},
	} {
		code, _, stderr := runKeys(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("keys %v: exit %d, stderr %q", tt.args, code, stderr)
		}
	}
}

func TestKeysRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if code, _, stderr := runKeys(t, "generate", "-out", path); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	before, _ := os.ReadFile(path)
	old, _ := keyset.Parse(before)
	code, pub, stderr := runKeys(t, "rotate", "-in", path, "-publish", "2h", "-drain", "10m")
	if code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, stderr)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	set, err := keyset.Parse(after)
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Keys()
	if len(keys) != 4 {
		t.Fatalf("%d keys after rotate, want 4", len(keys))
	}
	oldSig, oldEnc, newSig, newEnc := keys[0], keys[1], keys[2], keys[3]
	if oldSig.KeyID != old.Keys()[0].KeyID || oldEnc.KeyID != old.Keys()[1].KeyID || newSig.Use != "sig" || newEnc.Use != "enc" {
		t.Fatalf("keys %+v", keys)
	}
	// The times are relative to the moment of rotation (the file's own
	// created), whatever the clock said.
	created := newSig.Created
	if !newSig.NotBefore.Equal(created.Add(2*time.Hour)) || !newEnc.NotBefore.Equal(created.Add(2*time.Hour)) ||
		!oldSig.RetireAfter.Equal(created.Add(2*time.Hour+10*time.Minute)) || !oldEnc.RetireAfter.Equal(created.Add(4*time.Hour+10*time.Minute)) {
		t.Errorf("times %+v", keys)
	}
	for _, kid := range []string{oldSig.KeyID, newSig.KeyID, oldEnc.KeyID} {
		if !strings.Contains(pub, kid) {
			t.Errorf("the printed set lacks %s", kid)
		}
	}
	if strings.Contains(pub, newEnc.KeyID) || strings.Contains(pub, `"d"`) {
		t.Errorf("the printed set publishes the new decryption key before the takeover, or a private part:\n%s", pub)
	}
	if !strings.Contains(stderr, "signs from "+created.Add(2*time.Hour).UTC().Format(time.RFC3339)) {
		t.Errorf("stderr: %s", stderr)
	}
	// keys public -at the takeover prints the set of then.
	code, later, _ := runKeys(t, "public", "-in", path, "-at", created.Add(2*time.Hour).UTC().Format(time.RFC3339))
	if code != 0 || !strings.Contains(later, newEnc.KeyID) || strings.Contains(later, oldEnc.KeyID) {
		t.Errorf("public at the takeover: exit %d\n%s", code, later)
	}
	// A second rotation before the takeover is refused; the file stays.
	code, _, stderr = runKeys(t, "rotate", "-in", path)
	if code != 1 || !strings.Contains(stderr, "rotation is under way") {
		t.Errorf("second rotate: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, after) {
		t.Error("a refused rotation changed the file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("files left beside the key set: %v", entries)
	}
}

func TestKeysCheck(t *testing.T) {
	// The command has no switch for loopback: a local URL is reported as
	// unreachable for the providers, and not fetched.
	code, out, _ := runKeys(t, "check", "http://127.0.0.1:8080/.well-known/jwks.json")
	if code != 1 || !strings.Contains(out, "would be rejected") || !strings.Contains(out, "the URL is http") ||
		!strings.Contains(out, "port 8080") || !strings.Contains(out, "not a public address") || !strings.Contains(out, "why: ") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, stderr := runKeys(t, "check"); code != 2 || !strings.Contains(stderr, "usage") {
		t.Errorf("no URL: exit %d %s", code, stderr)
	}
}
