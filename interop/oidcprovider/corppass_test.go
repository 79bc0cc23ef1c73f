//go:build interop

package oidcprovider

// provider/singpass's Corppass profile against oidc-provider shaped like
// Corppass (fapi.js with OP_CORPPASS): Corppass's paths, an entity
// subject with act, Myinfo Business blocks as JSON strings, and the
// context-parameter rules; an independent FAPI 2.0 server for our client.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	cpClientID  = "idconnect-interop-cp"
	cpUEN       = "201834567M" // emulator/personas/corppass: MERLION HARBOUR LOGISTICS PTE. LTD.
	cpPerson    = "S8214727F"  // ONG KAI XIANG, one of its users
	cpActSub    = "0b1c2d3e-4f50-4a61-8b72-8c93d4e5f607"
	cpBusiness  = "business"
	cpLoginKind = "login"
)

// cpEntity builds the peer's entity from emulator/personas: the ID
// token's sub_attributes and act, and the userinfo blocks.
func cpEntity(t *testing.T) map[string]any {
	t.Helper()
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	var person map[string]json.RawMessage
	for _, p := range people {
		if p.ID == cpPerson {
			if err := json.Unmarshal(p.Myinfo, &person); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, e := range entities {
		if e.UEN != cpUEN {
			continue
		}
		for _, u := range e.Users {
			if u.ID != cpPerson {
				continue
			}
			return map[string]any{
				"sub_attributes": e.SubAttributes,
				"act": map[string]any{"sub": cpActSub, "sub_type": "user", "sub_attributes": map[string]string{
					"account_type": "standard", "identity_number": cpPerson, "identity_coi": "SG", "name": "ONG KAI XIANG"}},
				"entity_info":   e.EntityInfo,
				"person_info":   map[string]json.RawMessage{"uinfin": person["uinfin"], "name": person["name"]},
				"auth_info":     u.AuthInfo,
				"corppass_info": map[string]any{"email": u.Email, "email_verified": true},
			}
		}
	}
	t.Fatalf("%s does not act for %s in emulator/personas", cpPerson, cpUEN)
	return nil
}

// cpLogin starts the peer as a Corppass app of the given kind and runs one
// login with a provider/singpass Corppass client configured as app.
func cpLogin(t *testing.T, kind string, app singpass.App, scopes []string) (*idconnect.Result, *peer.OIDCProvider, error) {
	t.Helper()
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: cpClientID, RedirectURIs: []string{spRedirectURI}, JWKSURI: serveKeySet(t, keys),
		Corppass: map[string]map[string]any{cpUEN: cpEntity(t)}, CorppassApp: kind,
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := singpass.New(singpass.Config{
		Service: singpass.Corppass, Issuer: p.Issuer, ClientID: cpClientID, Keys: keys, RedirectURI: spRedirectURI,
		App: app, Scopes: scopes, HTTPClient: &http.Client{Transport: tr, Timeout: peer.RequestTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &idconnect.Flow{Providers: map[string]idconnect.Provider{"corppass": c}, Store: &store.Memory{}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, err := f.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/corppass", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := f.Start(ctx, "corppass", browser, idconnect.StartOptions{})
	if err != nil {
		return nil, p, err
	}
	if !strings.HasPrefix(authURL, p.Issuer+"/mga/sps/oauth/oauth20/authorize?") {
		t.Fatalf("authorization URL %s is not at Corppass's path", authURL)
	}
	cb, err := idconnect.ParseCallback(p.Authorize(t, authURL+"&persona="+cpUEN).Query())
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	_, res, err := f.Finish(ctx, "corppass", cb, browser)
	return res, p, err
}

func fieldValue(f *idconnect.Field) string {
	if f == nil {
		return ""
	}
	return f.Value
}

// TestCorppassLoginApp: the entity from the ID token's sub and
// sub_attributes, the person from act, the roles from userinfo.
func TestCorppassLoginApp(t *testing.T) {
	scopes := append(append([]string{}, singpass.DefaultCorppassLoginScopes...), singpass.ScopeAuthInfo)
	res, p, err := cpLogin(t, cpLoginKind, singpass.Login, scopes)
	if err != nil {
		t.Fatalf("login: %v\npeer log:\n%s", err, p.Log())
	}
	m, ok := res.Model.(*singpass.EntityIDToken)
	if !ok || res.Subject != cpUEN || m.SubType != "entity" || m.Act == nil || m.Act.Subject != cpActSub {
		t.Fatalf("result %+v, model %+v", res, res.Model)
	}
	e := res.Entity
	if fieldValue(e.Name) != "MERLION HARBOUR LOGISTICS PTE. LTD." || fieldValue(e.Status) != "Registered" || fieldValue(e.RegistrationNumber) != cpUEN {
		t.Errorf("entity %+v", e)
	}
	if fieldValue(res.Person.IDNumber) != cpPerson || fieldValue(res.Person.Name) != "ONG KAI XIANG" {
		t.Errorf("person %+v", res.Person)
	}
	if len(e.Roles) != 1 || e.Roles[0].Role != "Approver" || e.Roles[0].Parameters["SPENDING_LIMIT"] != "50000" {
		t.Errorf("roles %+v", e.Roles)
	}
}

// TestCorppassMyinfoBusinessApp: userinfo's blocks, each a JSON string
// from the peer, decoded and normalised.
func TestCorppassMyinfoBusinessApp(t *testing.T) {
	scopes := append(append([]string{}, singpass.DefaultMyinfoBusinessScopes...), "corppass.email")
	res, p, err := cpLogin(t, cpBusiness, singpass.Myinfo, scopes)
	if err != nil {
		t.Fatalf("login: %v\npeer log:\n%s", err, p.Log())
	}
	biz, ok := res.Model.(*singpass.Business)
	if !ok || biz.EntityInfo == nil || biz.PersonInfo == nil || biz.AuthInfo == nil || biz.CorppassInfo == nil {
		t.Fatalf("model %+v", res.Model)
	}
	e := res.Entity
	if res.Subject != cpUEN || fieldValue(e.Type) != "LC" || len(e.Appointments) != 3 || len(e.Shareholders) != 3 ||
		len(e.Addresses) != 1 || e.Addresses[0].PostalCode != "117439" {
		t.Errorf("entity %+v", e)
	}
	if fieldValue(res.Person.IDNumber) != cpPerson || fieldValue(res.Person.Email) != "kaixiang.ong@merlionharbour.example" {
		t.Errorf("person %+v", res.Person)
	}
}

// TestCorppassContextParameters: the peer, like Corppass, refuses a Login
// app's PAR without authentication_context_type and a Myinfo Business
// app's PAR with it; the client surfaces the OAuth error.
func TestCorppassContextParameters(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind string
		app  singpass.App
	}{
		{"Login app without authentication_context_type", cpLoginKind, singpass.Myinfo},
		{"Myinfo Business app with authentication_context_type", cpBusiness, singpass.Login},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, p, err := cpLogin(t, tt.kind, tt.app, []string{"entity.identity", "authinfo"})
			var pe *idconnect.ProviderError
			if !errors.As(err, &pe) || pe.Code != "invalid_request" || pe.Op != "par" {
				t.Fatalf("err = %v, want invalid_request at PAR\npeer log:\n%s", err, p.Log())
			}
		})
	}
}
