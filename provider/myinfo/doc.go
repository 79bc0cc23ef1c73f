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
package myinfo
