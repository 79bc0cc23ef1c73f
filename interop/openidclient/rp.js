// An independent FAPI 2.0 relying party for idconnect's interoperability
// tests, built on openid-client 6.8.9 (panva, pinned by package-lock.json).
// One login, headless:
//
//   discovery → PAR (private_key_jwt ES256 + DPoP + PKCE S256, state, nonce)
//   → GET authorization_endpoint?client_id&request_uri&persona&consent,
//     following redirects within the provider with a cookie jar (an
//     interaction such as oidc-provider's non-interactive login is walked
//     the same way) until the redirect to redirect_uri
//   → callback checks (state, iss) → token (DPoP) → ID token: JWE decrypted
//     with our enc key, inner JWS verified against jwks_uri, claims checked
//   → userinfo (DPoP; JWE → JWS, verified; unless RP_USERINFO=0) → prints one JSON line on stdout:
//     {"sub": …, "id_token_claims": {…}, "userinfo": {…}}
//
// Any failure: a message on stderr starting "rp.js: " and exit status 1
// (2 for bad settings).
//
// Settings, from the environment or as --name=value arguments (arguments
// win; the argument name is the variable name without RP_, lower case,
// e.g. --issuer=…):
//   RP_ISSUER          issuer URL; discovery is {issuer}/.well-known/openid-configuration
//   RP_CLIENT_ID       client_id
//   RP_REDIRECT_URI    redirect_uri (never fetched: the flow stops at the redirect)
//   RP_JWKS_FILE       private JWK set (JSON): one ES256 key (use "sig" or alg
//                      ES256; its kid goes in the assertion header) and one P-256
//                      key with alg ECDH-ES+A256KW (use "enc")
//   RP_SCOPE           scopes (default "openid")
//   RP_PERSONA         persona query shortcut (default S6005048A; "" sends none)
//   RP_CONSENT         consent query shortcut (default allow; "" sends none)
//   RP_ASSERTION_TYP   typ header of the client assertion (default: none, as
//                      openid-client; Singpass's FormSG sets "JWT")
//   RP_REQUIRE_ISS     "1": the callback must carry iss even if discovery does
//                      not advertise authorization_response_iss_parameter_supported
//   RP_ENCS            allowed JWE enc values (default "A256GCM,A256CBC-HS512")
//   RP_TIMEOUT_MS      overall time limit (default 20000)
//   RP_USERINFO        "0": no userinfo call (a Singpass Login app reads the ID
//                      token only); the output's userinfo is then null
//   RP_PAR_PARAMS      extra PAR parameters, URL-encoded (e.g.
//                      authentication_context_type=APP_AUTHENTICATION_DEFAULT)
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';

const MAX_REDIRECTS = 10;

function settings() {
  const s = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('RP_')) s[k.slice(3).toLowerCase()] = v;
  }
  for (const arg of process.argv.slice(2)) {
    const m = /^--([a-z_]+)=(.*)$/s.exec(arg);
    if (!m) usage(`unexpected argument ${JSON.stringify(arg)}`);
    s[m[1]] = m[2];
  }
  for (const k of ['issuer', 'client_id', 'redirect_uri', 'jwks_file']) {
    if (!s[k]) usage(`RP_${k.toUpperCase()} (or --${k}=) is required`);
  }
  return {
    issuer: s.issuer,
    clientId: s.client_id,
    redirectUri: s.redirect_uri,
    jwksFile: s.jwks_file,
    scope: s.scope || 'openid',
    persona: s.persona ?? 'S6005048A',
    consent: s.consent ?? 'allow',
    assertionTyp: s.assertion_typ || '',
    requireIss: s.require_iss === '1',
    encs: (s.encs || 'A256GCM,A256CBC-HS512').split(',').map((e) => e.trim()).filter(Boolean),
    timeoutMs: Number(s.timeout_ms || 20000),
    userinfo: s.userinfo !== '0',
    parParams: new URLSearchParams(s.par_params || ''),
  };
}

function usage(msg) {
  process.stderr.write(`rp.js: ${msg}\n`);
  process.exit(2);
}

class Failure extends Error {}

async function loadKeys(file) {
  let jwks;
  try {
    jwks = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`reading the JWK set ${file}: ${err.message}`);
  }
  const keys = Array.isArray(jwks.keys) ? jwks.keys : [];
  const isEC = (k) => k.kty === 'EC' && k.crv === 'P-256' && k.d;
  const sig = keys.find((k) => isEC(k) && (k.use === 'sig' || k.alg === 'ES256'));
  const enc = keys.find((k) => isEC(k) && (k.use === 'enc' || k.alg === 'ECDH-ES+A256KW'));
  if (!sig || !enc) usage(`${file} needs a private P-256 signing key (use sig / alg ES256) and a private P-256 encryption key (use enc / alg ECDH-ES+A256KW)`);
  const strip = ({ kty, crv, x, y, d }) => ({ kty, crv, x, y, d });
  const sigKey = await crypto.subtle.importKey('jwk', strip(sig), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const encKey = await crypto.subtle.importKey('jwk', strip(enc), { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  return { sig: { key: sigKey, kid: sig.kid }, enc: { key: encKey, alg: 'ECDH-ES+A256KW', kid: enc.kid } };
}

// A minimal cookie jar for one origin: name → value, deleted when expired.
// Paths are ignored (sending a cookie to more paths than it was set for is
// harmless here).
function cookieJar() {
  const jar = new Map();
  return {
    store(headers) {
      for (const line of headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const expired = attrs.some((a) => {
          const [k, v = ''] = a.trim().split('=');
          if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
          if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
          return false;
        });
        if (expired || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    },
    header() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
  };
}

function sameTarget(a, b) {
  return a.origin === b.origin && a.pathname === b.pathname;
}

// Follows the authorization redirects within the provider's origin and
// returns the callback URL (the first redirect to redirect_uri).
async function browse(start, redirectUri, timeoutMs) {
  const jar = cookieJar();
  const origin = start.origin;
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (url.origin !== origin) throw new Failure(`authorization redirected to ${url.origin}, outside the provider ${origin} and not to the redirect_uri`);
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: jar.header(), accept: 'text/html' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    jar.store(res.headers);
    const loc = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || !loc) {
      const body = (await res.text()).slice(0, 300);
      throw new Failure(`authorization stopped at ${url.pathname} with HTTP ${res.status} and no redirect to the redirect_uri: ${body}`);
    }
    await res.arrayBuffer().catch(() => {});
    const next = new URL(loc, url);
    if (sameTarget(next, redirectUri)) return next;
    url = next;
  }
  throw new Failure(`more than ${MAX_REDIRECTS} redirects before the redirect_uri`);
}

async function main() {
  const s = settings();
  const timer = setTimeout(() => {
    process.stderr.write(`rp.js: no result within ${s.timeoutMs} ms\n`);
    process.exit(1);
  }, s.timeoutMs);
  timer.unref();
  const keys = await loadKeys(s.jwksFile);
  const issuer = new URL(s.issuer);
  const redirectUri = new URL(s.redirectUri);

  const auth = client.PrivateKeyJwt(keys.sig, s.assertionTyp
    ? { [client.modifyAssertion]: (header) => { header.typ = s.assertionTyp; } }
    : undefined);
  const metadata = {
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256', // Singpass's discovery may not say it
  };
  const requestOptions = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests], timeout: s.timeoutMs / 1000 } : { timeout: s.timeoutMs / 1000 };
  const config = await client.discovery(issuer, s.clientId, metadata, auth, requestOptions);
  const server = config.serverMetadata();
  for (const k of ['pushed_authorization_request_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    if (!server[k]) throw new Failure(`discovery has no ${k}`);
  }
  client.enableDecryptingResponses(config, s.encs, keys.enc);
  client.enableNonRepudiationChecks(config); // verify the inner JWS signatures
  const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = await client.buildAuthorizationUrlWithPAR(config, {
    ...Object.fromEntries(s.parParams),
    redirect_uri: s.redirectUri,
    scope: s.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }, { DPoP: dpop });
  // buildAuthorizationUrlWithPAR leaves client_id and request_uri only.
  if (s.persona) authURL.searchParams.set('persona', s.persona);
  if (s.consent) authURL.searchParams.set('consent', s.consent);

  const callback = await browse(authURL, redirectUri, s.timeoutMs);
  const err = callback.searchParams.get('error');
  if (err) throw new Failure(`the provider redirected with error=${err}: ${callback.searchParams.get('error_description') || ''}`);
  const iss = callback.searchParams.get('iss');
  if (iss !== null && iss !== server.issuer) throw new Failure(`callback iss ${JSON.stringify(iss)} is not the issuer ${server.issuer}`);
  if (iss === null && (s.requireIss || server.authorization_response_iss_parameter_supported)) {
    throw new Failure('callback has no iss parameter');
  }

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  }, undefined, { DPoP: dpop });
  if (String(tokens.token_type).toLowerCase() !== 'dpop') throw new Failure(`token_type ${tokens.token_type}, want DPoP`);
  const idTokenClaims = tokens.claims();
  const userinfo = s.userinfo ? await client.fetchUserInfo(config, tokens.access_token, idTokenClaims.sub, { DPoP: dpop }) : null;

  process.stdout.write(`${JSON.stringify({ sub: idTokenClaims.sub, id_token_claims: idTokenClaims, userinfo })}\n`);
}

try {
  await main();
  process.exit(0);
} catch (err) {
  let msg = err instanceof Failure ? err.message : `${err.name}${err.code ? ` ${err.code}` : ''}: ${err.message}`;
  if (err.error) msg += ` [error=${err.error}${err.error_description ? `: ${err.error_description}` : ''}]`;
  if (err.status) msg += ` [HTTP ${err.status}]`;
  for (let c = err.cause, i = 0; c && i < 5; c = c.cause, i++) {
    if (c instanceof Response) msg += ` <- HTTP ${c.status}`;
    else if (typeof c === 'object') msg += ` <- ${c.message || JSON.stringify(c).slice(0, 300)}`;
    else msg += ` <- ${c}`;
  }
  process.stderr.write(`rp.js: ${msg}\n`);
  process.exit(1);
}
