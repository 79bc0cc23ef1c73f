package main

import (
	"crypto"
	"errors"
	"fmt"

	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
)

// openHSM opens the PKCS#11 token named by IDCONNECT_PKCS11_MODULE,
// IDCONNECT_PKCS11_TOKEN and IDCONNECT_PKCS11_PIN, or returns nil when
// none is set. The key set files (IDCONNECT_SINGPASS_KEYS and
// IDCONNECT_CORPPASS_KEYS) then name keys held in it; `idconnect keys
// generate` and `keys rotate` make them there under the same variables.
// A binary built without cgo says so here.
func openHSM(getenv func(string) string) (*pkcs11.Token, error) {
	module, token, pin := getenv("IDCONNECT_PKCS11_MODULE"), getenv("IDCONNECT_PKCS11_TOKEN"), getenv("IDCONNECT_PKCS11_PIN")
	if module == "" && token == "" && pin == "" {
		return nil, nil
	}
	if module == "" || token == "" || pin == "" {
		return nil, errors.New("IDCONNECT_PKCS11_MODULE, IDCONNECT_PKCS11_TOKEN and IDCONNECT_PKCS11_PIN go together: the module's path, the token's label and its user PIN")
	}
	tok, err := pkcs11.Open(pkcs11.Config{Module: module, TokenLabel: token, PIN: pin})
	if err != nil {
		return nil, fmt.Errorf("IDCONNECT_PKCS11_*: %w", err)
	}
	return tok, nil
}

// hsmDPoPKey returns the token key labelled IDCONNECT_PKCS11_DPOP_KEY,
// which then signs every login's DPoP proofs, or nil when the variable is
// unset (each login gets a fresh key, as Singpass recommends).
func hsmDPoPKey(getenv func(string) string, tok *pkcs11.Token) (crypto.Signer, error) {
	label := getenv("IDCONNECT_PKCS11_DPOP_KEY")
	switch {
	case label == "":
		return nil, nil
	case tok == nil:
		return nil, errors.New("IDCONNECT_PKCS11_DPOP_KEY needs the token: set IDCONNECT_PKCS11_MODULE, IDCONNECT_PKCS11_TOKEN and IDCONNECT_PKCS11_PIN")
	}
	k, err := tok.Key(label)
	if err != nil {
		return nil, fmt.Errorf("IDCONNECT_PKCS11_DPOP_KEY: %w (make a P-256 signing key pair with that label, e.g. pkcs11-tool --keypairgen --key-type EC:prime256v1 --label %s)", err, label)
	}
	return k, nil
}

// holderOf is the token as a key holder, or nil without one.
func holderOf(tok *pkcs11.Token) keyset.Holder {
	if tok == nil {
		return nil
	}
	return tok.Holder()
}
