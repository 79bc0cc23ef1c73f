//go:build cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/miekg/pkcs11"

	"github.com/idconnect/idconnect/keyset"
)

// p256Params is CKA_EC_PARAMS for P-256: the DER of its OID 1.2.840.10045.3.1.7.
var p256Params = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// Token is an open, logged-in PKCS#11 token. It is safe for concurrent use:
// each operation takes a session of its own from a small pool.
type Token struct {
	ctx   *pkcs11.Ctx
	slot  uint
	idle  chan pkcs11.SessionHandle
	slots chan struct{} // one token per session that may still be opened

	mu     sync.RWMutex // held for reading by each operation, for writing by Close
	closed bool
	opened sync.Mutex // guards all
	all    []pkcs11.SessionHandle
}

// Open loads the module, finds the token by label and logs in with the
// PIN. Close the Token when done. Errors never quote the PIN.
func Open(cfg Config) (*Token, error) {
	if cfg.Module == "" || cfg.TokenLabel == "" {
		return nil, errors.New("pkcs11: Module and TokenLabel are required")
	}
	max := cfg.MaxSessions
	if max <= 0 {
		max = 4
	}
	ctx := pkcs11.New(cfg.Module)
	if ctx == nil {
		return nil, fmt.Errorf("pkcs11: cannot load the module %s", cfg.Module)
	}
	// A module is initialised once per process, and a login holds for
	// every session of the process: a second Token on the same module
	// would be logged in whatever its PIN. Share one Token instead.
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		if isCode(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			return nil, errors.New("pkcs11: the module is already open in this process; share one Token")
		}
		return nil, fmt.Errorf("pkcs11: initialising the module: %w", err)
	}
	t := &Token{ctx: ctx, idle: make(chan pkcs11.SessionHandle, max), slots: make(chan struct{}, max)}
	fail := func(err error) (*Token, error) {
		t.Close()
		return nil, err
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return fail(fmt.Errorf("pkcs11: listing slots: %w", err))
	}
	found := false
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err == nil && strings.TrimRight(info.Label, " \x00") == cfg.TokenLabel {
			t.slot, found = s, true
			break
		}
	}
	if !found {
		return fail(fmt.Errorf("%w: no token labelled %q", ErrNotFound, cfg.TokenLabel))
	}
	for range max {
		t.slots <- struct{}{}
	}
	// Logging in one session logs in the whole application (PKCS#11
	// §5.6); the pool's sessions share it.
	err = t.with(func(s pkcs11.SessionHandle) error {
		if err := ctx.Login(s, pkcs11.CKU_USER, cfg.PIN); err != nil && !isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
			return fmt.Errorf("pkcs11: logging in to token %q: %w", cfg.TokenLabel, err)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return t, nil
}

// Close closes the token's sessions (which logs out) and unloads the
// module, once the operations under way have ended. Keys of the token stop
// working.
func (t *Token) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	for _, s := range t.all {
		t.ctx.CloseSession(s)
	}
	t.ctx.Finalize()
	t.ctx.Destroy()
	return nil
}

var errClosed = errors.New("pkcs11: the token is closed")

// with runs f on a session of the pool, opening one if none is idle and
// the pool is not full, else waiting for one. It holds t.mu for reading
// throughout, so Close waits for f to end.
func (t *Token) with(f func(pkcs11.SessionHandle) error) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return errClosed
	}
	var s pkcs11.SessionHandle
	select {
	case s = <-t.idle:
	case <-t.slots:
		var err error
		if s, err = t.ctx.OpenSession(t.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION); err != nil {
			t.slots <- struct{}{}
			return fmt.Errorf("pkcs11: opening a session: %w", err)
		}
		t.opened.Lock()
		t.all = append(t.all, s)
		t.opened.Unlock()
	}
	defer func() { t.idle <- s }()
	return f(s)
}

func isCode(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

// Generate makes a P-256 key pair on the token with label, for use UseSig
// (the private key may only sign) or UseEnc (it may only derive). The
// private key is sensitive and not extractable: it never leaves the token.
func (t *Token) Generate(label, use string) (*Key, error) {
	if label == "" {
		return nil, errors.New("pkcs11: a key needs a label")
	}
	if use != UseSig && use != UseEnc {
		return nil, fmt.Errorf("pkcs11: unknown use %q", use)
	}
	if _, err := t.Key(label); err == nil {
		return nil, fmt.Errorf("%w: %q", ErrExists, label)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	sign, derive := use == UseSig, use == UseEnc
	pub := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, p256Params),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, sign),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, derive),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
	priv := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, sign),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, derive),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
	err := t.with(func(s pkcs11.SessionHandle) error {
		_, _, err := t.ctx.GenerateKeyPair(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}, pub, priv)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: generating key %q: %w", label, err)
	}
	return t.Key(label)
}

// Key finds the P-256 key pair labelled label: exactly one private key
// and its public key.
func (t *Token) Key(label string) (*Key, error) {
	k := &Key{token: t, label: label}
	err := t.with(func(s pkcs11.SessionHandle) error {
		privs, err := t.find(s, pkcs11.CKO_PRIVATE_KEY, label)
		if err != nil {
			return err
		}
		pubs, err := t.find(s, pkcs11.CKO_PUBLIC_KEY, label)
		if err != nil {
			return err
		}
		switch {
		case len(privs) == 0:
			return fmt.Errorf("%w: no private key labelled %q", ErrNotFound, label)
		case len(privs) > 1 || len(pubs) > 1:
			return fmt.Errorf("pkcs11: several keys are labelled %q", label)
		case len(pubs) == 0:
			return fmt.Errorf("pkcs11: the private key %q has no public key object", label)
		}
		k.handle = privs[0]
		attrs, err := t.ctx.GetAttributeValue(s, pubs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil),
		})
		if err != nil {
			return fmt.Errorf("pkcs11: reading the public key %q: %w", label, err)
		}
		if string(attrs[0].Value) != string(p256Params) {
			return fmt.Errorf("pkcs11: key %q is not on P-256", label)
		}
		if k.pub, err = ecPoint(attrs[1].Value); err != nil {
			return fmt.Errorf("pkcs11: key %q: %w", label, err)
		}
		uses, err := t.ctx.GetAttributeValue(s, k.handle, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, nil),
			pkcs11.NewAttribute(pkcs11.CKA_DERIVE, nil),
		})
		if err != nil {
			return fmt.Errorf("pkcs11: reading key %q: %w", label, err)
		}
		k.canSign, k.canDerive = isTrue(uses[0].Value), isTrue(uses[1].Value)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func isTrue(v []byte) bool { return len(v) == 1 && v[0] != 0 }

// find returns the EC objects of class with label.
func (t *Token) find(s pkcs11.SessionHandle, class uint, label string) ([]pkcs11.ObjectHandle, error) {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	if err := t.ctx.FindObjectsInit(s, tmpl); err != nil {
		return nil, fmt.Errorf("pkcs11: searching: %w", err)
	}
	objs, _, err := t.ctx.FindObjects(s, 3)
	if ferr := t.ctx.FindObjectsFinal(s); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: searching: %w", err)
	}
	return objs, nil
}

// ecPoint reads CKA_EC_POINT: a DER OCTET STRING holding the uncompressed
// point (some tokens give the raw point).
func ecPoint(v []byte) (*ecdsa.PublicKey, error) {
	var raw []byte
	if rest, err := asn1.Unmarshal(v, &raw); err != nil || len(rest) != 0 {
		raw = v
	}
	pub, err := ecdh.P256().NewPublicKey(raw)
	if err != nil {
		return nil, errors.New("the public point is not on P-256")
	}
	b := pub.Bytes()
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(b[1:33]), Y: new(big.Int).SetBytes(b[33:])}, nil
}

// Key is a P-256 key pair on a token. It is a crypto.Signer when its
// private key may sign and a keyset.ECDHKey when it may derive.
type Key struct {
	token     *Token
	label     string
	handle    pkcs11.ObjectHandle
	pub       *ecdsa.PublicKey
	canSign   bool
	canDerive bool
}

var (
	_ crypto.Signer  = (*Key)(nil)
	_ keyset.ECDHKey = (*Key)(nil)
)

// Label returns the key's CKA_LABEL.
func (k *Key) Label() string { return k.label }

// Public returns the *ecdsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs a SHA-256 digest with CKM_ECDSA in the token and returns the
// ASN.1 signature crypto.Signer promises.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if !k.canSign {
		return nil, fmt.Errorf("pkcs11: key %q may not sign", k.label)
	}
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
		return nil, errors.New("pkcs11: only SHA-256 digests are signed (ES256)")
	}
	var sig []byte
	err := k.token.with(func(s pkcs11.SessionHandle) error {
		if err := k.token.ctx.SignInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, k.handle); err != nil {
			return err
		}
		var err error
		sig, err = k.token.ctx.Sign(s, digest)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: signing with %q: %w", k.label, err)
	}
	if len(sig) != 64 {
		return nil, fmt.Errorf("pkcs11: the token's signature is %d bytes, want 64", len(sig))
	}
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
}

// ECDH derives the shared secret with remote in the token
// (CKM_ECDH1_DERIVE, no KDF) and returns it. The secret is made as a
// session object, read and destroyed at once.
func (k *Key) ECDH(remote *ecdh.PublicKey) ([]byte, error) {
	if !k.canDerive {
		return nil, fmt.Errorf("pkcs11: key %q may not derive", k.label)
	}
	if remote == nil || remote.Curve() != ecdh.P256() {
		return nil, errors.New("pkcs11: the peer key is not a P-256 key")
	}
	params := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, remote.Bytes())
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
	}
	var z []byte
	err := k.token.with(func(s pkcs11.SessionHandle) error {
		obj, err := k.token.ctx.DeriveKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDH1_DERIVE, params)}, k.handle, tmpl)
		if err != nil {
			return err
		}
		defer k.token.ctx.DestroyObject(s, obj)
		attrs, err := k.token.ctx.GetAttributeValue(s, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil {
			return err
		}
		z = attrs[0].Value
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: deriving with %q: %w", k.label, err)
	}
	if len(z) != 32 {
		return nil, fmt.Errorf("pkcs11: the derived secret is %d bytes, want 32", len(z))
	}
	return z, nil
}

// Keys are keyset.Keys held in a token: one signing key and one or more
// decryption keys, each named by its label. Kids are RFC 7638 thumbprints,
// as in package keyset.
type Keys struct {
	signer *Key
	kid    string
	dec    keyset.ECDHDecrypter
	public jose.JSONWebKeySet
}

var _ keyset.Keys = (*Keys)(nil)

// Keys returns the token's keys labelled signing (a key that may sign)
// and decryption (keys that may derive).
func (t *Token) Keys(signing string, decryption ...string) (*Keys, error) {
	if len(decryption) == 0 {
		return nil, errors.New("pkcs11: at least one decryption key is needed")
	}
	ks := &Keys{dec: keyset.ECDHDecrypter{}}
	add := func(label, use string) (*Key, string, error) {
		k, err := t.Key(label)
		if err != nil {
			return nil, "", err
		}
		if (use == UseSig && !k.canSign) || (use == UseEnc && !k.canDerive) {
			return nil, "", fmt.Errorf("pkcs11: key %q is not a %s key", label, use)
		}
		kid, err := keyset.Thumbprint(k.pub)
		if err != nil {
			return nil, "", err
		}
		for _, p := range ks.public.Keys {
			if p.KeyID == kid {
				return nil, "", fmt.Errorf("pkcs11: key %q is listed twice", label)
			}
		}
		alg := keyset.AlgSig
		if use == UseEnc {
			alg = keyset.AlgEnc
		}
		ks.public.Keys = append(ks.public.Keys, jose.JSONWebKey{Key: k.pub, KeyID: kid, Use: use, Algorithm: alg})
		return k, kid, nil
	}
	var err error
	if ks.signer, ks.kid, err = add(signing, UseSig); err != nil {
		return nil, err
	}
	for _, label := range decryption {
		k, kid, err := add(label, UseEnc)
		if err != nil {
			return nil, err
		}
		ks.dec[kid] = k
	}
	return ks, nil
}

// SigningKey implements keyset.Keys.
func (ks *Keys) SigningKey(time.Time) (crypto.Signer, string, error) { return ks.signer, ks.kid, nil }

// DecryptKey implements keyset.Keys (and jose.OpaqueKeyDecrypter).
func (ks *Keys) DecryptKey(encryptedKey []byte, h jose.Header) ([]byte, error) {
	return ks.dec.DecryptKey(encryptedKey, h)
}

// Public returns the public JWK set to publish: the signing key then the
// decryption keys, with kid, use and alg.
func (ks *Keys) Public() *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), ks.public.Keys...)}
}

// Holder returns the token as a keyset.Holder: a key set parsed with it
// (keyset.ParseHeld) keeps its keys here, and keyset's Add and Rotate
// make new ones here, labelled "idconnect-{use}-{random}".
func (t *Token) Holder() keyset.Holder { return holder{t} }

type holder struct{ t *Token }

func (h holder) Generate(use string) (keyset.HeldKey, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return h.t.Generate(fmt.Sprintf("idconnect-%s-%x", use, b), use)
}

func (h holder) Find(label string) (keyset.HeldKey, error) { return h.t.Key(label) }
