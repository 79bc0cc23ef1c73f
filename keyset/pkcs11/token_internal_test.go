//go:build cgo

package pkcs11

import (
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/idconnect/idconnect/internal/softhsm"
)

// TestPrivateKeyStaysInToken: the generated private keys are sensitive and
// never extractable, and the token refuses to read their value.
func TestPrivateKeyStaysInToken(t *testing.T) {
	module := softhsm.NewToken(t, "idc-internal")
	tok, err := Open(Config{Module: module, TokenLabel: "idc-internal", PIN: softhsm.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	for _, use := range []string{UseSig, UseEnc} {
		k, err := tok.Generate("key-"+use, use)
		if err != nil {
			t.Fatal(err)
		}
		err = tok.with(func(s pkcs11.SessionHandle) error {
			attrs, err := tok.ctx.GetAttributeValue(s, k.handle, []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
				pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
				pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_SENSITIVE, nil),
				pkcs11.NewAttribute(pkcs11.CKA_NEVER_EXTRACTABLE, nil),
				pkcs11.NewAttribute(pkcs11.CKA_SIGN, nil),
				pkcs11.NewAttribute(pkcs11.CKA_DERIVE, nil),
			})
			if err != nil {
				return err
			}
			want := []bool{true, false, true, true, use == UseSig, use == UseEnc}
			for i, a := range attrs {
				if isTrue(a.Value) != want[i] {
					t.Errorf("%s key: attribute %#x is %v, want %v", use, a.Type, isTrue(a.Value), want[i])
				}
			}
			if _, err := tok.ctx.GetAttributeValue(s, k.handle, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)}); err == nil {
				t.Errorf("%s key: the token gave out the private value", use)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
