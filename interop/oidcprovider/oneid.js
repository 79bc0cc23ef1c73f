// The OneID profile of server.js (OP_PROFILE=oneid): oidc-provider
// configured as a stand-in for UK OneID's journey API, since no independent
// OneID implementation exists. What OneID documents (research
// oneid-and-peers.md §1, seed 002) and how this profile follows it:
//
//   authorization  GET /v2/authorize, response_type=code, query response
//                  mode; PKCE S256 required (OneID documents code_verifier
//                  "if using PKCE": requiring it is our choice); nonce
//                  optional and echoed in the ID token when sent; no PAR,
//                  no request objects
//   callback       code and state; no iss (OneID does not document RFC
//                  9207, so it is dropped from the callback and from
//                  discovery unless OP_CALLBACK_ISS=1); a refusal carries
//                  error=access_denied, error_description and
//                  error_oneid=OneID.OIDC.Redirect.UserCancelled
//   token          POST /token, client_secret_basic only, no DPoP; answer
//                  access_token (opaque, Bearer, expires_in 300), id_token,
//                  scope; no refresh token
//   ID token       a plain JWS signed PS256 (the provider's JWKS at /jwks
//                  holds one RSA 2048 key, alg PS256, new at every start),
//                  iss = the issuer (no trailing slash), aud = client_id
//   userinfo       GET /userinfo with the Bearer token: plain JSON, OneID's
//                  claims for the granted scopes (below)
//   resources      GET /ageverification → {"age_over_18": bool} (one
//                  member per granted age_over_NN scope, if any); GET
//                  /accounts → the persona's accounts (the accounts scope is
//                  required, else 400; "balance" only with
//                  accounts.balances); GET /userinfo/report → a one-page
//                  application/pdf naming the persona. Each takes the Bearer
//                  token (else 401 invalid_token with WWW-Authenticate).
//                  The exact scope rules of /ageverification and the report
//                  are not public: here they need only a valid token.
//   every answer   carries an x-request-id header (a UUID), as OneID's do
//
// Scopes and the claims they release (OneID's scopes page and older OIDC
// services page): openid → sub; profile → name, given_name, family_name;
// date_of_birth → birthdate; address → address; email → email; phone →
// phone_number; age_over_18 → age_over_18 (computed from birthdate when the
// persona does not set it; so for an age_over_NN scope added by OP_SCOPES);
// fraud → fraud; idscan → idscan. unverified_claims
// (user-provided data, not verified by OneID) comes with any of profile,
// date_of_birth, address, email, phone, holding only the claims those
// scopes release. Plain scopes (no userinfo claims): accounts,
// accounts.balances, accounts.bank_address, pep_and_sanctions, dbs, rtw,
// and product scopes product:<name> (a guess from third-party RPs and
// brokers; OneID's docs mention a product-to-scope mapping without listing
// it) for age_check, age_verification, age_assure, sign_in,
// sign_in_refresh, sign_up, sign_up_plus, id_live, id_check, id_proof,
// id_assure and id_scan; OP_SCOPES adds more.
//
// Personas: without OP_PERSONS, one, "janet": seed 002's Janet Davidson
// (sub 6f35afb8-42ee-5b82-88be-29ee7dc0f762) with the seed's /userinfo
// claims and account. OP_PERSONS replaces it. persona=<key> on
// /v2/authorize picks a persona (else OP_DEFAULT_PERSONA, else the first
// of OP_PERSONS) and consent=deny refuses (remembered in cookies scoped to
// /interaction).
//
// Environment (one static client; OP_PORT as in server.js):
//   OP_CLIENT_ID        client_id (required)
//   OP_CLIENT_SECRET    client_secret (required)
//   OP_REDIRECT_URIS    registered redirect URIs, comma-separated (required)
//   OP_PERSONS          personas, instead of the built-in Janet: a JSON
//                       object, key ([A-Za-z0-9_-]{1,64}) →
//                       the persona's /userinfo claims as OneID names them
//                       (sub, name, given_name, family_name, email,
//                       birthdate, phone_number, address{…}, fraud{…},
//                       unverified_claims{claims{…}}, age_over_18, …); a
//                       persona without a sub gets a UUID made from the
//                       SHA-256 of its key
//   OP_ACCOUNTS         the personas' /accounts answers (with OP_PERSONS): a
//                       JSON object, key → array of accounts (each may have
//                       a "balance"); a persona without one has none
//   OP_DEFAULT_PERSONA  the persona logged in without persona= (default:
//                       OP_PERSONS's first)
//   OP_SCOPES           extra plain scopes, comma- or space-separated
//   OP_CALLBACK_ISS     "1": keep iss on the callback and
//                       authorization_response_iss_parameter_supported in
//                       discovery (oidc-provider's default)
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

import {
  die, listen, logErrors, nonInteractiveLogin, privateJWK, serve,
} from './common.js';

const env = process.env;
const clientId = env.OP_CLIENT_ID || die('OP_CLIENT_ID is required');
const clientSecret = env.OP_CLIENT_SECRET || die('OP_CLIENT_SECRET is required with OP_PROFILE=oneid');
const redirectUris = (env.OP_REDIRECT_URIS || die('OP_REDIRECT_URIS is required'))
  .split(',').map((s) => s.trim()).filter(Boolean);
if (env.OP_CLIENT_JWKS || env.OP_CLIENT_JWKS_URI) die('OP_PROFILE=oneid authenticates clients by secret: unset OP_CLIENT_JWKS and OP_CLIENT_JWKS_URI');
const callbackISS = env.OP_CALLBACK_ISS === '1';

const USERINFO_PATH = '/userinfo';
const AUTH_PATH = '/v2/authorize';

// Seed 002's /userinfo example and /accounts example (with balance).
const JANET = {
  sub: '6f35afb8-42ee-5b82-88be-29ee7dc0f762',
  name: 'Janet Davidson',
  given_name: 'Janet',
  family_name: 'Davidson',
  email: 'janet.davidson@example.com',
  birthdate: '1985-06-01',
  phone_number: '0480863009',
  address: {
    street_address: '3614 Poe Road', locality: 'Heworth', region: 'York', postal_code: 'YO31 1EB', country: 'UK',
  },
  fraud: {
    searchPerformed: true,
    activityHistoryScore: 0,
    identityFraudScore: 0,
    nationalSIRAFraud: true,
    nationalSIRAVictim: false,
    disclosureOfDeathRegistrationInformationMatch: false,
    amberhillMatch: false,
    noMatch: false,
  },
  unverified_claims: {
    claims: {
      birthdate: '1990-02-01',
      name: 'Mary Smith',
      given_name: 'Mary',
      family_name: 'Smith',
      address: {
        street_address: '80 Green Lane', locality: 'Darlington', region: 'North East', postal_code: 'DL17 5OQ', country: 'UK',
      },
    },
  },
};
const JANET_ACCOUNTS = [{
  currency: 'GBP',
  account_type: 'Personal',
  account_sub_type: 'CurrentAccount',
  nickname: 'Personal',
  iban: 'GB98MIDL07009312345678',
  bic: 'AAAABBCC123',
  account_number: '01234567',
  sort_code: '012345',
  balance: { amount: '123.45', currency: 'GBP' },
}];
const BUILTIN_PERSONA = 'janet';

// Scope → the /userinfo claims it releases; unverified_claims' inner
// claims are filtered by UNVERIFIED_BY_SCOPE.
const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'unverified_claims'],
  date_of_birth: ['birthdate', 'unverified_claims'],
  address: ['address', 'unverified_claims'],
  email: ['email', 'unverified_claims'],
  phone: ['phone_number', 'unverified_claims'],
  age_over_18: ['age_over_18'],
  fraud: ['fraud'],
  idscan: ['idscan'],
};
const UNVERIFIED_BY_SCOPE = {
  profile: ['name', 'given_name', 'family_name'],
  date_of_birth: ['birthdate'],
  address: ['address'],
  email: ['email'],
  phone: ['phone_number'],
};
const PRODUCTS = ['age_check', 'age_verification', 'age_assure', 'sign_in', 'sign_in_refresh', 'sign_up',
  'sign_up_plus', 'id_live', 'id_check', 'id_proof', 'id_assure', 'id_scan'];
const extraScopes = String(env.OP_SCOPES || '').split(/[\s,]+/).filter(Boolean);
for (const s of extraScopes) {
  if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(s)) die(`OP_SCOPES: ${JSON.stringify(s)} is not a scope token`);
}
// age_over_NN scopes beyond age_over_18 (OP_SCOPES) release their claim
// like age_over_18 does.
const AGE_SCOPE = /^age_over_([0-9]{1,3})$/;
for (const s of extraScopes) if (AGE_SCOPE.test(s)) SCOPE_CLAIMS[s] = [s];
const PLAIN_SCOPES = [...new Set(['accounts', 'accounts.balances', 'accounts.bank_address', 'pep_and_sanctions',
  'dbs', 'rtw', ...PRODUCTS.map((p) => `product:${p}`), ...extraScopes])].filter((s) => !SCOPE_CLAIMS[s]);

function parseObject(name) {
  if (!env[name]) return {};
  let v;
  try {
    v = JSON.parse(env[name]);
  } catch (err) {
    die(`${name} is not JSON: ${err.message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) die(`${name} must be a JSON object`);
  return v;
}

// OP_PERSONS, when set, replaces the built-in Janet.
const persons = env.OP_PERSONS ? parseObject('OP_PERSONS') : { [BUILTIN_PERSONA]: JANET };
const accountLists = env.OP_PERSONS ? parseObject('OP_ACCOUNTS') : { [BUILTIN_PERSONA]: JANET_ACCOUNTS };
const ACCOUNTS = {}; // persona key → { sub, claims, accounts }
for (const [key, claims] of Object.entries(persons)) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(key) || !claims || typeof claims !== 'object' || Array.isArray(claims)) {
    die(`OP_PERSONS: bad entry ${JSON.stringify(key)}`);
  }
  let { sub } = claims;
  if (sub === undefined) {
    const h = createHash('sha256').update(key).digest('hex');
    sub = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  } else if (typeof sub !== 'string' || !sub) die(`OP_PERSONS: ${key}'s sub is not a string`);
  ACCOUNTS[key] = { sub, claims: { ...claims, sub }, accounts: [] };
}
for (const [key, list] of Object.entries(accountLists)) {
  if (!ACCOUNTS[key]) die(`OP_ACCOUNTS: ${JSON.stringify(key)} is not a persona`);
  if (!Array.isArray(list) || list.some((a) => !a || typeof a !== 'object' || Array.isArray(a))) {
    die(`OP_ACCOUNTS: ${key}'s accounts are not an array of objects`);
  }
  ACCOUNTS[key].accounts = list;
}
const defaultPersona = env.OP_DEFAULT_PERSONA || Object.keys(ACCOUNTS)[0];
if (!ACCOUNTS[defaultPersona]) die(`OP_DEFAULT_PERSONA: ${JSON.stringify(defaultPersona)} is not a persona`);
const bySub = {};
for (const [key, acct] of Object.entries(ACCOUNTS)) {
  if (bySub[acct.sub]) die(`OP_PERSONS: ${key} has the sub of another persona`);
  bySub[acct.sub] = acct;
}

// ageOver tells whether a person born on birthdate (YYYY-MM-DD) is at
// least years old today (UTC); undefined when birthdate is not a date.
function ageOver(birthdate, years) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(birthdate));
  if (!m) return undefined;
  const now = new Date();
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < mo || (now.getUTCMonth() + 1 === mo && now.getUTCDate() < d)) age -= 1;
  return age >= years;
}

// ageClaim is a persona's age_over_NN: as given, else from its birthdate.
function ageClaim(claims, name) {
  const m = AGE_SCOPE.exec(name);
  if (typeof claims[name] === 'boolean') return claims[name];
  return m ? ageOver(claims.birthdate, Number(m[1])) : undefined;
}

// userinfoClaims is a persona's claims for the granted scopes (as a set);
// oidc-provider then keeps only the claims those scopes release.
function userinfoClaims(acct, granted) {
  const out = { ...acct.claims };
  for (const [scope] of Object.entries(SCOPE_CLAIMS).filter(([k]) => AGE_SCOPE.test(k))) {
    const over = ageClaim(acct.claims, scope);
    if (over === undefined) delete out[scope];
    else out[scope] = over;
  }
  const inner = acct.claims.unverified_claims?.claims;
  if (inner && typeof inner === 'object') {
    const keep = {};
    for (const [scope, names] of Object.entries(UNVERIFIED_BY_SCOPE)) {
      if (!granted.has(scope)) continue;
      for (const n of names) if (inner[n] !== undefined) keep[n] = inner[n];
    }
    if (Object.keys(keep).length) out.unverified_claims = { ...acct.claims.unverified_claims, claims: keep };
    else delete out.unverified_claims;
  }
  return out;
}

// The provider's PS256 signing key, new at every start.
const opKey = privateJWK('rsa', { modulusLength: 2048 });
Object.assign(opKey, { kid: `op-sig-${randomBytes(6).toString('hex')}`, alg: 'PS256', use: 'sig' });

const client = {
  client_id: clientId,
  client_secret: clientSecret,
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'PS256',
};

const { server, issuer } = await listen(env.OP_PORT);

const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [opKey] },
  responseTypes: ['code'],
  scopes: [...Object.keys(SCOPE_CLAIMS), ...PLAIN_SCOPES],
  claims: SCOPE_CLAIMS,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clientAuthMethods: ['client_secret_basic'],
  pkce: { required: () => true },
  routes: { authorization: AUTH_PATH, token: '/token', userinfo: USERINFO_PATH, jwks: '/jwks' },
  features: {
    devInteractions: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    dPoP: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    userinfo: { enabled: true },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['PS256'],
  },
  ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(ctx, sub) {
    const acct = bySub[sub];
    if (!acct) return undefined;
    return {
      accountId: sub,
      async claims(use, scope) {
        return userinfoClaims(acct, new Set(String(scope || '').split(' ')));
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

logErrors(provider);

// x-request-id on every answer.
provider.use(async (ctx, next) => {
  ctx.set('x-request-id', randomUUID());
  return next();
});

// The callback as OneID sends it: no iss (unless OP_CALLBACK_ISS=1), and a
// refusal names OneID's reason in error_oneid. Discovery then does not
// claim RFC 9207 support either.
const redirectBases = new Set(redirectUris.map((u) => u.split('?')[0]));
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object' && !callbackISS) {
    delete ctx.body.authorization_response_iss_parameter_supported;
    return;
  }
  const loc = ctx.response.get('location');
  if (ctx.status < 300 || ctx.status > 399 || !loc || !redirectBases.has(loc.split('?')[0])) return;
  let u;
  try {
    u = new URL(loc);
  } catch {
    return;
  }
  if (!callbackISS) u.searchParams.delete('iss');
  if (u.searchParams.get('error') === 'access_denied' && !u.searchParams.has('error_oneid')) {
    u.searchParams.set('error_oneid', 'OneID.OIDC.Redirect.UserCancelled');
  }
  ctx.redirect(u.href);
});

// The resource endpoints beyond /userinfo, with the Bearer access token.
function pdfReport(acct) {
  const text = `OneID report: ${acct.claims.name ?? acct.sub}`.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, '\\$&');
  const content = `BT /F1 12 Tf 72 770 Td (${text}) Tj ET\n`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) pdf += `${String(off).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

const RESOURCES = new Set(['/ageverification', '/accounts', `${USERINFO_PATH}/report`]);
provider.use(async (ctx, next) => {
  if (!RESOURCES.has(ctx.path)) return next();
  ctx.set('Cache-Control', 'no-store');
  if (ctx.method !== 'GET') {
    ctx.status = 405;
    ctx.set('Allow', 'GET');
    ctx.body = { error: 'invalid_request', error_description: `${ctx.path} takes GET` };
    return undefined;
  }
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(ctx.get('authorization') || '');
  const at = m ? await provider.AccessToken.find(m[1]) : undefined;
  const acct = at && !at.isExpired && at.clientId === clientId ? bySub[at.accountId] : undefined;
  if (!acct) {
    const desc = m ? 'the access token is unknown, expired or revoked' : 'send the access token as Authorization: Bearer <token>';
    ctx.status = 401;
    ctx.set('WWW-Authenticate', `Bearer realm="${issuer}", error="invalid_token", error_description="${desc}"`);
    ctx.body = { error: 'invalid_token', error_description: desc };
    process.stderr.write(`resource.error: ${ctx.path}: invalid_token (${desc})\n`);
    return undefined;
  }
  const scopes = new Set(String(at.scope || '').split(' '));
  switch (ctx.path) {
    case '/ageverification': {
      // One member per granted age_over_NN scope; age_over_18 (the
      // seed's answer) when none was granted.
      const names = [...scopes].filter((x) => AGE_SCOPE.test(x));
      const body = {};
      for (const n of names.length ? names : ['age_over_18']) body[n] = ageClaim(acct.claims, n);
      if (Object.values(body).includes(undefined)) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'the persona has no birthdate or age_over_NN' };
        return undefined;
      }
      ctx.body = body;
      return undefined;
    }
    case '/accounts':
      if (!scopes.has('accounts')) {
        ctx.status = 400;
        ctx.body = { error: 'insufficient_scope', error_description: 'the accounts scope was not granted' };
        process.stderr.write('resource.error: /accounts: insufficient_scope (accounts not granted)\n');
        return undefined;
      }
      ctx.body = acct.accounts.map((a) => {
        if (scopes.has('accounts.balances')) return a;
        const { balance, ...rest } = a;
        return rest;
      });
      return undefined;
    default:
      ctx.type = 'application/pdf';
      ctx.body = pdfReport(acct);
      return undefined;
  }
});

nonInteractiveLogin(provider, { authPath: AUTH_PATH, accounts: ACCOUNTS, defaultPersona });

await serve(server, provider, issuer, clientId);
