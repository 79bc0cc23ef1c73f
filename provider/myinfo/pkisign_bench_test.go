package myinfo

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
)

// BenchmarkPKISign measures one PKI_SIGN Authorization header for the token
// call: the base string and its RSA-2048 PKCS #1 v1.5 signature, the
// larger part of a v3 login's cost.
func BenchmarkPKISign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	p := pkiSign{
		method: "POST",
		url:    "https://test.api.myinfo.gov.sg/com/v3/token",
		params: map[string]string{
			"grant_type": "authorization_code", "code": "8932a98da8720a10e356bc76475d76c4c628aa7f", "redirect_uri": "http://localhost:3001/callback",
			"client_id": "STG2-MYINFO-SELF-TEST", "client_secret": "44d953c796cccebcec9bdc826852857ab412fbe2", "state": "123",
		},
		appID:     "STG2-MYINFO-SELF-TEST",
		nonce:     "150590021034006",
		timestamp: "1505900210349",
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.header(key); err != nil {
			b.Fatal(err)
		}
	}
}
