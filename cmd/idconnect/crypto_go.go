//go:build !boringcrypto

package main

import "crypto/fips140"

// cryptoBackend names the cryptography the binary runs on: Go's own, in
// its FIPS 140-3 mode when GODEBUG=fips140=on (or only).
func cryptoBackend() string {
	if fips140.Enabled() {
		return "Go (FIPS 140-3 mode)"
	}
	return "Go"
}
