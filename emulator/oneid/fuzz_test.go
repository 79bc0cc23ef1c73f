package oneid

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseBasicAuth feeds the Basic credentials parser arbitrary headers:
// it never panics, and what it accepts decodes back to user:pass.
func FuzzParseBasicAuth(f *testing.F) {
	for _, s := range []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("id:secret")),
		"basic " + base64.RawStdEncoding.EncodeToString([]byte("a%3Ab:c:d")), "Basic", "Basic ::", "Bearer x",
		"Basic " + base64.StdEncoding.EncodeToString([]byte(":nouser")), "Basic  Zm9vOmJhcg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		user, pass, ok := parseBasicAuth(h)
		if !ok {
			if user != "" || pass != "" {
				t.Fatal("credentials and a failure")
			}
			return
		}
		if user == "" || strings.Contains(user, ":") {
			t.Fatalf("accepted user %q", user)
		}
		_, rest, _ := strings.Cut(h, " ")
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimSpace(rest))
		}
		if err != nil || string(b) != user+":"+pass {
			t.Fatalf("%q parsed to %q:%q", h, user, pass)
		}
		_ = formDecoded(user) + formDecoded(pass)
	})
}

// FuzzParseScope checks scope parsing never panics, yields distinct valid
// tokens, and is stable: parsing its own output again gives the same.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{allScopes, "openid  openid", " ", "", "openid\tprofile", "product:age_check", "a\"b", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseScope(s)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tok := range got {
			if tok == "" || seen[tok] || strings.ContainsAny(tok, " \"\\") {
				t.Fatalf("bad token %q in %q", tok, got)
			}
			seen[tok] = true
			knownScope(tok)
			scopeSays(tok)
		}
		again, err := parseScope(strings.Join(got, " "))
		if err != nil || strings.Join(again, " ") != strings.Join(got, " ") {
			t.Fatalf("reparse of %q: %q %v", got, again, err)
		}
	})
}

// FuzzPKCE checks the PKCE parsers never panic and agree: an accepted
// verifier's S256 challenge is an accepted challenge that it matches.
func FuzzPKCE(f *testing.F) {
	for _, s := range []string{strings.Repeat("a", 43), strings.Repeat("~", 128), strings.Repeat("a", 129), "short", "é" + strings.Repeat("a", 42)} {
		f.Add(s, challengeOf(s))
	}
	f.Fuzz(func(t *testing.T, verifier, challenge string) {
		pkceMatches(verifier, challenge)
		if isPKCEChallenge(challenge) && len(challenge) != 43 {
			t.Fatalf("challenge %q accepted", challenge)
		}
		if !isPKCEVerifier(verifier) {
			return
		}
		c := challengeOf(verifier)
		if !isPKCEChallenge(c) || !pkceMatches(verifier, c) {
			t.Fatalf("verifier %q: its challenge %q refused", verifier, c)
		}
	})
}

// FuzzNormalizeSubCode checks sub-code injection never panics and that
// what it accepts is a dotted code of letters and digits, safe to put in
// a URL, and stable.
func FuzzNormalizeSubCode(f *testing.F) {
	for _, s := range append(SubCodes, "OneID.OIDC.Redirect.X", ".", "a..b", "Bad Code", "") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		full, ok := normalizeSubCode(code)
		if !ok {
			return
		}
		if !strings.Contains(full, ".") || queryEscape(full) != full {
			t.Fatalf("%q normalized to %q", code, full)
		}
		if again, ok := normalizeSubCode(full); !ok || again != full {
			t.Fatalf("not stable: %q → %q → %q", code, full, again)
		}
	})
}
