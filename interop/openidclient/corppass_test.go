//go:build interop

package openidclient

// openid-client's rp.js, unchanged, against our emulator in Corppass mode:
// an independent, certified FAPI 2.0 relying party finds Corppass's paths
// from discovery, sends the context parameter a Login app must send, and
// takes the entity subject and the Myinfo Business userinfo. The oracle is
// emulator/personas/corppass, read by the test.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/emulator/personas"
	emulator "github.com/idconnect/idconnect/emulator/singpass"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

func TestRPAgainstCorppassEmulator(t *testing.T) {
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	entities, err := personas.Corppass()
	if err != nil {
		t.Fatal(err)
	}
	keys := peer.NewClientKeys(t)
	pub := keys.JWKS(false)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	emu, err := emulator.New(emulator.Config{
		Service:  emulator.Corppass,
		Issuer:   srv.URL, // no /fapi, as Corppass's issuer
		Personas: people,
		Entities: entities,
		Clients: []emulator.Client{
			{ID: emuMyinfoID, Kind: emulator.MyinfoApp, JWKS: &pub, RedirectURIs: []string{emuRedirectURI}},
			{ID: emuLoginID, Kind: emulator.LoginApp, JWKS: &pub, RedirectURIs: []string{emuRedirectURI}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", emu)
	const uen, person = "201834567M", "T0163548J" // Arun acts for this one company only
	var entityName string
	for _, e := range entities {
		if e.UEN == uen {
			entityName = e.Name
		}
	}
	actSub, _ := emu.Subject(person)

	t.Run("Myinfo Business app", func(t *testing.T) {
		res, err := runRP(t, rpConfig{
			Issuer: emu.Issuer(), ClientID: emuMyinfoID, RedirectURI: emuRedirectURI, Keys: keys.JWKS(true),
			Scope: "openid entity.identity entity.basic_profile.name user.uinfin authinfo", Persona: person, Consent: "allow", RequireISS: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		act, _ := res.IDTokenClaims["act"].(map[string]any)
		if res.Sub != uen || res.IDTokenClaims["sub_type"] != "entity" || act["sub"] != actSub {
			t.Fatalf("ID token %v", res.IDTokenClaims)
		}
		// Userinfo's blocks are JSON strings holding each block.
		var info struct {
			BasicProfile json.RawMessage `json:"basic_profile"`
		}
		s, _ := res.Userinfo["entity_info"].(string)
		if err := json.Unmarshal([]byte(s), &info); err != nil {
			t.Fatalf("entity_info %v: %v", res.Userinfo["entity_info"], err)
		}
		var bpText string
		var bp struct {
			Name struct{ Value string }
		}
		if json.Unmarshal(info.BasicProfile, &bpText) != nil || json.Unmarshal([]byte(bpText), &bp) != nil || bp.Name.Value != entityName {
			t.Errorf("entity_info.basic_profile %s, want %s", info.BasicProfile, entityName)
		}
		if res.Userinfo["sub"] != uen {
			t.Errorf("userinfo sub %v", res.Userinfo["sub"])
		}
	})
	t.Run("Corppass Login app", func(t *testing.T) {
		res, err := runRP(t, rpConfig{
			Issuer: emu.Issuer(), ClientID: emuLoginID, RedirectURI: emuRedirectURI, Keys: keys.JWKS(true),
			Scope: "openid entity.identity entity.basic_profile.name user.identity user.name", Persona: person, Consent: "allow",
			RequireISS: true, NoUserinfo: true,
			PARParams: url.Values{"authentication_context_type": {"APP_AUTHENTICATION_DEFAULT"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := res.IDTokenClaims["sub_attributes"].(map[string]any)
		act, _ := res.IDTokenClaims["act"].(map[string]any)
		asa, _ := act["sub_attributes"].(map[string]any)
		if res.Sub != uen || sa["entity_name"] != entityName || sa["entity_reg_number"] != uen || asa["identity_number"] != person {
			t.Fatalf("ID token %v", res.IDTokenClaims)
		}
	})
	t.Run("Login app without the context parameter", func(t *testing.T) {
		_, err := runRP(t, rpConfig{
			Issuer: emu.Issuer(), ClientID: emuLoginID, RedirectURI: emuRedirectURI, Keys: keys.JWKS(true),
			Scope: "openid user.name", Persona: person, Consent: "allow", NoUserinfo: true,
		})
		if rpErr, ok := err.(*rpError); !ok || rpErr.ExitCode != 1 || !strings.Contains(rpErr.Stderr, "authentication_context_type is required") {
			t.Fatalf("err = %v, want rp.js to fail at PAR for want of authentication_context_type", err)
		}
	})
}
