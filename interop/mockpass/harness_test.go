//go:build interop

package mockpass

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idconnect/idconnect/internal/jwx"

	"github.com/idconnect/idconnect/interop/internal/peer"
)

const (
	// packageDir is where "make interop" (npm ci) installs MockPass.
	packageDir     = "node_modules/@opengovsg/mockpass"
	packageVersion = "4.3.4"

	// clientSecret is MockPass's SERVICE_PROVIDER_MYINFO_SECRET: setting it
	// makes MockPass check the token call's PKI_SIGN signature, over a base
	// string that includes this secret.
	clientSecret = "idconnect-interop-client-secret"
	clientID     = "STG2-MYINFO-SELF-TEST"
	purpose      = "idconnect interoperability test"
)

// mockPass is one running MockPass with what the tests need to talk to it.
type mockPass struct {
	host string // 127.0.0.1:port
	base string // http://127.0.0.1:port

	// personas is MockPass's own data, static/myinfo/v3.json: the
	// expected answers. Attribute values are kept as raw JSON.
	personas map[string]map[string]json.RawMessage

	clientKey   *rsa.PrivateKey // static/certs/key.pem: the shipped relying-party key
	providerKey *rsa.PublicKey  // static/certs/spcp.crt: MockPass's signing certificate
}

// startMockPass starts MockPass in strict mode (token and person PKI_SIGN
// checked, person answers JWE around JWS) on a free loopback port, waits
// until it answers, and stops it, with its whole process group, when the
// test ends. env adds MockPass settings (NAME=value). It fails the test,
// never skips it, when node or the package is missing.
func startMockPass(t *testing.T, env ...string) *mockPass {
	t.Helper()
	node := peer.NodePath(t, "the MockPass interop tests need Node 20+; install it and run `make interop`")
	checkPackage(t)

	m := &mockPass{
		personas:    loadPersonas(t),
		clientKey:   loadPrivateKey(t, filepath.Join(packageDir, "static/certs/key.pem")),
		providerKey: loadPublicKey(t, filepath.Join(packageDir, "static/certs/spcp.crt")),
	}

	n := peer.StartNode(t, peer.NodeConfig{
		Name: "MockPass", Node: node, Script: "serve.js", Args: []string{"0"},
		Env: append(append(cleanEnv(os.Environ()),
			"SERVICE_PROVIDER_MYINFO_SECRET="+clientSecret,
			"ENCRYPT_MYINFO=true",
		), env...),
		ReadyLine: listeningLine, ReadyWhat: "report its port",
	})
	m.host = "127.0.0.1:" + n.Ready
	m.base = "http://" + m.host
	m.waitReady(t, n.Deadline)
	return m
}

// checkPackage requires the pinned MockPass in node_modules.
func checkPackage(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(packageDir, "package.json"))
	if err != nil {
		t.Fatalf("@opengovsg/mockpass is not installed (%v): run `make interop`, or `npm ci` in interop/mockpass", err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version != packageVersion {
		t.Fatalf("installed @opengovsg/mockpass is version %q, want %s: run `make interop`, or `npm ci` in interop/mockpass", pkg.Version, packageVersion)
	}
}

// cleanEnv drops the variables that would change MockPass's behaviour, so
// that only the ones the test sets count. (MockPass also reads a .env file
// in its working directory; this directory has none.)
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MOCKPASS_"), strings.HasPrefix(name, "SERVICE_PROVIDER_"),
			strings.HasPrefix(name, "ENCRYPT_"), strings.HasPrefix(name, "SIGN_"),
			name == "SHOW_LOGIN_PAGE", name == "PORT", name == "NODE_OPTIONS":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// waitReady polls MockPass until it answers HTTP (any status), a bounded
// number of times.
func (m *mockPass) waitReady(t *testing.T, deadline <-chan time.Time) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	var last error
	for range 100 {
		resp, err := c.Get(m.base + "/")
		if err == nil {
			resp.Body.Close()
			return
		}
		last = err
		select {
		case <-deadline:
			t.Fatalf("MockPass at %s did not answer within %v: %v", m.base, peer.StartTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("MockPass at %s did not answer after 100 attempts: %v", m.base, last)
}

// listeningLine is serve.js's "MOCKPASS_LISTENING <port>" line.
var listeningLine = regexp.MustCompile(`^MOCKPASS_LISTENING ([0-9]{1,5})$`)

func loadPersonas(t *testing.T) map[string]map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(packageDir, "static/myinfo/v3.json"))
	if err != nil {
		t.Fatalf("reading MockPass's persona data: %v", err)
	}
	var data struct {
		Personas map[string]map[string]json.RawMessage `json:"personas"`
	}
	if err := json.Unmarshal(b, &data); err != nil || len(data.Personas) == 0 {
		t.Fatalf("MockPass's static/myinfo/v3.json has no personas (%v)", err)
	}
	return data.Personas
}

func loadPrivateKey(t *testing.T, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading MockPass's client key: %v", err)
	}
	k, err := jwx.ParseRSAPrivateKey(b)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return k
}

func loadPublicKey(t *testing.T, path string) *rsa.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading MockPass's certificate: %v", err)
	}
	k, err := jwx.ParseRSAPublicKey(b)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return k
}

// persona returns MockPass's data for nric, failing the test if it has
// none.
func (m *mockPass) persona(t *testing.T, nric string) map[string]json.RawMessage {
	t.Helper()
	p, ok := m.personas[nric]
	if !ok {
		t.Fatalf("MockPass 4.3.4 has no Myinfo persona %s", nric)
	}
	return p
}

// uuid is the persona's uuid.value, which MockPass wants in X-Custom-UUID.
func (m *mockPass) uuid(t *testing.T, nric string) string {
	t.Helper()
	var u struct{ Value string }
	if err := json.Unmarshal(m.persona(t, nric)["uuid"], &u); err != nil || u.Value == "" {
		t.Fatalf("persona %s has no uuid.value in v3.json", nric)
	}
	return u.Value
}

// personaHeaders picks the persona MockPass's silent Singpass login logs in
// as. It sets the headers on every request to MockPass, including the
// redirected hops, and on nothing else.
type personaHeaders struct {
	next       http.RoundTripper
	host       string
	nric, uuid string
}

func (p personaHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == p.host {
		req = req.Clone(req.Context())
		req.Header.Set("X-Custom-NRIC", p.nric)
		req.Header.Set("X-Custom-UUID", p.uuid)
	}
	return p.next.RoundTrip(req)
}

// browser returns a cookie-jar client that logs in to MockPass as nric,
// follows redirects within MockPass, and stops at the first redirect to
// stopHost (our redirect URI's host), returning that 302 unfollowed. Any
// other host is refused.
func (m *mockPass) browser(t *testing.T, nric, stopHost string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Timeout:   peer.RequestTimeout,
		Transport: personaHeaders{next: transport, host: m.host, nric: nric, uuid: m.uuid(t, nric)},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			switch {
			case len(via) >= 10:
				return errors.New("more than 10 redirects")
			case req.URL.Host == stopHost:
				return http.ErrUseLastResponse
			case req.URL.Host != m.host:
				return fmt.Errorf("redirect to unexpected host %q", req.URL.Host)
			}
			return nil
		},
	}
}

var (
	formAction = regexp.MustCompile(`<form[^>]*\baction="([^"]*)"[^>]*\bmethod="post"`)
	formInput  = regexp.MustCompile(`<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"`)
)

// consent walks MockPass from our authorise URL to the consent page, posts
// the consent form with decision ("allow" or "deny") as a browser would,
// and returns the Location of MockPass's redirect to our redirect URI.
func (m *mockPass) consent(t *testing.T, c *http.Client, authURL, nric, decision string) *url.URL {
	t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorise URL: %v", err)
	}
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/consent/oauth2/authorize" {
		t.Fatalf("authorise ended at %s with HTTP %d, want the consent page (200 at /consent/oauth2/authorize); body: %.300s",
			resp.Request.URL.Path, resp.StatusCode, page)
	}
	if want := "Disclose the following details of " + nric; !strings.Contains(page, want) {
		t.Fatalf("consent page does not say %q: MockPass did not log in the persona chosen by X-Custom-NRIC", want)
	}
	action := formAction.FindStringSubmatch(page)
	if action == nil {
		t.Fatalf("no POST form on the consent page: %.500s", page)
	}
	target, err := resp.Request.URL.Parse(html.UnescapeString(action[1]))
	if err != nil {
		t.Fatalf("consent form action %q: %v", action[1], err)
	}
	form := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		if in[1] != "decision" {
			form.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
		}
	}
	for _, name := range []string{"scope", "state", "client_id", "redirect_uri"} {
		if form.Get(name) == "" {
			t.Fatalf("consent form has no %q field (fields: %v)", name, form)
		}
	}
	form.Set("decision", decision)
	resp, err = c.PostForm(target.String(), form)
	if err != nil {
		t.Fatalf("POST consent form: %v", err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent POST answered HTTP %d, want 302 to our redirect URI; body: %.300s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !loc.IsAbs() {
		t.Fatalf("consent redirect Location %q is not an absolute URL (%v)", resp.Header.Get("Location"), err)
	}
	return loc
}

// readBody is peer.ReadBody as a string.
func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	return string(peer.ReadBody(t, resp))
}

// picked is pick(persona, attributes), as MockPass computes its answer:
// the requested attributes the persona has, decoded.
func picked(t *testing.T, persona map[string]json.RawMessage, attributes []string) map[string]any {
	t.Helper()
	out := make(map[string]any)
	for _, a := range attributes {
		raw, ok := persona[a]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("v3.json attribute %q: %v", a, err)
		}
		out[a] = v
	}
	return out
}

// flattened is the seed's sodata rule applied to MockPass's data,
// independently of provider/myinfo: for each requested attribute the
// persona has, null when marked unavailable, else its "value", else its
// "code", else the item itself. It returns the values and the key order.
func flattened(t *testing.T, persona map[string]json.RawMessage, attributes []string) (map[string]any, []string) {
	t.Helper()
	out := make(map[string]any)
	var order []string
	for a, v := range picked(t, persona, attributes) {
		item, ok := v.(map[string]any)
		switch {
		case !ok:
			out[a] = v
		case item["unavailable"] == true:
			out[a] = nil
		case item["value"] != nil:
			out[a] = item["value"]
		case item["code"] != nil:
			out[a] = item["code"]
		default:
			out[a] = item
		}
	}
	for _, a := range attributes {
		if _, ok := out[a]; ok {
			order = append(order, a)
		}
	}
	return out, order
}

// objectKeys returns the top-level keys of a JSON object in their order.
func objectKeys(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// diffKeys names the keys whose values differ between got and want.
func diffKeys(got, want map[string]any) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			out = append(out, k+" (missing)")
		} else if !jsonEqual(g, w) {
			out = append(out, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, k+" (unexpected)")
		}
	}
	slices.Sort(out)
	return out
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
