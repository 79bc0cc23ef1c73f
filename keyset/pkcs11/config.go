package pkcs11

import "errors"

// Config selects a token.
type Config struct {
	// Module is the path of the PKCS#11 library, for example
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel is the label of the token to use.
	TokenLabel string
	// PIN is the user PIN of the token. It is a secret.
	PIN string
	// MaxSessions caps the sessions opened on the token: one operation
	// runs on a session at a time (default 4).
	MaxSessions int
}

// Uses of the keys made by [Token.Generate], as in package keyset.
const (
	UseSig = "sig"
	UseEnc = "enc"
)

// Errors.
var (
	// ErrNoCgo: the package was built without cgo and cannot load a
	// PKCS#11 library.
	ErrNoCgo = errors.New("pkcs11: this build has no cgo, so no PKCS#11 support (build with CGO_ENABLED=1)")
	// ErrNotFound: no key, or no token, has the label.
	ErrNotFound = errors.New("pkcs11: not found")
	// ErrExists: a key with the label is already on the token.
	ErrExists = errors.New("pkcs11: a key with this label exists")
)
