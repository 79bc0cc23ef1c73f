package myinfo_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect"
	myinfoemu "github.com/idconnect/idconnect/emulator/myinfo"
	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Keys are generated once per test binary: RSA-2048 generation is slow
// and every test needs fresh-but-real keys, not particular ones.
var testKeys = sync.OnceValues(func() (map[string]*rsa.PrivateKey, error) {
	keys := map[string]*rsa.PrivateKey{}
	for _, name := range []string{"client", "provider", "other"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		keys[name] = k
	}
	return keys, nil
})

func key(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	return keys[name]
}

const (
	testClientID = "STG2-MYINFO-SELF-TEST"
	testSecret   = "s3cret-for-tests"
	testRedirect = "https://rp.example/callback"
)

var seedAttributes = []string{"name", "dob", "birthcountry", "nationality", "uinfin", "sex", "regadd"}

type fixture struct {
	emu    *myinfoemu.Server
	ts     *httptest.Server
	client *myinfo.Client
	cfg    myinfo.Config
	// beforePerson, when set, runs just before the emulator handles a
	// person request: a fault switched on there hits the person answer
	// only, after a good token exchange.
	beforePerson func(*myinfoemu.Faults)
	personCalls  atomic.Int32
}

// newFixture runs the emulator over httptest and a client configured for
// it; edit changes the client's configuration, emuEdit the emulator's.
func newFixture(t testing.TB, edit func(*myinfo.Config), emuEdit func(*myinfoemu.Config)) *fixture {
	t.Helper()
	people, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	ecfg := myinfoemu.Config{
		Personas:        people,
		ClientID:        testClientID,
		ClientSecret:    testSecret,
		ClientPublicKey: &key(t, "client").PublicKey,
		RedirectURIs:    []string{testRedirect},
		SigningKey:      key(t, "provider"),
	}
	if emuEdit != nil {
		emuEdit(&ecfg)
	}
	emu, err := myinfoemu.New(ecfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{emu: emu, ts: ts}
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/person/") {
			f.personCalls.Add(1)
			if f.beforePerson != nil {
				f.beforePerson(emu.Faults())
			}
		}
		emu.ServeHTTP(w, r)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	base := ts.URL + "/com/v3"
	if ecfg.Sandbox {
		base = ts.URL + "/com/v3"
	}
	cfg := myinfo.Config{
		BaseURL:      base,
		ClientID:     testClientID,
		ClientSecret: testSecret,
		ClientKey:    key(t, "client"),
		ProviderKey:  &key(t, "provider").PublicKey,
		RedirectURI:  testRedirect,
		Attributes:   seedAttributes,
		Purpose:      "testing",
	}
	if edit != nil {
		edit(&cfg)
	}
	client, err := myinfo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.client, f.cfg = client, cfg
	return f
}

// authorise runs AuthURL and the emulator's consent shortcut, returning the
// login and the callback.
func (f *fixture) authorise(t testing.TB, persona string) (*idconnect.Login, idconnect.Callback) {
	t.Helper()
	login := &idconnect.Login{State: "state-" + persona}
	authURL, err := f.client.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL + "&persona=" + persona + "&consent=allow")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorise: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cb, err := idconnect.ParseCallback(loc.Query())
	if err != nil {
		t.Fatal(err)
	}
	if cb.State != login.State {
		t.Fatalf("state %q came back as %q", login.State, cb.State)
	}
	return login, cb
}

func TestExchange(t *testing.T) {
	tests := []struct {
		name    string
		persona string
		edit    func(*myinfo.Config)
		emuEdit func(*myinfoemu.Config)
	}{
		{name: "test environment", persona: "S6005048A"},
		{name: "bare JWS inside the JWE", persona: "S6005048A", emuEdit: func(c *myinfoemu.Config) { c.BareJWS = true }},
		{name: "sandbox, plain JSON", persona: "S6005048A",
			edit:    func(c *myinfo.Config) { c.Environment = myinfo.Sandbox },
			emuEdit: func(c *myinfoemu.Config) { c.Sandbox = true }},
		{name: "government API with sp_esvcId", persona: "S6005048A",
			edit: func(c *myinfo.Config) {
				c.BaseURL = strings.Replace(c.BaseURL, "/com/v3", "/gov/v3", 1)
				c.Government, c.ESvcID = true, "MYINFO-ESVC"
			}},
		{name: "txnNo sent and signed", persona: "S6005048A", edit: func(c *myinfo.Config) { c.TxnNo = true }},
		{name: "seed sample person, every attribute", persona: "S1111111D", edit: func(c *myinfo.Config) {
			c.Attributes = []string{"partialuinfin", "uinfin", "name", "sex", "regadd", "hdbownership", "childrenbirthrecords", "vehicles", "cpfcontributions", "noa-basic", "noahistory"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.edit, tt.emuEdit)
			login, cb := f.authorise(t, tt.persona)
			res, err := f.client.Exchange(context.Background(), login, cb)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if res.Subject != tt.persona || res.Provider != "myinfo" {
				t.Errorf("subject %q provider %q", res.Subject, res.Provider)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(res.Raw, &got); err != nil {
				t.Fatal(err)
			}
			for _, a := range login.Attributes {
				if _, ok := got[a]; !ok {
					t.Errorf("attribute %s missing from the answer", a)
				}
			}
			if len(got) != len(login.Attributes) {
				t.Errorf("answer has %d attributes, asked for %d", len(got), len(login.Attributes))
			}
			if res.Person == nil || res.Person.IDNumber == nil || res.Person.IDNumber.Value != tt.persona {
				t.Errorf("normalised person lacks the id number: %+v", res.Person)
			}
			if _, ok := res.Model.(*myinfo.Person); !ok {
				t.Errorf("Model is %T, want *myinfo.Person", res.Model)
			}
		})
	}
}

func TestExchangeFailures(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*myinfo.Config)
		faults func(*myinfoemu.Faults)
		// personFaults are switched on after the token exchange, so only
		// the person answer is affected.
		personFaults func(*myinfoemu.Faults)
		want         error
		status       int    // ProviderError status, when want is a provider refusal
		step         string // the step that must fail: its error prefix
	}{
		{name: "wrong client secret", edit: func(c *myinfo.Config) { c.ClientSecret = "wrong" }, want: idconnect.ErrProviderRefused, status: 401},
		{name: "wrong client signing key", edit: func(c *myinfo.Config) { c.ClientKey = key(t, "other") }, want: idconnect.ErrProviderRefused, status: 401},
		{name: "wrong provider certificate", edit: func(c *myinfo.Config) { c.ProviderKey = &key(t, "other").PublicKey }, want: idconnect.ErrSignature},
		// The emulator's bad-signature fault spoils the access token too;
		// switched on only for the person call, the token is good and the
		// person JWS must be what fails.
		{name: "person signed with another key", personFaults: func(f *myinfoemu.Faults) { f.SetBadSignature(true) },
			want: idconnect.ErrSignature, step: "myinfo: decode person:"},
		{name: "access token signed with another key", faults: func(f *myinfoemu.Faults) { f.SetBadSignature(true) },
			want: idconnect.ErrSignature, step: "myinfo: access token:"},
		{name: "person encrypted to another key", faults: func(f *myinfoemu.Faults) { f.SetWrongEncryptionKey(true) }, want: idconnect.ErrDecrypt,
			step: "myinfo: decode person:"},
		{name: "provider down", faults: func(f *myinfoemu.Faults) { f.SetDown(true) }, want: idconnect.ErrProviderUnavailable},
		{name: "provider too slow", edit: func(c *myinfo.Config) { c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} },
			faults: func(f *myinfoemu.Faults) { f.SetSlow(time.Second) }, want: idconnect.ErrProviderTimeout},
		{name: "answer over the size cap", edit: func(c *myinfo.Config) { c.MaxResponseBytes = 100 }, want: idconnect.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.edit, nil)
			login, cb := f.authorise(t, "S6005048A")
			if tt.faults != nil {
				tt.faults(f.emu.Faults())
			}
			f.beforePerson = tt.personFaults
			res, err := f.client.Exchange(context.Background(), login, cb)
			if !errors.Is(err, tt.want) || res != nil {
				t.Fatalf("Exchange gave a result: %t, err %v; want %v", res != nil, err, tt.want)
			}
			if tt.step != "" && !strings.HasPrefix(err.Error(), tt.step) {
				t.Fatalf("err = %v; want it from the step %q", err, tt.step)
			}
			if tt.step == "myinfo: decode person:" && f.personCalls.Load() != 1 {
				t.Fatalf("person API called %d times, want once", f.personCalls.Load())
			}
			var perr *idconnect.ProviderError
			if tt.status != 0 && (!errors.As(err, &perr) || perr.StatusCode != tt.status) {
				t.Fatalf("err = %v, want a ProviderError with status %d", err, tt.status)
			}
			for _, leak := range []string{"S6005048A", "ANDY", testSecret} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q leaks %q", err, leak)
				}
			}
		})
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	f := newFixture(t, nil, nil)
	login, cb := f.authorise(t, "S6005048A")
	if _, err := f.client.Exchange(context.Background(), login, cb); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.Exchange(context.Background(), login, cb)
	var perr *idconnect.ProviderError
	if !errors.As(err, &perr) || perr.StatusCode != http.StatusBadRequest || perr.Op != "token" {
		t.Fatalf("second exchange err = %v, want the token endpoint's 400", err)
	}
}

func TestAuthURL(t *testing.T) {
	c, err := myinfo.New(myinfo.Config{
		Environment:  myinfo.Test,
		ClientID:     "STG2-MYINFO-SELF-TEST",
		ClientSecret: "x",
		ClientKey:    key(t, "client"),
		ProviderKey:  &key(t, "provider").PublicKey,
		RedirectURI:  "http://localhost:3001/callback",
		Attributes:   seedAttributes,
		Purpose:      "python-myinfo-connector",
	})
	if err != nil {
		t.Fatal(err)
	}
	login := &idconnect.Login{State: "eb03c000-00a3-4708-ab30-926306bfc4a8", Nonce: "n-0S6_WzA2Mj", Verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}
	got, err := c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	// Seed 000's URL, byte for byte.
	want := "https://test.api.myinfo.gov.sg/com/v3/authorise?client_id=STG2-MYINFO-SELF-TEST&attributes=name,dob,birthcountry,nationality,uinfin,sex,regadd&state=eb03c000-00a3-4708-ab30-926306bfc4a8&redirect_uri=http://localhost:3001/callback&purpose=python-myinfo-connector"
	if got != want {
		t.Errorf("AuthURL:\n got %s\nwant %s", got, want)
	}
	if login.RedirectURI != "http://localhost:3001/callback" || len(login.Attributes) != 7 || login.Purpose == "" {
		t.Errorf("login not filled from the defaults: %+v", login)
	}
	// v3 uses neither: the pending login does not keep them in the store.
	if login.Nonce != "" || login.Verifier != "" {
		t.Errorf("the login keeps a nonce or PKCE verifier Myinfo v3 never uses: %+v", login)
	}

	login = &idconnect.Login{State: "s", Purpose: "KYC & onboarding #1", Attributes: []string{"name"}}
	got, err = c.AuthURL(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil || u.Query().Get("purpose") != "KYC & onboarding #1" || u.Query().Get("attributes") != "name" {
		t.Errorf("special characters not escaped: %s", got)
	}
	if _, err := c.AuthURL(context.Background(), &idconnect.Login{State: "s", Attributes: []string{"name&x=1"}}); !errors.Is(err, idconnect.ErrInvalidRequest) {
		t.Errorf("bad attribute accepted: %v", err)
	}
}

func TestEnvironmentBaseURLs(t *testing.T) {
	tests := []struct {
		env  myinfo.Environment
		gov  bool
		want string
	}{
		{myinfo.Sandbox, false, "https://sandbox.api.myinfo.gov.sg/com/v3"},
		{myinfo.Test, false, "https://test.api.myinfo.gov.sg/com/v3"},
		{myinfo.Production, false, "https://api.myinfo.gov.sg/com/v3"},
		{myinfo.Test, true, "https://test.api.myinfo.gov.sg/gov/v3"},
		{"staging", false, ""},
	}
	for _, tt := range tests {
		if got := tt.env.BaseURL(tt.gov); got != tt.want {
			t.Errorf("%s gov=%v: %q, want %q", tt.env, tt.gov, got, tt.want)
		}
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := myinfo.New(myinfo.Config{Environment: "staging", BaseURL: "http://proxy.example/com/v3", Government: true, Attributes: []string{"name", "name"}})
	if err == nil {
		t.Fatal("New accepted an empty configuration")
	}
	for _, want := range []string{"unknown environment", "ClientID", "ClientSecret", "ClientKey", "ProviderKey", "ESvcID", "RedirectURI", "listed twice", "Purpose", "plain http"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// TestA128CBCAccepted covers the older content encryption that Myinfo
// clients must still accept, built here with go-jose.
func TestA128CBCAccepted(t *testing.T) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key(t, "provider")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"name":{"value":"TAN"}}`))
	if err != nil {
		t.Fatal(err)
	}
	compact, _ := jws.CompactSerialize()
	quoted, _ := json.Marshal(compact)
	enc, err := jose.NewEncrypter(jose.A128CBC_HS256, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: &key(t, "client").PublicKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwe, err := enc.Encrypt(quoted)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := jwe.CompactSerialize()
	got, err := myinfo.DecodePerson([]byte(body), &key(t, "provider").PublicKey, key(t, "client"))
	if err != nil || string(got) != `{"name":{"value":"TAN"}}` {
		t.Fatalf("DecodePerson = %s, %v", got, err)
	}
}
