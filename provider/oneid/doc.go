// Package oneid is a relying party for OneID (UK), which returns identity
// data its users' banks have verified: an OpenID Connect code flow with
// client_secret_basic, PKCE and a PS256-signed ID token, then bearer
// resources.
//
// # Flow
//
// [Client.AuthURL] sends the browser to OneID's authorization endpoint
// (discovery's, else {issuer}/v2/authorize) with the login's state, nonce
// and a PKCE S256 challenge from its verifier, and the scopes, "openid"
// first. Scopes are a free list (product scopes such as "product:age_check"
// included); only documented dependencies are checked: accounts.balances
// and accounts.bank_address need accounts.
//
// [Client.Exchange] checks the callback's iss (RFC 9207) when present,
// and requires it when discovery advertises
// authorization_response_iss_parameter_supported. It redeems the code at
// the token endpoint with HTTP Basic client authentication (the client ID
// and secret form-urlencoded, RFC 6749 §2.3.1), redirect_uri and
// code_verifier; verifies the ID token's signature with OneID's published
// keys and checks iss, aud, azp, nonce, exp and iat on the client's
// clock. OneID's access token is opaque and lives about 300 s, so Exchange
// fetches every resource at once, each only when a scope that opens it was
// granted (the token answer's scope, limited to the scopes asked for; all
// scopes asked for when the answer has none):
//
//   - /userinfo (discovery's userinfo_endpoint) for profile,
//     date_of_birth, address, email, phone, fraud, pep_and_sanctions,
//     idscan, dbs or rtw; its sub must be the ID token's;
//   - /ageverification for an age_over_NN scope;
//   - /accounts for accounts, with balances only when accounts.balances
//     was granted: balances sent without it are dropped;
//   - the PDF report ({issuer}/userinfo/report, Config.ReportPath) when
//     Config.FetchReport is set. OneID does not document the report
//     publicly: the path comes from seed 002.
//
// # What a Result holds
//
// Subject is the ID token's sub. Raw is /userinfo's answer exactly as
// received (the fraud and unverified_claims members included), or {}
// when /userinfo was not called. Model is a *[Data]: the verified claims,
// the unverified claims, the fraud check, the age verification and the
// accounts, each typed and kept apart. Person is the normalised view
// ([Data.Person]): name, birth date, email, phone and address, each from
// the verified claims, marked with Provenance.Source [SourceVerified]; an
// unverified value appears only where no verified one exists, marked
// [SourceUnverified]. Documents holds the report, {Name: "report",
// ContentType: "application/pdf"}, when fetched: its Content-Type and
// %PDF- magic are checked, its size capped (Config.MaxReportBytes).
//
// Money is never a float: a balance's amount is the decimal string OneID
// sent (in pounds, not pence), with its ISO 4217 currency.
//
// # Algorithms
//
// The ID token's allowlist is pinned here, never taken from discovery:
// PS256 (what OneID uses), RS256 and ES256. A key whose JWK names an alg
// verifies that algorithm only, so an RS256 token is refused when OneID
// published its RSA key for PS256.
//
// # Errors
//
// Errors wrap the idconnect sentinels and never carry a URL, a token,
// personal data or a provider's free text. An error status becomes an
// *idconnect.ProviderError whose Code is the OAuth error and whose
// RequestID is the answer's x-request-id, which OneID support asks for;
// any other failure after OneID answered (a malformed answer, a report
// that is not a PDF) is a *[CallError] carrying it. [RequestID] reads
// either.
//
// OneID's error redirects carry a sub-code (error_oneid, or oneid_error
// on some of its pages) next to error. The client is an
// idconnect.CallbackErrorer: the Flow hands it the error callback, with
// the sub-code in Callback.Extra; [ParseError] reads a raw callback query
// the same way. UserCancelled and RequestDenied are
// idconnect.ErrConsentDenied, SessionExpired and SessionNotFound
// [ErrSessionExpired], SpamGuardBlocked [ErrSpamGuardBlocked], and any
// other sub-code (OneID adds them without notice) is kept in an *[Error]
// classified by its OAuth error.
package oneid
