package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/store/redis/redistest"
)

// With IDCONNECT_REDIS_URL the service keeps its pending logins, results
// and start limits in Redis, sealed: a whole login works, and while it is
// pending Redis holds no state, code, secret or person data in the clear.
func TestEndToEndRedis(t *testing.T) {
	rs := redistest.Start(t)
	ts, svc := startService(t, map[string]string{
		"IDCONNECT_REDIS_URL":   rs.URL(),
		"IDCONNECT_RESULT_KEY":  "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"IDCONNECT_COOKIE_KEY":  "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
		"IDCONNECT_LOGIN_BURST": "1000",
	})
	c := browserClient(t)
	cb := login(t, c, ts.URL, "S6005048A", "allow")
	page := get(t, c, cb)
	m := codeRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("callback page: %d %s", page.status, page.body)
	}

	// The code's login waits in Redis: look at everything there.
	client := goredis.NewClient(&goredis.Options{Addr: rs.Addr})
	defer client.Close()
	ctx := context.Background()
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var logins int
	for _, k := range keys {
		if strings.HasPrefix(k, "idconnect:login:") {
			logins++
		}
		v, _ := client.Get(ctx, k).Result()
		for _, secret := range []string{m[1], "S6005048A", "ANDY", svc.clientSecret.Reveal(), "verifier", "http://", "redirect_uri"} {
			if strings.Contains(k, secret) || strings.Contains(v, secret) {
				t.Fatalf("Redis key %q holds %q in the clear", k, secret)
			}
		}
	}
	if logins != 1 {
		t.Fatalf("%d pending logins in Redis (keys %v), want the one waiting for its code", logins, keys)
	}
	person := get(t, c, ts.URL+"/users/me/external/myinfo?code="+m[1])
	if want := `{"message":"OK","sodata":` + seedSodata + "}\n"; person.status != http.StatusOK || person.body != want {
		t.Fatalf("person answer %d: %s", person.status, person.body)
	}
	if ready := get(t, c, ts.URL+"/readyz"); ready.status != http.StatusOK {
		t.Fatalf("/readyz with Redis up: %d %s", ready.status, ready.body)
	}
	rs.Stop()
	if ready := get(t, c, ts.URL+"/readyz"); ready.status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down: %d %s", ready.status, ready.body)
	}
	if health := get(t, c, ts.URL+"/healthz"); health.status != http.StatusOK {
		t.Fatalf("/healthz with Redis down: %d", health.status)
	}
	if start := get(t, browserClient(t), ts.URL+"/users/me/external/myinfo-redirect-login"); start.status != http.StatusServiceUnavailable {
		t.Fatalf("a new login with Redis down: %d %s", start.status, start.body)
	}
	rs.Restart()
	if ready := get(t, c, ts.URL+"/readyz"); ready.status != http.StatusOK {
		t.Fatalf("/readyz after Redis restarted: %d %s", ready.status, ready.body)
	}
	c2 := browserClient(t)
	if m := codeRe.FindStringSubmatch(get(t, c2, login(t, c2, ts.URL, "S6005048A", "allow")).body); m == nil {
		t.Fatal("no login after Redis restarted")
	}
}
