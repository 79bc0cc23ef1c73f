package singpass

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/emulator/internal/fifo"
	"github.com/idconnect/idconnect/emulator/internal/httpemu"
	"github.com/idconnect/idconnect/emulator/personas"
)

// Lifetimes, windows and limits.
const (
	// DefaultRequestURITTL is how long a PAR request_uri lives (Singpass
	// answers expires_in 60).
	DefaultRequestURITTL = 60 * time.Second
	// DefaultCodeTTL is the authorization code lifetime (60 s, as observed
	// on Singpass's FAPI staging).
	DefaultCodeTTL = 60 * time.Second
	// DefaultTokenTTL is the access token lifetime Singpass documents.
	DefaultTokenTTL = 30 * time.Minute
	// DefaultIDTokenTTL is the ID token lifetime (undocumented; a guess).
	DefaultIDTokenTTL = 10 * time.Minute
	// ClockSkew is how far a client's clock may be ahead (iat, nbf) or
	// behind (exp) the emulator's.
	ClockSkew = 60 * time.Second
	// MaxAssertionLifetime bounds exp - iat of a client assertion, and
	// exp - iat of a DPoP proof that carries exp (Singpass: "less than or
	// equal to 2 minutes after iat").
	MaxAssertionLifetime = 120 * time.Second
	// MaxProofAge is how old a DPoP proof (by iat) may be, plus ClockSkew.
	MaxProofAge = 120 * time.Second
	// JWKSCacheTTL is how long a client's fetched JWKS is used before it is
	// fetched again.
	JWKSCacheTTL = 5 * time.Minute
	// JWKSRefetchInterval is the least time between two fetches of one
	// client's JWKS caused by an unknown kid.
	JWKSRefetchInterval = 10 * time.Second
	// JWKSFetchTimeout bounds one JWKS fetch (Singpass: 3 s per try).
	JWKSFetchTimeout = 3 * time.Second
	// MaxJWKSBytes caps a fetched JWKS.
	MaxJWKSBytes = 256 << 10
	// MaxBodyBytes caps every request body.
	MaxBodyBytes = 64 << 10
	// MaxQueryBytes caps every raw query string.
	MaxQueryBytes = 16 << 10
	// MaxJWTBytes caps a client assertion, DPoP proof or access token.
	MaxJWTBytes = 16 << 10

	flowTTL    = 15 * time.Minute // a login or consent page left open
	maxPending = 10000            // live request_uris
	maxFlows   = 10000            // pending login and consent pages
	maxCodes   = 10000            // live authorization codes
	maxJTIs    = 100000           // remembered client-assertion and DPoP jtis

	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	assertionType    = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// AppKind is the kind of Singpass app a client is registered as.
type AppKind int

const (
	// MyinfoApp is a "Myinfo (v5)" app: it requests Myinfo data-item
	// scopes (uinfin, name, regadd, cpfbalances.oa, …) and reads them from
	// /userinfo under person_info.
	MyinfoApp AppKind = iota
	// LoginApp is a Singpass Login app: it requests user.identity, name,
	// email and mobileno, which arrive as sub_attributes in the ID token;
	// it does not call /userinfo.
	LoginApp
)

func (k AppKind) String() string {
	switch k {
	case MyinfoApp:
		return "Myinfo app"
	case LoginApp:
		return "Login app"
	}
	return fmt.Sprintf("AppKind(%d)", int(k))
}

// Client is one registered relying party, as configured in the Singpass
// developer portal.
type Client struct {
	// ID is the client_id (Singpass issues 32 alphanumeric characters; any
	// non-empty string without spaces is accepted here).
	ID string
	// Kind is MyinfoApp (the zero value) or LoginApp.
	Kind AppKind
	// JWKSURL is where the client hosts its JWKS (client-assertion keys
	// with use "sig", and the ID token / userinfo encryption key with use
	// "enc"). It is fetched with Config.HTTPClient, never following a
	// redirect, and cached for JWKSCacheTTL (refetched on an unknown kid).
	JWKSURL string
	// JWKS is a JWKS pasted into the portal instead of (or besides) a URL:
	// public keys only. When both are set, the keys of both count.
	JWKS *jose.JSONWebKeySet
	// RedirectURIs are the registered redirect URIs, compared as exact
	// strings. Each must be https, or http://localhost[:port]/… as staging
	// allows; IP-address hosts are refused as the portal refuses them
	// (see Config.AllowIPRedirectURIs).
	RedirectURIs []string
	// Scopes, if set, are the scopes approved for the app (openid is always
	// approved); others are refused with invalid_scope. Nil approves every
	// scope the emulator knows for the app's Kind.
	Scopes []string
	// Name and Purpose are shown on the consent page (a Myinfo v5 app has a
	// single purpose, set in the portal). Optional.
	Name, Purpose string
	// AllowACR enables acr_values in PAR; Singpass refuses them unless the
	// app is whitelisted.
	AllowACR bool
}

// Config configures a [Server]. [New] checks every field and reports every
// problem at once.
type Config struct {
	// Issuer is the public base URL of the emulator, the issuer identifier
	// every endpoint derives from, such as
	// "http://localhost:3001/emulator/singpass" (real Singpass:
	// "https://stg-id.singpass.gov.sg/fapi"). The handler serves the paths
	// below Issuer; mount it with http.StripPrefix. Required.
	Issuer string
	// Service is Singpass (the zero value) or Corppass: Corppass serves
	// PAR, authorize and token at its own paths (CorppassPathPAR, …),
	// makes the entity the subject with the person in act, answers
	// userinfo with Myinfo Business blocks, applies its context-parameter
	// rules and lets access tokens live DefaultCorppassTokenTTL.
	Service Service
	// Personas are the people who can log in. Required; IDs (UINFIN) must
	// be unique.
	Personas []personas.Persona
	// Entities are Corppass's entities, each with the personas who act
	// for it. Required for Corppass; refused for Singpass.
	Entities []personas.Entity
	// Clients are the registered apps. Required; IDs must be unique.
	Clients []Client
	// SigningKey is Singpass's ES256 key (P-256) that signs ID tokens,
	// userinfo answers and access tokens; its kid is its RFC 7638
	// thumbprint. Nil means a key generated by New: then every Server has
	// its own key, which is fine since relying parties fetch the JWKS.
	SigningKey *ecdsa.PrivateKey
	// HTTPClient fetches clients' JWKS URLs. It is copied, and the copy
	// refuses redirects (Singpass does not follow them). Nil means a client
	// with a JWKSFetchTimeout timeout. Each fetch also has that timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of request_uris, codes, page ids and token ids;
	// nil means crypto/rand.Reader. (Signatures and JWE keys use
	// crypto/rand whatever this is.)
	Rand io.Reader
	// RequestURITTL, CodeTTL, TokenTTL and IDTokenTTL are lifetimes; zero
	// means DefaultRequestURITTL, DefaultCodeTTL, DefaultTokenTTL (for
	// Corppass DefaultCorppassTokenTTL) and DefaultIDTokenTTL. Whole
	// seconds.
	RequestURITTL, CodeTTL, TokenTTL, IDTokenTTL time.Duration
	// IDTokenEncryption and UserinfoEncryption are the JWE content
	// encryption of the ID token and the userinfo answer. Zero means what
	// Singpass sends: A256CBC-HS512 for the ID token, A256GCM for userinfo.
	// Either may be A256CBC-HS512 or A256GCM.
	IDTokenEncryption, UserinfoEncryption jose.ContentEncryption
	// Corppass variants. Where Corppass's behaviour is unconfirmed
	// (research corppass-fapi §12), the default is what its staging was
	// seen doing; these switches give the other reading.

	// ObjectBlocks sends Corppass userinfo blocks as JSON objects, as
	// Corppass's docs show them, instead of JSON strings holding them, as
	// staging sends them.
	ObjectBlocks bool
	// SignedUserinfo sends Corppass userinfo as a bare JWS, as Corppass's
	// docs say, instead of a JWE around it, as staging sends.
	SignedUserinfo bool
	// UserinfoSubjectClientID puts the client_id in Corppass userinfo's
	// sub, as Corppass used to, instead of the ID token's sub.
	UserinfoSubjectClientID bool
	// EntityAttributesAlways puts every entity sub_attributes in Corppass
	// ID tokens, whatever the scopes, as a known fake does; the docs gate
	// each by its scope.
	EntityAttributesAlways bool
	// LoginCorppassEmail lets a Corppass Login app ask for
	// user.corppass.email, which puts the Corppass account's email in
	// act.sub_attributes (corppass_email, corppass_email_verified), as an
	// older Corppass docs page and one client have it; the current docs
	// give the email to Myinfo Business apps only (corppass.email).
	LoginCorppassEmail bool

	// Logger, if set, gets one record per request with the method, the
	// route pattern and the status; never a parameter, header or body.
	Logger *slog.Logger

	// Strictness switches; all off by default, since the emulator is never
	// stricter than Singpass is known to be.

	// RequireAssertionTyp refuses a client assertion without typ "JWT".
	// Singpass documents typ as required, FormSG says staging enforces it,
	// and Singpass's own Node demo sends none; a typ other than JWT is
	// always refused.
	RequireAssertionTyp bool
	// AcceptEndpointAudience accepts a client assertion whose aud is the URL
	// of the endpoint receiving it (the PAR URL at PAR, the token URL at
	// token), as Singpass's Java demo sends; Singpass documents aud = the
	// issuer, which is always accepted.
	AcceptEndpointAudience bool
	// AllowIPRedirectURIs allows registered redirect URIs whose host is an
	// IP address (such as http://127.0.0.1:8080/cb), which the Singpass
	// portal refuses.
	AllowIPRedirectURIs bool
	// MinStateNonceLength is the least length of state and nonce. Zero
	// means 1 (both are required; Singpass documents no minimum). MockPass
	// requires 30.
	MinStateNonceLength int
}

// Server is the Singpass FAPI 2.0 provider emulator, an [http.Handler].
// Create it with [New]; it is safe for concurrent use.
type Server struct {
	cfg         Config
	issuer      string
	paths       endpoints
	now         func() time.Time
	rand        io.Reader
	httpClient  *http.Client
	ttl         struct{ requestURI, code, token, idToken time.Duration }
	idEnc       jose.ContentEncryption
	uiEnc       jose.ContentEncryption
	signKey     *ecdsa.PrivateKey
	kid         string
	jwks        []byte // the public JWKS document
	discovery   []byte // the discovery document
	people      map[string]*person
	bySub       map[string]*person
	order       []*person
	known       map[string]bool // Myinfo data items
	entities    map[string]*entity
	entityOrder []*entity
	clients     map[string]*client
	pages       *template.Template
	mux         *http.ServeMux
	faults      Faults

	mu      sync.Mutex
	pending *fifo.Map[*parRequest] // request_uri → PAR
	flows   *fifo.Map[*flow]       // page id → login in progress
	codes   *fifo.Map[*grant]      // code → grant
	jtis    *replayCache

	wrongOnce sync.Once
	wrongSig  *ecdsa.PrivateKey
	wrongEnc  *ecdsa.PrivateKey
	wrongErr  error
}

// person is a persona prepared for serving.
type person struct {
	id, name, summary string
	sub               string                     // the Singpass UUID
	items             map[string]json.RawMessage // Myinfo data items, compacted
}

// client is a Client prepared for serving, with its JWKS cache.
type client struct {
	Client
	redirects map[string]bool
	approved  map[string]bool // nil: every known scope

	mu          sync.Mutex // guards the cache and serializes fetches
	fetched     []jose.JSONWebKey
	fetchedAt   time.Time // of the last successful fetch
	lastAttempt time.Time // of the last fetch, successful or not
}

// New checks cfg, reporting every problem at once, and returns the emulator.
func New(cfg Config) (*Server, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("singpass emulator: "+format, a...))
	}
	s := &Server{
		cfg:      cfg,
		now:      cfg.Now,
		rand:     cfg.Rand,
		paths:    pathsOf(cfg.Service),
		entities: map[string]*entity{},
		people:   map[string]*person{},
		bySub:    map[string]*person{},
		known:    map[string]bool{},
		clients:  map[string]*client{},
		pending:  fifo.New[*parRequest](maxPending),
		flows:    fifo.New[*flow](maxFlows),
		codes:    fifo.New[*grant](maxCodes),
		jtis:     newReplayCache(maxJTIs),
		idEnc:    cfg.IDTokenEncryption,
		uiEnc:    cfg.UserinfoEncryption,
		signKey:  cfg.SigningKey,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	for _, a := range myinfoItems {
		s.known[a] = true
	}

	// Issuer.
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(cfg.Issuer, "?#") || u.User != nil {
		bad("Issuer %q is not an absolute http(s) URL without query, fragment or user info", cfg.Issuer)
	} else {
		s.issuer = strings.TrimRight(cfg.Issuer, "/")
	}

	// Personas.
	if len(cfg.Personas) == 0 {
		bad("no Personas")
	}
	for i, p := range cfg.Personas {
		if p.ID == "" {
			bad("Personas[%d] has no ID", i)
			continue
		}
		if s.people[p.ID] != nil {
			bad("Personas[%d]: duplicate ID", i)
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(p.Myinfo, &raw); err != nil || raw == nil {
			bad("Personas[%d]: the Myinfo document is not a JSON object", i)
			continue
		}
		pp := &person{id: p.ID, name: p.Name, summary: p.Summary, sub: subjectOf(p.ID),
			items: make(map[string]json.RawMessage, len(raw))}
		for k, v := range raw {
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				bad("Personas[%d]: item %q: %v", i, k, err)
				continue
			}
			pp.items[k] = buf.Bytes()
			s.known[k] = true
		}
		s.people[p.ID] = pp
		s.bySub[pp.sub] = pp
		s.order = append(s.order, pp)
	}

	if cfg.Service != Singpass && cfg.Service != Corppass {
		bad("Service is %v; use Singpass or Corppass", cfg.Service)
	}
	s.addEntities(cfg.Entities, bad)
	if cfg.Service != Corppass && (cfg.ObjectBlocks || cfg.SignedUserinfo || cfg.UserinfoSubjectClientID || cfg.EntityAttributesAlways || cfg.LoginCorppassEmail) {
		bad("ObjectBlocks, SignedUserinfo, UserinfoSubjectClientID, EntityAttributesAlways and LoginCorppassEmail are for Corppass only")
	}

	// Clients.
	if len(cfg.Clients) == 0 {
		bad("no Clients")
	}
	for i, c := range cfg.Clients {
		s.addClient(i, c, bad)
	}

	// Keys and algorithms.
	if s.signKey == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			bad("generating SigningKey: %v", err)
		}
		s.signKey = k
	} else if s.signKey.Curve != elliptic.P256() {
		bad("SigningKey must be a P-256 key (ES256)")
	}
	if s.signKey != nil && s.signKey.Curve == elliptic.P256() {
		kid, err := thumbprint(&jose.JSONWebKey{Key: s.signKey.Public()})
		if err != nil {
			bad("SigningKey: %v", err)
		}
		s.kid = kid
	}
	checkEnc := func(name string, enc *jose.ContentEncryption, def jose.ContentEncryption) {
		switch *enc {
		case "":
			*enc = def
		case jose.A256CBC_HS512, jose.A256GCM:
		default:
			bad("%s is %q; use A256CBC-HS512 or A256GCM", name, *enc)
		}
	}
	checkEnc("IDTokenEncryption", &s.idEnc, jose.A256CBC_HS512)
	checkEnc("UserinfoEncryption", &s.uiEnc, jose.A256GCM)

	// Lifetimes.
	ttl := func(name string, v, def time.Duration) time.Duration {
		switch {
		case v == 0:
			return def
		case v < time.Second || v%time.Second != 0:
			bad("%s must be whole seconds, at least one", name)
		}
		return v
	}
	s.ttl.requestURI = ttl("RequestURITTL", cfg.RequestURITTL, DefaultRequestURITTL)
	s.ttl.code = ttl("CodeTTL", cfg.CodeTTL, DefaultCodeTTL)
	tokenTTL := DefaultTokenTTL
	if cfg.Service == Corppass {
		tokenTTL = DefaultCorppassTokenTTL
	}
	s.ttl.token = ttl("TokenTTL", cfg.TokenTTL, tokenTTL)
	s.ttl.idToken = ttl("IDTokenTTL", cfg.IDTokenTTL, DefaultIDTokenTTL)
	if cfg.MinStateNonceLength < 0 || cfg.MinStateNonceLength > maxStateLen {
		bad("MinStateNonceLength must be between 0 and %d", maxStateLen)
	}

	// The JWKS client: a copy that refuses redirects.
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		s.httpClient = &hc
	} else {
		s.httpClient = &http.Client{Timeout: JWKSFetchTimeout}
	}
	s.httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	jwk := jose.JSONWebKey{Key: s.signKey.Public(), KeyID: s.kid, Use: "sig", Algorithm: string(jose.ES256)}
	if cfg.Service == Corppass {
		if err := withCertificate(&jwk, s.signKey, s.now()); err != nil {
			return nil, fmt.Errorf("singpass emulator: a certificate for the signing key: %w", err)
		}
	}
	s.jwks = mustJSON(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	s.discovery = s.discoveryDocument()
	s.pages = template.Must(template.New("pages").Funcs(template.FuncMap{"service": cfg.Service.String}).Parse(pagesHTML))
	s.routes()
	return s, nil
}

// addClient checks and registers one Client.
func (s *Server) addClient(i int, c Client, bad func(string, ...any)) {
	switch {
	case c.ID == "" || strings.ContainsAny(c.ID, " \t\r\n"):
		bad("Clients[%d]: ID is empty or has spaces", i)
		return
	case s.clients[c.ID] != nil:
		bad("Clients[%d]: duplicate ID %q", i, c.ID)
		return
	case c.Kind != MyinfoApp && c.Kind != LoginApp:
		bad("Clients[%d]: Kind is %v; use MyinfoApp or LoginApp", i, c.Kind)
	}
	cc := &client{Client: c, redirects: map[string]bool{}}
	if c.JWKSURL == "" && (c.JWKS == nil || len(c.JWKS.Keys) == 0) {
		bad("Clients[%d]: set JWKSURL or JWKS (the keys that verify client assertions and receive the ID token)", i)
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("Clients[%d]: JWKSURL is not an absolute http(s) URL", i)
		}
	}
	if c.JWKS != nil {
		for j, k := range c.JWKS.Keys {
			if !k.IsPublic() {
				bad("Clients[%d]: JWKS key %d holds a private key; register public keys only", i, j)
			}
		}
	}
	if len(c.RedirectURIs) == 0 {
		bad("Clients[%d]: no RedirectURIs", i)
	}
	for j, ru := range c.RedirectURIs {
		if msg := s.checkRedirectURI(ru); msg != "" {
			bad("Clients[%d]: RedirectURIs[%d]: %s", i, j, msg)
			continue
		}
		cc.redirects[ru] = true
	}
	if c.Scopes != nil {
		cc.approved = map[string]bool{"openid": true}
		for _, sc := range c.Scopes {
			cc.approved[sc] = true
		}
	}
	s.clients[c.ID] = cc
}

// checkRedirectURI applies the portal's rules to a redirect URI: absolute
// https, or http://localhost on staging; no fragment; no IP-address host
// unless AllowIPRedirectURIs.
func (s *Server) checkRedirectURI(ru string) string {
	u, err := url.Parse(ru)
	if err != nil || u.Host == "" || u.Fragment != "" || strings.Contains(ru, "#") {
		return "not an absolute URL without a fragment"
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil && !s.cfg.AllowIPRedirectURIs {
		return "the Singpass portal refuses IP-address hosts; use a name such as localhost, or set AllowIPRedirectURIs"
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || s.cfg.AllowIPRedirectURIs && isLoopbackIP(host)):
	default:
		return "must be https, or http://localhost as Singpass staging allows (custom schemes were dropped in FAPI)"
	}
	return ""
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errRedirect is what the JWKS client's CheckRedirect answers.
var errRedirect = errors.New("redirect refused")

// subjectOf derives a persona's Singpass UUID from its ID, so it is the same
// in every run (Singpass's sub is a UUID; ours is a version 4 layout over
// SHA-256 of the ID, stable rather than random).
func subjectOf(id string) string {
	h := sha256.Sum256([]byte("idconnect singpass emulator subject\x00" + id))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of k, base64url.
func thumbprint(k *jose.JSONWebKey) (string, error) {
	t, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(t), nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Faults returns the server's fault switches.
func (s *Server) Faults() *Faults { return &s.faults }

// Issuer returns the issuer identifier (Config.Issuer without a trailing
// slash).
func (s *Server) Issuer() string { return s.issuer }

// KeyID returns the kid of the signing key, as in the JWKS and every JWS
// header.
func (s *Server) KeyID() string { return s.kid }

// PublicKey returns the public half of the signing key.
func (s *Server) PublicKey() *ecdsa.PublicKey { return &s.signKey.PublicKey }

// Subject returns the sub (a UUID) of the persona with the given ID, and
// whether there is one.
func (s *Server) Subject(personaID string) (string, bool) {
	p := s.people[personaID]
	if p == nil {
		return "", false
	}
	return p.sub, true
}

// JWKSHandler serves the public JWKS. The Server already serves it at
// {Issuer}/.well-known/keys (the jwks_uri it advertises); Singpass's docs
// also show it at the host root (https://id.singpass.gov.sg/.well-known/keys,
// outside the /fapi issuer path), which lies outside this handler's mount,
// so mount this there to serve that path too.
func (s *Server) JWKSHandler() http.Handler { return http.HandlerFunc(s.handleJWKS) }

// Endpoint paths, relative to the issuer.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathJWKS      = "/.well-known/keys"
	PathPAR       = "/par"
	PathAuthorize = "/auth"
	PathToken     = "/token"
	PathUserinfo  = "/userinfo"
)

func (s *Server) url(path string) string { return s.issuer + path }

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathDiscovery, s.handleDiscovery)
	mux.HandleFunc("GET "+PathJWKS, s.handleJWKS)
	p := s.paths
	mux.HandleFunc("POST "+p.par, s.handlePAR)
	mux.HandleFunc("GET "+p.authorize, s.handleAuthorize)
	mux.HandleFunc("POST "+p.authorize+"/login", s.handleLogin)
	mux.HandleFunc("POST "+p.authorize+"/consent", s.handleConsent)
	mux.HandleFunc("POST "+p.token, s.handleToken)
	mux.HandleFunc("GET "+p.userinfo, s.handleUserinfo)
	userinfoMethods := "GET"
	if s.cfg.Service == Corppass {
		mux.HandleFunc("POST "+p.userinfo, s.handleUserinfo)
		userinfoMethods = "GET, POST"
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.faults.Down() {
			writeError(w, errUnavailable)
			return
		}
		allow := map[string]string{PathDiscovery: "GET", PathJWKS: "GET", p.par: "POST", p.authorize: "GET",
			p.authorize + "/login": "POST", p.authorize + "/consent": "POST", p.token: "POST", p.userinfo: userinfoMethods}[r.URL.Path]
		if allow != "" {
			w.Header().Set("Allow", allow)
			writeError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", r.URL.Path + " takes " + allow})
			return
		}
		writeError(w, &oauthError{http.StatusNotFound, "invalid_request",
			"no such endpoint; the discovery document at " + s.url(PathDiscovery) + " lists them"})
	})
	s.mux = mux
}

// ServeHTTP serves the endpoints below the issuer: PathDiscovery, PathJWKS,
// PathPAR, PathAuthorize (and its login and consent forms), PathToken and
// PathUserinfo; for Corppass CorppassPathPAR, CorppassPathAuthorize and
// CorppassPathToken instead of PathPAR, PathAuthorize and PathToken.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	httpemu.Serve(w, r, httpemu.Options{
		Logger: s.cfg.Logger, Message: "singpass emulator", Now: s.now,
		Slow:          s.faults.Slow(),
		Unavailable:   func(w http.ResponseWriter) { writeError(w, errUnavailable) },
		MaxQueryBytes: MaxQueryBytes,
		QueryTooLong: func(w http.ResponseWriter) {
			writeError(w, &oauthError{http.StatusRequestURITooLong, "invalid_request", "the query string is too long"})
		},
		MaxBodyBytes: MaxBodyBytes,
	}, s.mux)
}

// discoveryDocument builds the FAPI discovery document (research §1.2).
func (s *Server) discoveryDocument() []byte {
	scopes := []string{"openid"}
	claims := []string{"iss", "sub", "sub_type", "sub_attributes", "aud", "exp", "iat", "nonce", "amr", "acr", "person_info"}
	if s.cfg.Service == Corppass {
		scopes = append(scopes, corppassLoginScopes...)
		scopes = append(scopes, "corppass.email")
		var blocks []string
		for b := range entityBlocks {
			blocks = append(blocks, "entity."+b)
		}
		sort.Strings(blocks)
		scopes = append(scopes, blocks...)
		claims = []string{"iss", "sub", "sub_type", "sub_attributes", "act", "aud", "exp", "iat", "nonce", "amr",
			"entity_info", "person_info", "corppass_info", "auth_info", "tp_auth_info"}
	} else {
		scopes = append(scopes, loginScopes...)
		var items []string
		for k := range s.known {
			items = append(items, k)
		}
		sort.Strings(items)
		scopes = append(scopes, items...)
	}
	ecdhes := []string{string(jose.ECDH_ES_A256KW), string(jose.ECDH_ES_A192KW), string(jose.ECDH_ES_A128KW)}
	doc := map[string]any{
		"issuer":                                           s.issuer,
		"authorization_endpoint":                           s.url(s.paths.authorize),
		"pushed_authorization_request_endpoint":            s.url(s.paths.par),
		"token_endpoint":                                   s.url(s.paths.token),
		"userinfo_endpoint":                                s.url(s.paths.userinfo),
		"jwks_uri":                                         s.url(PathJWKS),
		"response_types_supported":                         []string{"code"},
		"grant_types_supported":                            []string{"authorization_code"},
		"subject_types_supported":                          []string{"public"},
		"scopes_supported":                                 scopes,
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgNames,
		"dpop_signing_alg_values_supported":                []string{string(jose.ES256)},
		"require_pushed_authorization_requests":            true,
		"authorization_response_iss_parameter_supported":   true,
		"id_token_signing_alg_values_supported":            []string{string(jose.ES256)},
		"id_token_encryption_alg_values_supported":         ecdhes,
		"id_token_encryption_enc_values_supported":         []string{string(s.idEnc)},
		"userinfo_signing_alg_values_supported":            []string{string(jose.ES256)},
		"userinfo_encryption_alg_values_supported":         ecdhes,
		"userinfo_encryption_enc_values_supported":         []string{string(s.uiEnc)},
		"claims_supported":                                 claims,
	}
	return mustJSON(doc)
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.discovery)
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if s.faults.Down() {
		writeError(w, errUnavailable)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	if s.cfg.Service == Corppass {
		w.Header().Set("Content-Type", "application/jwk-set+json") // as Corppass serves it
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	_, _ = w.Write(s.jwks)
}

// oauthError is an OAuth error answer: status, error code and a teaching
// description (never a secret or personal data).
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

var errUnavailable = &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable",
	"the emulator is down (fault switch); retry later"}

func badRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func badClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
}

func badGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

func badProof(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_dpop_proof", desc}
}

// writeError writes {"error","error_description"} with e's status.
func writeError(w http.ResponseWriter, e *oauthError) {
	b := mustJSON(map[string]string{"error": e.code, "error_description": e.description})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(v))
}

// randomString returns n random bytes, base64url-encoded.
func (s *Server) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// readForm parses a form-encoded body (the query does not count) and
// refuses repeated parameters.
func readForm(r *http.Request) (url.Values, *oauthError) {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return nil, badRequest("the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &oauthError{http.StatusRequestEntityTooLarge, "invalid_request", "the body is too large"}
		}
		return nil, badRequest("the form body could not be read")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, badRequest("the parameter " + k + " is repeated; send it once")
		}
	}
	return r.PostForm, nil
}
