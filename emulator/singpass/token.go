package singpass

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// handleToken serves POST /token: client authentication, DPoP with the PAR's
// key, the code (once, within CodeTTL), redirect_uri and PKCE; it answers
// {"access_token","token_type":"DPoP","id_token","expires_in"}.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	form, e := readForm(r)
	if e != nil {
		writeError(w, e)
		return
	}
	c, e := s.authenticateClient(r.Context(), form, s.url(s.paths.token))
	if e != nil {
		writeError(w, e)
		return
	}
	jkt, e := s.checkDPoP(r, s.url(s.paths.token), "")
	if e != nil {
		writeError(w, e)
		return
	}
	if gt := form.Get("grant_type"); gt != "authorization_code" {
		writeError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", `grant_type must be "authorization_code"`})
		return
	}
	code := form.Get("code")
	if code == "" {
		writeError(w, badRequest("code is required: the code from the callback"))
		return
	}
	// The code is burnt from here on, whatever the outcome.
	g, e := s.takeCode(code)
	if e != nil {
		writeError(w, e)
		return
	}
	verifier := form.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	switch {
	case g.par.clientID != c.ID:
		writeError(w, badGrant("the authorization code was issued to another client"))
		return
	case form.Get("redirect_uri") != g.par.redirectURI:
		writeError(w, badGrant("redirect_uri must equal the one sent to PAR, "+quote(g.par.redirectURI)))
		return
	case !isPKCEVerifier(verifier):
		writeError(w, badGrant("code_verifier must be 43 to 128 characters of letters, digits, - . _ ~"))
		return
	case subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.par.codeChallenge)) != 1:
		writeError(w, badGrant("PKCE failed: the base64url SHA-256 of code_verifier does not equal the code_challenge sent to PAR"))
		return
	case jkt != g.par.jkt:
		writeError(w, badProof("Incoming DPOP Proof JWT does not match the initial dpop_jkt sent at PAR endpoint: "+
			"sign every proof of one login (PAR, token, userinfo) with the same key"))
		return
	}
	p := s.people[g.persona]
	now := s.now()
	idToken, e := s.idToken(r.Context(), c, &g, p, now)
	if e != nil {
		writeError(w, e)
		return
	}
	at, e := s.accessToken(c, &g, now)
	if e != nil {
		writeError(w, e)
		return
	}
	answer := map[string]any{
		"access_token": at,
		"token_type":   "DPoP",
		"id_token":     idToken,
		"expires_in":   int(s.ttl.token / time.Second),
	}
	if s.cfg.Service == Corppass {
		answer["scope"] = strings.Join(g.par.scopes, " ") // Corppass echoes the granted scope
	}
	writeJSON(w, http.StatusOK, answer)
}

// isPKCEVerifier reports whether v is an RFC 7636 code_verifier.
func isPKCEVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	return true
}

var errServer = &oauthError{http.StatusInternalServerError, "server_error", "the emulator failed to build its answer"}

// idToken builds the ID token: an ES256 JWS (typ JWT, kid) inside a JWE
// (ECDH-ES+A*KW to the client's enc key, IDTokenEncryption, cty JWT).
func (s *Server) idToken(ctx context.Context, c *client, g *grant, p *person, now time.Time) (string, *oauthError) {
	claims := map[string]any{
		"iss":      s.issuer,
		"aud":      c.ID,
		"sub":      g.sub,
		"sub_type": "user",
		"iat":      now.Unix(),
		"exp":      now.Add(s.ttl.idToken).Unix(),
		"nonce":    g.par.nonce,
		"amr":      []string{"pwd", "otp-sms"},
		"acr":      acrOf(g.par.acr),
	}
	if s.cfg.Service == Corppass {
		s.entityClaims(claims, g, p)
	} else if c.Kind == LoginApp {
		if sa := subAttributes(p, g.par.scopes); len(sa) > 0 {
			claims["sub_attributes"] = sa
		}
	}
	f := &s.faults
	if f.IDTokenWrongNonce() {
		claims["nonce"] = "emulator-wrong-nonce-" + g.par.nonce
	}
	if f.IDTokenWrongAudience() {
		claims["aud"] = "emulator-wrong-audience"
	}
	if f.IDTokenWrongIssuer() {
		claims["iss"] = s.issuer + "/wrong-issuer"
	}
	if f.IDTokenExpired() {
		claims["exp"] = now.Add(-time.Minute).Unix()
	}
	jws, e := s.sign(claims, f.BadIDTokenSignature())
	if e != nil {
		return "", e
	}
	return s.encrypt(ctx, c, s.idEnc, jws)
}

// acrOf is the acr claim: the highest LoA requested in acr_values, or
// loa:2 (password and SMS OTP, the amr the emulator reports).
func acrOf(requested string) string {
	best := ""
	for _, v := range strings.Fields(requested) {
		best = max(best, v) // urn:singpass:authentication:loa:1 < :2 < :3
	}
	if best == "" {
		return "urn:singpass:authentication:loa:2"
	}
	return best
}

// subAttributes is a Login app's sub_attributes for the granted scopes:
// user.identity gives account_type, identity_number and identity_coi;
// name, email and mobileno give themselves. Empty or unavailable items are
// left out.
func subAttributes(p *person, scopes []string) map[string]string {
	out := map[string]string{}
	for _, sc := range scopes {
		switch sc {
		case "user.identity":
			if id := itemValue(p.items["uinfin"]); id != "" {
				out["account_type"] = "standard"
				out["identity_number"] = id
				out["identity_coi"] = "SG"
			}
		case "name", "email":
			if v := itemValue(p.items[sc]); v != "" {
				out[sc] = v
			}
		case "mobileno":
			var m struct {
				Prefix, Areacode, Nbr struct{ Value string }
				Unavailable           bool
			}
			if json.Unmarshal(p.items["mobileno"], &m) == nil && !m.Unavailable && m.Nbr.Value != "" {
				out["mobileno"] = m.Prefix.Value + m.Areacode.Value + m.Nbr.Value
			}
		}
	}
	return out
}

// itemValue returns a Myinfo item's value, "" when it has none or is
// unavailable.
func itemValue(raw json.RawMessage) string {
	var v struct {
		Value       any  `json:"value"`
		Unavailable bool `json:"unavailable"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Unavailable {
		return ""
	}
	s, _ := v.Value.(string)
	return s
}

// sign makes a compact ES256 JWS of claims with header {alg, kid, typ JWT};
// bad signs with another key under the same kid (a fault).
func (s *Server) sign(claims any, bad bool) (string, *oauthError) {
	return s.signTyped(claims, "JWT", bad)
}

func (s *Server) signTyped(claims any, typ string, bad bool) (string, *oauthError) {
	key := s.signKey
	if bad {
		k, _, err := s.faultKeys()
		if err != nil {
			return "", errServer
		}
		key = k
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: s.kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", errServer
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", errServer
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", errServer
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", errServer
	}
	return out, nil
}

// encrypt wraps a compact JWS in a compact JWE to the client's encryption
// key, with that key's kid and alg, the given enc and cty JWT. Under the
// WrongEncryptionKey fault it encrypts to another key (same kid and alg).
func (s *Server) encrypt(ctx context.Context, c *client, enc jose.ContentEncryption, jws string) (string, *oauthError) {
	return s.encryptTyped(ctx, c, enc, jws, "", "JWT")
}

// encryptTyped is encrypt with the given typ and cty headers ("" for
// none).
func (s *Server) encryptTyped(ctx context.Context, c *client, enc jose.ContentEncryption, jws, typ, cty string) (string, *oauthError) {
	key, alg, e := s.encryptionKey(ctx, c)
	if e != nil {
		return "", e
	}
	pub := key.Key
	if s.faults.WrongEncryptionKey() {
		_, wrong, err := s.faultKeys()
		if err != nil {
			return "", errServer
		}
		pub = wrongCurveKey(wrong, key.Key.(*ecdsa.PublicKey).Curve)
	}
	opts := &jose.EncrypterOptions{}
	if cty != "" {
		opts = opts.WithContentType(jose.ContentType(cty))
	}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	encrypter, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: pub, KeyID: key.KeyID}, opts)
	if err != nil {
		return "", errServer
	}
	obj, err := encrypter.Encrypt([]byte(jws))
	if err != nil {
		return "", errServer
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", errServer
	}
	return out, nil
}

// faultKeys returns the wrong signing and encryption keys of the faults,
// generating them on first use.
func (s *Server) faultKeys() (sig, enc *ecdsa.PrivateKey, err error) {
	s.wrongOnce.Do(func() {
		s.wrongSig, s.wrongErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if s.wrongErr == nil {
			s.wrongEnc, s.wrongErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
	})
	return s.wrongSig, s.wrongEnc, s.wrongErr
}

// wrongCurveKey returns a public key on curve that is not the client's: the
// fault key itself on P-256, a fresh key on another curve.
func wrongCurveKey(k *ecdsa.PrivateKey, curve elliptic.Curve) *ecdsa.PublicKey {
	if curve == k.Curve {
		return &k.PublicKey
	}
	fresh, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return &k.PublicKey
	}
	return &fresh.PublicKey
}

// accessClaims are the claims of the emulator's access token, an ES256
// at+jwt bound to the DPoP key by cnf.jkt. Clients must treat it as opaque.
type accessClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	// Act is the acting person's UUID, for Corppass (whose sub is the
	// entity).
	Act string `json:"act,omitempty"`
	Jti string `json:"jti"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Cnf struct {
		Jkt string `json:"jkt"`
	} `json:"cnf"`
}

func (s *Server) accessToken(c *client, g *grant, now time.Time) (string, *oauthError) {
	jti, err := s.randomString(16)
	if err != nil {
		return "", errServer
	}
	ac := accessClaims{Iss: s.issuer, Sub: g.sub, Aud: s.url(s.paths.userinfo), ClientID: c.ID,
		Scope: strings.Join(g.par.scopes, " "), Jti: jti, Iat: now.Unix(), Exp: now.Add(s.ttl.token).Unix()}
	ac.Cnf.Jkt = g.par.jkt
	if s.cfg.Service == Corppass {
		ac.Act = s.people[g.persona].sub
	}
	return s.signTyped(ac, "at+jwt", false)
}

// verifyAccessToken checks one of the emulator's access tokens: signature,
// typ, iss, aud and expiry.
func (s *Server) verifyAccessToken(token string) (*accessClaims, *oauthError) {
	invalid := func(desc string) *oauthError {
		return &oauthError{http.StatusUnauthorized, "invalid_token", desc}
	}
	if len(token) > MaxJWTBytes {
		return nil, invalid("the access token is too long")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, invalid("the access token is not one this emulator issued")
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		return nil, invalid("the access token is not one this emulator issued")
	}
	payload, err := jws.Verify(&s.signKey.PublicKey)
	if err != nil {
		return nil, invalid("the access token is not one this emulator issued (or the emulator restarted with a new key)")
	}
	var ac accessClaims
	if json.Unmarshal(payload, &ac) != nil || ac.Iss != s.issuer || ac.Aud != s.url(s.paths.userinfo) {
		return nil, invalid("the access token is not one this emulator issued for its userinfo endpoint")
	}
	if !s.now().Before(time.Unix(ac.Exp, 0)) {
		return nil, invalid("the access token has expired (it lives " + s.ttl.token.String() + "); log in again")
	}
	return &ac, nil
}
