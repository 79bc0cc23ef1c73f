//go:build interop

package oidcprovider

// provider/singpass against oidc-provider with the FAPI 2.0 profile
// (server.js): the whole flow through idconnect.Flow and store.Memory, the
// DPoP-Nonce variant, and the refusals the peer (or the flow) enforces.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/keyset"
	"github.com/idconnect/idconnect/provider/myinfo"
	"github.com/idconnect/idconnect/provider/singpass"
	"github.com/idconnect/idconnect/store"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	spClientID    = "idconnect-interop-singpass"
	spRedirectURI = "http://127.0.0.1:1/callback" // never fetched
	spPersona     = "S6005048A"                   // ANDY LAU, server.js's default account
	spSub         = "d3fc1e26-8f7a-4f0e-9a3c-6005048a0001"
)

// spScopes are the data items asked for: every item of emulator/personas'
// S6005048A, whose data the test hands to the peer as OP_PERSONS.
var spScopes = []string{"uinfin", "name", "sex", "dob", "birthcountry", "nationality", "regadd"}

// spEnv is one oidc-provider peer and a provider/singpass client.
type spEnv struct {
	peer   *peer.OIDCProvider
	keys   *keyset.Set
	person map[string]json.RawMessage
	count  *countingTransport
}

// newSPEnv makes a key set, serves its public half at
// /.well-known/jwks.json on 127.0.0.1 (as the service does) and starts the
// peer with that jwks_uri and the persona's Myinfo data.
func newSPEnv(t *testing.T, dpopNonce bool) *spEnv {
	t.Helper()
	keys, err := keyset.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	var person map[string]json.RawMessage
	for _, p := range ps {
		if p.ID == spPersona {
			if err := json.Unmarshal(p.Myinfo, &person); err != nil {
				t.Fatal(err)
			}
		}
	}
	if person == nil {
		t.Fatalf("%s is not in emulator/personas", spPersona)
	}
	e := &spEnv{keys: keys, person: person}
	e.peer = peer.StartOIDCProvider(t, peer.OIDCProviderConfig{
		ClientID: spClientID, RedirectURIs: []string{spRedirectURI}, JWKSURI: serveKeySet(t, keys),
		DPoPNonce: dpopNonce, Persons: map[string]map[string]json.RawMessage{spPersona: person},
	})
	return e
}

// serveKeySet serves keys.PublicJSON() at
// http://127.0.0.1:port/.well-known/jwks.json and returns that URL.
func serveKeySet(t *testing.T, keys *keyset.Set) string {
	t.Helper()
	body, err := keys.PublicJSON()
	if err != nil {
		t.Fatal(err)
	}
	return peer.ServeJSON(t, "/.well-known/jwks.json", body)
}

// client makes a provider/singpass Myinfo-app client for the peer. Its
// transport counts requests per path and applies tamper, if set.
func (e *spEnv) client(t *testing.T, keys keyset.Keys, mod func(*singpass.Config)) *singpass.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	e.count = &countingTransport{next: tr, n: map[string]int{}}
	cfg := singpass.Config{
		Issuer: e.peer.Issuer, ClientID: spClientID, Keys: keys, RedirectURI: spRedirectURI,
		App: singpass.Myinfo, Scopes: spScopes,
		HTTPClient: &http.Client{Transport: e.count, Timeout: peer.RequestTimeout},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := singpass.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flow is a Flow with c as provider "singpass".
func newFlow(c *singpass.Client) *idconnect.Flow {
	return &idconnect.Flow{Providers: map[string]idconnect.Provider{"singpass": c}, Store: &store.Memory{}}
}

// startLogin binds a browser and starts a login; it returns the browser
// secret and the callback the peer redirects to (persona S6005048A).
func (e *spEnv) startLogin(t *testing.T, ctx context.Context, f *idconnect.Flow) (string, idconnect.Callback) {
	t.Helper()
	browser, err := f.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/singpass", nil))
	if err != nil {
		t.Fatal(err)
	}
	_, authURL, err := f.Start(ctx, "singpass", browser, idconnect.StartOptions{})
	if err != nil {
		t.Fatalf("Start (PAR): %v\npeer log:\n%s", err, e.peer.Log())
	}
	cb, err := idconnect.ParseCallback(e.peer.Authorize(t, authURL).Query())
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return browser, cb
}

// countingTransport counts requests by URL path and can rewrite form
// bodies and answers.
type countingTransport struct {
	next     http.RoundTripper
	mu       sync.Mutex
	n        map[string]int
	editForm func(path string, form url.Values)                               // nil: none
	tamper   func(req *http.Request, resp *http.Response, body []byte) []byte // nil: none
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[req.URL.Path]++
	tamper, editForm := c.tamper, c.editForm
	c.mu.Unlock()
	if editForm != nil && req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, peer.MaxBody))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		editForm(req.URL.Path, form)
		enc := form.Encode()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(strings.NewReader(enc))
		req.ContentLength = int64(len(enc))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil || tamper == nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, peer.MaxBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = tamper(req, resp, body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// checkResult compares a Myinfo-app result with the persona given to the
// peer, for the requested scopes.
func (e *spEnv) checkResult(t *testing.T, c *singpass.Client, login *idconnect.Login, res *idconnect.Result) {
	t.Helper()
	if res.Subject != spSub {
		t.Errorf("subject %q, want %s", res.Subject, spSub)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(res.Raw, &got); err != nil {
		t.Fatalf("Raw: %v", err)
	}
	for _, s := range spScopes {
		if !jsonEqual(t, got[s], e.person[s]) {
			t.Errorf("person_info.%s = %.200s, want the persona's %.200s", s, got[s], e.person[s])
		}
	}
	if len(got) != len(spScopes) {
		t.Errorf("person_info has %d items, want %d: %s", len(got), len(spScopes), res.Raw)
	}
	if m, ok := res.Model.(*myinfo.Person); !ok || m.UINFIN == nil || m.UINFIN.Value != spPersona {
		t.Errorf("Model %#v, want a *myinfo.Person with uinfin %s", res.Model, spPersona)
	}
	if res.Person.IDNumber == nil || res.Person.IDNumber.Value != spPersona || res.Person.Name == nil || res.Person.Name.Value != "ANDY LAU" {
		t.Errorf("Person %+v, want %s ANDY LAU", res.Person, spPersona)
	}
	sod, err := c.Flatten(login, res)
	if err != nil || !strings.HasPrefix(string(sod), `{"uinfin":"S6005048A","name":"ANDY LAU","sex":"M",`) {
		t.Errorf("sodata %.100s… (%v)", sod, err)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestSingpassFlow runs the whole flow: PAR → the peer's login → callback
// with iss → token (DPoP) → ID token (A256CBC-HS512 JWE around ES256) →
// userinfo (A256GCM JWE around ES256) with person_info.
func TestSingpassFlow(t *testing.T) {
	e := newSPEnv(t, false)
	c := e.client(t, e.keys, nil)
	f := newFlow(c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, cb := e.startLogin(t, ctx, f)
	if cb.Issuer != e.peer.Issuer {
		t.Errorf("callback iss %q, want %s", cb.Issuer, e.peer.Issuer)
	}
	login, res, err := f.Finish(ctx, "singpass", cb, browser)
	if err != nil {
		t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
	}
	e.checkResult(t, c, login, res)
	for _, p := range []string{"/request", "/token", "/me"} {
		if n := e.count.count(p); n != 1 {
			t.Errorf("%d requests to %s, want 1", n, p)
		}
	}
}

// TestSingpassDPoPNonce: the peer asks for a DPoP nonce at PAR
// (use_dpop_nonce); the client retries once with it and carries it on.
func TestSingpassDPoPNonce(t *testing.T) {
	e := newSPEnv(t, true)
	c := e.client(t, e.keys, nil)
	f := newFlow(c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*peer.RequestTimeout)
	defer cancel()
	browser, cb := e.startLogin(t, ctx, f)
	login, res, err := f.Finish(ctx, "singpass", cb, browser)
	if err != nil {
		t.Fatalf("Finish: %v\npeer log:\n%s", err, e.peer.Log())
	}
	e.checkResult(t, c, login, res)
	if n := e.count.count("/request"); n != 2 {
		t.Errorf("%d PAR requests, want 2 (use_dpop_nonce, then the retry)", n)
	}
	tok, me := e.count.count("/token"), e.count.count("/me")
	if tok < 1 || tok > 2 || me < 1 || me > 2 {
		t.Errorf("%d token and %d userinfo requests, want 1 or 2 each", tok, me)
	}
	t.Logf("requests: PAR %d, token %d, userinfo %d", e.count.count("/request"), tok, me)

	t.Run("retry at token", func(t *testing.T) {
		// The login forgets PAR's nonce: token asks for one, and the
		// client's one retry succeeds.
		c := e.client(t, e.keys, nil)
		login := &idconnect.Login{State: peer.RandomString(t, 32), Nonce: peer.RandomString(t, 32), Verifier: peer.RandomString(t, 32)}
		authURL, err := c.AuthURL(ctx, login)
		if err != nil {
			t.Fatalf("AuthURL: %v", err)
		}
		if login.ProviderData[singpass.DataDPoPNonce] == "" {
			t.Fatal("AuthURL kept no DPoP nonce")
		}
		delete(login.ProviderData, singpass.DataDPoPNonce)
		cb, err := idconnect.ParseCallback(e.peer.Authorize(t, authURL).Query())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exchange(ctx, login, cb); err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if n := e.count.count("/token"); n != 2 {
			t.Errorf("%d token requests, want 2 (use_dpop_nonce, then the retry)", n)
		}
	})

	t.Run("one retry only", func(t *testing.T) {
		// Every nonce the peer sends is replaced by a bogus one: the
		// retry fails too, and the client gives up after it.
		c := e.client(t, e.keys, nil)
		e.count.tamper = func(_ *http.Request, resp *http.Response, body []byte) []byte {
			if resp.Header.Get("DPoP-Nonce") != "" {
				resp.Header.Set("DPoP-Nonce", "bogus-"+peer.RandomString(t, 16))
			}
			return body
		}
		login := &idconnect.Login{State: peer.RandomString(t, 32), Nonce: peer.RandomString(t, 32), Verifier: peer.RandomString(t, 32)}
		_, err := c.AuthURL(ctx, login)
		var pe *idconnect.ProviderError
		if !errors.As(err, &pe) || pe.Op != "par" || pe.Code != "use_dpop_nonce" {
			t.Errorf("AuthURL: %v, want a ProviderError from par with code use_dpop_nonce", err)
		}
		if n := e.count.count("/request"); n != 2 {
			t.Errorf("%d PAR requests, want 2 (one retry, never more)", n)
		}
	})
}

// TestSingpassRefusals: each row is a login the peer or the flow must
// refuse, with the error it must give.
func TestSingpassRefusals(t *testing.T) {
	e := newSPEnv(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*peer.RequestTimeout)
	defer cancel()

	// otherEnc is our key set with its decryption key replaced: the peer
	// still authenticates us (same signing key) but encrypts to a key we
	// no longer hold.
	otherEnc := func(t *testing.T) *keyset.Set {
		priv, err := e.keys.MarshalPrivate()
		if err != nil {
			t.Fatal(err)
		}
		ks, err := keyset.Parse(priv)
		if err != nil {
			t.Fatal(err)
		}
		old := ks.DecryptionKeys().Keys[0].KeyID
		if _, err := ks.Add(nil, keyset.UseEnc); err != nil {
			t.Fatal(err)
		}
		if err := ks.Remove(old); err != nil {
			t.Fatal(err)
		}
		return ks
	}

	tests := []struct {
		name string
		// run does one login and returns the error that ends it.
		run   func(t *testing.T) error
		check func(t *testing.T, err error)
		// peerSays is the reason the peer logs for its refusal, if it
		// refused.
		peerSays string
	}{
		{
			name: "ID token encrypted to a key we lack",
			run: func(t *testing.T) error {
				c := e.client(t, otherEnc(t), nil)
				f := newFlow(c)
				browser, cb := e.startLogin(t, ctx, f)
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrDecrypt),
		},
		{
			name: "ID token JWE ciphertext tampered in transit",
			run: func(t *testing.T) error {
				c := e.client(t, e.keys, nil)
				e.count.tamper = func(req *http.Request, _ *http.Response, body []byte) []byte {
					if req.URL.Path != "/token" {
						return body
					}
					var tok map[string]any
					if json.Unmarshal(body, &tok) != nil {
						return body
					}
					idt, _ := tok["id_token"].(string)
					parts := strings.Split(idt, ".")
					if len(parts) != 5 || len(parts[3]) < 10 {
						t.Errorf("token answer's id_token is not a compact JWE")
						return body
					}
					ct := []byte(parts[3])
					ct[5] = flip(ct[5])
					parts[3] = string(ct)
					tok["id_token"] = strings.Join(parts, ".")
					out, _ := json.Marshal(tok)
					return out
				}
				f := newFlow(c)
				browser, cb := e.startLogin(t, ctx, f)
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrDecrypt),
		},
		{
			name: "callback iss of another issuer",
			run: func(t *testing.T) error {
				f := newFlow(e.client(t, e.keys, nil))
				browser, cb := e.startLogin(t, ctx, f)
				cb.Issuer = "http://127.0.0.1:1" // forged
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				if n := e.count.count("/token"); n != 0 {
					t.Errorf("%d token requests after a forged iss, want 0", n)
				}
				return err
			},
			check: wantIs(idconnect.ErrInvalidRequest),
		},
		{
			name: "callback without iss from an issuer that advertises it",
			run: func(t *testing.T) error {
				f := newFlow(e.client(t, e.keys, nil))
				browser, cb := e.startLogin(t, ctx, f)
				cb.Issuer = ""
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrInvalidRequest),
		},
		{
			name: "callback replayed to the flow",
			run: func(t *testing.T) error {
				f := newFlow(e.client(t, e.keys, nil))
				browser, cb := e.startLogin(t, ctx, f)
				if _, _, err := f.Finish(ctx, "singpass", cb, browser); err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				return err
			},
			check: wantIs(idconnect.ErrStateUnknown),
		},
		{
			name: "code redeemed twice at the peer",
			run: func(t *testing.T) error {
				c := e.client(t, e.keys, nil)
				f := newFlow(c)
				browser, cb := e.startLogin(t, ctx, f)
				login, _, err := f.Finish(ctx, "singpass", cb, browser)
				if err != nil {
					t.Fatalf("first Finish: %v", err)
				}
				// The token call again, past the Flow's single use.
				_, err = c.Exchange(ctx, login, idconnect.Callback{Code: cb.Code, State: cb.State, Issuer: cb.Issuer})
				return err
			},
			check:    wantProviderError("token", "invalid_grant"),
			peerSays: "[authorization code already consumed]",
		},
		{
			name: "client assertion expired (clock 10 minutes behind)",
			run: func(t *testing.T) error {
				c := e.client(t, e.keys, func(cfg *singpass.Config) {
					cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
				})
				f := newFlow(c)
				browser, err := f.BindBrowser(httptest.NewRecorder(), httptest.NewRequest("GET", "/login/singpass", nil))
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = f.Start(ctx, "singpass", browser, idconnect.StartOptions{})
				if err == nil {
					t.Fatal("Start succeeded")
				}
				return err
			},
			check:    wantProviderError("par", "invalid_client"),
			peerSays: "[jwt expired]",
		},
		{
			name: "client assertion replayed (PAR's sent again at token)",
			run: func(t *testing.T) error {
				c := e.client(t, e.keys, nil)
				var parAssertion string
				e.count.editForm = func(path string, form url.Values) {
					switch path {
					case "/request":
						parAssertion = form.Get("client_assertion")
					case "/token":
						form.Set("client_assertion", parAssertion)
					}
				}
				f := newFlow(c)
				browser, cb := e.startLogin(t, ctx, f)
				_, _, err := f.Finish(ctx, "singpass", cb, browser)
				return err
			},
			check:    wantProviderError("token", "invalid_client"),
			peerSays: "[client assertion tokens must only be used once]",
		},
		{
			name: "DPoP key at token differs from PAR's",
			run: func(t *testing.T) error {
				c := e.client(t, e.keys, nil)
				login := &idconnect.Login{
					State: peer.RandomString(t, 32), Nonce: peer.RandomString(t, 32), Verifier: peer.RandomString(t, 32),
				}
				authURL, err := c.AuthURL(ctx, login)
				if err != nil {
					t.Fatalf("AuthURL: %v", err)
				}
				cb, err := idconnect.ParseCallback(e.peer.Authorize(t, authURL).Query())
				if err != nil {
					t.Fatal(err)
				}
				k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				d, err := k.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				login.ProviderData[singpass.DataDPoPKey] = base64.RawURLEncoding.EncodeToString(d)
				_, err = c.Exchange(ctx, login, cb)
				return err
			},
			check:    wantProviderError("token", "invalid_grant"),
			peerSays: "[DPoP proof key thumbprint does not match dpop_jkt]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			if err == nil {
				t.Fatal("the login succeeded, want an error")
			}
			t.Logf("error: %v", err)
			tt.check(t, err)
			if tt.peerSays != "" {
				waitLog(t, e.peer, tt.peerSays)
			}
		})
	}
}

// waitLog waits (at most 2 s) for the peer to log want: its error
// events are written after the answer is sent.
func waitLog(t *testing.T, p *peer.OIDCProvider, want string) {
	t.Helper()
	for range 100 {
		if strings.Contains(p.Log(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("the peer's log does not say %q:\n%s", want, p.Log())
}

func flip(b byte) byte {
	if b == 'A' {
		return 'B'
	}
	return 'A'
}

func wantIs(want error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("error %v, want one wrapping %v", err, want)
		}
	}
}

// wantProviderError wants an *idconnect.ProviderError from op with code
// ("" for any code).
func wantProviderError(op, code string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var pe *idconnect.ProviderError
		if !errors.As(err, &pe) || pe.Op != op || (code != "" && pe.Code != code) {
			t.Errorf("error %v (%#v), want a ProviderError from %s with code %q", err, pe, op, code)
		}
	}
}
