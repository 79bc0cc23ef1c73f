package singpass_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/singpass"
)

// A Myinfo (v5) login against an in-process stand-in for Singpass. In a
// service, idconnect.Flow mints the state, nonce and verifier, stores the
// login between AuthURL and Exchange, and brings the callback back.
func Example() {
	keys, _ := keyset.Generate(nil) // the app's keys; publish keys.PublicJSON()
	c := newClock()
	fake := newFake(nil, c, keys)
	defer fake.srv.Close()

	client, err := singpass.New(singpass.Config{
		Issuer:      fake.issuer(), // singpass.Staging or singpass.Production for the real service
		ClientID:    fake.clientID,
		Keys:        keys,
		RedirectURI: "http://localhost:3001/callback/singpass",
		App:         singpass.Myinfo,
		Scopes:      []string{"uinfin", "name"},
		HTTPClient:  fake.srv.Client(),
		Now:         c.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	login := &idconnect.Login{State: random43(nil), Nonce: random43(nil), Verifier: random43(nil)}
	authURL, err := client.AuthURL(context.Background(), login)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The browser goes to authURL; Singpass redirects it back.
	browser := fake.srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	q := back.Query()

	res, err := client.Exchange(context.Background(), login, idconnect.Callback{Code: q.Get("code"), State: q.Get("state"), Issuer: q.Get("iss")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name:", res.Person.Name.Value)
	sodata, _ := client.Flatten(login, res)
	fmt.Println("sodata:", string(sodata))
	// Output:
	// name: TAN XIAO HUI
	// sodata: {"uinfin":"S9812381D","name":"TAN XIAO HUI"}
}
