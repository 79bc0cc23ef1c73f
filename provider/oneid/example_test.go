package oneid_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/oneid"
)

// A OneID login against an in-process stand-in for OneID. In a service,
// idconnect.Flow mints the state, nonce and verifier, stores the login
// between AuthURL and Exchange, and brings the callback back.
func Example() {
	c := newClock()
	fake := newFake(nil, c)
	defer fake.srv.Close()

	client, err := oneid.New(oneid.Config{
		Issuer:       fake.issuer(), // oneid.Sandbox or oneid.Production for the real service
		ClientID:     fakeClientID,
		ClientSecret: fakeClientSecret,
		RedirectURI:  "http://localhost:3001/callback/oneid",
		Scopes:       []string{"profile", "date_of_birth", "age_over_18", "accounts"},
		HTTPClient:   fake.srv.Client(),
		Now:          c.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	random := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	login := &idconnect.Login{State: random(), Nonce: random(), Verifier: random()}
	authURL, err := client.AuthURL(context.Background(), login)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The browser goes to authURL; OneID redirects it back.
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
	if err := oneid.ParseError(q); err != nil { // error_oneid / oneid_error sub-codes
		fmt.Println(err)
		return
	}

	res, err := client.Exchange(context.Background(), login, idconnect.Callback{Code: q.Get("code"), State: q.Get("state"), Issuer: q.Get("iss")})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := res.Model.(*oneid.Data)
	over18, _ := data.AgeVerification.Over(18)
	fmt.Println("name:", res.Person.Name.Value, "("+res.Person.Name.Provenance.Source+")")
	fmt.Println("born:", res.Person.BirthDate.Value)
	fmt.Println("over 18:", over18)
	for _, a := range data.Accounts {
		fmt.Println("account:", a.Identifications()[0].Scheme, a.SortCode, a.AccountNumber, "balance:", a.Balance)
	}
	// Output:
	// name: Janet Davidson (oneid:verified)
	// born: 1985-06-01
	// over 18: true
	// account: UK.OBIE.SortCodeAccountNumber 012345 01234567 balance: <nil>
}
