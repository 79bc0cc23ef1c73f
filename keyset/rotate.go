package keyset

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Defaults of [RotatePolicy].
const (
	// DefaultPublish covers a restart of every instance (which read the
	// key set file when they start) and then the providers' cache of the
	// relying party's JWKS: Singpass and Corppass keep it for an hour.
	DefaultPublish = 90 * time.Minute
	// DefaultDrain covers what is in flight when a key is replaced: the
	// client assertions and DPoP proofs it signed (at most 2 minutes
	// old) and logins that began before (10 minutes by default).
	DefaultDrain = 15 * time.Minute
)

// ErrRotating: a rotation is under way (a key's not_before has not come);
// rotating again would retire a key that has not yet taken over.
var ErrRotating = errors.New("keyset: a rotation is under way")

// RotatePolicy sets the waits of [Set.Rotate].
type RotatePolicy struct {
	// Publish is how long a change to the key set takes to reach every
	// instance and every provider's cache (0: DefaultPublish).
	Publish time.Duration
	// Drain is how long a replaced key keeps working after its successor
	// takes over (0: DefaultDrain).
	Drain time.Duration
}

// Rotation says what [Set.Rotate] did.
type Rotation struct {
	// Signing and Decryption are the kids of the new keys.
	Signing, Decryption string
	// Takeover is when they take over (their not_before).
	Takeover time.Time
	// Retiring are the keys given a retire_after by this rotation.
	Retiring []KeyInfo
	// Dropped are the kids of the keys removed because their
	// retire_after had passed.
	Dropped []string
}

// Rotate replaces both keys in charge at now with fresh ones (drawn from
// rand, nil: crypto/rand), in the steps Singpass and Corppass ask for,
// written as times in the set so the service follows them by its clock:
//
//   - The new signing key is published at once and signs from now +
//     Publish, when every provider has it. The old one signs until then,
//     stays published for Drain more, and is retired.
//   - The new decryption key replaces the old one in the published set at
//     now + Publish, once every instance can decrypt with it. The old one
//     is published until then and still decrypts for Publish + Drain
//     more (providers may encrypt to the set they cached), then retires.
//
// Keys whose retire_after has passed are dropped first. Rotate refuses
// (ErrRotating) while a key's not_before is still ahead: rotate again after
// the takeover. It changes nothing on error.
func (s *Set) Rotate(rand io.Reader, now time.Time, p RotatePolicy) (Rotation, error) {
	if p.Publish < 0 || p.Drain < 0 {
		return Rotation{}, fmt.Errorf("%w: negative rotation wait", ErrInvalid)
	}
	if p.Publish == 0 {
		p.Publish = DefaultPublish
	}
	if p.Drain == 0 {
		p.Drain = DefaultDrain
	}
	for _, k := range s.keys {
		if k.NotBefore.After(now) {
			return Rotation{}, fmt.Errorf("%w: key %s takes over at %s; rotate after that", ErrRotating, k.KeyID, k.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	next := &Set{holder: s.holder}
	var r Rotation
	for _, k := range s.keys {
		if !k.RetireAfter.IsZero() && !now.Before(k.RetireAfter) {
			r.Dropped = append(r.Dropped, k.KeyID)
			continue
		}
		next.keys = append(next.keys, k)
	}
	sig, enc := next.current(UseSig, now), next.current(UseEnc, now)
	if sig < 0 || enc < 0 {
		return Rotation{}, fmt.Errorf("%w: no signing or decryption key is in charge at %s", ErrInvalid, now.UTC().Format(time.RFC3339))
	}
	r.Takeover = now.Add(p.Publish)
	retire := map[string]time.Time{
		UseSig: r.Takeover.Add(p.Drain),
		UseEnc: r.Takeover.Add(p.Publish + p.Drain),
	}
	// Every key still without a retire time is replaced by the new one.
	for i := range next.keys {
		k := &next.keys[i]
		if k.RetireAfter.IsZero() {
			k.RetireAfter = retire[k.Use]
			r.Retiring = append(r.Retiring, next.Keys()[i])
		}
	}
	for _, use := range []string{UseSig, UseEnc} {
		e, err := next.newEntry(rand, use)
		if err != nil {
			return Rotation{}, err
		}
		e.Created, e.NotBefore = now, r.Takeover
		next.keys = append(next.keys, e)
		if use == UseSig {
			r.Signing = e.KeyID
		} else {
			r.Decryption = e.KeyID
		}
	}
	if err := next.check(); err != nil {
		return Rotation{}, err
	}
	s.keys = slices.Clone(next.keys)
	return r, nil
}
