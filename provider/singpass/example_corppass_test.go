package singpass_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	emulator "github.com/idconnect/idconnect/emulator/singpass"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/singpass"
)

// A Corppass Myinfo Business login against the Corppass emulator: the
// result's subject and Entity are the company, its Person the director
// acting for it.
func Example_corppass() {
	keys, _ := keyset.Generate(nil) // one key set serves Singpass and Corppass
	people, _ := personas.Myinfo()
	entities, _ := personas.Corppass()
	var emu http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { emu.ServeHTTP(w, r) }))
	defer srv.Close()
	const redirect = "http://localhost:3001/callback/corppass"
	e, err := emulator.New(emulator.Config{
		Service: emulator.Corppass, Issuer: srv.URL, Personas: people, Entities: entities,
		Clients: []emulator.Client{{ID: "mib-app", JWKS: keys.Public(), RedirectURIs: []string{redirect}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	emu = e

	client, err := singpass.New(singpass.Config{
		Service:     singpass.Corppass,
		Issuer:      srv.URL, // singpass.CorppassStaging or singpass.CorppassProduction for the real service
		ClientID:    "mib-app",
		Keys:        keys,
		RedirectURI: redirect,
		App:         singpass.Myinfo, // a Myinfo Business app; singpass.Login for Corppass Login
		Scopes:      []string{"entity.basic_profile.name", "entity.appointments.position", "user.name", "authinfo"},
		HTTPClient:  srv.Client(),
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
	// The emulator's shortcut: this person logs in for this company.
	browser := srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL + "&persona=T0163548J&entity=201834567M&consent=allow")
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
	fmt.Println("entity:", res.Subject, res.Entity.Name.Value)
	fmt.Println("acting:", res.Person.Name.Value)
	fmt.Println("role:", res.Entity.Roles[0].Role)
	// Output:
	// entity: 201834567M MERLION HARBOUR LOGISTICS PTE. LTD.
	// acting: ARUN KUMAR S/O SELVARAJ
	// role: Viewer
}
