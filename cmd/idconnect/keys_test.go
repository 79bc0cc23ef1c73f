package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{[]string{"rotate"}, 2, "usage"},
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
