// Package myinfo emulates the provider side of Singpass Myinfo v3, with real
// cryptography, for offline development and tests. Importers usually alias
// it (myinfoemu), since the relying party lives in provider/myinfo.
//
// A [Server] is an [net/http.Handler] serving, relative to its root:
//
//	GET  /com/v3/authorise            login page, consent page, then 302 to redirect_uri
//	POST /com/v3/token                authorisation code → access token (JSON)
//	GET  /com/v3/person/{sub}[/]      person data: JWE(RSA-OAEP, A256GCM) around JWS(RS256)
//	POST /com/v3/authorise/login      the login page's form (internal)
//	POST /com/v3/authorise/consent    the consent page's form (internal)
//
// and the same under /gov/v3/ for government clients, whose person requests
// must carry sp_esvcId. Mount it under a prefix with [net/http.StripPrefix]
// and set [Config.PublicURL] to the URL clients use:
//
//	emu, err := myinfoemu.New(myinfoemu.Config{…, PublicURL: "http://localhost:3001/emulator/myinfo"})
//	mux.Handle("/emulator/myinfo/", http.StripPrefix("/emulator/myinfo", emu))
//
// For scripts, the authorise URL takes two extra parameters that skip the
// pages: persona=<UINFIN> logs that persona in, and consent=allow|deny
// answers the consent page.
//
// # Faithful to Myinfo
//
// These behaviours follow the Myinfo v3 specification (API specification
// v3.2, the error-code page) or what the official connectors show the real
// service does:
//   - Authorise parameters client_id, attributes, purpose, state,
//     redirect_uri (required); authmode, login_type, appLaunchURL,
//     response_type=code, sp_esvcId (optional, accepted). Success redirects
//     to redirect_uri?code=…&state=…; denial to
//     redirect_uri?state=…&error=access_denied&error-description=Resource%20Owner%20did%20not%20authorize%20the%20request.
//   - Token: form body grant_type, code, redirect_uri, client_id,
//     client_secret, optional state (the authorise request's; see Guesses);
//     answer
//     {"access_token","token_type":"Bearer","expires_in":1800,"scope"}.
//     The access token is an RS256 JWT with header
//     {"alg":"RS256","typ":"JWT","zip":"NONE","kid":…} and the real token's
//     claims (sub, scope as an array, aud "myinfo", iss, realm, iat, nbf,
//     exp, expires_in, jti, client_id, auth_level, auditTrackingId,
//     authGrantId, tokenName, token_type, grant_type, auth_time).
//   - PKI_SIGN: Authorization: PKI_SIGN timestamp,nonce,app_id,
//     signature_method="RS256",signature (any field order); base string
//     METHOD&URL&params sorted by key with raw values, where params are all
//     query and form parameters plus app_id, nonce, signature_method and
//     timestamp; RSASSA-PKCS1-v1_5 SHA-256, standard base64. The person API
//     takes "PKI_SIGN …,Bearer <token>". The URL is the one the client
//     called, trailing slash included, with no default port: Myinfo lives
//     at https://test.api.myinfo.gov.sg, so [Config.PublicURL] and the
//     token's iss drop an explicit :443 (https) or :80 (http).
//   - Errors are JSON {"code","message","fields"} with the documented
//     statuses: 400 for a missing, invalid, expired or reused code; 401 for
//     a missing or bad security header, wrong app_id, bad secret,
//     unsynchronised timestamp, repeated nonce, bad signature, a sub other
//     than the logged-in person, or attributes beyond the consent
//     ({"code":401,"message":"Disallowed","fields":"<attr>"}); 403 for an
//     incorrect API URL; 404 for an unknown person; 503 under maintenance.
//   - The person answer holds only the requested attributes the person has;
//     it is a JWS (header alg and kid, kid = RFC 7638 thumbprint, no
//     iat/exp claims) inside a compact JWE {"alg":"RSA-OAEP","enc":"A256GCM",
//     "kid"} whose plaintext is the JWS as a JSON string, in quotes, with
//     Content-Type application/jose.
//   - Sandbox ([Config.Sandbox]): no PKI_SIGN, "Bearer <token>" only, plain
//     JSON person answer; access tokens are still signed.
//
// # Guesses
//
// Myinfo does not document these; the emulator's choices are plausible, not
// known:
//   - Error messages, and the fields value, are ours (the codes are not).
//   - Authorisation codes live 5 minutes ([DefaultCodeTTL]) and a failed
//     exchange burns the code; tokens live 1800 s as documented.
//   - Authorise problems other than the redirect (unknown attribute, missing
//     purpose or state) show an error page instead of redirecting; Myinfo's
//     behaviour there is undocumented. An unregistered redirect_uri always
//     gets an error page, never a redirect. Under maintenance authorise
//     redirects with error=503, as the specification lists.
//   - Timestamps are accepted within ±5 minutes ([ClockSkew]); nonces are
//     remembered for 10 minutes.
//   - A repeated parameter is refused with 400; the person API without
//     attributes is a 400; gov person without sp_esvcId is a 403 ("digital
//     service not registered"); any sp_esvcId value is accepted.
//   - The JWE kid is the RFC 7638 thumbprint of the encryption key (real
//     Myinfo puts a name of the client's certificate there); the token's
//     iss is PublicURL + /consent/oauth2/consent/myinfo-{com,gov}; auth_time
//     is in milliseconds (as tokens seen in the wild), the other times in
//     seconds.
//   - The code is bound to the authorise request's state: a token request
//     whose state differs is refused with 400, fields "state" (and burns
//     the code), so a stolen code redeemed in the thief's own session
//     fails. The v3 token API takes state, but Myinfo does not document
//     comparing it. No state, an empty one (the .NET connector without a
//     state) or "null" (the Java connector with a null state) counts as not
//     given and is accepted, as the seed sends none.
//   - A PKI_SIGN signature over the URL with its default port spelt out
//     (https://host:443/…) is accepted as well as one over the URL without
//     it, since a client configured either way reaches the same place;
//     whether the real gateway accepts the :443 form is unknown, and the
//     emulator is never stricter than Myinfo. A 401 for a bad signature
//     names the URL prefix the base string must start with.
//
// # Differences from MockPass
//
// MockPass 4.3.4 is another Myinfo v3 emulator; where it departs from Myinfo
// this package follows Myinfo:
//   - The JWE plaintext is the JWS in quotes (MockPass: bare; see
//     [Config.BareJWS] to reproduce it), the JWS and JWE carry a kid, and
//     the person answer is application/jose (MockPass: text/html).
//   - PKI_SIGN is always checked outside the sandbox, including the
//     timestamp window and nonce reuse, app_id and the client secret
//     (MockPass: only when configured, never timestamp or nonce); ", "
//     separators are accepted (MockPass: 500).
//   - Codes are single use, expire and are bound to state; redirect_uri is
//     checked at authorise and token (MockPass: none of these).
//   - Bad or expired tokens and unknown codes get 4xx JSON (MockPass: 500
//     HTML), and signature errors never echo the base string, which holds
//     the client secret (MockPass echoes it).
//
// # Safety
//
// Request bodies are capped at [MaxBodyBytes] and queries at
// [MaxQueryBytes]; pending pages, codes and nonces are bounded. Bounded
// never means locked out: when 10,000 login or consent pages are pending,
// or 10,000 codes live, the oldest is dropped to make room, so a crawler or
// a flood of GET /authorise never refuses the next person. The flood can
// only push out a page or code older than its last 10,000 requests (that
// person starts again). Server-side pages were kept, rather than sealing
// the page state into the form, because they keep consent single use
// without a second bounded list. Nonces are remembered only for requests
// with a valid client signature, so only the client can fill that list;
// when full it answers 503 rather than forget a nonce and allow a replay.
// The emulator
// logs nothing unless [Config.Logger] is set, and then only the method,
// route pattern and status. Pages are html/template, with a banner saying
// this is an emulator.
package myinfo
