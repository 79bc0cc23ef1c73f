package jwx

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ClientAssertionType is the client_assertion_type of a private_key_jwt
// assertion (RFC 7523).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientAssertion describes one private_key_jwt client assertion (RFC 7523
// §3, OpenID Connect Core §9).
type ClientAssertion struct {
	// ClientID is both iss and sub.
	ClientID string
	// Audience is aud: the provider's issuer identifier, or the URL of the
	// endpoint the assertion is sent to, as the provider wants.
	Audience string
	// KeyID is the kid header: the signing key's id in the client's JWKS.
	KeyID string
	// IssuedAt is iat.
	IssuedAt time.Time
	// Lifetime sets exp = iat + Lifetime (0: DefaultProofLifetime; at most
	// MaxProofLifetime).
	Lifetime time.Duration
}

type assertionClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	JTI      string `json:"jti"`
	IAT      int64  `json:"iat"`
	EXP      int64  `json:"exp"`
}

// Sign makes the assertion: header {"alg":"ES256","kid":…,"typ":"JWT"},
// claims iss = sub = ClientID, aud, a fresh jti (16 bytes from rand, nil:
// crypto/rand), iat and exp. key is any P-256 [crypto.Signer]: an
// *ecdsa.PrivateKey, or a key held in an HSM or KMS.
func (a ClientAssertion) Sign(key crypto.Signer, rand io.Reader) (string, error) {
	sk, err := signingKey(key)
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	if a.ClientID == "" || a.Audience == "" || a.KeyID == "" {
		return "", errors.New("client assertion: client ID, audience and key ID are required")
	}
	if a.Lifetime < 0 {
		return "", errors.New("client assertion: negative lifetime")
	}
	exp, err := expiry(a.IssuedAt, a.Lifetime)
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	jti, err := randomID(rand)
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	c := assertionClaims{Issuer: a.ClientID, Subject: a.ClientID, Audience: a.Audience, JTI: jti, IAT: a.IssuedAt.Unix(), EXP: exp}
	jk := jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: sk, KeyID: a.KeyID}}
	return sign(jk, (&jose.SignerOptions{}).WithType("JWT"), c)
}
