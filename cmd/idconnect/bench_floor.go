package main

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"time"
)

// The crypto floor of a login is the cost of the cryptographic primitives
// its protocol requires of the relying party, done with the standard
// library and nothing else: no JOSE parsing, no JSON, no HTTP. The service's
// CPU per login divided by it says how much the rest costs. Each floor is
// timed on one locked thread, in CPU time, so other load on the machine
// does not count; the keys are made before the clock starts, as the
// service loads its keys once.

// personPayloadSize is about the size of a Myinfo v3 person JWS with the
// seed's seven attributes (and of a FAPI userinfo), which the content
// decryption runs over.
const personPayloadSize = 3 << 10

// myinfoFloor times the relying party's side of a Myinfo v3 login: two
// PKI_SIGN signatures (token and person calls, RSA-2048 PKCS #1 v1.5 over
// SHA-256), the access token's RS256 verification, the person JWE's key
// (RSA-OAEP with SHA-1) and content (A256GCM) decryption, and the person
// JWS's RS256 verification.
func myinfoFloor(n int) (time.Duration, error) {
	clientKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	providerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	baseString := make([]byte, 400) // a PKI_SIGN base string's size
	tokenDigest := sha256.Sum256(make([]byte, 600))
	tokenSig, err := rsa.SignPKCS1v15(rand.Reader, providerKey, crypto.SHA256, tokenDigest[:])
	if err != nil {
		return 0, err
	}
	cek := make([]byte, 32)
	rand.Read(cek)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &clientKey.PublicKey, cek, nil)
	if err != nil {
		return 0, err
	}
	sealed, nonce, err := sealGCM(cek, make([]byte, personPayloadSize))
	if err != nil {
		return 0, err
	}
	personDigest := sha256.Sum256(make([]byte, personPayloadSize))
	personSig, err := rsa.SignPKCS1v15(rand.Reader, providerKey, crypto.SHA256, personDigest[:])
	if err != nil {
		return 0, err
	}
	cpu, err := threadCPU(func() error {
		for range n {
			for range 2 {
				d := sha256.Sum256(baseString)
				if _, err := rsa.SignPKCS1v15(rand.Reader, clientKey, crypto.SHA256, d[:]); err != nil {
					return err
				}
			}
			d := sha256.Sum256(make([]byte, 600))
			if err := rsa.VerifyPKCS1v15(&providerKey.PublicKey, crypto.SHA256, d[:], tokenSig); err != nil {
				return err
			}
			k, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, clientKey, wrapped, nil)
			if err != nil {
				return err
			}
			plain, err := openGCM(k, nonce, sealed)
			if err != nil {
				return err
			}
			d = sha256.Sum256(plain)
			if err := rsa.VerifyPKCS1v15(&providerKey.PublicKey, crypto.SHA256, d[:], personSig); err != nil {
				return err
			}
		}
		return nil
	})
	return cpu / time.Duration(n), err
}

// singpassFloor times the relying party's side of a Singpass FAPI 2.0
// Myinfo login: the login's P-256 DPoP key, five ES256 signatures (a client
// assertion and a DPoP proof for PAR and for the token call, a DPoP proof
// for userinfo), two ECDH-ES key agreements with their Concat KDF and
// content decryption (the id_token in A256CBC-HS512, userinfo in A256GCM),
// and two ES256 verifications. The AES key unwrap of ECDH-ES+A256KW (twelve
// AES block operations, well under a microsecond) is left out.
func singpassFloor(n int) (time.Duration, error) {
	signKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return 0, err
	}
	encKey, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return 0, err
	}
	peer, err := ecdh.P256().GenerateKey(rand.Reader) // the provider's ephemeral key
	if err != nil {
		return 0, err
	}
	providerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return 0, err
	}
	digest := sha256.Sum256(make([]byte, 800))
	providerSig, err := ecdsa.SignASN1(rand.Reader, providerKey, digest[:])
	if err != nil {
		return 0, err
	}
	cek := make([]byte, 64)
	rand.Read(cek)
	sealed, nonce, err := sealGCM(cek[:32], make([]byte, personPayloadSize))
	if err != nil {
		return 0, err
	}
	idToken := make([]byte, 1<<10)
	cpu, err := threadCPU(func() error {
		for range n {
			dpop, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return err
			}
			for _, k := range []*ecdsa.PrivateKey{signKey, dpop, signKey, dpop, dpop} {
				d := sha256.Sum256(make([]byte, 300))
				if _, err := ecdsa.SignASN1(rand.Reader, k, d[:]); err != nil {
					return err
				}
			}
			for i := range 2 {
				z, err := encKey.ECDH(peer.PublicKey())
				if err != nil {
					return err
				}
				sha256.Sum256(append([]byte{0, 0, 0, 1}, z...)) // Concat KDF, one round
				if i == 0 {
					// id_token: A256CBC-HS512 over about 1 KiB.
					block, err := aes.NewCipher(cek[32:])
					if err != nil {
						return err
					}
					cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(idToken, idToken)
					m := hmac.New(sha512.New, cek[:32])
					m.Write(idToken)
					m.Sum(nil)
				} else if _, err := openGCM(cek[:32], nonce, sealed); err != nil {
					return err
				}
				d := sha256.Sum256(make([]byte, 800))
				if !ecdsa.VerifyASN1(&providerKey.PublicKey, d[:], providerSig) {
					return errors.New("ES256 verification failed")
				}
			}
		}
		return nil
	})
	return cpu / time.Duration(n), err
}

// oneidFloor times the relying party's side of a OneID login: the id_token's
// PS256 verification (RSA-2048) and the PKCE challenge. The resource calls
// are bearer calls over TLS in production; the harness runs them over plain
// loopback HTTP, so they have no cryptography here.
func oneidFloor(n int) (time.Duration, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	digest := sha256.Sum256(make([]byte, 900))
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], opts)
	if err != nil {
		return 0, err
	}
	cpu, err := threadCPU(func() error {
		for range n {
			sha256.Sum256(make([]byte, 43)) // S256 of the PKCE verifier
			d := sha256.Sum256(make([]byte, 900))
			if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, d[:], sig, opts); err != nil {
				return err
			}
		}
		return nil
	})
	return cpu / time.Duration(n), err
}

func sealGCM(key, plain []byte) (sealed, nonce []byte, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nil, nonce, plain, nil), nonce, nil
}

func openGCM(key, nonce, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, nonce, sealed, nil)
}
