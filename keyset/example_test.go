package keyset_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/idconnect/idconnect/keyset"
)

// Generate a relying party's key set, keep the private half and publish
// the public half.
func Example() {
	set, err := keyset.Generate(nil)
	if err != nil {
		panic(err)
	}
	private, _ := set.MarshalPrivate() // write with mode 0600
	public, _ := set.PublicJSON()      // serve at /.well-known/jwks.json

	again, err := keyset.Parse(private)
	if err != nil {
		panic(err)
	}
	signer, _ := again.Signer(time.Time{})
	fmt.Println("signs with", signer.Algorithm, "decrypts with", len(again.DecryptionKeys().Keys), "key")

	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	_ = json.Unmarshal(public, &doc)
	for _, k := range doc.Keys {
		_, hasD := k["d"]
		fmt.Println(k["use"], k["alg"], k["crv"], "private part published:", hasD)
	}
	// Output:
	// signs with ES256 decrypts with 1 key
	// sig ES256 P-256 private part published: false
	// enc ECDH-ES+A256KW P-256 private part published: false
}
