package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
)

var es256 = []jose.SignatureAlgorithm{jose.ES256}

// clock is the one fake clock of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeOP is a minimal OpenID provider: discovery and a JWKS, with
// counters and knobs.
type fakeOP struct {
	srv        *httptest.Server
	mu         sync.Mutex
	keys       []*ecdsa.PrivateKey
	kids       []string
	discovery  func(m map[string]any) // edits the document
	jwksDelay  time.Duration
	jwksStatus int
	metaHits   atomic.Int32
	jwksHits   atomic.Int32
}

func newFakeOP(t *testing.T) *fakeOP {
	op := &fakeOP{}
	op.addKey(t, "k1")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fapi/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		op.metaHits.Add(1)
		m := map[string]any{
			"issuer":                 op.issuer(),
			"authorization_endpoint": op.srv.URL + "/fapi/auth",
			"token_endpoint":         op.srv.URL + "/fapi/token",
			"jwks_uri":               op.srv.URL + "/.well-known/keys",
			"authorization_response_iss_parameter_supported": true,
		}
		if op.discovery != nil {
			op.discovery(m)
		}
		_ = json.NewEncoder(w).Encode(m)
	})
	mux.HandleFunc("GET /.well-known/keys", func(w http.ResponseWriter, r *http.Request) {
		op.jwksHits.Add(1)
		time.Sleep(op.jwksDelay)
		if op.jwksStatus != 0 {
			w.WriteHeader(op.jwksStatus)
			return
		}
		op.mu.Lock()
		set := jose.JSONWebKeySet{}
		for i, k := range op.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: op.kids[i], Use: "sig"})
		}
		op.mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	})
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *fakeOP) issuer() string { return op.srv.URL + "/fapi" }

func (op *fakeOP) addKey(t *testing.T, kid string) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	op.mu.Lock()
	op.keys, op.kids = append(op.keys, k), append(op.kids, kid)
	op.mu.Unlock()
	return k
}

func (op *fakeOP) issuerFor(c *clock) *Issuer {
	return &Issuer{URL: op.issuer(), Caller: &Caller{Provider: "test", HTTP: httpx.Outbound(op.srv.Client(), httpx.Options{}), MaxBytes: 64 << 10}, Now: c.Now}
}

func signJWS(t *testing.T, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	var k any = key
	if kid != "" {
		k = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

func TestMetadataLazyCachedAndAged(t *testing.T) {
	op := newFakeOP(t)
	c := newClock()
	iss := op.issuerFor(c)
	if op.metaHits.Load() != 0 {
		t.Fatal("discovery fetched before first use")
	}
	for range 3 {
		m, err := iss.Metadata(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if m.TokenEndpoint != op.srv.URL+"/fapi/token" || !m.AuthorizationResponseIssParameterSupported {
			t.Fatalf("metadata %+v", m)
		}
	}
	if n := op.metaHits.Load(); n != 1 {
		t.Fatalf("%d discovery fetches, want 1", n)
	}
	c.Add(DefaultMaxAge)
	if _, err := iss.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := op.metaHits.Load(); n != 2 {
		t.Fatalf("%d discovery fetches after MaxAge, want 2", n)
	}
}

func TestMetadataRefusals(t *testing.T) {
	tests := []struct {
		name string
		edit func(op *fakeOP, m map[string]any)
		want error
	}{
		{"issuer with a trailing slash", func(op *fakeOP, m map[string]any) { m["issuer"] = op.issuer() + "/" }, idconnect.ErrMalformed},
		{"issuer of another host", func(op *fakeOP, m map[string]any) { m["issuer"] = "https://evil.example/fapi" }, idconnect.ErrMalformed},
		{"no jwks_uri", func(op *fakeOP, m map[string]any) { delete(m, "jwks_uri") }, idconnect.ErrMalformed},
		{"relative token endpoint", func(op *fakeOP, m map[string]any) { m["token_endpoint"] = "/token" }, idconnect.ErrMalformed},
		{"javascript endpoint", func(op *fakeOP, m map[string]any) { m["authorization_endpoint"] = "javascript:alert(1)" }, idconnect.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := newFakeOP(t)
			op.discovery = func(m map[string]any) { tt.edit(op, m) }
			_, err := op.issuerFor(newClock()).Metadata(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), op.srv.URL) || strings.Contains(err.Error(), "evil") {
				t.Errorf("error carries a URL: %v", err)
			}
		})
	}
	// An https issuer accepts only https endpoints.
	i := &Issuer{URL: "https://id.example/fapi"}
	err := i.checkMetadata(&Metadata{Issuer: "https://id.example/fapi", JWKSURI: "http://id.example/keys"})
	if !errors.Is(err, idconnect.ErrMalformed) {
		t.Errorf("http jwks_uri under an https issuer: %v", err)
	}
	if err := i.checkMetadata(&Metadata{Issuer: "https://id.example/fapi", JWKSURI: "https://id.example/.well-known/keys"}); err != nil {
		t.Errorf("jwks_uri outside the issuer path: %v", err)
	}
}

func TestCallerErrors(t *testing.T) {
	c := newClock()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    error
		code    string
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, idconnect.ErrProviderUnavailable, ""},
		{"404 OAuth", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"not_found","error_description":"no S1234567D here"}`))
		}, idconnect.ErrProviderRefused, "not_found"},
		{"302", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/x", http.StatusFound)
		}, idconnect.ErrProviderUnavailable, ""},
		{"oversized", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat(" ", 70<<10))) }, idconnect.ErrMalformed, ""},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, idconnect.ErrMalformed, ""},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select { // answers after a minute, or when the client gives up
			case <-time.After(time.Minute):
			case <-r.Context().Done():
			}
		}, idconnect.ErrProviderTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			hc := srv.Client()
			// Room for a loaded machine; only the slow server passes it.
			hc.Timeout = 2 * time.Second
			i := &Issuer{URL: srv.URL, Caller: &Caller{Provider: "test", HTTP: httpx.Outbound(hc, httpx.Options{}), MaxBytes: 64 << 10}, Now: c.Now}
			_, err := i.Metadata(context.Background())
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			var perr *idconnect.ProviderError
			if tt.code != "" && (!errors.As(err, &perr) || perr.Code != tt.code || perr.Op != OpDiscovery) {
				t.Errorf("provider error %+v", perr)
			}
			for _, leak := range []string{srv.URL, "127.0.0.1", "S1234567D", "elsewhere"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error carries %q: %v", leak, err)
				}
			}
		})
	}
}

func TestOAuthErrorCode(t *testing.T) {
	tests := []struct {
		body, challenge, code, desc string
	}{
		{`{"error":"invalid_grant","error_description":"code expired"}`, "", "invalid_grant", "code expired"},
		{"", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`, "use_dpop_nonce", "Resource server requires nonce in DPoP proof"},
		{"", `DPoP algs="ES256", error=invalid_token`, "invalid_token", ""},
		{"", `DPoP algs="ES256"`, "", ""},
		{"", `DPoP xerror="nope"`, "", ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.challenge != "" {
			h.Set("WWW-Authenticate", tt.challenge)
		}
		code, desc := OAuthErrorCode(&Response{StatusCode: 401, Header: h, Body: []byte(tt.body)})
		if code != tt.code || desc != tt.desc {
			t.Errorf("%q %q: got %q %q", tt.body, tt.challenge, code, desc)
		}
	}
	perr := (&Caller{Provider: "p"}).OAuthError(OpToken, &Response{StatusCode: 400, Body: []byte(`{"error":"bad code!","error_description":"x\u0000y"}`)})
	if perr.Code != "?" || perr.Description != "xy" {
		t.Errorf("%+v", perr)
	}
}

func TestVerifyJWS(t *testing.T) {
	op := newFakeOP(t)
	c := newClock()
	iss := op.issuerFor(c)
	ctx := context.Background()
	claims := map[string]any{"iss": op.issuer(), "sub": "s"}

	if _, err := iss.VerifyJWS(ctx, signJWS(t, op.keys[0], "k1", claims), es256); err != nil {
		t.Fatalf("known kid: %v", err)
	}
	if _, err := iss.VerifyJWS(ctx, signJWS(t, op.keys[0], "", claims), es256); err != nil {
		t.Fatalf("no kid: %v", err)
	}
	if n := op.jwksHits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1", n)
	}

	// Signed by another key under a known kid.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := iss.VerifyJWS(ctx, signJWS(t, other, "k1", claims), es256); !errors.Is(err, idconnect.ErrSignature) {
		t.Errorf("another key: %v", err)
	}
	// An algorithm outside the allowlist.
	if _, err := iss.VerifyJWS(ctx, signJWS(t, op.keys[0], "k1", claims), []jose.SignatureAlgorithm{jose.ES384}); !errors.Is(err, idconnect.ErrSignature) {
		t.Errorf("alg outside the allowlist: %v", err)
	}

	// The provider rotates: the new kid is unknown, the cache is
	// refetched once it is MinRefetch old.
	k2 := op.addKey(t, "k2")
	tok2 := signJWS(t, k2, "k2", claims)
	if _, err := iss.VerifyJWS(ctx, tok2, es256); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid within MinRefetch: %v", err)
	}
	if n := op.jwksHits.Load(); n != 1 {
		t.Fatalf("refetched within MinRefetch: %d fetches", n)
	}
	c.Add(DefaultMinRefetch)
	// A JWS claiming another issuer does not cause a fetch.
	if _, err := iss.VerifyJWS(ctx, signJWS(t, k2, "k2", map[string]any{"iss": "https://other.example"}), es256); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("other issuer: %v", err)
	}
	if n := op.jwksHits.Load(); n != 1 {
		t.Fatalf("another issuer's JWS caused a fetch: %d fetches", n)
	}
	if _, err := iss.VerifyJWS(ctx, tok2, es256); err != nil {
		t.Fatalf("unknown kid after MinRefetch: %v", err)
	}
	if n := op.jwksHits.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2", n)
	}
	// A kid nobody has, right after: refused, no fetch.
	if _, err := iss.VerifyJWS(ctx, signJWS(t, k2, "k9", claims), es256); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("kid k9: %v", err)
	}
	if n := op.jwksHits.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches, want 2", n)
	}
	// After MaxAge the cache is stale and refetched even for a known kid.
	c.Add(DefaultMaxAge)
	if _, err := iss.VerifyJWS(ctx, tok2, es256); err != nil {
		t.Fatal(err)
	}
	if n := op.jwksHits.Load(); n != 3 {
		t.Fatalf("%d JWKS fetches after MaxAge, want 3", n)
	}
}

func TestVerifyJWSRefusesHeaderKeys(t *testing.T) {
	op := newFakeOP(t)
	iss := op.issuerFor(newClock())
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: attacker}, &jose.SignerOptions{EmbedJWK: true})
	obj, _ := s.Sign([]byte(`{"iss":"x"}`))
	tok, _ := obj.CompactSerialize()
	if _, err := iss.VerifyJWS(context.Background(), tok, es256); !errors.Is(err, idconnect.ErrSignature) {
		t.Fatalf("embedded jwk: %v", err)
	}
	if op.jwksHits.Load() != 0 {
		t.Error("a refused header caused a fetch")
	}
}

func TestJWKSLimits(t *testing.T) {
	op := newFakeOP(t)
	for i := range DefaultMaxKeys {
		op.addKey(t, "extra"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	iss := op.issuerFor(newClock())
	if _, err := iss.VerifyJWS(context.Background(), signJWS(t, op.keys[0], "k1", nil), es256); !errors.Is(err, idconnect.ErrMalformed) {
		t.Fatalf("too many keys: %v", err)
	}
	op2 := newFakeOP(t)
	op2.jwksStatus = 503
	if _, err := op2.issuerFor(newClock()).VerifyJWS(context.Background(), signJWS(t, op2.keys[0], "k1", nil), es256); !errors.Is(err, idconnect.ErrProviderUnavailable) {
		t.Fatalf("JWKS 503: %v", err)
	}
}

// Many concurrent lookups of an unknown kid cause one JWKS fetch.
func TestConcurrentUnknownKidOneFetch(t *testing.T) {
	op := newFakeOP(t)
	c := newClock()
	iss := op.issuerFor(c)
	ctx := context.Background()
	if _, err := iss.VerifyJWS(ctx, signJWS(t, op.keys[0], "k1", nil), es256); err != nil {
		t.Fatal(err)
	}
	k2 := op.addKey(t, "k2")
	tok := signJWS(t, k2, "k2", map[string]any{"iss": op.issuer()})
	c.Add(DefaultMinRefetch)
	op.jwksDelay = 50 * time.Millisecond
	before := op.jwksHits.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			if _, err := iss.VerifyJWS(ctx, tok, es256); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := op.jwksHits.Load() - before; n != 1 {
		t.Fatalf("%d JWKS fetches for 64 concurrent lookups, want 1", n)
	}
}

func TestCheckIDToken(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	base := func() map[string]any {
		return map[string]any{
			"iss": "https://id.example/fapi", "sub": "d45d8f21-6178-4713-b962-8635ed2a945a", "aud": "client-1",
			"nonce": "n-123", "iat": now.Unix() - 5, "exp": now.Unix() + 600,
		}
	}
	want := Expect{Issuer: "https://id.example/fapi", ClientID: "client-1", Nonce: "n-123", Now: now}
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string // "" means accepted
	}{
		{"good", func(m map[string]any) {}, ""},
		{"aud array", func(m map[string]any) { m["aud"] = []string{"other", "client-1"} }, ""},
		{"azp ours", func(m map[string]any) { m["azp"] = "client-1" }, ""},
		{"fractional iat", func(m map[string]any) { m["iat"] = float64(now.Unix()) - 0.5 }, ""},
		{"exp within leeway", func(m map[string]any) { m["exp"] = now.Unix() - 30 }, ""},
		{"wrong iss", func(m map[string]any) { m["iss"] = "https://id.example/fapi/" }, "iss"},
		{"no iss", func(m map[string]any) { delete(m, "iss") }, "iss"},
		{"wrong aud", func(m map[string]any) { m["aud"] = "client-2" }, "aud"},
		{"aud array without us", func(m map[string]any) { m["aud"] = []string{"a", "b"} }, "aud"},
		{"aud number", func(m map[string]any) { m["aud"] = 7 }, "aud"},
		{"empty aud array", func(m map[string]any) { m["aud"] = []string{} }, "aud"},
		{"azp other", func(m map[string]any) { m["azp"] = "client-2" }, "azp"},
		{"wrong nonce", func(m map[string]any) { m["nonce"] = "n-124" }, "nonce"},
		{"no nonce", func(m map[string]any) { delete(m, "nonce") }, "nonce"},
		{"no sub", func(m map[string]any) { delete(m, "sub") }, "sub"},
		{"expired", func(m map[string]any) { m["exp"] = now.Unix() - 61 }, "expired"},
		{"no exp", func(m map[string]any) { delete(m, "exp") }, "exp"},
		{"exp string", func(m map[string]any) { m["exp"] = "soon" }, "exp"},
		{"iat in the future", func(m map[string]any) { m["iat"] = now.Unix() + 61 }, "iat"},
		{"no iat", func(m map[string]any) { delete(m, "iat") }, "iat"},
		{"nbf in the future", func(m map[string]any) { m["nbf"] = now.Unix() + 120 }, "nbf"},
		{"iss number", func(m map[string]any) { m["iss"] = 1 }, "iss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			b, _ := json.Marshal(m)
			c, err := CheckIDToken(b, want)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Subject != m["sub"] {
					t.Errorf("sub %q", c.Subject)
				}
				return
			}
			if !errors.Is(err, idconnect.ErrTokenInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "d45d8f21") || strings.Contains(err.Error(), "n-12") {
				t.Errorf("error carries a claim value: %v", err)
			}
		})
	}
	if _, err := CheckIDToken([]byte(`[]`), want); !errors.Is(err, idconnect.ErrMalformed) {
		t.Errorf("array payload: %v", err)
	}
	noNonce := want
	noNonce.Nonce = ""
	b, _ := json.Marshal(map[string]any{"iss": want.Issuer, "sub": "s", "aud": "client-1", "iat": now.Unix(), "exp": now.Unix() + 60})
	if _, err := CheckIDToken(b, noNonce); !errors.Is(err, idconnect.ErrTokenInvalid) {
		t.Errorf("empty expected nonce accepted a token without one: %v", err)
	}
}

// A key published for one algorithm verifies that algorithm only: an RSA
// key whose JWK says PS256 does not accept an RS256 signature (RFC 7517
// §4.4), though the mathematics would.
func TestVerifyJWSBindsKeyToItsAlgorithm(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"})
		case "/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "r1", Algorithm: "PS256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	iss := &Issuer{URL: srv.URL, Caller: &Caller{Provider: "test", HTTP: httpx.Outbound(srv.Client(), httpx.Options{}), MaxBytes: 64 << 10}, Now: newClock().Now}
	sign := func(alg jose.SignatureAlgorithm) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: "r1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign([]byte(`{"iss":"` + srv.URL + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := obj.CompactSerialize()
		return out
	}
	both := []jose.SignatureAlgorithm{jose.PS256, jose.RS256}
	if _, err := iss.VerifyJWS(context.Background(), sign(jose.PS256), both); err != nil {
		t.Fatalf("PS256 under the PS256 key: %v", err)
	}
	if _, err := iss.VerifyJWS(context.Background(), sign(jose.RS256), both); !errors.Is(err, idconnect.ErrSignature) {
		t.Fatalf("RS256 under a key published for PS256: err = %v, want ErrSignature", err)
	}
}
