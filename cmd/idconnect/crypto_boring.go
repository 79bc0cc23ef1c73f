//go:build boringcrypto

package main

import "crypto/boring"

// cryptoBackend names the cryptography the binary runs on: here
// BoringCrypto, linked in by GOEXPERIMENT=boringcrypto (make build-boring).
func cryptoBackend() string {
	if boring.Enabled() {
		return "BoringCrypto"
	}
	return "Go (BoringCrypto build, not enabled on this platform)"
}
