package httpx_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idconnect/idconnect/internal/httpx"
)

// redirectingServer answers every request with status and a Location
// pointing at a second server, which counts what reaches it.
func redirectingServer(t *testing.T, status int) (from *httptest.Server, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	to := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(to.Close)
	from = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to.URL+"/steal", status)
	}))
	t.Cleanup(from.Close)
	return from, hits
}

func TestOutboundNeverFollowsRedirects(t *testing.T) {
	clients := []struct {
		name string
		c    *http.Client
	}{
		{"default client", nil},
		{"caller's client without CheckRedirect", &http.Client{}},
		{"caller's client that follows redirects", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}},
	}
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, cc := range clients {
			t.Run(http.StatusText(status)+"/"+cc.name, func(t *testing.T) {
				from, hits := redirectingServer(t, status)
				resp, err := httpx.Outbound(cc.c, httpx.Options{}).Post(from.URL, "application/x-www-form-urlencoded", strings.NewReader("client_secret=s3cret"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != status || !httpx.IsRedirect(resp.StatusCode) {
					t.Errorf("status %d, want the %d itself", resp.StatusCode, status)
				}
				if n := hits.Load(); n != 0 {
					t.Errorf("the redirect target received %d requests", n)
				}
			})
		}
	}
}

func TestOutboundLeavesTheCallersClientAlone(t *testing.T) {
	tr := &http.Transport{MaxResponseHeaderBytes: 1 << 20}
	follow := func(*http.Request, []*http.Request) error { return nil }
	c := &http.Client{Transport: tr, CheckRedirect: follow, Timeout: 3 * time.Second}
	out := httpx.Outbound(c, httpx.Options{MaxResponseHeaderBytes: 4096})
	if c.Transport != tr || tr.MaxResponseHeaderBytes != 1<<20 || c.CheckRedirect == nil || c.Timeout != 3*time.Second {
		t.Fatalf("the caller's client or transport was modified: %+v", c)
	}
	ot, ok := out.Transport.(*http.Transport)
	if !ok || ot == tr || ot.MaxResponseHeaderBytes != 4096 {
		t.Fatalf("out.Transport is %T (the caller's: %v), want a clone capped at 4096", out.Transport, ot == tr)
	}
	if out.Timeout != 3*time.Second {
		t.Errorf("out.Timeout = %v, want the caller's", out.Timeout)
	}
	// A smaller cap of the caller's own is kept.
	small := httpx.Outbound(&http.Client{Transport: &http.Transport{MaxResponseHeaderBytes: 1024}}, httpx.Options{})
	if got := small.Transport.(*http.Transport).MaxResponseHeaderBytes; got != 1024 {
		t.Errorf("caller's smaller cap became %d", got)
	}
}

func TestOutboundDefaults(t *testing.T) {
	out := httpx.Outbound(nil, httpx.Options{})
	if out.Timeout != httpx.DefaultTimeout {
		t.Errorf("Timeout = %v", out.Timeout)
	}
	tr, ok := out.Transport.(*http.Transport)
	if !ok || tr == http.DefaultTransport || tr.MaxResponseHeaderBytes != httpx.DefaultMaxResponseHeaderBytes {
		t.Errorf("Transport is %T, want a clone of the default capped at %d", out.Transport, httpx.DefaultMaxResponseHeaderBytes)
	}
	if d := http.DefaultTransport.(*http.Transport); d.MaxResponseHeaderBytes != 0 {
		t.Errorf("http.DefaultTransport was modified")
	}
}

type countingRT struct{ n atomic.Int32 }

func (rt *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// A custom RoundTripper is used as is (it caps headers itself), but the
// redirect rule still applies.
func TestOutboundCustomRoundTripper(t *testing.T) {
	rt := &countingRT{}
	out := httpx.Outbound(&http.Client{Transport: rt}, httpx.Options{})
	if out.Transport != rt {
		t.Fatalf("custom RoundTripper replaced by %T", out.Transport)
	}
	from, hits := redirectingServer(t, http.StatusFound)
	resp, err := out.Get(from.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits.Load() != 0 || rt.n.Load() != 1 {
		t.Errorf("status %d, target hits %d, round trips %d", resp.StatusCode, hits.Load(), rt.n.Load())
	}
}

func TestOutboundCapsResponseHeaders(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Padding", strings.Repeat("a", 8<<10))
	}))
	defer ts.Close()
	if _, err := httpx.Outbound(nil, httpx.Options{MaxResponseHeaderBytes: 4 << 10}).Get(ts.URL); err == nil {
		t.Fatal("an 8 KiB header passed a 4 KiB cap")
	}
	resp, err := httpx.Outbound(nil, httpx.Options{}).Get(ts.URL)
	if err != nil {
		t.Fatalf("an 8 KiB header failed the default cap: %v", err)
	}
	resp.Body.Close()
}

func TestReadAll(t *testing.T) {
	tests := []struct {
		body  string
		limit int64
		want  error
	}{
		{"", 0, nil},
		{"abc", 3, nil},
		{"abcd", 3, httpx.ErrTooLarge},
	}
	for _, tt := range tests {
		got, err := httpx.ReadAll(strings.NewReader(tt.body), tt.limit)
		if !errors.Is(err, tt.want) || (err == nil && string(got) != tt.body) {
			t.Errorf("ReadAll(%q, %d) = %q, %v; want %v", tt.body, tt.limit, got, err, tt.want)
		}
	}
	if _, err := httpx.ReadAll(io.MultiReader(strings.NewReader("x"), errReader{}), 10); err == nil || errors.Is(err, httpx.ErrTooLarge) {
		t.Errorf("read error = %v, want the reader's", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

// Outbound keeps as many connections alive as concurrent calls need: a
// second and third round of 16 concurrent calls reuse the first round's
// connections instead of dialling again (net/http alone keeps two).
func TestOutboundKeepsConnectionsAlive(t *testing.T) {
	const conc = 16
	var dials atomic.Int64
	var gate atomic.Pointer[chan struct{}] // closed when a round may answer
	var arrived sync.WaitGroup
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := *gate.Load()
		arrived.Done()
		<-g // hold every call of a round open at once: each needs its own connection
		io.WriteString(w, "ok")
	}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	ts.Start()
	defer ts.Close()
	c := httpx.Outbound(nil, httpx.Options{})
	for round := range 3 {
		g := make(chan struct{})
		gate.Store(&g)
		arrived.Add(conc)
		var done sync.WaitGroup
		for range conc {
			done.Go(func() {
				resp, err := c.Get(ts.URL)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		arrived.Wait()
		close(g)
		done.Wait()
		if got := dials.Load(); got > conc {
			t.Fatalf("round %d: %d connections dialled for %d concurrent calls: kept-alive connections were dropped", round+1, got, conc)
		}
	}
}
