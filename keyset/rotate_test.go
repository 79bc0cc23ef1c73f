package keyset

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// published returns the kids of the public set at now.
func published(s *Set, now time.Time) []string {
	var kids []string
	for _, k := range s.PublicAt(now).Keys {
		if !k.IsPublic() {
			panic("a private key in the public set")
		}
		kids = append(kids, k.KeyID)
	}
	return kids
}

func signerAt(t *testing.T, s *Set, now time.Time) string {
	t.Helper()
	_, kid, err := s.SigningKey(now)
	if err != nil {
		t.Fatalf("signer at %v: %v", now, err)
	}
	return kid
}

// TestRotate follows one rotation through the service's clock.
func TestRotate(t *testing.T) {
	s := mustGenerate(t)
	oldSig, oldEnc := s.Keys()[0].KeyID, s.Keys()[1].KeyID
	t0 := testNow
	const publish, drain = time.Hour, 10 * time.Minute
	r, err := s.Rotate(nil, t0, RotatePolicy{Publish: publish, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	newSig, newEnc := r.Signing, r.Decryption
	if !r.Takeover.Equal(t0.Add(publish)) || len(r.Retiring) != 2 || len(r.Dropped) != 0 {
		t.Errorf("rotation %+v", r)
	}
	steps := []struct {
		at        time.Duration
		signer    string
		published []string
	}{
		{0, oldSig, []string{oldSig, oldEnc, newSig}},
		{publish - time.Second, oldSig, []string{oldSig, oldEnc, newSig}},
		{publish, newSig, []string{oldSig, newSig, newEnc}},
		{publish + drain - time.Second, newSig, []string{oldSig, newSig, newEnc}},
		{publish + drain, newSig, []string{newSig, newEnc}},
		{100 * publish, newSig, []string{newSig, newEnc}},
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		if got := signerAt(t, s, now); got != st.signer {
			t.Errorf("t0+%v: signer %s, want %s", st.at, got, st.signer)
		}
		if got := published(s, now); !slices.Equal(got, st.published) {
			t.Errorf("t0+%v: published %v, want %v", st.at, got, st.published)
		}
	}
	// Both decryption keys decrypt throughout (the file is the truth; the
	// next rotation drops the old one once retired).
	for _, kid := range []string{oldEnc, newEnc} {
		compact := encryptTo(t, s, kid, "A256GCM")
		if _, err := decrypt(compact, s); err != nil {
			t.Errorf("decrypting to %s: %v", kid, err)
		}
	}
	for _, k := range s.Keys() {
		switch k.KeyID {
		case oldSig:
			if !k.RetireAfter.Equal(t0.Add(publish + drain)) {
				t.Errorf("old signing key retires %v", k.RetireAfter)
			}
		case oldEnc:
			if !k.RetireAfter.Equal(t0.Add(2*publish + drain)) {
				t.Errorf("old decryption key retires %v", k.RetireAfter)
			}
		case newSig, newEnc:
			if !k.Created.Equal(t0) || !k.NotBefore.Equal(t0.Add(publish)) || !k.RetireAfter.IsZero() {
				t.Errorf("new key %s: %+v", k.Use, k)
			}
		}
	}

	// The times survive the file.
	priv, err := s.MarshalPrivate()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Keys(), s.Keys()) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back.Keys(), s.Keys())
	}
	for _, st := range steps {
		if got := signerAt(t, back, t0.Add(st.at)); got != st.signer {
			t.Errorf("parsed, t0+%v: signer %s, want %s", st.at, got, st.signer)
		}
	}

	// A second rotation before the takeover is refused and changes nothing.
	if _, err := s.Rotate(nil, t0.Add(time.Minute), RotatePolicy{Publish: publish, Drain: drain}); !errors.Is(err, ErrRotating) {
		t.Errorf("rotating during a rotation: %v", err)
	}
	if again, _ := s.MarshalPrivate(); string(again) != string(priv) {
		t.Error("a refused rotation changed the set")
	}

	// After the old signing key retired, the next rotation drops it; the
	// old decryption key is still draining and stays.
	r2, err := s.Rotate(nil, t0.Add(publish+drain), RotatePolicy{Publish: publish, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r2.Dropped, []string{oldSig}) || len(r2.Retiring) != 2 {
		t.Errorf("second rotation %+v", r2)
	}
	if n := len(s.Keys()); n != 5 {
		t.Errorf("%d keys after the second rotation, want 5", n)
	}
	// Much later everything old goes.
	r3, err := s.Rotate(nil, t0.Add(10*publish), RotatePolicy{Publish: publish, Drain: drain})
	if err != nil {
		t.Fatal(err)
	}
	if len(r3.Dropped) != 3 || len(s.Keys()) != 4 {
		t.Errorf("third rotation dropped %v, %d keys left", r3.Dropped, len(s.Keys()))
	}
	if _, err := s.Rotate(nil, t0.Add(20*publish), RotatePolicy{Publish: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative wait: %v", err)
	}
}

func TestParseTimes(t *testing.T) {
	s := mustGenerate(t)
	if _, err := s.Rotate(nil, testNow, RotatePolicy{}); err != nil {
		t.Fatal(err)
	}
	priv, _ := s.MarshalPrivate()
	for _, tt := range []struct{ name, old, new, want string }{
		{"not RFC 3339", `"created": "2026-12-01T10:00:00Z"`, `"created": "1 Dec 2026"`, "created is not an RFC 3339 time"},
		{"not a string", `"created": "2026-12-01T10:00:00Z"`, `"created": 1764583200`, "must be strings"},
		{"retire before start", `"not_before": "2026-12-01T11:30:00Z"`, `"not_before": "2026-12-01T11:30:00Z", "retire_after": "2026-12-01T11:00:00Z"`, "retire_after is not after not_before"},
	} {
		bad := strings.Replace(string(priv), tt.old, tt.new, 1)
		if bad == string(priv) {
			t.Fatalf("%s: the file has no %s", tt.name, tt.old)
		}
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
