package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idconnect/idconnect/emulator/personas"
	"github.com/idconnect/idconnect/store/redis/redistest"
)

// redisKeyRe is every shape of key the service may keep in Redis: the
// prefix, the kind, and a hash (never a state, code or handle).
var redisKeyRe = regexp.MustCompile(`^idconnect:(?:(login):(?:state|code)|(document):document|result:(result)|result:(result-mark)|(limit)):([0-9a-f]+)$`)

// longDigits are runs of digits longer than any personal number (postal
// codes, phone and account numbers): timestamps, which may hold one of
// those by chance.
var longDigits = regexp.MustCompile(`[0-9]{13,}`)

// checkRedisClean reads every key and value in the Redis at addr and fails
// the test if a key is of an unknown shape, if a login, document or result
// is not sealed, or if anything holds personal data, secret or one of
// seen. It returns the number of keys of each kind (login, document,
// result, result-mark, limit).
func checkRedisClean(t *testing.T, addr, secret string, seen []string) map[string]int {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	forbidden := append(personalData(t), seen...)
	if secret != "" {
		forbidden = append(forbidden, secret)
	}
	kinds := map[string]int{}
	var cursor uint64
	for range 1000 {
		keys, next, err := client.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		for _, k := range keys {
			m := redisKeyRe.FindStringSubmatch(k)
			if m == nil || (len(m[6]) != 64 && len(m[6]) != 32) {
				t.Errorf("Redis holds a key of an unknown shape: %q", k)
				continue
			}
			kind := m[1] + m[2] + m[3] + m[4] + m[5]
			kinds[kind]++
			var values []string
			switch typ := client.Type(ctx, k).Val(); typ {
			case "string":
				v, err := client.Get(ctx, k).Result()
				if err == goredis.Nil {
					continue // taken meanwhile
				}
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				values = append(values, v)
			case "hash":
				h, err := client.HGetAll(ctx, k).Result()
				if err != nil {
					t.Fatalf("HGETALL: %v", err)
				}
				for f, v := range h {
					values = append(values, f, v)
				}
			case "none":
				continue // expired or taken meanwhile
			default:
				t.Errorf("Redis key %s is a %s, which the service does not write", k, typ)
				continue
			}
			for _, v := range values {
				if (kind == "login" || kind == "document" || kind == "result") && (len(v) < 29 || utf8.ValidString(v)) {
					t.Errorf("Redis %s value under %s is not sealed: %q", kind, k, v)
				}
				masked := longDigits.ReplaceAllString(v, "#")
				for _, f := range forbidden {
					if f != "" && indexValue(masked, f) >= 0 {
						t.Errorf("Redis %s value under %s holds %q", kind, k, f)
					}
				}
			}
		}
		if cursor = next; cursor == 0 {
			return kinds
		}
	}
	t.Fatal("SCAN did not finish in 1,000 rounds")
	return nil
}

// Every persona of every provider (Myinfo v3, Singpass FAPI's Myinfo and
// Login apps, OneID), with denials, replays and every provider fault, runs
// through the service on Redis, directly and with the result handoff.
// While logins, documents and results wait, Redis holds nothing personal,
// no secret and no code, state or handle the test saw; nor do the log and
// /metrics.
func TestPrivacyEveryProviderOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	redisEnv := func(more map[string]string) map[string]string {
		env := map[string]string{
			"IDCONNECT_REDIS_URL":        rs.URL(),
			"IDCONNECT_RESULT_KEY":       "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
			"IDCONNECT_COOKIE_KEY":       "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
			"IDCONNECT_LOGIN_BURST":      "1000000",
			"IDCONNECT_PROVIDER_TIMEOUT": "2s", // room for a loaded machine; slowFault passes it
		}
		for k, v := range more {
			env[k] = v
		}
		return env
	}
	logs := &syncBuffer{}
	ts, svc := startServiceWith(t, serviceOptions{env: redisEnv(nil), logs: logs})
	handoffLogs := &syncBuffer{}
	hts, hsvc := startServiceWith(t, serviceOptions{env: redisEnv(map[string]string{
		"IDCONNECT_RETURN_URL": "http://127.0.0.1:9/app/done",
		"IDCONNECT_API_KEY":    e2eAPIKey,
	}), logs: handoffLogs})
	seen := &seenValues{}
	seen.add(e2eAPIKey)
	secrets := []string{svc.clientSecret.Reveal(), hsvc.clientSecret.Reveal()}
	scans := 0
	// scan checks Redis and returns how many keys of kind it holds.
	scan := func(kind string) int {
		t.Helper()
		scans++
		return checkRedisClean(t, rs.Addr, secrets[0], append(seen.list(), secrets[1]))[kind]
	}
	// follow GETs u in c, noting the one-time values in u and in where it
	// redirects.
	follow := func(c *http.Client, u string) answer {
		t.Helper()
		seen.addURL(u)
		a := get(t, c, u)
		if loc := a.header.Get("Location"); loc != "" {
			seen.addURL(loc)
		}
		return a
	}
	startURL := func(c *http.Client, u string) string {
		t.Helper()
		a := get(t, c, u)
		var start struct{ Data struct{ URL string } }
		if err := json.Unmarshal([]byte(a.body), &start); err != nil || a.status != http.StatusOK || start.Data.URL == "" {
			t.Fatalf("start %s: %d %s", u, a.status, a.body)
		}
		seen.addURL(start.Data.URL)
		return start.Data.URL
	}
	notOK := func(what string, a answer) {
		t.Helper()
		if a.status == http.StatusOK {
			t.Fatalf("%s answered 200: %s", what, a.body)
		}
	}
	myinfoPeople, err := personas.Myinfo()
	if err != nil {
		t.Fatal(err)
	}
	oneidPeople, err := personas.OneID()
	if err != nil {
		t.Fatal(err)
	}

	// Myinfo v3 on the seed routes: the state waits, then the code.
	for _, p := range myinfoPeople {
		c := browserClient(t)
		auth := startURL(c, ts.URL+"/users/me/external/myinfo-redirect-login")
		if scan("login") == 0 {
			t.Fatal("no pending login in Redis after a start")
		}
		cb := follow(c, auth+"&persona="+p.ID+"&consent=allow").header.Get("Location")
		page := follow(c, cb)
		m := codeRe.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("%s: callback page %d %s", p.ID, page.status, page.body)
		}
		seen.add(m[1])
		if scan("login") == 0 {
			t.Fatal("no code waiting in Redis before the person call")
		}
		if a := get(t, c, ts.URL+"/users/me/external/myinfo?code="+url.QueryEscape(m[1])); a.status != http.StatusOK || !strings.Contains(a.body, p.ID) {
			t.Fatalf("%s: person %d %s", p.ID, a.status, a.body)
		}
		notOK("a replayed code", get(t, c, ts.URL+"/users/me/external/myinfo?code="+url.QueryEscape(m[1])))
		notOK("a replayed callback", get(t, c, cb))
		follow(c, follow(c, startURL(c, ts.URL+"/users/me/external/myinfo-redirect-login")+"&persona="+p.ID+"&consent=deny").header.Get("Location"))
	}
	mf := svc.myinfo.Faults()
	for i, set := range []func(bool){mf.SetBadSignature, mf.SetBadPersonSignature, mf.SetWrongEncryptionKey, mf.SetExpiredToken, mf.SetDown, slowFault(mf.SetSlow)} {
		p := myinfoPeople[i%len(myinfoPeople)]
		c := browserClient(t)
		cb := follow(c, startURL(c, ts.URL+"/users/me/external/myinfo-redirect-login")+"&persona="+p.ID+"&consent=allow").header.Get("Location")
		m := codeRe.FindStringSubmatch(follow(c, cb).body)
		if m == nil {
			t.Fatalf("fault %d: no code", i)
		}
		seen.add(m[1])
		set(true)
		notOK("a Myinfo fault", get(t, c, ts.URL+"/users/me/external/myinfo?code="+url.QueryEscape(m[1])))
		set(false)
	}

	// Singpass FAPI, both apps, on the generic routes: the login (with
	// its DPoP key and PKCE verifier) waits for the callback.
	sf := svc.singpass.Faults()
	spFaults := []func(bool){sf.SetBadIDTokenSignature, sf.SetBadUserinfoSignature, sf.SetWrongEncryptionKey, sf.SetUserinfoSubMismatch,
		sf.SetIDTokenWrongNonce, sf.SetIDTokenWrongAudience, sf.SetIDTokenWrongIssuer, sf.SetIDTokenExpired, sf.SetDown, slowFault(sf.SetSlow)}
	for _, app := range []string{"singpass", "singpass-login"} {
		for _, p := range myinfoPeople {
			c := browserClient(t)
			auth := startURL(c, ts.URL+"/login/"+app)
			cb := follow(c, auth+"&persona="+p.ID+"&consent=allow").header.Get("Location")
			if scan("login") == 0 {
				t.Fatalf("%s: no pending login in Redis before the callback", app)
			}
			if a := follow(c, cb); a.status != http.StatusOK {
				t.Fatalf("%s %s: callback %d %s", app, p.ID, a.status, a.body)
			}
			notOK("a replayed Singpass callback", get(t, c, cb))
			follow(c, follow(c, startURL(c, ts.URL+"/login/"+app)+"&persona="+p.ID+"&consent=deny").header.Get("Location"))
		}
		for i, set := range spFaults {
			c := browserClient(t)
			cb := follow(c, startURL(c, ts.URL+"/login/"+app)+"&persona="+myinfoPeople[i%len(myinfoPeople)].ID+"&consent=allow").header.Get("Location")
			set(true)
			a := follow(c, cb)
			set(false)
			if app == "singpass" || i != 1 && i != 3 { // the Login app calls no userinfo
				notOK("a Singpass fault", a)
			}
		}
	}

	// OneID: the login waits for the callback, then the report for its
	// fetch.
	of := svc.oneid.Faults()
	for _, p := range oneidPeople {
		c := browserClient(t)
		auth := startURL(c, ts.URL+"/login/oneid")
		cb := follow(c, auth+"&persona="+p.ID+"&consent=allow").header.Get("Location")
		if scan("login") == 0 {
			t.Fatal("oneid: no pending login in Redis before the callback")
		}
		a := follow(c, cb)
		var body struct {
			Data struct{ Documents map[string]string }
		}
		if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != http.StatusOK || body.Data.Documents["report"] == "" {
			t.Fatalf("oneid %s: %d %s", p.ID, a.status, a.body)
		}
		link := body.Data.Documents["report"]
		seen.add(link[strings.LastIndexByte(link, '/')+1:])
		if scan("document") == 0 {
			t.Fatal("oneid: no report waiting in Redis")
		}
		if r := get(t, c, ts.URL+link); r.status != http.StatusOK {
			t.Fatalf("report: %d", r.status)
		}
		notOK("a replayed OneID callback", get(t, c, cb))
		follow(c, follow(c, startURL(c, ts.URL+"/login/oneid")+"&persona="+p.ID+"&consent=deny").header.Get("Location"))
	}
	for i, set := range []func(bool){of.SetIDTokenForeignKey, of.SetIDTokenRS256, of.SetIDTokenExpired, of.SetIDTokenWrongNonce, of.SetDown, slowFault(of.SetSlow)} {
		c := browserClient(t)
		cb := follow(c, startURL(c, ts.URL+"/login/oneid")+"&persona="+oneidPeople[i%len(oneidPeople)].ID+"&consent=allow").header.Get("Location")
		set(true)
		notOK("a OneID fault", follow(c, cb))
		set(false)
	}

	// The result handoff: every persona's result waits, sealed, for the
	// backend's fetch.
	fetch := func(handle string) answer {
		req, _ := http.NewRequest("GET", hts.URL+"/results/"+url.PathEscape(handle), nil)
		req.Header.Set("Authorization", "Bearer "+e2eAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, body: string(b)}
	}
	handOff := func(start, persona string) {
		t.Helper()
		c := browserClient(t)
		cb := follow(c, startURL(c, hts.URL+start)+"&persona="+persona+"&consent=allow").header.Get("Location")
		a := follow(c, cb)
		loc, err := url.Parse(a.header.Get("Location"))
		if a.status != http.StatusFound || err != nil || loc.Query().Get("result") == "" {
			t.Fatalf("handoff %s %s: %d %s", start, persona, a.status, a.body)
		}
		if n := scan("result"); n == 0 {
			t.Fatal("no result waiting in Redis")
		}
		if r := fetch(loc.Query().Get("result")); r.status != http.StatusOK {
			t.Fatalf("result fetch: %d %s", r.status, r.body)
		}
		if r := fetch(loc.Query().Get("result")); r.status == http.StatusOK {
			t.Fatal("a result fetched twice")
		}
	}
	for _, p := range myinfoPeople {
		handOff("/login/myinfo", p.ID)
		handOff("/login/singpass", p.ID)
	}
	for _, p := range oneidPeople {
		handOff("/login/oneid", p.ID)
	}

	// The log, /metrics and Redis (now holding marks and limits) are
	// checked once more with every value seen.
	all := seen.list()
	for _, s := range secrets {
		checkLogClean(t, logs.String(), s, all...)
		checkLogClean(t, handoffLogs.String(), s, all...)
	}
	checkMetricsClean(t, svc, all...)
	checkMetricsClean(t, hsvc, all...)
	kinds := checkRedisClean(t, rs.Addr, secrets[0], append(all, secrets[1]))
	if kinds["limit"] == 0 || kinds["result-mark"] == 0 {
		t.Errorf("Redis holds no limit or result mark at the end (%v): the scan would miss them", kinds)
	}
	t.Logf("%d scans of Redis; %d values seen", scans, len(all))
}

// slowFault turns a SetSlow into an on/off fault: the emulator answers
// after a minute, far past any provider timeout a test sets, and stops
// waiting when the service gives up on the request.
func slowFault(setSlow func(time.Duration)) func(bool) {
	return func(on bool) {
		if on {
			setSlow(time.Minute)
		} else {
			setSlow(0)
		}
	}
}
