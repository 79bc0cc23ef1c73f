// Package openidclient runs idconnect's FAPI 2.0 interoperability tests
// with openid-client (panva/openid-client 6.8.9, pinned by
// package-lock.json) as an independent relying party: rp.js does one
// headless login (discovery, PAR with private_key_jwt ES256 + DPoP + PKCE
// S256, the authorization redirects with the persona and consent=allow
// shortcuts our emulator accepts, callback checks including iss, token,
// ID token JWE → JWS, userinfo JWE → JWS) and prints
// {"sub", "id_token_claims", "userinfo"} as JSON. The tests run it with
// runRP against a provider on 127.0.0.1: the smoke tests against the
// oidc-provider peer of ../oidcprovider, emulator_test.go against our own
// emulator/singpass (Myinfo-app logins for several personas, checked
// against emulator/personas, with the client assertion's typ "JWT" and
// without typ; a Login-app login without userinfo; the emulator's
// AllowIPRedirectURIs and RequireAssertionTyp switches).
//
// The tests need Node 20+ and both packages installed by "make interop"
// (npm ci here and in ../oidcprovider; the helpers run npm ci themselves
// when node_modules is missing or holds another version). They are behind
// the "interop" build tag:
//
//	go test -tags interop -count=1 ./interop/...
//
// A missing node, npm or package is a test failure, never a skip.
package openidclient
