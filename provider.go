package idconnect

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Provider is one identity provider's relying-party side. Implementations
// are stateless and safe for concurrent use: everything that belongs to one
// login travels in the [Login].
//
// The key a provider is registered under in [Flow.Providers] is the login's
// identity: two instances of one implementation (a Singpass Myinfo app and a
// Singpass Login app, say) are two providers.
type Provider interface {
	// Name is the implementation's identifier, such as "myinfo", used in
	// its error messages.
	Name() string
	// AuthURL returns the URL the browser is sent to. It may call the
	// provider (pushed authorisation requests do).
	AuthURL(ctx context.Context, login *Login) (string, error)
	// Exchange turns the callback's code into verified person data:
	// code → token → decrypt → verify → normalise.
	Exchange(ctx context.Context, login *Login, cb Callback) (*Result, error)
}

// Login is a pending login, stored between the redirect and the callback.
// It holds no personal data.
type Login struct {
	ID string `json:"id"`
	// Provider is the key the login's provider is registered under in
	// the Flow.
	Provider string `json:"provider"`
	State    string `json:"state"`
	// Nonce and Verifier (the PKCE code verifier) are minted by the Flow
	// for every login, 32 random bytes each; a provider that does not use
	// them clears them in AuthURL, so that the store does not keep them.
	Nonce       string    `json:"nonce,omitempty"`
	Verifier    string    `json:"verifier,omitempty"`
	Attributes  []string  `json:"attributes,omitempty"`
	Purpose     string    `json:"purpose,omitempty"`
	RedirectURI string    `json:"redirect_uri"`
	BrowserHash string    `json:"browser_hash"` // SHA-256 of the browser binding secret, hex
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// CallbackIssuer is the iss parameter of the provider's redirect
	// (RFC 9207), recorded by Flow.Callback so that Exchange can check it.
	CallbackIssuer string `json:"callback_iss,omitempty"`
	// ProviderData is opaque per-login data a provider needs back at
	// Exchange (an ephemeral key, a PAR request URI, …). It may hold
	// secrets: a store outside the process must keep the Login sealed.
	ProviderData map[string]string `json:"provider_data,omitempty"`
}

// Callback is what the provider sent back to the redirect URI.
type Callback struct {
	Code             string
	State            string
	Error            string // e.g. "access_denied"
	ErrorDescription string
	// Issuer is the redirect's iss parameter (RFC 9207), "" when absent.
	// A provider that knows its issuer must refuse another one.
	Issuer string
	// Extra holds the redirect's other parameters, for providers that
	// send more than OAuth's (OneID's error sub-code in error_oneid, say).
	Extra url.Values
}

// CallbackErrorer is implemented by providers whose error redirects carry
// more than OAuth's error code: the Flow asks it what an error callback
// means (consent denied, an expired session, …) instead of reading the
// code alone.
type CallbackErrorer interface {
	CallbackError(login *Login, cb Callback) error
}

// LoginDefaults are the Attributes, Purpose and RedirectURI a provider's
// AuthURL gives a login that has none of its own.
type LoginDefaults struct {
	Attributes  []string
	Purpose     string
	RedirectURI string
}

// Defaulter is implemented by providers whose AuthURL fills a login's empty
// Attributes, Purpose and RedirectURI from their configuration. The Flow
// then stores a pending login without the values equal to those defaults
// (most logins: the service asks for none of its own) and puts them back
// when it takes the login, so that a waiting login costs less memory.
type Defaulter interface {
	LoginDefaults() LoginDefaults
}

// Flattener is implemented by providers whose data items are Myinfo's: it
// builds the seed service's "sodata" object from a result, each requested
// item by name. The server's seed routes need it, and check for it when
// the server is built.
type Flattener interface {
	Flatten(login *Login, res *Result) (json.RawMessage, error)
}

// Result is the outcome of a successful exchange.
type Result struct {
	Provider string
	// Subject is the provider's identifier of the person (for Myinfo the
	// access token's sub: a UIN/FIN or a UUID).
	Subject string
	// Raw is the verified person JSON exactly as the provider signed it.
	Raw json.RawMessage
	// Model is the provider's typed model of Raw (for Myinfo a
	// *myinfo.Person).
	Model any
	// Person is the normalised view across providers. When the login is
	// an entity's (Corppass), it is the person acting for the entity.
	Person *Person
	// Entity is the business entity the person logged in for, nil for a
	// person's own login.
	Entity *Entity
	// Documents are files the provider issued with the data, such as
	// OneID's PDF report, already checked (type, size, magic). The service
	// hands each out once through a link; a library caller uses them as is.
	Documents []Document
}

// Document is a file from a provider, kept in memory: providers cap its
// size when they read it.
type Document struct {
	// Name identifies the document within the result, such as "report".
	Name        string
	ContentType string
	Data        []byte
}
