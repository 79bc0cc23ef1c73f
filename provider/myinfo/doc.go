// Package myinfo is the relying-party side of Singpass Myinfo v3: the
// authorise URL, the token call and the person call, each signed with
// PKI_SIGN (RSASSA-PKCS1-v1_5 SHA-256 over the Myinfo base string); the
// access token verified RS256 against Myinfo's certificate; and the person
// answer decrypted (JWE RSA-OAEP with A256GCM or A128CBC-HS256) and then
// verified (JWS RS256), as two separate steps.
//
// A [Client] implements [idconnect.Provider]. It is configured with plain
// [Config] fields; [New] reports every configuration problem at once.
//
// The person JSON is modelled by [Person] (every attribute of the v3
// specification), normalised by [Person.Normalize], and flattened to the
// seed service's "sodata" shape by [Flatten]. [DecodePerson] is the
// decrypt-and-verify step on its own, for tools that inspect a captured
// answer.
//
// Wire details follow the official connectors and the real Myinfo (see the
// project's research notes): the JWS inside the JWE may be a JSON string in
// quotes (real Myinfo) or bare (MockPass 4.3.4), and both are accepted; the
// access token's "zip":"NONE" header and millisecond exp are tolerated. In
// the sandbox environment there is neither signing nor encryption.
//
// Hardening rules, each with a test that fails without it:
//
//   - Redirects: the client never follows one (its HTTP client is a copy of
//     Config.HTTPClient made by internal/httpx). A 3xx from the token or
//     person API would re-post the secret and code, or forward the bearer
//     token; it is an error wrapping [idconnect.ErrProviderUnavailable].
//     Response headers are capped at 64 KiB, bodies at MaxResponseBytes.
//   - Subject: when the token's sub is a UIN/FIN, the person's uinfin must
//     equal it (and be present when uinfin was asked for), else
//     [idconnect.ErrSubjectMismatch]. A UUID sub has nothing to compare with.
//   - Access-token claims: exp is required; client_id, when present, must be
//     ours; aud, when present, must name "myinfo" (what Myinfo sends) or our
//     client id; iss, when present, must end in
//     /consent/oauth2/consent/myinfo-com or -gov (its host is Singpass's
//     consent service, not the API host, so the host is not checked).
//     Failures wrap [idconnect.ErrTokenInvalid].
//   - Headers: a JWE or JWS whose protected header carries jwk, jku, x5u,
//     x5c or crit, repeats a name, or has a zip other than "NONE" is refused
//     before decryption or verification, so nothing is inflated and no key
//     but the configured ones is ever used.
//   - Plain http: a BaseURL may be http:// only on localhost, 127.0.0.1 or
//     ::1, unless AllowInsecureHTTP is set for an emulator (never with an
//     Environment).
package myinfo
