// Package oneid emulates the provider side of OneID (UK), the bank-based
// identity service, with real cryptography, for offline development and
// tests. Importers usually alias it (oneidemu), since the relying party
// lives in provider/oneid. The facts it follows are in seed 002 (the data
// API) and the project's research note oneid-and-peers.md §1 ("§n" below).
//
// A [Server] is an [net/http.Handler] serving, below [Config.Issuer]:
//
//	GET  /.well-known/openid-configuration  discovery
//	GET  /.well-known/jwks.json             the JWKS: one RSA key, alg PS256, use sig, kid = RFC 7638 thumbprint
//	GET  /v2/authorize                      the bank's login page, the consent page, then 302 to redirect_uri
//	POST /v2/authorize/login, …/consent     the pages' forms (internal)
//	POST /token                             client_secret_basic; code → {access_token, token_type Bearer, expires_in 300, scope, id_token}
//	GET  /userinfo                          Bearer; scope openid
//	GET  /ageverification                   Bearer; scope age_over_18 → {"age_over_18": bool}
//	GET  /accounts                          Bearer; scope accounts (balance per account only with accounts.balances)
//	GET  /userinfo/report                   Bearer; scope openid → application/pdf ([Config.ReportPath])
//
// Mount it at the issuer's path with [net/http.StripPrefix]:
//
//	ps, _ := personas.OneID()
//	emu, err := oneidemu.New(oneidemu.Config{Issuer: "http://localhost:3001/emulator/oneid", Personas: ps,
//		Clients: []oneidemu.Client{{ID: "shop", Secret: "…", RedirectURIs: []string{"http://localhost:3001/callback/oneid"}}}})
//	mux.Handle("/emulator/oneid/", http.StripPrefix("/emulator/oneid", emu))
//
// For scripts, the authorization URL takes extra parameters: persona=<ID>
// (an ID of [personas.OneID], such as janet-davidson) logs that person in,
// consent=allow|deny answers the consent page, and oneid_error=<sub-code>
// ends the journey at once with that sub-code (below). Without them the
// pages work with a keyboard alone (native buttons in forms).
//
// # Faithful to OneID
//
//   - The authorization endpoint is /v2/authorize (§1.3). It needs
//     client_id and a redirect_uri registered for it (compared exactly);
//     without them it shows an error page and never redirects. Then it
//     needs response_type=code (else unsupported_response_type) and a
//     space-separated scope of OneID's scopes (§1.3: openid, profile,
//     date_of_birth, address, email, phone, age_over_18, accounts,
//     accounts.balances, accounts.bank_address, fraud, pep_and_sanctions,
//     idscan, dbs, rtw) or product:<name> scopes; an unknown scope, or
//     one outside [Client.Scopes], is invalid_scope. state and nonce are
//     optional and echoed. PKCE is optional, as OneID documents it; a
//     code_challenge must be S256.
//   - The callback carries code and state; errors carry error,
//     error_description, state and, with access_denied, the sub-code in
//     error_oneid (OneID's error pages) or oneid_error (its integration
//     overview; [Config.SubCodeParam]). Sub-codes are full strings such
//     as OneID.OIDC.Redirect.UserCancelled. Deny on the consent page and
//     Cancel on the login page give UserCancelled; a page submitted more
//     than 30 minutes after the authorization request gives
//     SessionExpired ("Sessions expire 30 minutes after creation").
//   - The token endpoint authenticates the client with HTTP Basic only
//     (client_secret_basic, §1.4): client_id and client_secret, each as
//     sent or form-decoded (RFC 6749 §2.3.1), the secret compared in
//     constant time. Credentials in the body are refused with a message
//     saying so. Codes live 60 s and are single use; a code presented by
//     an authenticated client is burnt whatever the outcome. redirect_uri
//     is optional (OneID's examples leave it out) and, if sent, must equal
//     the authorization request's. A code_challenge sent at authorize
//     needs its code_verifier.
//   - The token answer is {"access_token" (opaque, a UUID as in OneID's
//     example), "token_type":"Bearer", "expires_in":300, "scope",
//     "id_token"} with no refresh token. The ID token (only when openid
//     was granted) is a PS256 JWS with typ JWT and kid, holding iss, aud
//     (the client_id), sub (the persona's userinfo sub), iat, exp (300 s)
//     and nonce when the authorization request had one.
//   - The resources take Authorization: Bearer. /userinfo answers sub and
//     the claims of each granted scope (profile: name, given_name,
//     family_name; date_of_birth: birthdate; address; email; phone:
//     phone_number; fraud: fraud; age_over_18: age_over_18), and the
//     person's unverified_claims ({"claims":{…}}) restricted to the same
//     scopes, kept apart from the verified claims. /ageverification
//     answers the persona's document alone. /accounts answers the
//     persona's accounts; each account's "balance" only when
//     accounts.balances was granted.
//   - Every answer, errors and pages included, carries x-request-id (a
//     fresh UUID), as OneID's do (§1.4).
//
// # Guesses
//
// OneID does not document these publicly; the emulator's choices are
// plausible, not known:
//   - The discovery document (§1.5: its existence is inferred from
//     clients): the fields and values above, jwks_uri at
//     /.well-known/jwks.json, and age_verification_endpoint (a field
//     OneID's own WordPress plugin hard-codes). It does not claim
//     authorization_response_iss_parameter_supported, and the callback
//     carries no iss: OneID is not known to send it.
//   - The report: its path ([Config.ReportPath], default
//     /userinfo/report from seed 002), the scope it needs (openid here),
//     and its content: a PDF made with fpdf of the granted claims, the
//     unverified ones under their own heading, and a banner saying it is
//     test data.
//   - Product scopes (product:age_check, §1.3): accepted, shown on the
//     consent page, granting nothing; whether OneID requires exactly one
//     is unknown.
//   - Which scope each resource needs (openid for /userinfo and the
//     report, age_over_18 for /ageverification, accounts for /accounts),
//     the errors (RFC 6750: 401 invalid_token, 403 insufficient_scope
//     with a WWW-Authenticate Bearer challenge naming the scope), and the
//     token endpoint's error bodies ({"error","error_description"}).
//   - The code lifetime (60 s) and the ID token's (300 s); that a token
//     request without a challenge and with a code_verifier is refused;
//     that age_over_18 in /userinfo comes with its scope.
//   - Every sub-code comes with error=access_denied (§1.7 lists them with
//     it); the error_description texts are the emulator's.
//   - accounts.balances without accounts grants nothing and is not
//     refused.
//
// # Strictness
//
// The emulator is never stricter than OneID is known to be; switches make
// it so, off by default: [Config.RequirePKCE] refuses an authorization
// request without a code_challenge, and [Config.RequireTokenRedirectURI]
// a token request without redirect_uri. Redirect URIs must be https, or
// http on localhost or a loopback IP (more lenient than the Console, for
// local development).
//
// # Faults
//
// [Server.Faults] returns switches that make the emulator misbehave for a
// relying party's negative tests: down (503, or a temporarily_unavailable
// redirect), slow, an ID token signed by a foreign key under the real kid,
// signed RS256 while the JWKS says PS256, expired, or with the wrong
// nonce; balances sent without accounts.balances; a report that is not a
// PDF (HTML labelled application/pdf); a report of a given size (such as
// [DefaultOversizeReport], 20 MiB) streamed without Content-Length; and a
// sub-code every authorization request ends with
// ([Faults.SetAuthorizeError]; oneid_error= does it for one request).
// They are safe to flip between two requests of one login.
//
// # Safety
//
// Request bodies are capped at [MaxBodyBytes], queries at [MaxQueryBytes],
// codes and tokens at [MaxTokenBytes]. Journeys, codes and access tokens
// are bounded lists that drop the oldest entry when full, so a flood never
// refuses the next login. The emulator logs nothing unless
// [Config.Logger] is set, and then only the method, route pattern, status
// and duration. Pages are html/template with a banner saying this is an
// emulator, and a strict Content-Security-Policy.
//
// The emulator imports nothing of the relying party (the root package,
// provider/*, internal/*): only emulator/personas, emulator/internal/fifo,
// go-jose, fpdf and the standard library, so the two sides share no
// verification code.
package oneid
