package singpass

import (
	"sync"
	"time"
)

// Faults are runtime switches that make the emulator misbehave, so a
// relying party's negative tests can run. The zero value is "no faults".
// All methods are safe for concurrent use, so a test may flip a switch
// between two requests of one login.
type Faults struct {
	mu                   sync.RWMutex
	down                 bool
	slow                 time.Duration
	badIDTokenSignature  bool
	badUserinfoSignature bool
	wrongEncryptionKey   bool
	userinfoSubMismatch  bool
	idTokenWrongNonce    bool
	idTokenWrongAudience bool
	idTokenWrongIssuer   bool
	idTokenExpired       bool
	missingAct           bool
	badEntityBlock       bool
	otherEntityInfo      bool
}

func (f *Faults) set(p *bool, on bool) { f.mu.Lock(); *p = on; f.mu.Unlock() }
func (f *Faults) get(p *bool) bool     { f.mu.RLock(); defer f.mu.RUnlock(); return *p }

// SetDown makes every endpoint answer 503 temporarily_unavailable; the
// authorization endpoint, given a live request_uri, redirects with
// error=temporarily_unavailable, state and iss instead.
func (f *Faults) SetDown(on bool) { f.set(&f.down, on) }

// Down reports whether SetDown is on.
func (f *Faults) Down() bool { return f.get(&f.down) }

// SetSlow delays every request by d before it is handled (0 turns it off).
// The delay ends early, with a 503, when the request's context ends.
func (f *Faults) SetSlow(d time.Duration) { f.mu.Lock(); f.slow = max(d, 0); f.mu.Unlock() }

// Slow returns the delay set by SetSlow.
func (f *Faults) Slow() time.Duration { f.mu.RLock(); defer f.mu.RUnlock(); return f.slow }

// SetBadIDTokenSignature signs ID tokens with a key other than the signing
// key, under the signing key's kid.
func (f *Faults) SetBadIDTokenSignature(on bool) { f.set(&f.badIDTokenSignature, on) }

// BadIDTokenSignature reports whether SetBadIDTokenSignature is on.
func (f *Faults) BadIDTokenSignature() bool { return f.get(&f.badIDTokenSignature) }

// SetBadUserinfoSignature signs userinfo answers with a key other than the
// signing key, under the signing key's kid.
func (f *Faults) SetBadUserinfoSignature(on bool) { f.set(&f.badUserinfoSignature, on) }

// BadUserinfoSignature reports whether SetBadUserinfoSignature is on.
func (f *Faults) BadUserinfoSignature() bool { return f.get(&f.badUserinfoSignature) }

// SetWrongEncryptionKey encrypts ID tokens and userinfo answers to a key
// other than the client's (under the client key's kid and alg), so the
// client cannot decrypt them.
func (f *Faults) SetWrongEncryptionKey(on bool) { f.set(&f.wrongEncryptionKey, on) }

// WrongEncryptionKey reports whether SetWrongEncryptionKey is on.
func (f *Faults) WrongEncryptionKey() bool { return f.get(&f.wrongEncryptionKey) }

// SetUserinfoSubMismatch makes the userinfo sub differ from the ID token's
// (another well-formed UUID), which a client must refuse: the data would
// belong to someone else.
func (f *Faults) SetUserinfoSubMismatch(on bool) { f.set(&f.userinfoSubMismatch, on) }

// UserinfoSubMismatch reports whether SetUserinfoSubMismatch is on.
func (f *Faults) UserinfoSubMismatch() bool { return f.get(&f.userinfoSubMismatch) }

// SetIDTokenWrongNonce puts a nonce other than the PAR's in ID tokens.
func (f *Faults) SetIDTokenWrongNonce(on bool) { f.set(&f.idTokenWrongNonce, on) }

// IDTokenWrongNonce reports whether SetIDTokenWrongNonce is on.
func (f *Faults) IDTokenWrongNonce() bool { return f.get(&f.idTokenWrongNonce) }

// SetIDTokenWrongAudience puts an aud other than the client_id in ID
// tokens.
func (f *Faults) SetIDTokenWrongAudience(on bool) { f.set(&f.idTokenWrongAudience, on) }

// IDTokenWrongAudience reports whether SetIDTokenWrongAudience is on.
func (f *Faults) IDTokenWrongAudience() bool { return f.get(&f.idTokenWrongAudience) }

// SetIDTokenWrongIssuer puts an iss other than the issuer in ID tokens.
func (f *Faults) SetIDTokenWrongIssuer(on bool) { f.set(&f.idTokenWrongIssuer, on) }

// IDTokenWrongIssuer reports whether SetIDTokenWrongIssuer is on.
func (f *Faults) IDTokenWrongIssuer() bool { return f.get(&f.idTokenWrongIssuer) }

// SetIDTokenExpired issues ID tokens whose exp is a minute before their
// iat, correctly signed.
func (f *Faults) SetIDTokenExpired(on bool) { f.set(&f.idTokenExpired, on) }

// IDTokenExpired reports whether SetIDTokenExpired is on.
func (f *Faults) IDTokenExpired() bool { return f.get(&f.idTokenExpired) }

// SetMissingAct leaves act (the acting person) out of Corppass ID tokens,
// which a client must refuse.
func (f *Faults) SetMissingAct(on bool) { f.set(&f.missingAct, on) }

// MissingAct reports whether SetMissingAct is on.
func (f *Faults) MissingAct() bool { return f.get(&f.missingAct) }

// SetBadEntityBlock sends a Corppass userinfo whose entity_info is a
// number: neither an object nor a JSON string holding one.
func (f *Faults) SetBadEntityBlock(on bool) { f.set(&f.badEntityBlock, on) }

// BadEntityBlock reports whether SetBadEntityBlock is on.
func (f *Faults) BadEntityBlock() bool { return f.get(&f.badEntityBlock) }

// SetOtherEntityInfo sends, under the right sub, another entity's
// entity_info.basic_profile: a client must not fill one company's form
// with another's data.
func (f *Faults) SetOtherEntityInfo(on bool) { f.set(&f.otherEntityInfo, on) }

// OtherEntityInfo reports whether SetOtherEntityInfo is on.
func (f *Faults) OtherEntityInfo() bool { return f.get(&f.otherEntityInfo) }

// Reset turns every fault off.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.slow = false, 0
	f.badIDTokenSignature, f.badUserinfoSignature, f.wrongEncryptionKey = false, false, false
	f.userinfoSubMismatch, f.idTokenWrongNonce, f.idTokenWrongAudience = false, false, false
	f.idTokenWrongIssuer, f.idTokenExpired = false, false
	f.missingAct, f.badEntityBlock, f.otherEntityInfo = false, false, false
}
