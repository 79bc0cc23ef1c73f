//go:build cgo

package pkcs11_test

import (
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	emulator "github.com/idconnect/idconnect/emulator/singpass"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/keyset/pkcs11"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"
)

// countingSigner counts the signatures a token key makes.
type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, digest, opts)
}

// TestEmulatorLogin: a Singpass Myinfo login against emulator/singpass in
// which the client assertions, the DPoP proofs and the decryption of the ID
// token and userinfo all happen in the SoftHSM2 token, with the keys named
// by a key set file (keyset.ParseHeld).
func TestEmulatorLogin(t *testing.T) {
	tok, _ := openToken(t)
	// The key set file holds the token keys' public halves and labels;
	// read back with the token as holder, it signs and decrypts there.
	made, err := keyset.GenerateHeld(tok.Holder())
	if err != nil {
		t.Fatal(err)
	}
	file, err := made.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(file), `"d"`) {
		t.Fatalf("the key set file holds a private part:\n%s", file)
	}
	keys, err := keyset.ParseHeld(file, tok.Holder())
	if err != nil {
		t.Fatal(err)
	}
	if signer, _, _ := keys.SigningKey(time.Now()); signer == nil {
		t.Fatal("no signer")
	} else if _, ok := signer.(*pkcs11.Key); !ok {
		t.Fatalf("the signer is %T, not a token key", signer)
	}
	dpopKey, err := tok.Generate("rp-dpop", pkcs11.UseSig)
	if err != nil {
		t.Fatal(err)
	}
	dpop := &countingSigner{Signer: dpopKey}

	const clientID = "MyinfoClient0123456789abcdefABCD"
	const redirectURI = "http://localhost:3001/callback/singpass"
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Config{
		Issuer: srv.URL + "/fapi", Personas: ps,
		Clients: []emulator.Client{{ID: clientID, Kind: emulator.MyinfoApp, JWKS: keys.Public(), RedirectURIs: []string{redirectURI}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/fapi/", http.StripPrefix("/fapi", emu))
	mux.Handle("/.well-known/keys", emu.JWKSHandler())
	handler = mux

	c, err := singpass.New(singpass.Config{
		Issuer: emu.Issuer(), ClientID: clientID, Keys: keys, DPoPKey: dpop, RedirectURI: redirectURI,
		App: singpass.Myinfo, Scopes: []string{"uinfin", "name"}, HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	flow := &idconnect.Flow{Providers: map[string]idconnect.Provider{"singpass": c}, Store: &store.Memory{}}
	ctx := context.Background()
	browser, err := flow.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/singpass", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := flow.Start(ctx, "singpass", browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL + "&persona=S6005048A&consent=allow")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("authorize: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatal(err)
	}
	login, res, err := flow.Finish(ctx, "singpass", cb, browser)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if res.Person.IDNumber == nil || res.Person.IDNumber.Value != "S6005048A" || res.Person.Name.Value != "ANDY LAU" {
		t.Errorf("person %+v", res.Person)
	}
	if n := dpop.n.Load(); n != 3 {
		t.Errorf("%d DPoP proofs signed in the token, want 3", n)
	}
	if _, ok := login.ProviderData[singpass.DataDPoPKey]; ok {
		t.Error("the login keeps a DPoP key of its own")
	}
}
