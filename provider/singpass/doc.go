// Package singpass is a Singpass relying party on the FAPI 2.0
// Authentication API: "Myinfo (v5)" apps, which get verified person data
// from userinfo, and Singpass "Login" apps, which get the person's identity
// from the ID token. With Config.Service set to [Corppass] the same client
// is a Corppass relying party (see "Corppass" below).
//
// # Flow
//
// [Client.AuthURL] pushes the authorisation request (PAR, RFC 9126) with
// private_key_jwt client authentication, PKCE S256 from the login's
// verifier, the login's state and nonce, and a DPoP proof (RFC 9449) made
// with a P-256 key pair fresh for each login. It returns the
// authorization endpoint with client_id and request_uri only.
//
// [Client.Exchange] checks the callback's iss (RFC 9207), redeems the code
// at the token endpoint with the same DPoP key and a new client assertion,
// requires token_type DPoP, decrypts the ID token (a JWE to one of our
// keys), verifies its ES256 signature with Singpass's published keys and
// checks iss, aud, azp, nonce, exp and iat. A Myinfo app then calls
// userinfo with the DPoP-bound access token (a proof carrying ath),
// decrypts and verifies the answer the same way, and requires its sub to
// be the ID token's. A DPoP-Nonce challenge (use_dpop_nonce) is answered by
// one retry, never more.
//
// # What a Result holds
//
// For a Myinfo app: Subject is the ID token's sub (a UUID), Raw is the
// userinfo's person_info object exactly as signed, Model its
// *myinfo.Person (the data items are Myinfo v3's) and Person the
// normalised view. For a Login app: Subject is the sub, Raw the ID token's
// sub_attributes object as signed ({} when absent), Model a *[IDToken],
// Person the identity number, name, email and mobile number from
// sub_attributes.
//
// # Corppass
//
// Corppass runs the same FAPI 2.0 profile; what differs is kept as data in
// a per-service profile and two small hooks, not in a second client:
// issuers without /fapi (CorppassStaging, CorppassProduction; endpoints
// come from discovery as for Singpass, so PAR at /request and
// /mga/sps/oauth/oauth20/... need no code), default scopes, the single
// authentication_context_type APP_AUTHENTICATION_DEFAULT (sent by Login
// apps, never by Myinfo Business apps), and the subject: the ID token's
// sub is the entity (sub_type "entity", sub_attributes with its UEN,
// type, name and status) and the person acting for it is act, which must
// be there. The access token (10 minutes) is used at once and never
// refreshed.
//
// A Corppass Login app's Result has Subject the entity, Entity from
// sub_attributes, Person from act.sub_attributes, Raw the ID token's sub,
// sub_type, sub_attributes and act as signed, Model a *[EntityIDToken];
// when it asks for authinfo or tpauthinfo it also calls userinfo for the
// roles (Entity.Roles). A Myinfo Business app's Result has Raw the whole
// verified userinfo, Model a *[Business] (entity_info typed, person_info
// as a *myinfo.Person, corppass_info, auth_info, tp_auth_info), Entity
// from the ID token overlaid with entity_info (with provenance), and
// Person from person_info, act and corppass_info. Each userinfo block may
// be an object or a JSON string holding it, and so may what is nested in
// it ([ParseBusinessUserinfo]); anything else is ErrMalformed.
//
// Open questions about Corppass (research corppass-fapi.md §12) are
// settings: Config.RequireEncryptedUserinfo (Corppass documents a bare
// JWS, staging sends JWE(JWS); both are taken by default, the signature
// always checked) and Config.AcceptClientIDUserinfoSubject (an older
// Corppass put the client_id in userinfo's sub). The callback's iss is
// required only when discovery says it is sent. Corppass logins have no
// seed sodata (Flatten returns nil).
//
// # Keys and secrets
//
// Config.Keys are the relying party's [keyset.Keys]: a [keyset.Set] read
// from a file, or keys in an HSM (keyset/pkcs11). The signing key of the
// moment signs the client assertions, through crypto.Signer; the
// decryption keys open the ID token and the userinfo answer (chosen by the
// JWE's kid, so rotation needs no code), through go-jose's
// OpaqueKeyDecrypter. Publish the public half (keyset.Set.PublicJSON) as
// the app's JWKS.
//
// Unless Config.DPoPKey is set, the per-login DPoP private key is kept in
// Login.ProviderData under "dpop_key", as its P-256 scalar (32 bytes,
// base64url; a login stored by an earlier version has a private JWK under
// "dpop_jwk", which is still read). It is a secret: anyone holding it and the code (or the access token) can redeem
// them. A store outside the process must keep the Login sealed; the Flow's
// store does. With Config.DPoPKey (for example a key in an HSM) every
// login's proofs are signed by that key and the login keeps none.
//
// # Algorithms
//
// The allowlists are pinned here and never taken from discovery: ID token
// and userinfo JWE key management ECDH-ES+A256KW, content encryption
// A256CBC-HS512 (what Singpass uses for ID tokens) or A256GCM (what it
// uses for userinfo); signatures ES256.
//
// # Where sources disagree
//
// The research notes leave some Singpass behaviour open; the client
// accepts each variant or makes it configurable:
//
//   - jwks_uri: read from discovery, never built, so both
//     {host}/.well-known/keys and {issuer}/.well-known/keys work.
//   - Authorization-code lifetime (60 s or 2 min): the client redeems the
//     code at once and relies on neither.
//   - The client assertion's aud: the issuer by default (Singpass's docs
//     and Node demo), or the URL of the endpoint it is sent to
//     ([AudienceEndpoint], as Singpass's Java demo does).
//   - The client assertion's typ: always "JWT" (the docs say it must be;
//     whether staging enforces it is unconfirmed).
//   - Content encryption: both values are accepted for both tokens.
//
// Errors wrap the idconnect sentinels and never carry a URL, a token, an
// identity number or a provider's free text; an OAuth error answer
// becomes an *idconnect.ProviderError whose Code is the OAuth error code.
package singpass
