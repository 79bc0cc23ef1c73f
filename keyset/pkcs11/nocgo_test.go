//go:build !cgo

package pkcs11_test

import (
	"errors"
	"testing"

	"github.com/idconnect/idconnect/keyset/pkcs11"
)

func TestNoCgo(t *testing.T) {
	if _, err := pkcs11.Open(pkcs11.Config{Module: "/x.so", TokenLabel: "t"}); !errors.Is(err, pkcs11.ErrNoCgo) {
		t.Errorf("Open without cgo: %v", err)
	}
}
