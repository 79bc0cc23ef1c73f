package myinfo_test

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// sealPerson signs payload with signKey and, when encryptTo is set,
// encrypts the JWS (quoted, as Myinfo does) to it.
func sealPerson(t testing.TB, payload string, signKey *rsa.PrivateKey, alg jose.SignatureAlgorithm, encryptTo *rsa.PublicKey) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	if encryptTo == nil {
		return compact
	}
	quoted, _ := json.Marshal(compact)
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: encryptTo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwe, err := enc.Encrypt(quoted)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwe.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodePerson(t *testing.T) {
	provider, client, other := key(t, "provider"), key(t, "client"), key(t, "other")
	const person = `{"uinfin":{"value":"S6005048A"}}`
	jwe := sealPerson(t, person, provider, jose.RS256, &client.PublicKey)
	jws := sealPerson(t, person, provider, jose.RS256, nil)
	ps256 := sealPerson(t, person, provider, jose.PS256, nil)
	parts := strings.Split(jwe, ".")
	parts[3] = strings.Repeat("A", len(parts[3])) // tampered ciphertext
	tampered := strings.Join(parts, ".")

	tests := []struct {
		name      string
		body      string
		clientKey *rsa.PrivateKey
		provider  *rsa.PublicKey
		want      error
	}{
		{"JWE around quoted JWS", jwe, client, &provider.PublicKey, nil},
		{"quoted JWS alone", `"` + jws + `"`, nil, &provider.PublicKey, nil},
		{"bare JWS alone", jws + "\n", nil, &provider.PublicKey, nil},
		{"JWE to another key", jwe, other, &provider.PublicKey, idconnect.ErrDecrypt},
		{"tampered JWE", tampered, client, &provider.PublicKey, idconnect.ErrDecrypt},
		{"JWS checked with another certificate", jws, nil, &other.PublicKey, idconnect.ErrSignature},
		{"algorithm outside the allowlist", ps256, nil, &provider.PublicKey, idconnect.ErrSignature},
		{"JWS where a JWE is expected", jws, client, &provider.PublicKey, idconnect.ErrMalformed},
		{"not JOSE at all", `{"uinfin":{"value":"S6005048A"}}`, nil, &provider.PublicKey, idconnect.ErrMalformed},
		{"empty", "", nil, &provider.PublicKey, idconnect.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := myinfo.DecodePerson([]byte(tt.body), tt.provider, tt.clientKey)
			if tt.want == nil {
				if err != nil || string(got) != person {
					t.Fatalf("DecodePerson = %s, %v", got, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("DecodePerson = %s, %v; want %v", got, err, tt.want)
			}
		})
	}

	t.Run("signed payload that is not an object", func(t *testing.T) {
		for _, payload := range []string{`[1]`, `null`, `"x"`, `{"a":1} {"b":2}`} {
			body := sealPerson(t, payload, provider, jose.RS256, nil)
			if _, err := myinfo.DecodePerson([]byte(body), &provider.PublicKey, nil); !errors.Is(err, idconnect.ErrMalformed) {
				t.Errorf("payload %s: err = %v, want ErrMalformed", payload, err)
			}
		}
	})

	t.Run("unsigned JWS (alg none)", func(t *testing.T) {
		// header {"alg":"none"}, payload {"a":1}, empty signature
		none := "eyJhbGciOiJub25lIn0.eyJhIjoxfQ."
		if _, err := myinfo.DecodePerson([]byte(none), &provider.PublicKey, nil); !errors.Is(err, idconnect.ErrSignature) {
			t.Errorf("alg none: err = %v, want ErrSignature", err)
		}
	})
}

// FuzzDecodePerson feeds arbitrary answers to the decrypt-and-verify path:
// it must never panic, and must never accept anything not signed by the
// provider key.
func FuzzDecodePerson(f *testing.F) {
	provider, client := key(f, "provider"), key(f, "client")
	f.Add(sealPerson(f, `{"name":{"value":"A"}}`, provider, jose.RS256, &client.PublicKey), true)
	f.Add(sealPerson(f, `{"name":{"value":"A"}}`, provider, jose.RS256, nil), false)
	f.Add(`"a.b.c"`, false)
	f.Add("a.b.c.d.e", true)
	f.Add(`eyJhbGciOiJub25lIn0.eyJhIjoxfQ.`, false)
	f.Fuzz(func(t *testing.T, body string, encrypted bool) {
		var ck *rsa.PrivateKey
		if encrypted {
			ck = client
		}
		got, err := myinfo.DecodePerson([]byte(body), &provider.PublicKey, ck)
		if err != nil {
			if got != nil {
				t.Fatal("data returned with an error")
			}
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(got, &obj) != nil || obj == nil {
			t.Fatalf("accepted a non-object payload: %s", got)
		}
	})
}

// FuzzParsePerson: the typed model never panics on provider JSON.
func FuzzParsePerson(f *testing.F) {
	f.Add(`{"name":{"value":"A","classification":"C","source":"1","lastupdated":"2020-01-01"}}`)
	f.Add(`{"regadd":{"type":"Unformatted","line1":{"value":"x"}},"vehicles":{"0":{}}}`)
	f.Add(`{"email":{"unavailable":true},"cpfcontributions":{"history":[{"amount":{"value":1.5}}]}}`)
	f.Add(`{"noa-basic":[],"dob":{"value":1}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := myinfo.ParsePerson([]byte(raw))
		if err != nil {
			return
		}
		_ = p.Normalize()
	})
}
