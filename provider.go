package idconnect

import (
	"context"
	"encoding/json"
	"time"
)

// Provider is one identity provider's relying-party side. Implementations
// are stateless and safe for concurrent use: everything that belongs to one
// login travels in the [Login].
type Provider interface {
	// Name is the provider's stable identifier, such as "myinfo".
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
	ID          string    `json:"id"`
	Provider    string    `json:"provider"`
	State       string    `json:"state"`
	Nonce       string    `json:"nonce,omitempty"`
	Verifier    string    `json:"verifier,omitempty"` // PKCE code verifier, where used
	Attributes  []string  `json:"attributes,omitempty"`
	Purpose     string    `json:"purpose,omitempty"`
	RedirectURI string    `json:"redirect_uri"`
	BrowserHash string    `json:"browser_hash"` // SHA-256 of the browser binding secret, hex
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// ProviderData is opaque per-login data a provider needs back at
	// Exchange (an ephemeral key, a PAR request URI, …).
	ProviderData map[string]string `json:"provider_data,omitempty"`
}

// Callback is what the provider sent back to the redirect URI.
type Callback struct {
	Code             string
	State            string
	Error            string // e.g. "access_denied"
	ErrorDescription string
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
	// Person is the normalised view across providers.
	Person *Person
}
