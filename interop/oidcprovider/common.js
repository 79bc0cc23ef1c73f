// What every profile of server.js shares: the fatal-error exit, the
// 127.0.0.1 listener, the error log, the non-interactive login and consent,
// and the stdin-bound lifetime.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

export function die(msg) {
  process.stderr.write(`oidc-provider peer: ${msg}\n`);
  process.exit(2);
}

// listen opens the 127.0.0.1 listener first (the issuer needs the port)
// and returns it with the issuer URL.
export async function listen(port) {
  const server = createServer();
  server.on('error', (err) => die(`cannot listen on 127.0.0.1:${port || 0}: ${err.message}`));
  await new Promise((resolve) => server.listen(Number(port || 0), '127.0.0.1', resolve));
  return { server, issuer: `http://127.0.0.1:${server.address().port}` };
}

// logErrors writes every error event with its server-side detail to
// stderr: the OP's public error messages are vague on purpose.
export function logErrors(provider) {
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
}

// nonInteractiveLogin installs the login shortcuts: the authorization
// request (GET authPath) may carry persona=<key of accounts> and
// consent=deny, remembered for the interaction in cookies scoped to
// /interaction (oidc-provider drops parameters it does not know, and with
// PAR those not in the pushed request); GET /interaction/<uid> then logs in
// the persona (or defaultPersona) and consents to every requested scope at
// once, or refuses with access_denied.
export function nonInteractiveLogin(provider, { authPath, accounts, defaultPersona }) {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authPath) {
      const { persona, consent } = ctx.query;
      const opts = { path: '/interaction', httpOnly: true, sameSite: 'lax', overwrite: true };
      ctx.cookies.set('_idc_persona', typeof persona === 'string' && Object.hasOwn(accounts, persona) ? persona : null, opts);
      ctx.cookies.set('_idc_consent', consent === 'deny' ? 'deny' : null, opts);
    }
    return next();
  });

  provider.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || !/^\/interaction\/[\w-]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (ctx.cookies.get('_idc_consent') === 'deny') {
      result = { error: 'access_denied', error_description: 'the user refused' };
    } else {
      const persona = ctx.cookies.get('_idc_persona');
      const acct = (persona && Object.hasOwn(accounts, persona) ? accounts[persona] : undefined) || accounts[defaultPersona];
      const grant = new provider.Grant({ accountId: acct.sub, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { login: { accountId: acct.sub }, consent: { grantId: await grant.save() } };
    }
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  });
}

// serve validates the static client now (oidc-provider validates lazily,
// so bad settings would otherwise fail the first request), starts
// answering, prints the issuer as one stdout line and exits when stdin
// closes, so that the peer cannot outlive the test that started it.
export async function serve(server, provider, issuer, clientId) {
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
}

// privateJWK generates a key pair (generateKeyPairSync's type and options)
// and returns the private key as a JWK. The pair comes out PEM-encoded
// and is parsed again before the JWK export: exporting the KeyObject that
// generateKeyPairSync returns can deadlock Node 20 for good when a garbage
// collection during the export finalises the key-generation job, whose
// destructor takes the mutex the export holds (seen with RSA 2048: the
// peer hung before listening).
export function privateJWK(type, options) {
  const { privateKey } = generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return createPrivateKey(privateKey).export({ format: 'jwk' });
}
