// Package oidcprovider runs idconnect's FAPI 2.0 and OneID
// interoperability tests against oidc-provider (panva/node-oidc-provider
// 9.13.3, pinned by package-lock.json), an independent, certified OpenID
// Provider, set up by server.js (by default, the FAPI profile of fapi.js)
// to look like Singpass FAPI 2.0: PAR required, PKCE S256,
// DPoP-bound access tokens, private_key_jwt ES256, ID token and userinfo
// signed ES256 and encrypted ECDH-ES+A256KW (enc A256CBC-HS512 for the ID
// token, A256GCM for userinfo), the iss parameter on the callback, and a
// non-interactive login (a fixed account, auto-consent) that a cookie-jar
// HTTP client can walk.
//
// The tests start server.js on a free 127.0.0.1 port with one static client
// whose JWKS the test serves, wait until discovery answers 200, and stop it
// when the test ends; it also exits when its stdin closes. They need Node
// 20+ and the package installed by "make interop" (npm ci in this
// directory; the launcher runs npm ci itself when node_modules is missing or
// holds another version). They are behind the "interop" build tag:
//
//	go test -tags interop -count=1 ./interop/...
//
// singpass_test.go runs provider/singpass (a Myinfo app, through
// idconnect.Flow and store.Memory) against the peer, with the client's
// jwks_uri serving keyset.PublicJSON() and the persona's Myinfo data handed
// to the peer (OP_PERSONS) for userinfo's person_info: the whole flow, the
// DPoP-Nonce variant (one retry at PAR), and refusals (ID token encrypted
// to a key we lack or tampered in transit, a forged or missing callback
// iss, a replayed callback, a code redeemed twice, an expired or replayed
// client assertion, a DPoP key at token other than PAR's).
//
// corppass_test.go runs provider/singpass's Corppass profile against the
// same FAPI profile shaped like Corppass (OP_CORPPASS,
// peer.OIDCProviderConfig.Corppass): an issuer without a path, PAR at
// /request, authorize and token at /mga/sps/oauth/oauth20/…, a 10-minute
// access token, an entity subject with the acting person in act (an entity
// of emulator/personas), Myinfo Business blocks sent as JSON strings, and
// authentication_context_type required of a Login app and refused from a
// Myinfo Business app: a Corppass Login and a Myinfo Business login, and
// both context-parameter refusals.
//
// With OP_PROFILE=oneid (peer.OIDCProviderConfig.Profile peer.ProfileOneID), server.js
// runs oneid.js instead: a stand-in for UK OneID, of which no independent
// implementation exists. It is an OIDC code flow as OneID documents it:
// /v2/authorize with PKCE S256 required and no PAR, a callback without iss
// (OneID does not document RFC 9207; CallbackISS puts it back) whose
// refusals carry error_oneid, client_secret_basic at /token (a secret the
// test chooses), no DPoP, no refresh token, a plain PS256-signed ID token
// (an RSA key with alg PS256 in the JWKS), plain JSON /userinfo with OneID's
// claims for OneID's scopes (the persona data the test hands over, seed
// 002's Janet Davidson by default), /ageverification, /accounts (balances
// with accounts.balances) and a PDF /userinfo/report. oneid_smoke_test.go
// checks that profile with go-jose and the standard library only: the
// whole flow and the refusals (wrong or misplaced secret, missing or wrong
// PKCE verifier, other redirect_uri, a code used twice, no PKCE, a denied
// consent, resources without a token or scope). oneid_test.go runs
// provider/oneid through idconnect.Flow and store.Memory against it, with
// every OneID person of emulator/personas handed to the peer (OP_PERSONS,
// OP_ACCOUNTS): the whole flow per person (userinfo, age verification,
// accounts with balances and the report compared with the person's data),
// narrower scopes, a client secret that form-urlencoding changes, RFC 9207
// when the peer sends iss, and refusals (wrong
// secret, other PKCE verifier, a code redeemed twice, a replayed callback,
// another login's nonce, an expired ID token, a second instance's JWKS or
// key under our kid, a mix-up with a second instance's valid ID token, a
// forged iss, a denied consent with error_oneid).
//
// A missing node, npm or package is a test failure, never a skip.
package oidcprovider
