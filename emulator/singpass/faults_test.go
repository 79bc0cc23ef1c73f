package singpass

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect/emulator/internal/fifo"
)

// TestFaults runs a login with each fault on and checks what a relying
// party sees.
func TestFaults(t *testing.T) {
	cases := []struct {
		name  string
		set   func(f *Faults)
		check func(t *testing.T, e *env, l *login)
	}{
		{"bad ID token signature", func(f *Faults) { f.SetBadIDTokenSignature(true) }, func(t *testing.T, e *env, l *login) {
			if _, _, err := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); err == nil || !strings.HasPrefix(err.Error(), "verify:") {
				t.Fatalf("ID token opened: %v", err)
			}
			if _, _, err := e.openJWT(l.rp, l.userinfo(), jose.A256GCM); err != nil {
				t.Fatalf("userinfo should be good: %v", err)
			}
		}},
		{"bad userinfo signature", func(f *Faults) { f.SetBadUserinfoSignature(true) }, func(t *testing.T, e *env, l *login) {
			if _, _, err := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); err != nil {
				t.Fatalf("ID token should be good: %v", err)
			}
			if _, _, err := e.openJWT(l.rp, l.userinfo(), jose.A256GCM); err == nil || !strings.HasPrefix(err.Error(), "verify:") {
				t.Fatalf("userinfo opened: %v", err)
			}
		}},
		{"wrong encryption key", func(f *Faults) { f.SetWrongEncryptionKey(true) }, func(t *testing.T, e *env, l *login) {
			if _, _, err := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); err == nil || !strings.HasPrefix(err.Error(), "decrypt:") {
				t.Fatalf("ID token decrypted: %v", err)
			}
			if _, _, err := e.openJWT(l.rp, l.userinfo(), jose.A256GCM); err == nil || !strings.HasPrefix(err.Error(), "decrypt:") {
				t.Fatalf("userinfo decrypted: %v", err)
			}
		}},
		{"userinfo sub differs", func(f *Faults) { f.SetUserinfoSubMismatch(true) }, func(t *testing.T, e *env, l *login) {
			_, id, _ := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512)
			_, ui, err := e.openJWT(l.rp, l.userinfo(), jose.A256GCM)
			if err != nil || ui["sub"] == id["sub"] || len(ui["sub"].(string)) != 36 {
				t.Fatalf("userinfo sub %v, ID token sub %v (%v)", ui["sub"], id["sub"], err)
			}
		}},
		{"ID token wrong nonce", func(f *Faults) { f.SetIDTokenWrongNonce(true) }, func(t *testing.T, e *env, l *login) {
			if _, id, _ := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); id["nonce"] == l.nonce {
				t.Fatal("nonce is right")
			}
		}},
		{"ID token wrong aud", func(f *Faults) { f.SetIDTokenWrongAudience(true) }, func(t *testing.T, e *env, l *login) {
			if _, id, _ := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); id["aud"] == l.rp.id {
				t.Fatal("aud is right")
			}
		}},
		{"ID token wrong iss", func(f *Faults) { f.SetIDTokenWrongIssuer(true) }, func(t *testing.T, e *env, l *login) {
			if _, id, _ := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512); id["iss"] == testIssuer {
				t.Fatal("iss is right")
			}
		}},
		{"ID token expired", func(f *Faults) { f.SetIDTokenExpired(true) }, func(t *testing.T, e *env, l *login) {
			_, id, _ := e.openJWT(l.rp, l.idToken, jose.A256CBC_HS512)
			if exp, _ := id["exp"].(float64); exp >= float64(e.clock.Now().Unix()) {
				t.Fatalf("exp %v is not past", id["exp"])
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			c.set(e.srv.Faults())
			l := e.newLogin(e.myinfo, "openid uinfin")
			l.fullLogin(testPersona)
			c.check(t, e, l)
			e.srv.Faults().Reset()
			l2 := e.newLogin(e.myinfo, "openid uinfin")
			l2.fullLogin(testPersona)
			if _, _, err := e.openJWT(l2.rp, l2.idToken, jose.A256CBC_HS512); err != nil {
				t.Fatalf("after Reset: %v", err)
			}
		})
	}
}

func TestFaultDown(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.par()
	e.srv.Faults().SetDown(true)
	q := l.authorize("&persona=" + testPersona + "&consent=allow")
	if q.Get("error") != "temporarily_unavailable" {
		t.Fatalf("authorize while down: %v", q)
	}
	oauthErr(t, l.sendPAR(l.parForm(), l.proof("POST", e.endpoint("pushed_authorization_request_endpoint"), "")),
		503, "temporarily_unavailable", "down")
	oauthErr(t, e.do(httptest.NewRequest("GET", testIssuer+"/.well-known/openid-configuration", nil)), 503, "temporarily_unavailable", "down")
	e.srv.Faults().SetDown(false)
	l.authorizeCode(testPersona) // the request_uri was not consumed
}

func TestFaultSlow(t *testing.T) {
	e := newEnv(t)
	e.srv.Faults().SetSlow(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := e.do(httptest.NewRequest("GET", testIssuer+"/.well-known/openid-configuration", nil).WithContext(ctx))
	if rec.Code != 503 {
		t.Fatalf("slow with a cancelled request: %d", rec.Code)
	}
	if e.srv.Faults().Slow() != time.Hour {
		t.Fatal("Slow")
	}
}

func TestFaultsConcurrent(t *testing.T) {
	var f Faults
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				on := (i+j)%2 == 0
				f.SetDown(on)
				f.SetWrongEncryptionKey(on)
				_ = f.Down() || f.WrongEncryptionKey() || f.IDTokenWrongNonce()
				f.Reset()
			}
		}()
	}
	wg.Wait()
}

// TestLogsNoPersonalData runs a login with a Logger and checks the log
// holds routes and statuses, never a persona, token, code, state or nonce.
func TestLogsNoPersonalData(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	e := newEnv(t, func(c *Config) { c.Logger = logger })
	l := e.newLogin(e.myinfo, "openid uinfin name")
	l.fullLogin(testPersona)
	l.userinfo()
	mu.Lock()
	log := buf.String()
	mu.Unlock()
	for _, secret := range []string{testPersona, "ANDY", l.state, l.nonce, l.code, l.access, l.verifier, url.QueryEscape(l.requestURI)} {
		if strings.Contains(log, secret) {
			t.Errorf("log holds %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{"route=\"POST /par\"", "route=\"GET /auth\"", "status=302", "route=\"GET /userinfo\"", "status=200"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestReplayCacheNeverForgetsIntoAReplay(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	c := newReplayCache(2)
	until := now.Add(time.Minute)
	if c.add("a", 100, now, until) != replayFresh || c.add("b", 101, now, until) != replayFresh {
		t.Fatal("fresh jtis refused")
	}
	if c.add("a", 100, now, until) != replayRepeated {
		t.Fatal("replay of a accepted")
	}
	// Full: c evicts a (iat 100); from then on, iat ≤ 100 is refused,
	// so a replay of a cannot slip through, while a fresh token works.
	if c.add("c", 102, now, until) != replayFresh {
		t.Fatal("c refused")
	}
	if c.add("a", 100, now, until) != replayTooOld {
		t.Fatal("a replayed after eviction")
	}
	if c.add("d", 103, now, until) != replayFresh {
		t.Fatal("fresh d refused after a flood")
	}
	// Expired entries are dropped without raising the floor.
	later := until.Add(time.Second)
	c2 := newReplayCache(1)
	c2.add("x", 100, now, until)
	if c2.add("y", 50, later, later.Add(time.Minute)) != replayFresh || c2.floor != -1<<63 {
		t.Fatal("an expired entry raised the floor")
	}
}

func TestFIFOEvictsOldest(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	m := fifo.New[int](2)
	m.Put("a", 1, now, now.Add(time.Minute))
	m.Put("b", 2, now, now.Add(time.Minute))
	if ev := m.Put("c", 3, now, now.Add(time.Minute)); len(ev) != 1 || ev[0] != 1 {
		t.Fatalf("evicted %v", ev)
	}
	if _, ok := m.Get("a"); ok || m.Len() != 2 {
		t.Fatal("a kept")
	}
	m.Prune(now.Add(time.Minute))
	if m.Len() != 0 {
		t.Fatal("expired kept")
	}
}

// TestFloodNeverLocksOut fills the pending request_uris past their bound:
// the newest login still works.
func TestFloodNeverLocksOut(t *testing.T) {
	e := newEnv(t)
	e.srv.mu.Lock()
	for i := range maxPending + 10 {
		e.srv.pending.Put("flood"+strconv.Itoa(i), &parRequest{}, e.clock.Now(), e.clock.Now().Add(time.Hour))
	}
	e.srv.mu.Unlock()
	l := e.newLogin(e.myinfo, "openid uinfin")
	l.fullLogin(testPersona)
	if e.srv.pending.Len() > maxPending {
		t.Fatalf("%d pending, bound %d", e.srv.pending.Len(), maxPending)
	}
}

func itoaTest(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + time.Duration(i).String())
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	r := httptest.NewRequest("POST", testIssuer+"/par", strings.NewReader("a="+strings.Repeat("x", MaxBodyBytes)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	oauthErr(t, e.do(r), http.StatusRequestEntityTooLarge, "invalid_request", "too large")
}
