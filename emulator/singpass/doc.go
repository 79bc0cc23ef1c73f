// Package singpass emulates the provider side of Singpass's FAPI 2.0
// Authentication API ("Myinfo v5" and Singpass Login apps), and of
// Corppass's (Corppass Login and Myinfo Business apps, see "Corppass"
// below), with real cryptography, for offline development and tests. Importers usually alias
// it (singpassemu), since the relying party lives in provider/singpass.
// The facts it follows, with their sources, are in the project's research
// note singpass-fapi.md; "research Un" and "§n" below point into it.
//
// A [Server] is an [net/http.Handler] serving, below [Config.Issuer]:
//
//	GET  /.well-known/openid-configuration  discovery (research §1.2)
//	GET  /.well-known/keys                  the JWKS: one ES256 key, use sig, kid = RFC 7638 thumbprint
//	POST /par                               pushed authorization request → 201 {request_uri, expires_in: 60}
//	GET  /auth?client_id=…&request_uri=…    login page, consent page, then 302 to redirect_uri
//	POST /auth/login, /auth/consent         the pages' forms (internal)
//	POST /token                             code → {access_token, token_type: "DPoP", id_token, expires_in}
//	GET  /userinfo                          application/jwt: JWE around a JWS of {person_info, iss, sub, aud, iat}
//
// Mount it at the issuer's path with [net/http.StripPrefix]:
//
//	emu, err := singpassemu.New(singpassemu.Config{Issuer: "http://localhost:3001/emulator/singpass", …})
//	mux.Handle("/emulator/singpass/", http.StripPrefix("/emulator/singpass", emu))
//
// Where the JWKS lives is disputed (research §12.2): Singpass's docs show
// https://id.singpass.gov.sg/.well-known/keys, at the host root outside the
// /fapi issuer path; a GovTech test fixture uses {issuer}/.well-known/keys.
// The handler serves the second and advertises it as jwks_uri; the first
// lies outside its mount, so [Server.JWKSHandler] serves the same document
// for mounting at {issuer's parent}/.well-known/keys. Clients must read
// jwks_uri from discovery.
//
// For scripts, the authorization URL takes two extra parameters that skip
// the pages: persona=<UINFIN> logs that persona in, and consent=allow|deny
// answers the consent page. Without them the pages work with a keyboard
// alone (native buttons in forms).
//
// # Faithful to Singpass
//
//   - Discovery lists every field of research §1.2, with ES256 for both
//     id_token and userinfo signing (so openid-client works with no client
//     metadata, as Singpass's own demo does), PAR required, S256 only,
//     private_key_jwt with ES256/ES384/ES512, DPoP with ES256, and
//     authorization_response_iss_parameter_supported: true.
//   - Client authentication is private_key_jwt at PAR and token. The
//     assertion is verified with the client's JWKS (Client.JWKS pasted, or
//     Client.JWKSURL fetched with Config.HTTPClient, never following a
//     redirect, within 3 s, cached 5 minutes and refetched on an unknown
//     kid at most every 10 s); without a kid every signing key is tried.
//     iss = sub = client_id; aud = the issuer (or an array holding it);
//     exp - iat ≤ 120 s; exp not past and iat and nbf not ahead, with 60 s
//     of skew; jti single use. A code claim is ignored (research U5), nbf
//     accepted. typ "JWT" or none (Singpass's Node demo sends none, U3);
//     any other typ is refused.
//   - DPoP (RFC 9449) is required at PAR (or dpop_jkt in the PAR body
//     instead, as MockPass and Corppass accept), token and userinfo: typ
//     dpop+jwt, ES256, a public P-256 jwk that verifies the proof; htm the
//     request's method; htu the endpoint's URL (scheme, host and path;
//     case of scheme and host, a default port, query and fragment do not
//     matter); iat no more than 120 s old (plus skew); exp optional, and at
//     most 120 s after iat; jti single use per key; at userinfo, ath =
//     base64url(SHA-256(access token)). The code is bound to the PAR's key
//     and the access token (cnf.jkt) to the same key: a different key at
//     token is refused with Singpass's own words ("Incoming DPOP Proof JWT
//     does not match the initial dpop_jkt sent at PAR endpoint"). A key
//     reused across logins, or equal to a client-assertion key, is
//     accepted, as Singpass accepts it (U2).
//   - No DPoP-Nonce challenge: no Singpass source documents server nonces
//     (§8, §12.7), so the emulator never asks for one.
//   - PAR needs response_type=code, a registered redirect_uri (exact
//     match), scope with openid (else invalid_scope, U8), state and nonce
//     (≤ 255 of [A-Za-z0-9/+_\-=.]), S256 PKCE. authentication_context_type
//     and _message are refused on a Myinfo app with Singpass's message;
//     acr_values only when Client.AllowACR. The request_uri lives 60 s and
//     is single use. The answer is 201.
//   - The callback carries code, state and iss (RFC 9207), and errors
//     (access_denied on Deny, invalid_request_uri for a used or expired
//     request_uri, temporarily_unavailable when down) carry error,
//     error_description, state and iss. An unknown client or request_uri
//     gets an error page, never a redirect.
//   - Codes live 60 s and are single use; from the moment a client
//     authenticated with DPoP presents a known code it is burnt, whatever
//     the outcome. Token checks grant_type, the code's client, redirect_uri
//     equal to PAR's, the PKCE verifier and the DPoP key.
//   - The ID token is a compact JWE (ECDH-ES+A256KW, or the client key's
//     A192KW/A128KW; enc A256CBC-HS512 as Singpass sends it, U1; cty JWT;
//     kid and alg of the client's enc key) around an ES256 JWS (typ JWT,
//     kid) with iss, aud (client_id), sub (a UUID), sub_type "user", iat,
//     exp (10 minutes), nonce, amr ["pwd","otp-sms"] and acr (loa:2, or the
//     highest requested acr_values). A Login app's ID token has
//     sub_attributes for its scopes: user.identity gives account_type
//     "standard", identity_number (the UINFIN) and identity_coi "SG"; name,
//     email and mobileno give themselves (mobileno as prefix+areacode+nbr,
//     "+6591234567"). The encryption key chosen is the client's EC key with
//     use "enc": strongest curve, then strongest key wrap, then first.
//   - Userinfo takes "Authorization: DPoP <token>" and answers
//     Content-Type application/jwt: a JWE (enc A256GCM, U1) around an ES256
//     JWS of {person_info, iss, sub (the ID token's), aud (client_id), iat}.
//     person_info holds, for each granted scope, the persona's Myinfo v3
//     item under its v3 name, unchanged (§6.4); a dotted field scope such as
//     cpfbalances.oa grants its whole item cpfbalances; an item the persona
//     lacks is {"lastupdated":"","source":"1","classification":"C",
//     "unavailable":true}. Errors are 401 with WWW-Authenticate: DPoP
//     error="…", error_description="…".
//   - Errors are {"error","error_description"}: invalid_request,
//     invalid_client (401), invalid_scope, invalid_grant,
//     invalid_dpop_proof, unsupported_grant_type, invalid_token (401),
//     upstream_dependency_error (the client's JWKS could not be fetched),
//     temporarily_unavailable (503), server_error. Each description names
//     what was wrong and the expected value (the issuer for aud, the
//     endpoint for htu, the method for htm), never a secret or a person's
//     data.
//
// # Corppass
//
// With [Config.Service] set to [Corppass] the same server emulates
// Corppass's FAPI 2.0 API (research corppass-fapi.md, "§Cn" below), with
// what differs from Singpass and nothing else:
//
//   - The issuer is the host with no /fapi (https://stg-id.corppass.gov.sg);
//     PAR is at /request, authorize and token at
//     /mga/sps/oauth/oauth20/authorize and /mga/sps/oauth/oauth20/token,
//     userinfo, discovery and the JWKS at Singpass's paths (§C1). The
//     JWKS is served as application/jwk-set+json and its key carries a
//     self-signed certificate (x5c, x5t, x5t#S256), as Corppass's does.
//   - A Corppass Login app (LoginApp) must send authentication_context_type
//     APP_AUTHENTICATION_DEFAULT, its only value; a message, if any, is at
//     most 100 letters, digits and spaces. A Myinfo Business app
//     (MyinfoApp) must send neither, and gets Singpass's message (§C2).
//   - Scopes: a Login app takes entity.identity,
//     entity.basic_profile.name, entity.basic_profile.uen_status,
//     user.identity, user.name, authinfo and tpauthinfo; a Myinfo
//     Business app entity.<block>[.<field>] (each grants its whole block of
//     entity_info), user.<Myinfo item>[.<field>], authinfo, tpauthinfo,
//     corppass.email and entity.identity (accepted although Corppass's
//     scope pages omit it, §C6).
//   - The login page lists each entity with each person who acts for it
//     ([Config.Entities]); the authorization URL's persona=<UINFIN> takes
//     entity=<UEN> too, which may be left out when the person acts for
//     one entity only.
//   - The ID token's sub is the entity's UEN with sub_type "entity" and
//     sub_attributes for the granted entity scopes (all of them with
//     [Config.EntityAttributesAlways]); act is the person: sub (the same
//     UUID Singpass would give), sub_type "user", sub_attributes
//     account_type, identity_number, identity_coi for user.identity and
//     name for user.name (§C5). It has no acr (none documented).
//   - The token answer echoes the granted scope; the access token lives
//     10 minutes (§C4).
//   - Userinfo takes GET or POST (the body ignored). For a Myinfo
//     Business app it holds entity_info, person_info (items unprefixed),
//     corppass_info, auth_info and tp_auth_info for the granted scopes; a
//     Login app may call it for auth_info and tp_auth_info only. sub is
//     the entity. Each block is a JSON string holding the block, and so
//     is entity_info's basic_profile, as staging sends them (§C6); the
//     answer is a JWE (A256GCM, typ JWE, no cty) around the JWS.
//     [Config.ObjectBlocks], [Config.SignedUserinfo] and
//     [Config.UserinfoSubjectClientID] give the documented (or older)
//     forms where staging and the docs disagree;
//     [Config.LoginCorppassEmail] gives a Login app the account's email in
//     act (user.corppass.email), as an older docs page has it.
//
// The Corppass guesses: the discovery document (no FAPI sample exists),
// callback iss (sent, as Singpass does), the code and request_uri
// lifetimes (Singpass's), entity_uen_status spelt "Registered" or
// "Deregistered", the entity_info item shapes (Myinfo's envelope) and the
// scope names per field, which Corppass approves per app.
//
// # Guesses
//
// Singpass does not document these (research §12 lists them as open);
// the emulator's choices are plausible, not known:
//   - The discovery fields dpop_signing_alg_values_supported (ES256 here),
//     userinfo_encryption_*, require_pushed_authorization_requests and
//     the jwks_uri path.
//   - Whether staging refuses an assertion without typ (U3; see
//     [Config.RequireAssertionTyp]) or accepts aud = the endpoint URL as
//     Singpass's Java demo sends (U4; see [Config.AcceptEndpointAudience]).
//   - The code lifetime (60 s as observed, not documented), the ID token's
//     (10 minutes), expires_in in the token answer (1800, as MockPass), and
//     that request_uri is single use (RFC 9126).
//   - The access token: Singpass's is opaque to clients. Ours is an ES256
//     JWT (typ at+jwt) with iss, sub, aud (the userinfo URL), client_id,
//     scope, jti, iat, exp and cnf.jkt, checked only by the emulator.
//   - sub is a UUID derived from the persona's ID (stable across runs,
//     the same for every client); Singpass's is random per person.
//   - Whether Singpass trims a dataset to the requested field scopes (here:
//     the whole item), and the unavailable form of a missing item.
//   - sub_attributes for a Myinfo app (none here) and the mobileno format
//     in sub_attributes; every persona is a "standard" account issued in SG.
//   - Userinfo for a Login app is refused (403 invalid_request): Singpass
//     says the step "is applicable only to Myinfo (v5) apps".
//   - state and nonce minimum length: none documented (MockPass: 30; see
//     [Config.MinStateNonceLength]).
//   - The statuses of upstream_dependency_error (400) and the exact error
//     descriptions (ours, apart from the two Singpass messages quoted).
//   - The portal also refuses redirect URIs containing "singpass",
//     "corppass" or "myinfo"; the emulator does not check that.
//
// # Strictness
//
// The emulator is never stricter than Singpass is known to be; switches
// make it so, all off by default: [Config.RequireAssertionTyp],
// [Config.MinStateNonceLength]. [Config.AcceptEndpointAudience] and
// [Config.AllowIPRedirectURIs] make it more lenient than the documented
// rules. Registered redirect URIs must be https, or http://localhost as
// staging allows (U7); IP-address hosts are refused, as the portal refuses
// them, unless AllowIPRedirectURIs (then only loopback IPs may use http).
//
// # Faults
//
// [Server.Faults] returns switches that make the emulator misbehave for a
// relying party's negative tests: down, slow, a bad ID token or userinfo
// signature, the wrong encryption key, a userinfo sub other than the ID
// token's, an ID token with the wrong nonce, aud or iss, or already
// expired. They are safe to flip between two requests of one login.
//
// # Safety
//
// Request bodies are capped at [MaxBodyBytes], queries at [MaxQueryBytes],
// JWTs at [MaxJWTBytes], fetched JWKS at [MaxJWKSBytes]. request_uris,
// pages and codes are bounded lists that drop the oldest entry when full,
// so a flood never refuses the next login; only authenticated clients can
// create request_uris (and so pages and codes). Remembered jtis are
// bounded too, and filled only by requests that proved a key; when full the
// oldest jti is forgotten and every token issued at or before its iat is
// refused from then on, so a replay never slips through and a fresh token
// always passes. The emulator logs nothing unless [Config.Logger] is set,
// and then only the method, route pattern, status and duration. Pages are
// html/template with a banner saying this is an emulator, and a strict
// Content-Security-Policy.
//
// The emulator imports nothing of the relying party (the root package,
// provider/*, internal/*): only emulator/personas, go-jose and the
// standard library, so the two sides share no verification code.
package singpass
