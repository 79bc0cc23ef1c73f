// Package pkcs11 keeps a relying party's keys in a PKCS#11 token (an HSM, a
// cloud HSM's PKCS#11 library, SoftHSM): the private keys are generated
// inside the token as sensitive, non-extractable objects and never leave
// it. A [Key] is a crypto.Signer (CKM_ECDSA) and a keyset.ECDHKey
// (CKM_ECDH1_DERIVE), so [Keys] implement keyset.Keys and a provider client
// signs its client assertions and DPoP proofs, and opens its JWEs, through
// the token with no code of its own. [Token.Holder] makes the token a
// keyset.Holder: a key set file then names keys held in the token (by
// label, beside their public JWK and rotation times), and keyset's Rotate
// makes the new keys there.
//
// # Decryption
//
// ECDH-ES+A256KW decryption is split: the token derives the ECDH shared
// secret Z from the sender's ephemeral key (CKM_ECDH1_DERIVE with CKD_NULL,
// into a session object that is read once and destroyed), and Go does the
// JOSE Concat KDF and the AES key unwrap (keyset.ECDHDecrypter). The long-
// term private key stays in the token; Z is fresh for every JWE and opens
// that one JWE only. The KDF cannot run in the token: PKCS#11's ECDH KDFs
// are ANSI X9.63 (Hash(Z || counter || info)), while JOSE uses NIST SP
// 800-56A's Concat KDF (Hash(counter || Z || info)). A token whose policy
// forbids reading a derived secret cannot decrypt this way; keep the
// decryption keys in the key set file then, and the signing key here.
//
// # Building
//
// The package needs cgo (it loads the PKCS#11 library with dlopen, through
// github.com/miekg/pkcs11). Without cgo it builds to the same API, and
// [Open] returns [ErrNoCgo], so a CGO_ENABLED=0 build of the service works
// for everyone who keeps keys in a file. No PKCS#11 library is needed at
// build time: the module path is given at run time.
package pkcs11
