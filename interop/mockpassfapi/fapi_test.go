//go:build interop

package mockpassfapi

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

var personaOption = regexp.MustCompile(`<option value="([^"]*)" data-asserturl="([^"]*)"`)

// login picks persona nric (e.g. "S9812381D") on MockPass's FAPI login
// page at authURL ({authorization_endpoint}?client_id=…&request_uri=…), as
// its page script would, and returns the callback URL
// (redirect_uri?code=…&state=…) without fetching it. MockPass's callback
// has no iss parameter.
func (p *mockPassFAPI) login(t *testing.T, c *http.Client, authURL, nric string) *url.URL {
	t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("GET %s: %v", authURL, err)
	}
	page := string(peer.ReadBody(t, resp))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, want the login page (200); body: %.300s", authURL, resp.StatusCode, page)
	}
	var ids []string
	for _, m := range personaOption.FindAllStringSubmatch(page, -1) {
		id := html.UnescapeString(m[1])
		if strings.Fields(id)[0] == nric {
			u, err := url.Parse(html.UnescapeString(m[2]))
			if err != nil || !u.IsAbs() {
				t.Fatalf("persona %s: callback URL %q is not absolute (%v)", nric, m[2], err)
			}
			return u
		}
		ids = append(ids, id)
	}
	t.Fatalf("%v: %s not among %d personas %.200v", errNoPersona, nric, len(ids), ids)
	return nil
}
