// Package mockpass proves that idconnect's Myinfo v3 client and service
// interoperate with MockPass (@opengovsg/mockpass 4.3.4), a Myinfo v3
// provider written independently of us, in its strictest mode: token and
// person requests must carry valid PKI_SIGN RS256 signatures (over a base
// string that includes the client secret), and the person answer is a JWE
// (RSA-OAEP, A256GCM) around a JWS (RS256).
//
// The tests start MockPass on 127.0.0.1 through serve.js, log in as several
// of its personas without a browser (authorise, silent Singpass login,
// consent form), and check that:
//
//   - provider/myinfo, driven by an idconnect.Flow, completes token → person
//     and returns exactly the persona's requested attributes from MockPass's
//     own data file (static/myinfo/v3.json), raw and flattened;
//   - the service's seed routes (redirect-login → /callback →
//     /users/me/external/myinfo) return the same data as {"message":"OK",
//     "sodata":{…}}, and refuse a replayed code;
//   - the same works with a client key pair of our own, given to MockPass
//     as SERVICE_PROVIDER_PUB_KEY and SERVICE_PROVIDER_CERT_PATH;
//   - failures surface as the right errors and statuses: a wrong client key
//     or secret (MockPass answers 403; the service answers 403), a wrong
//     provider certificate (idconnect.ErrSignature; 502), a person
//     encrypted to another certificate (idconnect.ErrDecrypt; 502), a
//     declined consent (the "No data was shared" page, then 400 for the
//     used state).
//
// The tests need Node 20+ and the package installed by "make interop"
// (npm ci in this directory). They are behind the "interop" build tag:
//
//	go test -tags interop -count=1 ./interop/...
//
// Missing node or a missing package is a test failure, never a skip. The
// keys come from the installed package (static/certs/key.pem as our client
// key, static/certs/spcp.crt as Myinfo's certificate) and are not copied
// into this repository.
package mockpass
