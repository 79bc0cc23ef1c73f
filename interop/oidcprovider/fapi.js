// The FAPI profile of server.js (the default: OP_PROFILE unset or "fapi"),
// oidc-provider configured as a FAPI 2.0 OpenID Provider shaped like
// Singpass:
//
//   PAR required, PKCE S256 required, DPoP-bound access tokens required,
//   private_key_jwt ES256 (aud = issuer), ID token and userinfo signed ES256
//   and encrypted ECDH-ES+A256KW (enc A256CBC-HS512 for the ID token as
//   Singpass does, A256GCM for userinfo), callback with iss (RFC 9207), and a
//   non-interactive login: /interaction/<uid> logs in a fixed account and
//   consents at once, so a cookie-jar HTTP client can walk
//   /auth → 303 /interaction/<uid> → 303 /auth/<uid> → 303 redirect_uri.
//
// Environment (one static client; OP_PORT as in server.js):
//   OP_CLIENT_ID        client_id (required)
//   OP_REDIRECT_URIS    registered redirect URIs, comma-separated (required)
//   OP_CLIENT_JWKS_URI  the client's public JWKS URL (one ES256 sig key and one
//                       P-256 ECDH-ES+A256KW enc key), e.g. our service's
//                       /.well-known/jwks.json; http on loopback is allowed
//   OP_CLIENT_JWKS      the same JWKS inline (JSON), instead of OP_CLIENT_JWKS_URI
//   OP_ID_TOKEN_ENC     ID token enc (default A256CBC-HS512)
//   OP_USERINFO_ENC     userinfo enc (default A256GCM)
//   OP_DPOP_NONCE       "1": require DPoP server nonces (use_dpop_nonce)
//   OP_PERSONS          Myinfo v3 persons (JSON object, NRIC → {item: …}) for
//                       userinfo's person_info; an NRIC not among the accounts
//                       below becomes one (sub: a UUID made from its SHA-256)
//   OP_CORPPASS         shape the OP like Corppass instead (see below): its
//                       entities, a JSON object UEN → {sub_attributes, act,
//                       entity_info, person_info, auth_info, tp_auth_info,
//                       corppass_info}
//   OP_CORPPASS_APP     with OP_CORPPASS: "login" (a Corppass Login app, the
//                       default) or "business" (a Myinfo Business app)
//
// Corppass (OP_CORPPASS set): the issuer has no path; PAR is at /request,
// authorize and token at /mga/sps/oauth/oauth20/authorize and …/token,
// userinfo at /userinfo, the JWKS at /.well-known/keys; the access token
// lives 10 minutes. The subject is the entity: each UEN is an account whose
// sub is the UEN, and the ID token (and userinfo) carry sub_type "entity",
// its sub_attributes and act (the person acting) as given. Userinfo's blocks
// (entity_info for entity.* scopes, person_info for user.*, auth_info,
// tp_auth_info, corppass_info) are sent as JSON strings holding the block,
// as Corppass staging sends them. authentication_context_type is required
// (APP_AUTHENTICATION_DEFAULT only) for a Login app and refused for a Myinfo
// Business app. persona=<UEN> on the authorization URL picks the entity.
//
// Userinfo (a Singpass "Myinfo (v5)" answer) has person_info: for each granted
// scope that names a Myinfo item, the person's item as given (OP_PERSONS), or
// for uinfin and name without OP_PERSONS, a v3 item {lastupdated, source "1",
// classification "C", value}. The scopes are openid, uinfin, name and every
// item of OP_PERSONS. Userinfo also keeps the flat uinfin and name claims.
// Accounts (sub is a fixed UUID, as on Singpass): S6005048A (the default)
// and S9812381D. The /auth query may carry persona=<NRIC> to pick one, and
// consent=deny to refuse (the callback then gets error=access_denied);
// consent=allow and unknown personas change nothing. These extras are not
// part of the pushed request: a middleware keeps them in a cookie scoped to
// /interaction.
import { createHash, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

import {
  die, listen, logErrors, nonInteractiveLogin, privateJWK, serve,
} from './common.js';

const env = process.env;
const clientId = env.OP_CLIENT_ID || die('OP_CLIENT_ID is required');
const redirectUris = (env.OP_REDIRECT_URIS || die('OP_REDIRECT_URIS is required'))
  .split(',').map((s) => s.trim()).filter(Boolean);
if (!env.OP_CLIENT_JWKS_URI === !env.OP_CLIENT_JWKS) die('set exactly one of OP_CLIENT_JWKS_URI and OP_CLIENT_JWKS');
const idTokenEnc = env.OP_ID_TOKEN_ENC || 'A256CBC-HS512';
const userinfoEnc = env.OP_USERINFO_ENC || 'A256GCM';

const ACCOUNTS = {
  S6005048A: { sub: 'd3fc1e26-8f7a-4f0e-9a3c-6005048a0001', uinfin: 'S6005048A', name: 'ANDY LAU' },
  S9812381D: { sub: 'b6cb9308-733b-42b3-ad38-9b5afc890206', uinfin: 'S9812381D', name: 'TAN HENG HUAT' },
};
const DEFAULT_PERSONA = 'S6005048A';

let persons = {};
if (env.OP_PERSONS) {
  try {
    persons = JSON.parse(env.OP_PERSONS);
  } catch (err) {
    die(`OP_PERSONS is not JSON: ${err.message}`);
  }
  if (!persons || typeof persons !== 'object' || Array.isArray(persons)) die('OP_PERSONS must be a JSON object');
}
const v3Item = (value) => ({ lastupdated: '2024-01-01', source: '1', classification: 'C', value });
for (const [nric, person] of Object.entries(persons)) {
  if (!/^[STFGM][0-9]{7}[A-Z]$/.test(nric) || !person || typeof person !== 'object') die(`OP_PERSONS: bad entry ${nric}`);
  if (!ACCOUNTS[nric]) {
    const h = createHash('sha256').update(nric).digest('hex');
    ACCOUNTS[nric] = {
      sub: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
      uinfin: nric,
      name: person.name?.value ?? nric,
    };
  }
}
for (const acct of Object.values(ACCOUNTS)) {
  acct.person = persons[acct.uinfin] ?? { uinfin: v3Item(acct.uinfin), name: v3Item(acct.name) };
}
const itemScopes = [...new Set(['uinfin', 'name', ...Object.values(persons).flatMap((p) => Object.keys(p))])]
  .filter((s) => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(s));

// Corppass: the entities replace the accounts above.
let corppass = null;
if (env.OP_CORPPASS) {
  try {
    corppass = JSON.parse(env.OP_CORPPASS);
  } catch (err) {
    die(`OP_CORPPASS is not JSON: ${err.message}`);
  }
  if (!corppass || typeof corppass !== 'object' || Array.isArray(corppass) || !Object.keys(corppass).length) die('OP_CORPPASS must be a non-empty JSON object');
  for (const k of Object.keys(ACCOUNTS)) delete ACCOUNTS[k];
  for (const [uen, entity] of Object.entries(corppass)) {
    if (!/^[0-9A-Z]{9,10}$/.test(uen) || !entity?.act?.sub) die(`OP_CORPPASS: bad entity ${uen} (needs act.sub)`);
    ACCOUNTS[uen] = { sub: uen, entity };
  }
}
const corppassApp = env.OP_CORPPASS_APP || 'login';
if (corppass && !['login', 'business'].includes(corppassApp)) die('OP_CORPPASS_APP must be login or business');
const corppassScopes = ['entity.identity', 'entity.basic_profile.name', 'entity.basic_profile.uen_status',
  'entity.basic_profile.registration_number', 'entity.basic_profile.type', 'entity.basic_profile.registration_date',
  'entity.basic_profile.country_of_incorporation', 'entity.address.postal_code', 'entity.appointments.position',
  'entity.shareholders.allocation', 'user.identity', 'user.name', 'user.uinfin', 'authinfo', 'tpauthinfo', 'corppass.email'];
const blockOf = (scope) => {
  if (scope.startsWith('entity.')) return 'entity_info';
  if (scope.startsWith('user.')) return 'person_info';
  return { authinfo: 'auth_info', tpauthinfo: 'tp_auth_info', 'corppass.email': 'corppass_info' }[scope];
};
const bySub = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.sub, a]));

// The provider's ES256 signing key, new at every start.
const opKey = privateJWK('ec', { namedCurve: 'P-256' });
Object.assign(opKey, { kid: `op-sig-${randomBytes(6).toString('hex')}`, alg: 'ES256', use: 'sig' });

const client = {
  client_id: clientId,
  redirect_uris: redirectUris,
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'ES256',
  id_token_signed_response_alg: 'ES256',
  id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
  id_token_encrypted_response_enc: idTokenEnc,
  userinfo_signed_response_alg: 'ES256',
  userinfo_encrypted_response_alg: 'ECDH-ES+A256KW',
  userinfo_encrypted_response_enc: userinfoEnc,
  dpop_bound_access_tokens: true,
  require_pushed_authorization_requests: true,
};
if (env.OP_CLIENT_JWKS_URI) client.jwks_uri = env.OP_CLIENT_JWKS_URI;
else {
  try {
    client.jwks = JSON.parse(env.OP_CLIENT_JWKS);
  } catch (err) {
    die(`OP_CLIENT_JWKS is not JSON: ${err.message}`);
  }
}

// Listen first: the issuer needs the port.
const { server, issuer } = await listen(env.OP_PORT);

const corppassSettings = corppass ? {
  scopes: ['openid', ...corppassScopes],
  claims: {
    openid: ['sub', 'sub_type', 'sub_attributes', 'act'],
    ...Object.fromEntries(corppassScopes.map((s) => [s, blockOf(s) ? [blockOf(s)] : []])),
  },
  // Scope claims in the ID token too: Corppass puts the entity and act there.
  conformIdTokenClaims: false,
  routes: {
    pushed_authorization_request: '/request',
    authorization: '/mga/sps/oauth/oauth20/authorize',
    token: '/mga/sps/oauth/oauth20/token',
    userinfo: '/userinfo',
    jwks: '/.well-known/keys',
  },
  extraParams: {
    async authentication_context_type(ctx, value) {
      if (corppassApp === 'business' && value !== undefined) {
        throw new errors.InvalidRequest('authentication_context_type and authentication_context_message can only be provided for Login apps');
      }
      if (corppassApp === 'login' && value !== 'APP_AUTHENTICATION_DEFAULT') {
        throw new errors.InvalidRequest('authentication_context_type is required: APP_AUTHENTICATION_DEFAULT');
      }
    },
    authentication_context_message: null,
  },
} : {};

const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [opKey] },
  responseTypes: ['code'],
  scopes: ['openid', ...itemScopes],
  claims: {
    openid: ['sub'],
    ...Object.fromEntries(itemScopes.map((s) => [s, ['uinfin', 'name'].includes(s) ? [s, 'person_info'] : ['person_info']])),
  },
  ...corppassSettings,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clientAuthMethods: ['private_key_jwt'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: env.OP_DPOP_NONCE === '1'
      ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
      : { enabled: true },
    encryption: { enabled: true },
    userinfo: { enabled: true },
    jwtUserinfo: { enabled: true },
  },
  enabledJWA: {
    clientAuthSigningAlgValues: ['ES256'],
    idTokenSigningAlgValues: ['ES256'],
    userinfoSigningAlgValues: ['ES256'],
    dPoPSigningAlgValues: ['ES256'],
    idTokenEncryptionAlgValues: ['ECDH-ES+A256KW'],
    idTokenEncryptionEncValues: ['A256GCM', 'A256CBC-HS512'],
    userinfoEncryptionAlgValues: ['ECDH-ES+A256KW'],
    userinfoEncryptionEncValues: ['A256GCM', 'A256CBC-HS512'],
  },
  ttl: { AccessToken: corppass ? 600 : 1800, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(ctx, sub) {
    const acct = bySub[sub];
    if (!acct) return undefined;
    if (corppass) {
      const e = acct.entity;
      const claims = { sub: acct.sub, sub_type: 'entity', act: e.act };
      if (e.sub_attributes) claims.sub_attributes = e.sub_attributes;
      for (const block of ['entity_info', 'person_info', 'auth_info', 'tp_auth_info', 'corppass_info']) {
        if (e[block] !== undefined) claims[block] = JSON.stringify(e[block]);
      }
      return { accountId: sub, async claims() { return claims; } };
    }
    return {
      accountId: sub,
      async claims(use, scope) {
        const granted = new Set(String(scope || '').split(' '));
        const personInfo = {};
        for (const s of itemScopes) {
          if (granted.has(s) && acct.person[s] !== undefined) personInfo[s] = acct.person[s];
        }
        return { sub: acct.sub, uinfin: acct.uinfin, name: acct.name, person_info: personInfo };
      },
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Test rigs only: drop the SSRF guard's dispatcher so that a client
  // jwks_uri on 127.0.0.1 can be fetched.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
});

logErrors(provider);

// Shortcut parameters on /auth (persona, consent): remembered for the
// interaction in a cookie, since oidc-provider drops parameters that are
// not in the pushed request. Then a non-interactive login and consent.
nonInteractiveLogin(provider, {
  authPath: corppass ? corppassSettings.routes.authorization : '/auth',
  accounts: ACCOUNTS,
  defaultPersona: corppass ? Object.keys(ACCOUNTS)[0] : DEFAULT_PERSONA,
});

await serve(server, provider, issuer, clientId);
