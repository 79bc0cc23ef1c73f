package jwx

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
)

// DefaultProofLifetime is the exp - iat of the DPoP proofs and client
// assertions made here when the caller gives no lifetime. Singpass wants
// both at most 120 s after iat; its Java demo uses 60 s.
const DefaultProofLifetime = 60 * time.Second

// MaxProofLifetime is the longest lifetime the makers accept.
const MaxProofLifetime = 120 * time.Second

// DPoP describes one DPoP proof (RFC 9449 §4.2).
type DPoP struct {
	// Method is the HTTP method of the request (htm).
	Method string
	// URL is the request URL; its query and fragment are left out of htu.
	URL string
	// AccessToken, when set, is bound by ath = base64url(SHA-256(token)).
	AccessToken string
	// Nonce, when set, is a server-provided DPoP-Nonce.
	Nonce string
	// IssuedAt is iat.
	IssuedAt time.Time
	// Lifetime sets exp = iat + Lifetime (0: DefaultProofLifetime; at
	// most MaxProofLifetime). A negative Lifetime leaves exp out.
	Lifetime time.Duration
}

// dpopClaims is the proof payload, in RFC 9449's order.
type dpopClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	EXP   int64  `json:"exp,omitempty"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// NewDPoPKey returns a fresh P-256 key for DPoP, drawn from rand (nil:
// crypto/rand).
func NewDPoPKey(rand io.Reader) (*ecdsa.PrivateKey, error) {
	if rand == nil {
		rand = defaultRand
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, fmt.Errorf("DPoP key: %w", err)
	}
	return k, nil
}

// Proof signs a DPoP proof with key (ES256, P-256 only): header
// {"typ":"dpop+jwt","alg":"ES256","jwk":<public key>}, claims jti (16 bytes
// from rand, nil: crypto/rand), htm, htu, iat, exp, and ath and nonce when
// given. key is any P-256 [crypto.Signer]: an *ecdsa.PrivateKey, or a key
// held in an HSM or KMS.
func (p DPoP) Proof(key crypto.Signer, rand io.Reader) (string, error) {
	sk, err := signingKey(key)
	if err != nil {
		return "", fmt.Errorf("DPoP proof: %w", err)
	}
	if p.Method == "" {
		return "", errors.New("DPoP proof: no method")
	}
	htu, err := HTU(p.URL)
	if err != nil {
		return "", err
	}
	exp, err := expiry(p.IssuedAt, p.Lifetime)
	if err != nil {
		return "", fmt.Errorf("DPoP proof: %w", err)
	}
	jti, err := randomID(rand)
	if err != nil {
		return "", fmt.Errorf("DPoP proof: %w", err)
	}
	c := dpopClaims{JTI: jti, HTM: p.Method, HTU: htu, IAT: p.IssuedAt.Unix(), EXP: exp, Nonce: p.Nonce}
	if p.AccessToken != "" {
		c.ATH = ATH(p.AccessToken)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	return sign(jose.SigningKey{Algorithm: jose.ES256, Key: sk}, opts, c)
}

// signingKey returns key as go-jose takes it: an *ecdsa.PrivateKey as it
// is (go-jose signs with it directly), any other crypto.Signer wrapped as
// a jose.OpaqueSigner, which hashes, asks the signer for an ASN.1
// signature and converts it to JOSE's fixed-size r||s. Only P-256 keys
// are accepted: every signature made here is ES256.
func signingKey(key crypto.Signer) (any, error) {
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		if k == nil || k.Curve != elliptic.P256() {
			return nil, errors.New("the key must be a P-256 key")
		}
		return k, nil
	}
	if key == nil {
		return nil, errors.New("the key must be a P-256 key")
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("the key must be a P-256 key")
	}
	return cryptosigner.Opaque(key), nil
}

// HTU returns rawURL without its query and fragment, as DPoP's htu claim
// wants it. Only absolute http(s) URLs are accepted.
func HTU(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("DPoP proof: the URL is not an absolute http(s) URL")
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.String(), nil
}

// ATH is DPoP's access-token hash: base64url(SHA-256(token)).
func ATH(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// JWKThumbprint returns the RFC 7638 SHA-256 thumbprint of pub,
// base64url: DPoP's jkt.
func JWKThumbprint(pub *ecdsa.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(cryptoSHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func expiry(iat time.Time, lifetime time.Duration) (int64, error) {
	switch {
	case lifetime < 0:
		return 0, nil
	case lifetime == 0:
		lifetime = DefaultProofLifetime
	case lifetime > MaxProofLifetime:
		return 0, fmt.Errorf("lifetime %v is over %v", lifetime, MaxProofLifetime)
	}
	if iat.IsZero() {
		return 0, errors.New("no issue time")
	}
	return iat.Add(lifetime).Unix(), nil
}

// randomID returns 16 bytes from rand, base64url: a jti.
func randomID(rand io.Reader) (string, error) {
	if rand == nil {
		rand = defaultRand
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func sign(key jose.SigningKey, opts *jose.SignerOptions, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(key, opts)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	return obj.CompactSerialize()
}
