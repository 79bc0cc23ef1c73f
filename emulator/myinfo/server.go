package myinfo

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/emulator/internal/fifo"
	"github.com/idconnect/idconnect/emulator/internal/httpemu"
	"github.com/idconnect/idconnect/emulator/personas"
)

// Defaults and limits.
const (
	// DefaultCodeTTL is how long an authorisation code stays valid. Myinfo does
	// not document its code lifetime; RFC 6749 §4.1.2 recommends at most 10
	// minutes, and 5 minutes matches the PKI_SIGN clock window, so a client
	// that exchanges the code promptly (as it must) never notices.
	DefaultCodeTTL = 5 * time.Minute
	// DefaultTokenTTL is the access token lifetime Myinfo documents (30
	// minutes, expires_in 1800).
	DefaultTokenTTL = 1800 * time.Second
	// ClockSkew is how far a PKI_SIGN timestamp may be from the emulator's
	// clock, either way. Nonces are remembered for twice this long.
	ClockSkew = 5 * time.Minute
	// MaxBodyBytes caps every request body.
	MaxBodyBytes = 64 << 10
	// MaxQueryBytes caps every raw query string.
	MaxQueryBytes = 16 << 10

	flowTTL    = 15 * time.Minute // a login/consent page left open
	maxFlows   = 10000            // pending login pages; the oldest is dropped when full
	maxCodes   = 10000            // live authorisation codes; the oldest is dropped when full
	maxNonces  = 100000           // remembered PKI_SIGN nonces
	minKeyBits = 2048             // Myinfo requires RSA ≥ 2048
)

// Config configures a [Server]. [New] checks every field.
type Config struct {
	// Personas are the people who can log in; their Myinfo documents are what
	// the person API returns. Required; IDs must be unique.
	Personas []personas.Persona
	// ClientID is the one registered client's ID (also its PKI_SIGN app_id).
	ClientID string
	// ClientSecret is the client's secret, checked at the token API.
	ClientSecret string
	// ClientPublicKey verifies the client's PKI_SIGN signatures. Required
	// unless Sandbox.
	ClientPublicKey *rsa.PublicKey
	// EncryptionKey is the recipient of person JWEs (Myinfo encrypts to the
	// client's registered certificate). Nil means ClientPublicKey.
	EncryptionKey *rsa.PublicKey
	// RedirectURIs are the client's registered callback URLs. The authorise
	// redirect_uri must be one of them (compared as exact strings), and the
	// token redirect_uri must equal the authorise one. Required.
	RedirectURIs []string
	// SigningKey is the provider key: it signs access tokens and person JWS,
	// whose kid is its RFC 7638 SHA-256 thumbprint. Required.
	SigningKey *rsa.PrivateKey
	// PublicURL is the base URL clients reach the emulator at, such as
	// "https://myinfo.example.com" or "http://localhost:3001/emulator/myinfo".
	// PKI_SIGN base strings use PublicURL followed by the path under it, as a
	// provider behind a proxy or path prefix must. Empty: scheme://host of
	// each request (https when the request came over TLS), which is right
	// only when the handler is served at the root of its host. Either way
	// an explicit default port (:443 for https, :80 for http) is dropped,
	// and a signature over the URL with or without it is accepted.
	PublicURL string
	// Sandbox emulates the Myinfo sandbox: no PKI_SIGN (the person API takes
	// a plain "Bearer <token>"), and the person answer is plain JSON.
	Sandbox bool
	// BareJWS makes the person JWE's plaintext the bare compact JWS, as
	// MockPass 4.3.4 sends it, instead of the JSON string (the JWS in
	// quotes) that real Myinfo sends. For testing clients' leniency.
	BareJWS bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of codes, page ids, token ids and fault keys; nil
	// means crypto/rand.Reader. (go-jose draws the JWE's content key and IV
	// from crypto/rand itself.)
	Rand io.Reader
	// CodeTTL is the authorisation code lifetime; 0 means [DefaultCodeTTL].
	CodeTTL time.Duration
	// TokenTTL is the access token lifetime, whole seconds; 0 means
	// [DefaultTokenTTL].
	TokenTTL time.Duration
	// Logger, if set, gets one record per request with the method, the route
	// pattern (never the path, which holds the UIN/FIN) and the status. No
	// parameter, header or body is ever logged.
	Logger *slog.Logger
}

// Server is the Myinfo v3 provider emulator, an [http.Handler]. Create it
// with [New]; it is safe for concurrent use.
type Server struct {
	cfg       Config
	publicURL string
	now       func() time.Time
	rand      io.Reader
	codeTTL   time.Duration
	tokenTTL  time.Duration
	encKey    *rsa.PublicKey
	signKID   string
	encKID    string
	people    map[string]*person
	order     []*person // login page order
	known     map[string]bool
	redirects map[string]bool
	pages     *template.Template
	mux       *http.ServeMux
	faults    Faults
	nonces    nonceCache

	mu    sync.Mutex
	flows *fifo.Map[*flow]  // pending login and consent pages, oldest dropped when full
	codes *fifo.Map[*grant] // issued codes, kept until they expire; oldest dropped when full

	wrongOnce sync.Once
	wrongKey  *rsa.PrivateKey
	wrongErr  error
}

// person is a persona prepared for serving.
type person struct {
	id      string
	name    string
	summary string                     // what the persona is for, shown on the login page
	attrs   map[string]json.RawMessage // compacted
}

// New checks cfg, reporting every problem at once, and returns the emulator.
func New(cfg Config) (*Server, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("myinfo emulator: "+format, a...)) }

	s := &Server{
		cfg:       cfg,
		now:       cfg.Now,
		rand:      cfg.Rand,
		codeTTL:   cfg.CodeTTL,
		tokenTTL:  cfg.TokenTTL,
		encKey:    cfg.EncryptionKey,
		people:    map[string]*person{},
		known:     map[string]bool{},
		redirects: map[string]bool{},
		flows:     fifo.New[*flow](maxFlows),
		codes:     fifo.New[*grant](maxCodes),
		nonces:    nonceCache{seen: map[string]time.Time{}, max: maxNonces},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.encKey == nil {
		s.encKey = cfg.ClientPublicKey
	}
	for _, a := range seedAttributes {
		s.known[a] = true
	}

	if len(cfg.Personas) == 0 {
		bad("no personas")
	}
	for i, p := range cfg.Personas {
		if p.ID == "" {
			bad("persona %d has no ID", i)
			continue
		}
		if s.people[p.ID] != nil {
			bad("persona %d: duplicate ID", i)
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(p.Myinfo, &raw); err != nil || raw == nil {
			bad("persona %d: Myinfo document is not a JSON object", i)
			continue
		}
		pp := &person{id: p.ID, name: p.Name, summary: p.Summary, attrs: make(map[string]json.RawMessage, len(raw))}
		for k, v := range raw {
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				bad("persona %d: attribute %q: %v", i, k, err)
				continue
			}
			pp.attrs[k] = buf.Bytes()
			s.known[k] = true
		}
		s.people[p.ID] = pp
		s.order = append(s.order, pp)
	}
	if cfg.ClientID == "" {
		bad("ClientID is empty")
	}
	if cfg.ClientSecret == "" {
		bad("ClientSecret is empty")
	}
	checkPub := func(name string, k *rsa.PublicKey, required bool) {
		switch {
		case k == nil && required:
			bad("%s is missing", name)
		case k != nil && k.N.BitLen() < minKeyBits:
			bad("%s is RSA-%d; Myinfo requires at least %d bits", name, k.N.BitLen(), minKeyBits)
		}
	}
	checkPub("ClientPublicKey", cfg.ClientPublicKey, !cfg.Sandbox)
	checkPub("EncryptionKey (or ClientPublicKey)", s.encKey, !cfg.Sandbox)
	if cfg.SigningKey == nil {
		bad("SigningKey is missing")
	} else if err := cfg.SigningKey.Validate(); err != nil {
		bad("SigningKey is invalid: %v", err)
	} else if cfg.SigningKey.N.BitLen() < minKeyBits {
		bad("SigningKey is RSA-%d; use at least %d bits", cfg.SigningKey.N.BitLen(), minKeyBits)
	} else {
		kid, err := thumbprint(&cfg.SigningKey.PublicKey)
		if err != nil {
			bad("SigningKey: %v", err)
		}
		s.signKID = kid
	}
	if s.encKey != nil && s.encKey.N.BitLen() >= minKeyBits {
		kid, err := thumbprint(s.encKey)
		if err != nil {
			bad("EncryptionKey: %v", err)
		}
		s.encKID = kid
	}
	if len(cfg.RedirectURIs) == 0 {
		bad("no RedirectURIs")
	}
	for i, ru := range cfg.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || strings.Contains(ru, "#") {
			bad("RedirectURIs[%d] is not an absolute http(s) URL without a fragment", i)
			continue
		}
		s.redirects[ru] = true
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || strings.ContainsAny(cfg.PublicURL, "?#") {
			bad("PublicURL is not an absolute http(s) URL without query or fragment")
		}
		s.publicURL = dropDefaultPort(strings.TrimRight(cfg.PublicURL, "/"))
	}
	switch {
	case cfg.CodeTTL < 0:
		bad("CodeTTL is negative")
	case cfg.CodeTTL == 0:
		s.codeTTL = DefaultCodeTTL
	}
	switch {
	case cfg.TokenTTL < 0 || (cfg.TokenTTL > 0 && cfg.TokenTTL < time.Second):
		bad("TokenTTL must be at least one second")
	case cfg.TokenTTL == 0:
		s.tokenTTL = DefaultTokenTTL
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.pages = template.Must(template.New("pages").Parse(pagesHTML))
	s.routes()
	return s, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of k, base64url.
func thumbprint(k *rsa.PublicKey) (string, error) {
	t, err := (&jose.JSONWebKey{Key: k}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(t), nil
}

// Faults returns the server's fault switches.
func (s *Server) Faults() *Faults { return &s.faults }

// KeyID returns the kid of the signing key (its RFC 7638 thumbprint), as it
// appears in access tokens and person JWS headers.
func (s *Server) KeyID() string { return s.signKID }

func (s *Server) routes() {
	mux := http.NewServeMux()
	for _, api := range [...]string{"com", "gov"} {
		base := "/" + api + "/v3/"
		mux.HandleFunc("GET "+base+"authorise", s.handleAuthorise(api))
		mux.HandleFunc("GET "+base+"authorise/{$}", s.handleAuthorise(api))
		mux.HandleFunc("POST "+base+"authorise/login", s.handleLogin(api))
		mux.HandleFunc("POST "+base+"authorise/consent", s.handleConsent(api))
		mux.HandleFunc("POST "+base+"token", s.handleToken(api))
		mux.HandleFunc("GET "+base+"person/{sub}", s.handlePerson(api))
		mux.HandleFunc("GET "+base+"person/{sub}/{$}", s.handlePerson(api))
		mux.HandleFunc(base, s.handleWrongURL(api))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			writeAPIError(w, http.StatusServiceUnavailable, "Myinfo is under maintenance", "")
			return
		}
		writeAPIError(w, http.StatusNotFound, "Not found", "")
	})
	s.mux = mux
}

// ServeHTTP serves the Myinfo v3 API relative to the handler's root:
// /{com,gov}/v3/authorise, /{com,gov}/v3/token, /{com,gov}/v3/person/{sub}[/],
// and the login and consent pages under /{com,gov}/v3/authorise/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	httpemu.Serve(w, r, httpemu.Options{
		Logger: s.cfg.Logger, Message: "myinfo emulator", Now: s.now,
		Slow:          s.faults.Slow(),
		Unavailable:   func(w http.ResponseWriter) { writeAPIError(w, http.StatusServiceUnavailable, "Request cancelled", "") },
		MaxQueryBytes: MaxQueryBytes,
		QueryTooLong:  func(w http.ResponseWriter) { writeAPIError(w, http.StatusRequestURITooLong, "Query too long", "") },
		MaxBodyBytes:  MaxBodyBytes,
	}, s.mux)
}

// handleWrongURL answers requests under /{api}/v3/ that match no route: 405
// for a known endpoint with the wrong method, 403 otherwise (Myinfo's
// "Incorrect API URL").
func (s *Server) handleWrongURL(api string) http.HandlerFunc {
	base := "/" + api + "/v3/"
	return func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			writeAPIError(w, http.StatusServiceUnavailable, "Myinfo is under maintenance", "")
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, base)
		allow := ""
		switch {
		case rest == "token", rest == "authorise/login", rest == "authorise/consent":
			allow = "POST"
		case rest == "authorise", rest == "authorise/":
			allow = "GET"
		case strings.HasPrefix(rest, "person/"):
			sub := strings.TrimSuffix(strings.TrimPrefix(rest, "person/"), "/")
			if sub != "" && !strings.Contains(sub, "/") {
				allow = "GET"
			}
		}
		if allow != "" {
			w.Header().Set("Allow", allow)
			writeAPIError(w, http.StatusMethodNotAllowed, "Method not allowed", "")
			return
		}
		writeAPIError(w, http.StatusForbidden, "Incorrect API URL", "")
	}
}

// apiError is Myinfo's error body.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Fields  string `json:"fields"`
}

// writeAPIError writes Myinfo's JSON error body. message and fields must
// never contain a secret or personal data.
func writeAPIError(w http.ResponseWriter, status int, message, fields string) {
	b, _ := json.Marshal(apiError{Code: status, Message: message, Fields: fields})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeJSON writes v as a 200 JSON answer.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeAPIError(w, http.StatusInternalServerError, "Unexpected error", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Pragma", "no-cache")
	_, _ = w.Write(b)
}

// randomBytes reads n bytes from the configured source.
func (s *Server) randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, err
	}
	return b, nil
}

// randomHex returns n random bytes, hex-encoded.
func (s *Server) randomHex(n int) (string, error) {
	b, err := s.randomBytes(n)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// baseURL is the URL prefix of signature base strings and of the token's
// iss, without a default port, as real Myinfo's https://test.api.myinfo.gov.sg.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return dropDefaultPort(scheme + "://" + r.Host)
}

// defaultPorts are the ports a URL may leave out.
var defaultPorts = map[string]string{"http": "80", "https": "443"}

// splitURL splits an absolute URL into scheme, authority (host[:port]) and
// the rest (path and after).
func splitURL(u string) (scheme, authority, rest string, ok bool) {
	scheme, after, ok := strings.Cut(u, "://")
	if !ok {
		return "", "", "", false
	}
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		return scheme, after[:i], after[i:], true
	}
	return scheme, after, "", true
}

// dropDefaultPort removes an explicit default port from an absolute URL:
// https://h:443/p becomes https://h/p, http://h:80/p becomes http://h/p.
func dropDefaultPort(u string) string {
	scheme, auth, rest, ok := splitURL(u)
	def := defaultPorts[strings.ToLower(scheme)]
	if !ok || def == "" || !strings.HasSuffix(auth, ":"+def) {
		return u
	}
	return scheme + "://" + strings.TrimSuffix(auth, ":"+def) + rest
}

// urlSpellings returns u (without a default port) and, for an http(s) URL
// on its scheme's default port, the same URL with the port spelt out: a
// client configured with https://host:443/… signs that string, one
// configured with https://host/… signs the other, and both reach the same
// place.
func urlSpellings(u string) []string {
	u = dropDefaultPort(u)
	scheme, auth, rest, ok := splitURL(u)
	def := defaultPorts[strings.ToLower(scheme)]
	if !ok || def == "" || (&url.URL{Host: auth}).Port() != "" {
		return []string{u}
	}
	return []string{u, scheme + "://" + auth + ":" + def + rest}
}

// faultKey returns the wrong key used by the BadSignature and
// WrongEncryptionKey faults, generating it on first use.
func (s *Server) faultKey() (*rsa.PrivateKey, error) {
	s.wrongOnce.Do(func() {
		s.wrongKey, s.wrongErr = rsa.GenerateKey(s.rand, minKeyBits)
	})
	return s.wrongKey, s.wrongErr
}

// signingKey returns the key to sign with: the configured one, or under the
// BadSignature fault (and for a person JWS the BadPersonSignature fault) a
// wrong one. Either way the kid is the configured key's.
func (s *Server) signingKey(person bool) (jose.JSONWebKey, error) {
	k := s.cfg.SigningKey
	if s.faults.BadSignature() || person && s.faults.BadPersonSignature() {
		wk, err := s.faultKey()
		if err != nil {
			return jose.JSONWebKey{}, err
		}
		k = wk
	}
	return jose.JSONWebKey{Key: k, KeyID: s.signKID, Algorithm: string(jose.RS256)}, nil
}

// checkTimestamp checks a PKI_SIGN timestamp (ms) against the clock.
func (s *Server) checkTimestamp(ts string, now time.Time) bool {
	if ts == "" || len(ts) > 19 {
		return false
	}
	var ms int64
	for _, c := range ts {
		if c < '0' || c > '9' {
			return false
		}
		ms = ms*10 + int64(c-'0')
	}
	d := now.Sub(time.UnixMilli(ms))
	return d <= ClockSkew && d >= -ClockSkew
}

// checkPKISign verifies a request's PKI_SIGN header: app_id, timestamp,
// signature over method, the request URL and params, and nonce freshness.
// On failure it writes Myinfo's 401 (or 503) and returns false.
func (s *Server) checkPKISign(w http.ResponseWriter, r *http.Request, p PKISign, clientID string, params url.Values) bool {
	if clientID != s.cfg.ClientID || p.AppID != clientID {
		writeAPIError(w, http.StatusUnauthorized, "Invalid App ID", "app_id")
		return false
	}
	now := s.now()
	if !s.checkTimestamp(p.Timestamp, now) {
		writeAPIError(w, http.StatusUnauthorized, "The timestamp of the request is not synchronised with the server", "timestamp")
		return false
	}
	verified := false
	for _, u := range urlSpellings(s.baseURL(r) + r.URL.EscapedPath()) {
		if p.Verify(s.cfg.ClientPublicKey, r.Method, u, params) == nil {
			verified = true
			break
		}
	}
	if !verified {
		// The base URL is no secret and holds no personal data (the path
		// may hold a UIN/FIN, so it is not repeated).
		writeAPIError(w, http.StatusUnauthorized, "Signature verification failed: the base string must hold "+
			"the URL called (it starts "+s.baseURL(r)+"/) and every parameter sent, signed with the client key", "signature")
		return false
	}
	switch s.nonces.add(p.AppID+"\x00"+p.Nonce, now, now.Add(2*ClockSkew)) {
	case nonceRepeated:
		writeAPIError(w, http.StatusUnauthorized, "The nonce has been used before", "nonce")
		return false
	case nonceFull:
		writeAPIError(w, http.StatusServiceUnavailable, "Too many requests", "")
		return false
	}
	return true
}
