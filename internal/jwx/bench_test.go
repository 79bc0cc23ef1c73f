package jwx

import "testing"

func BenchmarkDPoPProof(b *testing.B) {
	key, _ := NewDPoPKey(nil)
	p := DPoP{Method: "GET", URL: "https://id.example/fapi/userinfo", AccessToken: "token", IssuedAt: testNow}
	for b.Loop() {
		if _, err := p.Proof(key, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientAssertion(b *testing.B) {
	key, _ := NewDPoPKey(nil)
	a := ClientAssertion{ClientID: "client", Audience: "https://id.example/fapi", KeyID: "k", IssuedAt: testNow}
	for b.Loop() {
		if _, err := a.Sign(key, nil); err != nil {
			b.Fatal(err)
		}
	}
}
