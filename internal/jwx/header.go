package jwx

import (
	"crypto"
	"crypto/rand"
	_ "crypto/sha256" // for cryptoSHA256
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

const cryptoSHA256 = crypto.SHA256

var defaultRand = rand.Reader

// KeyID returns the "kid" of a compact JWS or JWE's protected header ("" if
// there is none), after the package's header rules (see the package
// documentation); a refused header gives an error wrapping ErrHeader. It
// lets a caller choose the key before verifying; nothing it returns is
// authenticated.
func KeyID(compact string) (string, error) {
	if err := checkHeader(compact); err != nil {
		return "", err
	}
	seg, _, _ := strings.Cut(compact, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(seg)
	var h struct {
		KeyID *string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", fmt.Errorf("protected header: kid is not a string")
	}
	if h.KeyID == nil {
		return "", nil
	}
	return *h.KeyID, nil
}
