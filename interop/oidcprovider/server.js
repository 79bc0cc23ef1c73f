// oidc-provider (panva/node-oidc-provider 9.13.3, pinned by package-lock.json)
// configured as an OpenID Provider for idconnect's interoperability tests,
// in one of two profiles chosen by OP_PROFILE:
//
//   fapi   (the default) FAPI 2.0 shaped like Singpass: fapi.js
//   oneid  an OIDC code-flow OP shaped like UK OneID: oneid.js
//
// Each file documents its profile and its environment. Both listen on
// 127.0.0.1 only (OP_PORT, default 0: a free port), have one static client
// and a non-interactive login (/interaction/<uid> logs in a persona and
// consents at once, so a cookie-jar HTTP client can walk authorization →
// 303 /interaction/<uid> → 303 authorization/<uid> → 303 redirect_uri).
//
// Once listening it prints its issuer URL (http://127.0.0.1:<port>) as one
// line on stdout; diagnostics (every error with its server-side detail) go
// to stderr. It exits when its stdin closes, so it cannot outlive the test
// that started it.
import { die } from './common.js';

const profile = process.env.OP_PROFILE || 'fapi';
if (profile === 'fapi') await import('./fapi.js');
else if (profile === 'oneid') await import('./oneid.js');
else die(`OP_PROFILE ${JSON.stringify(profile)} is not fapi or oneid`);
