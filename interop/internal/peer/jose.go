//go:build interop

package peer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ClientKeys are a relying party's keys, made by the test: an ES256
// signing key (client assertions), a P-256 ECDH-ES+A256KW encryption key
// (ID token and userinfo JWEs) and a separate ES256 DPoP key (unused by
// clients such as rp.js that make their own).
type ClientKeys struct {
	Sig, Enc, DPoP *ecdsa.PrivateKey
	SigKID, EncKID string
}

// NewClientKeys makes fresh keys with random kids.
func NewClientKeys(t *testing.T) *ClientKeys {
	t.Helper()
	gen := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	return &ClientKeys{Sig: gen(), Enc: gen(), DPoP: gen(), SigKID: "rp-sig-" + RandomString(t, 8), EncKID: "rp-enc-" + RandomString(t, 8)}
}

// JWKS is the client's public JWKS (sig key first, then enc key); with
// private set, the private JWKS (what rp.js reads: rpConfig.Keys).
func (k *ClientKeys) JWKS(private bool) jose.JSONWebKeySet {
	var sig, enc any = &k.Sig.PublicKey, &k.Enc.PublicKey
	if private {
		sig, enc = k.Sig, k.Enc
	}
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: sig, KeyID: k.SigKID, Algorithm: string(jose.ES256), Use: "sig"},
		{Key: enc, KeyID: k.EncKID, Algorithm: string(jose.ECDH_ES_A256KW), Use: "enc"},
	}}
}

// ServeJWKS serves jwks at http://127.0.0.1:port/jwks.json until the test
// ends and returns that URL.
func ServeJWKS(t *testing.T, jwks jose.JSONWebKeySet) string {
	t.Helper()
	body, err := json.Marshal(jwks)
	if err != nil {
		t.Fatal(err)
	}
	return ServeJSON(t, "/jwks.json", body)
}

// ServeJSON serves body as application/json at http://127.0.0.1:port+path
// (any other path is 404) until the test ends and returns that URL.
func ServeJSON(t *testing.T, path string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + path
}

// RandomString is n random bytes, base64url without padding.
func RandomString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewPKCE returns a PKCE verifier and its S256 challenge.
func NewPKCE(t *testing.T) (verifier, challenge string) {
	verifier = RandomString(t, 32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// SignJWT signs claims with key (ES256) and opts, in compact form.
func SignJWT(t *testing.T, key *ecdsa.PrivateKey, opts *jose.SignerOptions, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ClientAssertion is a private_key_jwt client assertion, header
// {alg:ES256, typ:JWT, kid}, claims {iss, sub, aud, iat, exp: iat+60, jti}.
func ClientAssertion(t *testing.T, k *ClientKeys, clientID, aud string) string {
	t.Helper()
	now := time.Now().Unix()
	return SignJWT(t, k.Sig, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.SigKID), map[string]any{
		"iss": clientID, "sub": clientID, "aud": aud, "iat": now, "exp": now + 60, "jti": RandomString(t, 16),
	})
}

// DPoPProof is a DPoP proof by key for method and target (RFC 9449):
// header {typ:dpop+jwt, alg:ES256, jwk}, claims {jti, htm, htu, iat} and,
// when accessToken is not empty, ath.
func DPoPProof(t *testing.T, key *ecdsa.PrivateKey, method, target, accessToken string) string {
	t.Helper()
	return DPoPProofNonce(t, key, method, target, accessToken, "")
}

// DPoPProofNonce is DPoPProof with a server-provided nonce claim (when not
// empty).
func DPoPProofNonce(t *testing.T, key *ecdsa.PrivateKey, method, target, accessToken, nonce string) string {
	t.Helper()
	claims := map[string]any{"jti": RandomString(t, 16), "htm": method, "htu": target, "iat": time.Now().Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	opts := &jose.SignerOptions{EmbedJWK: true}
	return SignJWT(t, key, opts.WithType("dpop+jwt"), claims)
}

// Discovery is the part of a discovery document the tests use.
type Discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	PAREndpoint           string   `json:"pushed_authorization_request_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	ScopesSupported       []string `json:"scopes_supported"`
}

// PostForm POSTs form to target with an optional DPoP header and returns
// the status and body.
func PostForm(t *testing.T, c *http.Client, target string, form url.Values, dpop string) (int, []byte) {
	t.Helper()
	status, _, body := PostFormHeader(t, c, target, form, dpop)
	return status, body
}

// PostFormHeader is PostForm that also returns the answer's header.
func PostFormHeader(t *testing.T, c *http.Client, target string, form url.Values, dpop string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if dpop != "" {
		req.Header.Set("DPoP", dpop)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	body := ReadBody(t, resp)
	return resp.StatusCode, resp.Header, body
}

// PARForm is a complete PAR body (state and nonce are 43 characters:
// MockPass wants 30-255).
func PARForm(t *testing.T, k *ClientKeys, clientID, redirectURI, scope, issuer, challenge string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"scope":                 {scope},
		"state":                 {RandomString(t, 32)},
		"nonce":                 {RandomString(t, 32)},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {ClientAssertion(t, k, clientID, issuer)},
	}
}

// OpenJWT decrypts a compact JWE (ECDH-ES+A256KW, A256GCM or
// A256CBC-HS512) with encKey and verifies the inner ES256 JWS against the
// provider's JWKS (by kid), returning the JWE header and the payload.
func OpenJWT(t *testing.T, compact string, encKey *ecdsa.PrivateKey, providerJWKS jose.JSONWebKeySet) (jose.Header, []byte) {
	t.Helper()
	if n := strings.Count(compact, "."); n != 4 {
		t.Fatalf("want a compact JWE (5 parts), got %d parts: %.80s", n+1, compact)
	}
	jwe, err := jose.ParseEncrypted(compact, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW},
		[]jose.ContentEncryption{jose.A256GCM, jose.A256CBC_HS512})
	if err != nil {
		t.Fatalf("parsing JWE: %v", err)
	}
	inner, err := jwe.Decrypt(encKey)
	if err != nil {
		t.Fatalf("decrypting JWE: %v", err)
	}
	jws, err := jose.ParseSigned(string(inner), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parsing inner JWS: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := providerJWKS.Key(kid)
	if len(keys) == 0 {
		t.Fatalf("inner JWS kid %q is not in the provider's JWKS", kid)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("verifying inner JWS (kid %q): %v", kid, err)
	}
	return jwe.Header, payload
}
