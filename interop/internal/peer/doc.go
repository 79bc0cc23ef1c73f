//go:build interop

// Package peer is the shared support of idconnect's interoperability tests
// (interop/mockpass, interop/mockpassfapi, interop/oidcprovider and
// interop/openidclient): it starts Node peers (StartNode: a free
// 127.0.0.1 port, a ready line, stdin tied to the test binary, the whole
// process group stopped when the test ends), installs pinned npm packages
// when missing (EnsureInstalled), finds the peers folder (PeersDir,
// $IDCONNECT_PEERS_DIR), runs the oidc-provider peer of
// interop/oidcprovider (StartOIDCProvider), and holds a FAPI 2.0 relying
// party's client-side helpers: keys and their JWKS (NewClientKeys,
// ServeJWKS), private_key_jwt assertions, DPoP proofs, PKCE, PAR forms and
// JWE → JWS opening.
//
// Every file has the "interop" build tag, so ordinary builds ignore the
// package; only the interop tests import it. Helpers fail the test, never
// skip it, when a peer or a tool is missing.
package peer
