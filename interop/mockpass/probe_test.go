//go:build interop

package mockpass

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/myinfo"
)

type spy struct {
	next http.RoundTripper
	log  *strings.Builder
}

func (s spy) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	fmt.Fprintf(s.log, "%s %s -> %d CT=%q len=%d\n", r.Method, r.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	if strings.HasSuffix(r.URL.Path, "/token") {
		fmt.Fprintf(s.log, "  token body: %.200s\n", b)
	}
	if strings.Contains(r.URL.Path, "/person/") && resp.StatusCode == 200 {
		parts := strings.Split(string(b), ".")
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		fmt.Fprintf(s.log, "  JWE header %s parts=%d\n", h, len(parts))
	}
	return resp, nil
}

func TestProbe(t *testing.T) {
	m := startMockPass(t)
	var log strings.Builder
	mk := func(mod func(*myinfo.Config)) *myinfo.Client {
		return newClient(t, m, appRedirectURI, func(c *myinfo.Config) {
			c.HTTPClient = &http.Client{Timeout: requestTimeout, Transport: spy{http.DefaultTransport, &log}}
			if mod != nil {
				mod(c)
			}
		})
	}
	// normal walk, then reuse code
	c := mk(nil)
	flow := newFlow(c)
	secret := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	login, authURL, _ := flow.Start(t.Context(), "myinfo", secret, idconnect.StartOptions{})
	loc := m.consent(t, m.browser(t, "S9812381D", "127.0.0.1:3001"), authURL, "S9812381D", "allow")
	t.Logf("callback: %s", loc.RawQuery)
	cb, _ := idconnect.ParseCallback(loc.Query())
	_, err := c.Exchange(context.Background(), login, cb)
	t.Logf("first exchange: %v", err)
	_, err = c.Exchange(context.Background(), login, cb)
	t.Logf("second exchange, same code: %v", err)
	_, err = c.Exchange(context.Background(), login, idconnect.Callback{Code: "no-such-code", State: login.State})
	t.Logf("unknown code: %v", err)
	// stale timestamp, fixed nonce
	c2 := mk(func(cfg *myinfo.Config) {
		cfg.Now = func() time.Time { return time.Unix(1, 0) }
		cfg.Rand = bytes.NewReader(make([]byte, 1000))
	})
	login2, authURL2, _ := newFlow(c2).Start(t.Context(), "myinfo", secret, idconnect.StartOptions{})
	loc2 := m.consent(t, m.browser(t, "S9812381D", "127.0.0.1:3001"), authURL2, "S9812381D", "allow")
	cb2, _ := idconnect.ParseCallback(loc2.Query())
	_, err = c2.Exchange(context.Background(), login2, cb2)
	t.Logf("timestamp=1000 ms, all-zero nonce repeated on token and person: %v", err)
	// attributes not consented
	login3, authURL3, _ := newFlow(c).Start(t.Context(), "myinfo", secret, idconnect.StartOptions{Attributes: []string{"name", "notanattribute"}})
	t.Logf("auth url unknown attr ok")
	loc3 := m.consent(t, m.browser(t, "S9812381D", "127.0.0.1:3001"), authURL3, "S9812381D", "allow")
	cb3, _ := idconnect.ParseCallback(loc3.Query())
	res, err := c.Exchange(context.Background(), login3, cb3)
	if err == nil {
		t.Logf("unknown attribute accepted, raw: %s", res.Raw)
	} else {
		t.Logf("unknown attribute: %v", err)
	}
	login3.Attributes = []string{"name", "email"}
	_, err = c.Exchange(context.Background(), login3, cb3)
	t.Logf("person asks more than consented: %v", err)
	// access token header/claims via raw call
	t.Log("\n" + log.String())
	_ = rsa.PSSSaltLengthAuto
	_ = jose.RS256
}
