package singpass_test

import (
	"context"
	"errors"
	"github.com/go-jose/go-jose/v4"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/singpass"
)

// FuzzDecode feeds the nested JWE/JWS decoding (the ID token's and the
// userinfo answer's) arbitrary input: it must never panic, and anything it
// accepts must be what the fake Singpass signed.
func FuzzDecode(f *testing.F) {
	e := newEnv(f)
	c := e.client(f, singpass.Myinfo, nil)
	claims := map[string]any{"iss": e.fake.issuer(), "sub": "s"}
	good := e.fake.seal(claims, jose.A256CBC_HS512)
	f.Add(good)
	e.fake.tamper = true
	f.Add(e.fake.seal(claims, jose.A256CBC_HS512))
	e.fake.tamper = false
	f.Add("")
	f.Add("a.b.c.d.e")
	f.Add(good + ".")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	// Warm the JWKS cache so that the fuzz loop makes no network call for
	// the known kid.
	if _, err := c.Decode(context.Background(), "id_token", good); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, compact string) {
		payload, err := c.Decode(context.Background(), "id_token", compact)
		if err != nil {
			if !errors.Is(err, idconnect.ErrDecrypt) && !errors.Is(err, idconnect.ErrSignature) &&
				!errors.Is(err, idconnect.ErrProviderUnavailable) && !errors.Is(err, idconnect.ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(payload) == 0 {
			t.Fatal("accepted with an empty payload")
		}
	})
}
