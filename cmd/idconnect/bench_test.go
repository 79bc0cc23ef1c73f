package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The load harness runs end to end with a small count: every provider's
// emulator and service start as processes, every login completes, and the
// run reports no error and no mix-up. Timings are printed, never checked.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes")
	}
	bin := idconnectBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"bench", "-bin", bin, "-n", "12", "-c", "3", "-warmup", "2", "-unloaded", "3", "-pending", "30", "-floor", "3", "-timeout", "150s"},
		func(string) string { return "" }, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("bench exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	rows := map[string][]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			rows[f[0]] = f
		}
	}
	for _, p := range []string{"v3", "fapi", "oneid"} {
		f := rows[p]
		// provider, logins, errors, mix-ups, …
		if f == nil || f[1] != "12" || f[2] != "0" || f[3] != "0" {
			t.Errorf("%s: want 12 logins, 0 errors, 0 mix-ups; row %q\n%s", p, f, stdout.String())
		}
	}
}

// Every answer is checked against the persona the login asked for: an
// answer about someone else is a mix-up, not a success.
func TestBenchChecksTheAnswer(t *testing.T) {
	andy := benchPerson{param: "S6005048A", idNum: "S6005048A"}
	janet := benchPerson{param: "janet-davidson", subject: "sub-janet", name: "Janet Davidson"}
	for _, tc := range []struct {
		name   string
		route  string
		p      benchPerson
		body   string
		mixup  bool
		passes bool
	}{
		{"v3 right person", "myinfo", andy, `{"message":"OK","data":{"provider":"myinfo","subject":"S6005048A","person":{"id_number":{"value":"S6005048A"}}}}`, false, true},
		{"v3 another person", "myinfo", andy, `{"message":"OK","data":{"provider":"myinfo","subject":"S9812381D","person":{"id_number":{"value":"S9812381D"}}}}`, true, false},
		{"another provider", "myinfo", andy, `{"message":"OK","data":{"provider":"singpass","subject":"x","person":{"id_number":{"value":"S6005048A"}}}}`, true, false},
		{"oneid right person", "oneid", janet, `{"message":"OK","data":{"provider":"oneid","subject":"sub-janet","person":{"name":{"value":"Janet Davidson"}}}}`, false, true},
		{"oneid another subject", "oneid", janet, `{"message":"OK","data":{"provider":"oneid","subject":"sub-other","person":{"name":{"value":"Janet Davidson"}}}}`, true, false},
		{"oneid another name", "oneid", janet, `{"message":"OK","data":{"provider":"oneid","subject":"sub-janet","person":{"name":{"value":"Someone Else"}}}}`, true, false},
		{"an error answer", "myinfo", andy, `{"message":"Bad request","code":"LOGIN_UNKNOWN"}`, false, false},
		{"no subject", "myinfo", andy, `{"message":"OK","data":{"provider":"myinfo","person":{"id_number":{"value":"S6005048A"}}}}`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkAnswer([]byte(tc.body), tc.route, tc.p)
			if (err == nil) != tc.passes || errors.Is(err, errMixup) != tc.mixup {
				t.Fatalf("checkAnswer: %v (want pass %v, mix-up %v)", err, tc.passes, tc.mixup)
			}
		})
	}
}

// Bad flags are all reported at once, before anything starts.
func TestBenchFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "-providers", "v3,nope", "-n", "0", "-c", "5000", "-rate", "-1"},
		func(string) string { return "" }, nil, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	for _, want := range []string{`unknown provider "nope"`, "-n 0", "-c", "-rate"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr.String())
		}
	}
}
