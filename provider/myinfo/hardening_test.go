package myinfo_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// This file tests the client against hand-sealed answers: an httptest
// server that plays Myinfo's token and person APIs with answers built here
// with real keys and go-jose, for shapes the emulator would never send.
// Times are real (time.Now) on both sides: one clock.

// signToken signs access-token claims as Myinfo does (RS256, typ JWT,
// zip NONE) with the provider key.
func signToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("zip", "NONE")
	return signJWS(t, key(t, "provider"), jose.RS256, opts, claims)
}

func signJWS(t testing.TB, k any, alg jose.SignatureAlgorithm, opts *jose.SignerOptions, payload any) string {
	t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// encryptJWS wraps a compact JWS, quoted as real Myinfo does, in a JWE.
func encryptJWS(t testing.TB, jws string, keyAlg jose.KeyAlgorithm, k any, opts *jose.EncrypterOptions) string {
	t.Helper()
	quoted, _ := json.Marshal(jws)
	e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: keyAlg, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(quoted)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tokenFor returns a valid access token for sub, shaped like the real one.
func tokenFor(t testing.TB, sub string) string {
	now := time.Now()
	return signToken(t, map[string]any{
		"sub": sub, "aud": "myinfo", "client_id": testClientID,
		"iss": "https://stg-home.singpass.gov.sg/consent/oauth2/consent/myinfo-com",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(30 * time.Minute).Unix(),
	})
}

// sealedPerson is a person document signed by the provider and encrypted
// to the client, as Myinfo sends it.
func sealedPerson(t testing.TB, person string) string {
	t.Helper()
	jws := signJWS(t, key(t, "provider"), jose.RS256, nil, []byte(person))
	return encryptJWS(t, jws, jose.RSA_OAEP, &key(t, "client").PublicKey, nil)
}

// sealedServer plays Myinfo's token and person APIs under /com/v3 with the
// given handlers; a nil handler answers 404.
type sealedServer struct {
	*httptest.Server
	personCalls atomic.Int32
}

func newSealedServer(t testing.TB, token, person http.HandlerFunc) *sealedServer {
	t.Helper()
	s := &sealedServer{}
	mux := http.NewServeMux()
	if token != nil {
		mux.HandleFunc("POST /com/v3/token", token)
	}
	if person != nil {
		mux.HandleFunc("GET /com/v3/person/{sub}/", func(w http.ResponseWriter, r *http.Request) {
			s.personCalls.Add(1)
			person(w, r)
		})
	}
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func serveToken(tok string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 1800})
	}
}

func serveBody(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }
}

// sealedClient is a client for s; edit may change its configuration.
func sealedClient(t testing.TB, s *sealedServer, edit func(*myinfo.Config)) *myinfo.Client {
	t.Helper()
	cfg := myinfo.Config{
		BaseURL:      s.URL + "/com/v3",
		ClientID:     testClientID,
		ClientSecret: testSecret,
		ClientKey:    key(t, "client"),
		ProviderKey:  &key(t, "provider").PublicKey,
		RedirectURI:  testRedirect,
		Attributes:   []string{"uinfin", "name"},
		Purpose:      "testing",
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := myinfo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func exchange(c *myinfo.Client, attrs ...string) (*idconnect.Result, error) {
	if len(attrs) == 0 {
		attrs = []string{"uinfin", "name"}
	}
	login := &idconnect.Login{State: "state-1", RedirectURI: testRedirect, Attributes: attrs}
	return c.Exchange(context.Background(), login, idconnect.Callback{Code: "code-1", State: "state-1"})
}

// checkNoLeak fails when err's text carries personal data or secrets.
func checkNoLeak(t testing.TB, err error, extra ...string) {
	t.Helper()
	for _, leak := range append([]string{"S6005048A", "S1111111D", testSecret, "code-1", "/person/", "127.0.0.1"}, extra...) {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q leaks %q", err, leak)
		}
	}
}

// TestRedirectsAreNeverFollowed: a 3xx from the token API would re-post
// the client secret and the code to the Location, and one from the person
// API would forward the bearer token. The target must see nothing, whatever
// client the caller configured.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	type hit struct{ path, auth, body string }
	clients := []struct {
		name string
		c    func() *http.Client
	}{
		{"default client", func() *http.Client { return nil }},
		{"caller's client without CheckRedirect", func() *http.Client { return &http.Client{Timeout: 5 * time.Second} }},
		{"caller's client that follows everything", func() *http.Client {
			return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		}},
	}
	stages := []struct {
		name   string
		status int
		token  bool // redirect the token call (else the person call)
	}{
		{"token 307", http.StatusTemporaryRedirect, true},
		{"token 308", http.StatusPermanentRedirect, true},
		{"token 302", http.StatusFound, true},
		{"person 302", http.StatusFound, false},
		{"person 307", http.StatusTemporaryRedirect, false},
		{"person 301", http.StatusMovedPermanently, false},
	}
	for _, st := range stages {
		for _, cc := range clients {
			t.Run(st.name+"/"+cc.name, func(t *testing.T) {
				var hits []hit
				target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					hits = append(hits, hit{r.URL.Path, r.Header.Get("Authorization"), string(b)})
				}))
				defer target.Close()
				redirect := func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, target.URL+"/collect", st.status)
				}
				token, person := serveToken(tokenFor(t, "S6005048A")), http.HandlerFunc(redirect)
				if st.token {
					token, person = redirect, serveBody(sealedPerson(t, `{"uinfin":{"value":"S6005048A"}}`))
				}
				s := newSealedServer(t, token, person)
				callers := cc.c()
				hadNoCheck := callers != nil && callers.CheckRedirect == nil
				c := sealedClient(t, s, func(cfg *myinfo.Config) { cfg.HTTPClient = callers })
				res, err := exchange(c)
				// First what matters most: nothing reached the Location.
				if len(hits) != 0 {
					t.Errorf("the redirect target received %d requests (first: %s, with Authorization %t, with body %t)",
						len(hits), hits[0].path, hits[0].auth != "", hits[0].body != "")
				}
				if res != nil || !errors.Is(err, idconnect.ErrProviderUnavailable) {
					t.Fatalf("Exchange gave a result: %t, err %v; want ErrProviderUnavailable", res != nil, err)
				}
				// A ProviderError with a 3xx status would be answered 400 as
				// the person's fault; this is the provider's.
				var perr *idconnect.ProviderError
				if errors.Is(err, idconnect.ErrProviderRefused) || errors.As(err, &perr) {
					t.Errorf("err %v classifies as a refusal", err)
				}
				if !st.token && s.personCalls.Load() != 1 {
					t.Errorf("person API called %d times", s.personCalls.Load())
				}
				// New works on a copy: the caller's client stays theirs.
				if callers != nil && (callers.CheckRedirect == nil) != hadNoCheck {
					t.Error("New changed the caller's CheckRedirect")
				}
				checkNoLeak(t, err, target.URL)
			})
		}
	}
}

// TestOversizedResponseHeader: a provider (or anything in between) sending
// an endless header block is cut off at the header cap, as a provider
// failure with nothing of the request in the error.
func TestOversizedResponseHeader(t *testing.T) {
	huge := func(w http.ResponseWriter, r *http.Request) {
		for i := range 40 {
			w.Header().Set("X-Padding-"+string(rune('A'+i%26))+string(rune('a'+i/26)), strings.Repeat("p", 4<<10))
		}
		io.WriteString(w, `{}`)
	}
	for _, tt := range []struct {
		name   string
		client *http.Client
		token  bool
	}{
		{"token, default client", nil, true},
		{"person, default client", nil, false},
		{"person, caller's client", &http.Client{Timeout: 5 * time.Second}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token, person := serveToken(tokenFor(t, "S6005048A")), http.HandlerFunc(huge)
			if tt.token {
				token, person = huge, nil
			}
			s := newSealedServer(t, token, person)
			c := sealedClient(t, s, func(cfg *myinfo.Config) { cfg.HTTPClient = tt.client })
			res, err := exchange(c)
			if res != nil || !errors.Is(err, idconnect.ErrProviderUnavailable) || errors.Is(err, idconnect.ErrProviderTimeout) {
				t.Fatalf("Exchange gave a result: %t, err %v; want ErrProviderUnavailable", res != nil, err)
			}
			if !strings.Contains(err.Error(), "header") {
				t.Errorf("err %q does not say the headers were too large", err)
			}
			checkNoLeak(t, err)
		})
	}
}

// TestPersonMustMatchToken: a correctly signed and encrypted person
// document for someone else is not this login's data.
func TestPersonMustMatchToken(t *testing.T) {
	tests := []struct {
		name     string
		sub      string
		person   string
		attrs    []string
		want     error
		wantName string
	}{
		{"same person", "S6005048A", `{"uinfin":{"value":"S6005048A"},"name":{"value":"ANDY LAU"}}`, nil, nil, "ANDY LAU"},
		{"another person", "S6005048A", `{"uinfin":{"value":"S1111111D"},"name":{"value":"TAN XIAO HUI"}}`, nil, idconnect.ErrSubjectMismatch, ""},
		{"FIN against an NRIC", "S6005048A", `{"uinfin":{"value":"F3275914U"},"name":{"value":"X"}}`, nil, idconnect.ErrSubjectMismatch, ""},
		{"uinfin asked for but missing", "S6005048A", `{"name":{"value":"TAN XIAO HUI"}}`, nil, idconnect.ErrSubjectMismatch, ""},
		{"uinfin asked for but empty", "S6005048A", `{"uinfin":{"value":""},"name":{"value":"X"}}`, nil, idconnect.ErrSubjectMismatch, ""},
		{"another person, uinfin not asked for", "S6005048A", `{"uinfin":{"value":"S1111111D"},"name":{"value":"X"}}`, []string{"name"}, idconnect.ErrSubjectMismatch, ""},
		// Nothing to compare: documented limits.
		{"uinfin not asked for", "S6005048A", `{"name":{"value":"ANDY LAU"}}`, []string{"name"}, nil, "ANDY LAU"},
		{"UUID subject", "9E9B2260-47B8-455B-89B5-C48F4DB98322", `{"uinfin":{"value":"S1111111D"},"name":{"value":"TAN XIAO HUI"}}`, nil, nil, "TAN XIAO HUI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSealedServer(t, serveToken(tokenFor(t, tt.sub)), serveBody(sealedPerson(t, tt.person)))
			res, err := exchange(sealedClient(t, s, nil), tt.attrs...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if res.Subject != tt.sub || res.Person.Name == nil || res.Person.Name.Value != tt.wantName {
					t.Errorf("result subject %q person %+v", res.Subject, res.Person)
				}
				return
			}
			if res != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Exchange gave a result: %t, err %v; want %v", res != nil, err, tt.want)
			}
			if s.personCalls.Load() != 1 {
				t.Errorf("person API called %d times", s.personCalls.Load())
			}
			checkNoLeak(t, err, "F3275914U", "TAN", "ANDY")
		})
	}
}

// TestPersonJOSERefused: person answers a client must refuse although the
// token is good. Each is built with real keys; the ones carrying a key
// header are signed or encrypted correctly, so only the header rule can
// refuse them.
func TestPersonJOSERefused(t *testing.T) {
	provider, client, other := key(t, "provider"), key(t, "client"), key(t, "other")
	const person = `{"uinfin":{"value":"S6005048A"}}`
	good := signJWS(t, provider, jose.RS256, nil, []byte(person))
	toClient := func(jws string) string { return encryptJWS(t, jws, jose.RSA_OAEP, &client.PublicKey, nil) }
	spki, err := x509.MarshalPKIXPublicKey(&provider.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	clientJWK, err := (&jose.JSONWebKey{Key: &client.PublicKey}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	sigHeader := func(k string, v any) *jose.SignerOptions {
		return (&jose.SignerOptions{}).WithHeader(jose.HeaderKey(k), v)
	}
	encHeader := func(k string, v any) *jose.EncrypterOptions {
		return (&jose.EncrypterOptions{}).WithHeader(jose.HeaderKey(k), v)
	}
	dirKey := make([]byte, 32)

	tests := []struct {
		name string
		body string
		want error
	}{
		{"control: good answer", toClient(good), nil},
		// Key management algorithms outside the allowlist.
		{"JWE RSA1_5", encryptJWS(t, good, jose.RSA1_5, &client.PublicKey, nil), idconnect.ErrDecrypt},
		{"JWE dir", encryptJWS(t, good, jose.DIRECT, dirKey, nil), idconnect.ErrDecrypt},
		// JWE headers naming a key, or compressing.
		{"JWE with jwk", encryptJWS(t, good, jose.RSA_OAEP, &client.PublicKey, encHeader("jwk", json.RawMessage(clientJWK))), idconnect.ErrDecrypt},
		{"JWE with jku", encryptJWS(t, good, jose.RSA_OAEP, &client.PublicKey, encHeader("jku", "https://attacker.example/jwks")), idconnect.ErrDecrypt},
		{"JWE with x5u", encryptJWS(t, good, jose.RSA_OAEP, &client.PublicKey, encHeader("x5u", "https://attacker.example/c.pem")), idconnect.ErrDecrypt},
		{"JWE compressed", encryptJWS(t, good, jose.RSA_OAEP, &client.PublicKey, &jose.EncrypterOptions{Compression: jose.DEFLATE}), idconnect.ErrDecrypt},
		// Inner JWS: HMAC keyed with the provider's public key, key headers.
		{"JWS HS256 keyed with the public key", toClient(signJWS(t, publicPEM, jose.HS256, nil, []byte(person))), idconnect.ErrSignature},
		{"JWS HS256 keyed with the public key DER", toClient(signJWS(t, spki, jose.HS256, nil, []byte(person))), idconnect.ErrSignature},
		{"JWS embedded jwk, attacker's key", toClient(signJWS(t, other, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, []byte(person))), idconnect.ErrSignature},
		{"JWS embedded jwk, right key", toClient(signJWS(t, provider, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, []byte(person))), idconnect.ErrSignature},
		{"JWS with jku", toClient(signJWS(t, provider, jose.RS256, sigHeader("jku", "https://attacker.example/jwks"), []byte(person))), idconnect.ErrSignature},
		{"JWS with x5u", toClient(signJWS(t, provider, jose.RS256, sigHeader("x5u", "https://attacker.example/c.pem"), []byte(person))), idconnect.ErrSignature},
		{"JWS zip DEF", toClient(signJWS(t, provider, jose.RS256, sigHeader("zip", "DEF"), []byte(person))), idconnect.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSealedServer(t, serveToken(tokenFor(t, "S6005048A")), serveBody(tt.body))
			res, err := exchange(sealedClient(t, s, nil))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				return
			}
			if res != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Exchange gave a result: %t, err %v; want %v", res != nil, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "myinfo: decode person:") {
				t.Errorf("err %q is not from the person step", err)
			}
			checkNoLeak(t, err)
		})
	}
}

// TestAccessTokenJOSERefused runs the access-token cases that matter most
// through the whole client: the person API must not even be called.
func TestAccessTokenJOSERefused(t *testing.T) {
	provider, other := key(t, "provider"), key(t, "other")
	now := time.Now()
	claims := map[string]any{"sub": "S6005048A", "aud": "myinfo", "exp": now.Add(30 * time.Minute).Unix()}
	spki, err := x509.MarshalPKIXPublicKey(&provider.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
	hdr := func(k string, v any) *jose.SignerOptions {
		return (&jose.SignerOptions{}).WithHeader(jose.HeaderKey(k), v)
	}
	noExp := map[string]any{"sub": "S6005048A", "aud": "myinfo"}
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"HS256 keyed with the public key", signJWS(t, publicPEM, jose.HS256, nil, claims), idconnect.ErrSignature},
		{"embedded jwk, attacker's key", signJWS(t, other, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, claims), idconnect.ErrSignature},
		{"embedded jwk, right key", signJWS(t, provider, jose.RS256, &jose.SignerOptions{EmbedJWK: true}, claims), idconnect.ErrSignature},
		{"jku", signJWS(t, provider, jose.RS256, hdr("jku", "https://attacker.example/jwks"), claims), idconnect.ErrSignature},
		{"x5u", signJWS(t, provider, jose.RS256, hdr("x5u", "https://attacker.example/c.pem"), claims), idconnect.ErrSignature},
		{"no exp", signJWS(t, provider, jose.RS256, nil, noExp), idconnect.ErrTokenInvalid},
		{"another client's token", signJWS(t, provider, jose.RS256, nil, map[string]any{"sub": "S6005048A", "client_id": "OTHER", "exp": now.Add(time.Hour).Unix()}), idconnect.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSealedServer(t, serveToken(tt.token), serveBody(sealedPerson(t, `{"uinfin":{"value":"S6005048A"}}`)))
			res, err := exchange(sealedClient(t, s, nil))
			if res != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Exchange gave a result: %t, err %v; want %v", res != nil, err, tt.want)
			}
			if n := s.personCalls.Load(); n != 0 {
				t.Errorf("person API called %d times with a refused token", n)
			}
			checkNoLeak(t, err)
		})
	}
}

// TestBaseURLPlainHTTP: plain HTTP only to this machine, where the secret
// and the person's data cannot be read on the wire.
func TestBaseURLPlainHTTP(t *testing.T) {
	tests := []struct {
		base    string
		env     myinfo.Environment
		allow   bool
		wantErr bool
	}{
		{"http://127.0.0.1:5156/myinfo/v3", "", false, false},
		{"http://localhost:3001/emulator/myinfo/com/v3", "", false, false},
		{"http://LOCALHOST:3001/com/v3", "", false, false},
		{"http://[::1]:3001/com/v3", "", false, false},
		{"http://127.0.0.1:8080/com/v3", myinfo.Test, false, false}, // a local forwarding proxy
		{"https://myinfo-proxy.internal/com/v3", myinfo.Production, false, false},
		{"https://emulator.example/com/v3", "", false, false},
		{"http://myinfo-proxy.internal/com/v3", "", false, true},
		{"http://myinfo-proxy.internal/com/v3", myinfo.Production, false, true},
		{"http://10.0.0.5/com/v3", "", false, true},
		{"http://127.0.0.1.nip.io/com/v3", "", false, true},
		{"http://localhost.attacker.example/com/v3", "", false, true},
		{"http://emulator:5156/com/v3", "", true, false},
		{"http://emulator:5156/com/v3", myinfo.Test, true, true},
		{"https://user:hunter2@proxy.example/com/v3", "", false, true},
		{"ftp://127.0.0.1/com/v3", "", false, true},
	}
	for _, tt := range tests {
		cfg := myinfo.Config{
			Environment: tt.env, BaseURL: tt.base, AllowInsecureHTTP: tt.allow,
			ClientID: testClientID, ClientSecret: testSecret,
			ClientKey: key(t, "client"), ProviderKey: &key(t, "provider").PublicKey,
			RedirectURI: testRedirect, Attributes: []string{"name"}, Purpose: "testing",
		}
		_, err := myinfo.New(cfg)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s (env %q, allow %v): err = %v, want error %v", tt.base, tt.env, tt.allow, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the URL's password: %v", err)
		}
	}
}
