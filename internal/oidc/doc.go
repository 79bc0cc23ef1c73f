// Package oidc is the OpenID Connect relying-party core shared by the
// providers that speak it (Singpass FAPI 2.0 now, OneID later): provider
// discovery, the provider's signing keys, ID-token claim checks and the
// outbound call helper. Nothing in it is specific to one provider; the
// providers pin their own algorithm allowlists and pass them in.
//
// # Discovery
//
// An [Issuer] fetches {issuer}/.well-known/openid-configuration lazily, on
// first use, and caches it for MaxAge, so a service starts while its
// provider is down. The document's "issuer" must equal the configured
// issuer exactly, and every endpoint must be an absolute https URL (http
// only when the issuer itself is http, which the provider allows only for
// loopback hosts or by an explicit switch).
//
// # Keys
//
// The provider's JWKS (from discovery's jwks_uri) is cached for MaxAge and
// fetched again when a JWS names a kid the cache lacks, at most once per
// MinRefetch. Concurrent fetches of one document are collapsed into one.
// A JWS whose unverified "iss" is another issuer's never causes a fetch.
// Answers are capped in size and in number of keys.
//
// # Errors
//
// Errors wrap the root package's sentinels: transport failures and 5xx
// answers [idconnect.ErrProviderUnavailable] (timeouts
// [idconnect.ErrProviderTimeout]), error statuses a
// *[idconnect.ProviderError], unreadable documents
// [idconnect.ErrMalformed], bad signatures and unknown keys
// [idconnect.ErrSignature], failed claim checks [idconnect.ErrTokenInvalid].
// No error carries a URL, a token, a claim value or a provider's free text.
package oidc
