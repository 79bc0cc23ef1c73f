//go:build interop

package peer

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// HTTPClient is a client for the tests' requests to 127.0.0.1: bounded in
// time (RequestTimeout), and it does not follow redirects (the tests check
// each one).
func HTTPClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ReadBody reads and closes an answer's body, at most MaxBody bytes.
func ReadBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		t.Fatalf("reading answer body: %v", err)
	}
	return b
}

// GetJSON GETs url, requires 200 and decodes the JSON answer into v.
func GetJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body := ReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, want 200; body: %.300s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v; body: %.300s", url, err, body)
	}
}
