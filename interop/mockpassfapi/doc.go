// Package mockpassfapi runs idconnect's Singpass FAPI 2.0 interoperability
// tests against MockPass (opengovsg/mockpass commit 8887619, v4.6.11, plus
// the PR #833 userinfo overlay), an independent FAPI 2.0 provider: PAR,
// PKCE S256, DPoP, private_key_jwt ES256, ID token and userinfo as
// JWE(ECDH-ES+A256KW, A256GCM) around an ES256 JWS.
//
// The peer is not fetched from npm: it is a pinned source tarball and patch
// in the peers folder, found through one variable:
//
//	IDCONNECT_PEERS_DIR   folder holding mockpass-fapi/ (default: ../shared/peers
//	                      relative to the repository root, i.e. shared/peers
//	                      beside the repository; a relative value is taken
//	                      relative to the repository root)
//
// prepare.sh (run by "make interop", and by the tests when needed) checks
// the sha256 of mockpass-fapi/mockpass-8887619.tar.gz and
// mockpass-fapi/pr833-userinfo-overlay.patch, unpacks the tarball into
// .peer/ (git-ignored), applies the patch with patch -p1 and runs
// npm ci --omit=dev --ignore-scripts. A stamp file makes later runs reuse the
// install. The tests start it through serve.js on a free 127.0.0.1 port with
// FAPI_CLIENT_JWKS_ENDPOINT pointing at a JWKS the test serves, wait until
// discovery answers 200, and stop it when the test ends; it also exits when
// its stdin closes, so it cannot outlive a test binary that dies.
//
// The tests need Node 20+, npm, patch and sha256sum, and are behind the
// "interop" build tag:
//
//	go test -tags interop -count=1 ./interop/...
//
// singpass_test.go runs provider/singpass through idconnect.Flow and
// store.Memory against the peer, with our keyset.Set's public JWKS as
// FAPI_CLIENT_JWKS_ENDPOINT: a Myinfo-app login for every MockPass Myinfo
// persona, whose person_info, sodata and normalised person are compared
// with MockPass's own static/myinfo/v3.json read at test time; a persona
// without Myinfo data; and Login-app logins (sub_attributes). The file
// lists where MockPass differs from Singpass; none of it needs a switch in
// provider/singpass.
//
// A missing peers folder, tool or install is a test failure naming what is
// missing, never a skip.
package mockpassfapi
