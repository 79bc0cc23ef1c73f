// oidc-provider (panva/node-oidc-provider 9.13.3, pinned by package-lock.json)
// configured as a FAPI 2.0 OpenID Provider shaped like Singpass, for
// idconnect's interoperability tests. Listens on 127.0.0.1 only.
//
//   PAR required, PKCE S256 required, DPoP-bound access tokens required,
//   private_key_jwt ES256 (aud = issuer), ID token and userinfo signed ES256
//   and encrypted ECDH-ES+A256KW (enc A256CBC-HS512 for the ID token as
//   Singpass does, A256GCM for userinfo), callback with iss (RFC 9207), and a
//   non-interactive login: /interaction/<uid> logs in a fixed account and
//   consents at once, so a cookie-jar HTTP client can walk
//   /auth → 303 /interaction/<uid> → 303 /auth/<uid> → 303 redirect_uri.
//
// Environment (one static client):
//   OP_CLIENT_ID        client_id (required)
//   OP_REDIRECT_URIS    registered redirect URIs, comma-separated (required)
//   OP_CLIENT_JWKS_URI  the client's public JWKS URL (one ES256 sig key and one
//                       P-256 ECDH-ES+A256KW enc key), e.g. our service's
//                       /.well-known/jwks.json; http on loopback is allowed
//   OP_CLIENT_JWKS      the same JWKS inline (JSON), instead of OP_CLIENT_JWKS_URI
//   OP_PORT             port (default 0: a free one)
//   OP_ID_TOKEN_ENC     ID token enc (default A256CBC-HS512)
//   OP_USERINFO_ENC     userinfo enc (default A256GCM)
//   OP_DPOP_NONCE       "1": require DPoP server nonces (use_dpop_nonce)
//
// Accounts (sub is a fixed UUID, as on Singpass): S6005048A (the default)
// and S9812381D. The /auth query may carry persona=<NRIC> to pick one, and
// consent=deny to refuse (the callback then gets error=access_denied);
// consent=allow and unknown personas change nothing. These extras are not
// part of the pushed request: a middleware keeps them in a cookie scoped to
// /interaction.
//
// Once listening it prints its issuer URL (http://127.0.0.1:<port>) as one
// line on stdout; diagnostics (every error with its server-side detail) go
// to stderr. It exits when its stdin closes, so it cannot outlive the test
// that started it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

function die(msg) {
  process.stderr.write(`oidc-provider peer: ${msg}\n`);
  process.exit(2);
}

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
const bySub = Object.fromEntries(Object.values(ACCOUNTS).map((a) => [a.sub, a]));

// The provider's ES256 signing key, new at every start.
const opKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
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
const server = createServer();
server.on('error', (err) => die(`cannot listen on 127.0.0.1:${env.OP_PORT || 0}: ${err.message}`));
await new Promise((resolve) => server.listen(Number(env.OP_PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [opKey] },
  responseTypes: ['code'],
  scopes: ['openid', 'uinfin', 'name'],
  claims: { openid: ['sub'], uinfin: ['uinfin'], name: ['name'] },
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
  ttl: { AccessToken: 1800, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  async findAccount(ctx, sub) {
    const acct = bySub[sub];
    return acct && { accountId: sub, async claims() { return { ...acct }; } };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Test rigs only: drop the SSRF guard's dispatcher so that a client
  // jwks_uri on 127.0.0.1 can be fetched.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
});

// The OP's public error messages are vague on purpose: log the detail.
for (const ev of ['authorization.error', 'pushed_authorization_request.error', 'grant.error',
  'userinfo.error', 'introspection.error', 'jwks.error', 'discovery.error', 'server_error']) {
  provider.on(ev, (ctx, err) => {
    let msg = `${ev}: ${err.name} ${err.message}`;
    if (err.error_description) msg += ` (${err.error_description})`;
    if (err.error_detail) msg += ` [${err.error_detail}]`;
    for (let c = err.cause; c; c = c.cause) msg += ` <- ${c.message || c}`;
    process.stderr.write(`${msg}\n`);
  });
}

// Shortcut parameters on /auth (persona, consent): remembered for the
// interaction in a cookie, since oidc-provider drops parameters that are
// not in the pushed request.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth') {
    const { persona, consent } = ctx.query;
    const opts = { path: '/interaction', httpOnly: true, sameSite: 'lax', overwrite: true };
    ctx.cookies.set('_idc_persona', typeof persona === 'string' && ACCOUNTS[persona] ? persona : null, opts);
    ctx.cookies.set('_idc_consent', consent === 'deny' ? 'deny' : null, opts);
  }
  return next();
});

// Non-interactive login and consent.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !/^\/interaction\/[\w-]+$/.test(ctx.path)) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (ctx.cookies.get('_idc_consent') === 'deny') {
    result = { error: 'access_denied', error_description: 'the user refused' };
  } else {
    const acct = ACCOUNTS[ctx.cookies.get('_idc_persona')] || ACCOUNTS[DEFAULT_PERSONA];
    const grant = new provider.Grant({ accountId: acct.sub, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    result = { login: { accountId: acct.sub }, consent: { grantId: await grant.save() } };
  }
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

// Static clients are validated lazily: validate now, so that bad settings
// fail the start instead of the first PAR.
try {
  await provider.Client.find(clientId);
} catch (err) {
  die(`client ${clientId} is invalid: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
}

server.on('request', provider.callback());
process.stdout.write(`${issuer}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
