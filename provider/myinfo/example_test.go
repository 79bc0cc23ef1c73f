package myinfo_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/idconnect/idconnect"
	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Example runs a whole Myinfo v3 login against the emulator: authorise URL,
// consent (skipped with the emulator's persona and consent parameters),
// then Exchange, which signs, decrypts and verifies.
func Example() {
	clientKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	myinfoKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	people, _ := personas.Myinfo()
	emu, err := myinfoemu.New(myinfoemu.Config{
		Personas: people, ClientID: "my-app", ClientSecret: "my-secret",
		ClientPublicKey: &clientKey.PublicKey, SigningKey: myinfoKey,
		RedirectURIs: []string{"https://app.example/callback"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	defer ts.Close()

	client, err := myinfo.New(myinfo.Config{
		BaseURL:      ts.URL + "/com/v3",
		ClientID:     "my-app",
		ClientSecret: "my-secret",
		ClientKey:    clientKey,
		ProviderKey:  &myinfoKey.PublicKey,
		RedirectURI:  "https://app.example/callback",
		Attributes:   []string{"uinfin", "name", "sex", "regadd"},
		Purpose:      "account opening",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	login := &idconnect.Login{State: "a-random-state"} // a Flow makes and checks these
	authURL, _ := client.AuthURL(ctx, login)

	// The person logs in and consents; the emulator redirects back.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL + "&persona=S6005048A&consent=allow")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	cb, _ := idconnect.ParseCallback(back.Query())

	res, err := client.Exchange(ctx, login, cb)
	if err != nil {
		log.Fatal(err)
	}
	sodata, _ := myinfo.Flatten([]string{"uinfin", "name", "sex"}, res.Raw)
	fmt.Println(res.Person.Name.Value, res.Person.Addresses[0].PostalCode)
	fmt.Println(string(sodata))
	// Output:
	// ANDY LAU 542319
	// {"uinfin":"S6005048A","name":"ANDY LAU","sex":"M"}
}
