package oneid_test

import "testing"

// BenchmarkExchange is one complete OneID login against the in-process
// emulator, connector side and emulator side: authorize, token (Basic),
// the PS256 id_token, userinfo, age verification and accounts.
func BenchmarkExchange(b *testing.B) {
	e := newEnv(b)
	c := e.client(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.run(b, c); err != nil {
			b.Fatal(err)
		}
	}
}
