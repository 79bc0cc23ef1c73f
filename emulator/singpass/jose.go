package singpass

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// assertionAlgs are the client-assertion algorithms Singpass documents.
var assertionAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512}

var assertionAlgNames = []string{string(jose.ES256), string(jose.ES384), string(jose.ES512)}

// dpopAlgs are the DPoP proof algorithms Singpass documents.
var dpopAlgs = []jose.SignatureAlgorithm{jose.ES256}

// numericDate is a JWT NumericDate: seconds since the epoch, which may be
// fractional (floored).
type numericDate int64

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("not a number")
	}
	if math.IsNaN(f) || f < 0 || f > 1<<40 {
		return errors.New("out of range")
	}
	*d = numericDate(math.Floor(f))
	return nil
}

// audience is a JWT aud: one string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("not a string or an array of strings")
	}
	*a = many
	return nil
}

// assertion is a parsed, not yet verified, client assertion.
type assertion struct {
	jws    *jose.JSONWebSignature
	alg    string
	kid    string
	typ    string // "" when absent
	hasTyp bool
	claims assertionClaims
}

type assertionClaims struct {
	Iss string       `json:"iss"`
	Sub string       `json:"sub"`
	Aud audience     `json:"aud"`
	Exp *numericDate `json:"exp"`
	Iat *numericDate `json:"iat"`
	Nbf *numericDate `json:"nbf"`
	Jti string       `json:"jti"`
	// A "code" claim (the v4 migration guide's) is ignored.
}

// parseClientAssertion parses a client assertion's header and claims
// without verifying its signature. Its errors are teaching messages fit for
// an error_description.
func parseClientAssertion(token string) (*assertion, error) {
	if len(token) > MaxJWTBytes {
		return nil, errors.New("the client_assertion is too long")
	}
	jws, err := jose.ParseSignedCompact(token, assertionAlgs)
	if err != nil {
		return nil, errors.New("the client_assertion must be a compact JWS signed with ES256, ES384 or ES512")
	}
	h := jws.Signatures[0].Protected
	a := &assertion{jws: jws, alg: h.Algorithm, kid: h.KeyID}
	if v, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		s, isString := v.(string)
		if !isString {
			return nil, errors.New(`the client_assertion header typ must be the string "JWT"`)
		}
		a.typ, a.hasTyp = s, true
	}
	if h.JSONWebKey != nil || h.Nonce != "" {
		return nil, errors.New("the client_assertion header must not carry jwk or nonce; Singpass takes the key from your JWKS")
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &a.claims); err != nil {
		return nil, fmt.Errorf("the client_assertion claims are not a JSON object with the registered claim types (iss, sub and jti strings; aud a string or array; exp, iat and nbf numbers)")
	}
	return a, nil
}

// dpopProof is a parsed DPoP proof whose signature verified against its own
// embedded key.
type dpopProof struct {
	jkt    string // RFC 7638 thumbprint of the embedded key
	jti    string
	htm    string
	htu    string
	ath    string
	hasAth bool
	iat    int64
	exp    *int64
}

type dpopClaims struct {
	Jti string       `json:"jti"`
	Htm string       `json:"htm"`
	Htu string       `json:"htu"`
	Ath *string      `json:"ath"`
	Iat *numericDate `json:"iat"`
	Exp *numericDate `json:"exp"`
}

// parseDPoPProof parses a DPoP proof (RFC 9449 §4.2): a compact ES256 JWS
// with typ dpop+jwt and the public P-256 key in its jwk header, signed by
// that key, whose claims carry jti, htm, htu and iat. It checks nothing
// about the request, the time or replay. Its errors are teaching messages.
func parseDPoPProof(proof string) (*dpopProof, error) {
	if len(proof) > MaxJWTBytes {
		return nil, errors.New("the DPoP proof is too long")
	}
	jws, err := jose.ParseSignedCompact(proof, dpopAlgs)
	if err != nil {
		return nil, errors.New("the DPoP proof must be a compact JWS signed with ES256")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "dpop+jwt") {
		return nil, errors.New(`the DPoP proof header typ must be "dpop+jwt"`)
	}
	jwk := h.JSONWebKey
	if jwk == nil {
		return nil, errors.New("the DPoP proof header must carry the public key in jwk")
	}
	pub, ok := jwk.Key.(*ecdsa.PublicKey)
	if !ok || !jwk.IsPublic() || pub.Curve != elliptic.P256() {
		return nil, errors.New("the DPoP proof jwk must be a public EC P-256 key (ES256), without the private part")
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, errors.New("the DPoP proof signature does not verify with the key in its jwk header")
	}
	var c dpopClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errors.New("the DPoP proof claims are not a JSON object with jti, htm, htu strings and an iat number")
	}
	switch {
	case c.Jti == "" || len(c.Jti) > 512:
		return nil, errors.New("the DPoP proof needs a unique jti (a fresh random value per proof)")
	case c.Htm == "":
		return nil, errors.New("the DPoP proof needs htm, the request's HTTP method")
	case c.Htu == "":
		return nil, errors.New("the DPoP proof needs htu, the endpoint URL without query or fragment")
	case c.Iat == nil:
		return nil, errors.New("the DPoP proof needs iat, the time it was made")
	}
	jkt, err := thumbprint(jwk)
	if err != nil {
		return nil, errors.New("the DPoP proof jwk has no thumbprint")
	}
	p := &dpopProof{jkt: jkt, jti: c.Jti, htm: c.Htm, htu: c.Htu, iat: int64(*c.Iat)}
	if c.Ath != nil {
		p.ath, p.hasAth = *c.Ath, true
	}
	if c.Exp != nil {
		e := int64(*c.Exp)
		p.exp = &e
	}
	return p, nil
}

// normalizeURL returns u's scheme://host[:port]/path with the scheme and
// host lowercased, a default port dropped and the query and fragment
// removed (RFC 9449 §4.3 compares htu so), and whether u is an absolute
// http(s) URL.
func normalizeURL(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(p.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host := strings.ToLower(p.Hostname())
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := p.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	path := p.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
