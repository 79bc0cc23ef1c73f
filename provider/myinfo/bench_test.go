package myinfo_test

import (
	"context"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// BenchmarkDecodePerson measures the decrypt-then-verify step on the full
// sample person (RSA-2048 OAEP unwrap, A256GCM, RS256 verify).
func BenchmarkDecodePerson(b *testing.B) {
	people, err := personas.Myinfo()
	if err != nil {
		b.Fatal(err)
	}
	var sample string
	for _, p := range people {
		if p.ID == "S1111111D" {
			sample = string(p.Myinfo)
		}
	}
	provider, client := key(b, "provider"), key(b, "client")
	body := []byte(sealPerson(b, sample, provider, jose.RS256, &client.PublicKey))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := myinfo.DecodePerson(body, &provider.PublicKey, client); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFlatten measures the sodata flattening of the seed's attributes.
func BenchmarkFlatten(b *testing.B) {
	people, err := personas.Myinfo()
	if err != nil {
		b.Fatal(err)
	}
	raw := people[0].Myinfo
	b.ReportAllocs()
	for b.Loop() {
		if _, err := myinfo.Flatten(seedAttributes, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchange measures a whole exchange (token, person, decrypt,
// verify, model) against the emulator over loopback HTTP.
func BenchmarkExchange(b *testing.B) {
	f := newFixture(b, nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		login, cb := f.authorise(b, "S6005048A")
		b.StartTimer()
		if _, err := f.client.Exchange(context.Background(), login, cb); err != nil {
			b.Fatal(err)
		}
	}
}
