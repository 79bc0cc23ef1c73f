package myinfo

import (
	"sync"
	"time"
)

// Faults are runtime switches that make the emulator misbehave, for testing
// how a client copes. The zero value is "no faults". All methods are safe for
// concurrent use, so a test may flip a switch between two requests of one
// login.
type Faults struct {
	mu                 sync.RWMutex
	down               bool
	slow               time.Duration
	badSignature       bool
	badPersonSignature bool
	wrongEncryptionKey bool
	expiredToken       bool
}

// SetDown makes every route answer 503, as Myinfo under maintenance. The
// token and person APIs answer {"code":503,…}; authorise, once the client and
// redirect_uri check out, redirects with error=503 as the v3 specification
// describes, and otherwise shows a 503 page.
func (f *Faults) SetDown(on bool) { f.mu.Lock(); f.down = on; f.mu.Unlock() }

// Down reports whether SetDown is on.
func (f *Faults) Down() bool { f.mu.RLock(); defer f.mu.RUnlock(); return f.down }

// SetSlow delays every request by d before it is handled (0 turns it off).
// The delay ends early, with no answer, when the request's context ends.
func (f *Faults) SetSlow(d time.Duration) { f.mu.Lock(); f.slow = max(d, 0); f.mu.Unlock() }

// Slow returns the delay set by SetSlow.
func (f *Faults) Slow() time.Duration { f.mu.RLock(); defer f.mu.RUnlock(); return f.slow }

// SetBadSignature makes the emulator sign access tokens and person JWS with a
// key other than Config.SigningKey (under the same kid), so a client that
// verifies signatures must refuse them. The emulator's own person API also
// refuses such access tokens: to test a client's person-JWS check, turn this
// on after the token exchange.
func (f *Faults) SetBadSignature(on bool) { f.mu.Lock(); f.badSignature = on; f.mu.Unlock() }

// BadSignature reports whether SetBadSignature is on.
func (f *Faults) BadSignature() bool { f.mu.RLock(); defer f.mu.RUnlock(); return f.badSignature }

// SetBadPersonSignature makes the emulator sign person JWS, and only those,
// with a key other than Config.SigningKey (under the same kid). Access
// tokens stay good, so a whole exchange reaches the person call and a
// client's person-JWS check is what must refuse the answer.
func (f *Faults) SetBadPersonSignature(on bool) {
	f.mu.Lock()
	f.badPersonSignature = on
	f.mu.Unlock()
}

// BadPersonSignature reports whether SetBadPersonSignature is on.
func (f *Faults) BadPersonSignature() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.badPersonSignature
}

// SetWrongEncryptionKey makes the emulator encrypt person answers to a key
// other than the client's (under the client key's kid), so the client cannot
// decrypt them.
func (f *Faults) SetWrongEncryptionKey(on bool) {
	f.mu.Lock()
	f.wrongEncryptionKey = on
	f.mu.Unlock()
}

// WrongEncryptionKey reports whether SetWrongEncryptionKey is on.
func (f *Faults) WrongEncryptionKey() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.wrongEncryptionKey
}

// SetExpiredToken makes the token API issue access tokens that expired
// before they were issued (exp one minute in the past), correctly signed.
// The emulator's person API refuses them with 401.
func (f *Faults) SetExpiredToken(on bool) { f.mu.Lock(); f.expiredToken = on; f.mu.Unlock() }

// ExpiredToken reports whether SetExpiredToken is on.
func (f *Faults) ExpiredToken() bool { f.mu.RLock(); defer f.mu.RUnlock(); return f.expiredToken }

// Reset turns every fault off.
func (f *Faults) Reset() {
	f.mu.Lock()
	f.down, f.slow, f.badSignature, f.badPersonSignature, f.wrongEncryptionKey, f.expiredToken = false, 0, false, false, false, false
	f.mu.Unlock()
}
