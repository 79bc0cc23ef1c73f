package oneid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestFaultsIDToken checks each ID-token fault from the relying party's
// side: the test RP refuses the token, for the reason the fault names.
func TestFaultsIDToken(t *testing.T) {
	tests := []struct {
		name  string
		set   func(*Faults)
		check func(t *testing.T, l *login, tok string, err error)
	}{
		{"foreign key", func(f *Faults) { f.SetIDTokenForeignKey(true) }, func(t *testing.T, l *login, tok string, err error) {
			if err == nil || !strings.Contains(err.Error(), "verification") && !strings.Contains(err.Error(), "crypto") {
				t.Errorf("a token signed by another key: %v, want a signature error", err)
			}
		}},
		{"RS256", func(f *Faults) { f.SetIDTokenRS256(true) }, func(t *testing.T, l *login, tok string, err error) {
			if err == nil || !strings.Contains(err.Error(), "algorithm") {
				t.Errorf("an RS256 token: %v, want the algorithm refused", err)
			}
			// It is a good RS256 signature by the published key: only
			// the algorithm is wrong.
			parsed, perr := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
			var c jwt.Claims
			if perr != nil || parsed.Claims(l.e.srv.PublicKey(), &c) != nil {
				t.Errorf("not a valid RS256 token by the published key: %v", perr)
			}
		}},
		{"expired", func(f *Faults) { f.SetIDTokenExpired(true) }, func(t *testing.T, l *login, tok string, err error) {
			if !errors.Is(err, jwt.ErrExpired) {
				t.Errorf("an expired token: %v, want jwt.ErrExpired", err)
			}
		}},
		{"wrong nonce", func(f *Faults) { f.SetIDTokenWrongNonce(true) }, func(t *testing.T, l *login, tok string, err error) {
			if err == nil || err.Error() != "nonce mismatch" {
				t.Errorf("a wrong nonce: %v", err)
			}
		}},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			l := e.newLogin("openid")
			tok := l.exchange(l.code("alix-rayner")).idToken
			if _, err := l.verifyIDToken(tok); err != nil {
				t.Fatalf("without the fault: %v", err)
			}
			tt.set(e.srv.Faults())
			defer e.srv.Faults().Reset()
			tok = l.exchange(l.code("alix-rayner")).idToken
			_, err := l.verifyIDToken(tok)
			tt.check(t, l, tok, err)
		})
	}
}

func TestFaultDown(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid")
	code := l.code("janet-davidson")
	e.srv.Faults().SetDown(true)
	for _, u := range []string{e.issuer + PathDiscovery, e.issuer + PathJWKS, e.issuer + PathUserinfo, e.issuer + "/nowhere"} {
		if resp, body := e.get(u, ""); resp.StatusCode != 503 || !strings.Contains(string(body), "temporarily_unavailable") {
			t.Errorf("%s: %d %s", u, resp.StatusCode, body)
		}
	}
	if status, m, _ := e.tokenRequest(l.tokenForm(code), clientID, clientSecret); status != 503 || m["error"] != "temporarily_unavailable" {
		t.Errorf("token: %d %v", status, m)
	}
	q := e.newLogin("openid").callback("janet-davidson", "allow")
	if q.Get("error") != "temporarily_unavailable" || q.Get("code") != "" {
		t.Errorf("authorize: %v", q)
	}
	e.srv.Faults().SetDown(false)
	if tok := l.exchange(code); tok.access == "" {
		t.Error("the code did not survive the outage")
	}
}

func TestFaultSlow(t *testing.T) {
	e := newEnv(t)
	e.srv.Faults().SetSlow(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", e.issuer+PathDiscovery, nil)
	if resp, err := e.hc.Do(r); err == nil {
		resp.Body.Close()
		t.Fatalf("a slow emulator answered %d before the client's deadline", resp.StatusCode)
	}
	e.srv.Faults().SetSlow(0)
	if resp, _ := e.get(e.issuer+PathDiscovery, ""); resp.StatusCode != 200 {
		t.Errorf("after SetSlow(0): %d", resp.StatusCode)
	}
}

func TestFaultBalancesWithoutScope(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid accounts")
	tok := l.exchange(l.code("priya-shah"))
	_, body := e.get(e.issuer+PathAccounts, tok.access)
	if bytes.Contains(body, []byte(`"balance"`)) {
		t.Fatalf("balances without accounts.balances: %s", body)
	}
	e.srv.Faults().SetBalancesWithoutScope(true)
	_, body = e.get(e.issuer+PathAccounts, tok.access)
	if !jsonEq(t, body, e.persona("priya-shah").Accounts) {
		t.Errorf("with the fault: %s, want the balances too", body)
	}
}

func TestFaultReportNotPDF(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid profile")
	tok := l.exchange(l.code("janet-davidson"))
	e.srv.Faults().SetReportNotPDF(true)
	resp, body := e.get(e.issuer+DefaultReportPath, tok.access)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Errorf("not-a-PDF fault: %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// TestFaultReportOversize reads the oversize report as a client with a
// cap must (stopping at the cap), and once to the end to check its size.
func TestFaultReportOversize(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin("openid profile")
	tok := l.exchange(l.code("janet-davidson"))
	e.srv.Faults().SetReportOversize(DefaultOversizeReport)
	get := func() *http.Response {
		r, _ := http.NewRequest("GET", e.issuer+DefaultReportPath, nil)
		r.Header.Set("Authorization", "Bearer "+tok.access)
		resp, err := e.hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get()
	if resp.ContentLength != -1 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("Content-Length %d, type %q: want none, so only a read cap protects the client", resp.ContentLength, resp.Header.Get("Content-Type"))
	}
	const cap = 1 << 20
	head, err := io.ReadAll(io.LimitReader(resp.Body, cap+1))
	resp.Body.Close()
	if err != nil || len(head) != cap+1 || !bytes.HasPrefix(head, []byte("%PDF-")) {
		t.Errorf("read %d bytes (%v), want more than the cap, starting like a PDF", len(head), err)
	}
	resp = get()
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != DefaultOversizeReport {
		t.Errorf("the whole report: %d bytes (%v), want %d", n, err, DefaultOversizeReport)
	}
}

// TestStreamPaddingMemory checks the oversize report is streamed: writing
// 20 MiB allocates far less than 20 MiB.
func TestStreamPaddingMemory(t *testing.T) {
	allocs := testing.AllocsPerRun(1, func() { streamPadding(discardWriter{}, DefaultOversizeReport) })
	if allocs > 10 {
		t.Errorf("%v allocations for one oversize report; want a few fixed buffers", allocs)
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// TestReportPDF renders the report's first page with pdftoppm and reads
// its text with pdftotext (both from Debian's poppler-utils): the page is
// not blank, and the text holds the person's name, date of birth and
// postcode, and the unverified claims under their own heading. Text
// extraction is used rather than looking for the name in the content
// stream, which fpdf compresses.
func TestReportPDF(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: it comes with Debian's poppler-utils, which make test installs "+
				"(apt-get install -y poppler-utils)", tool)
		}
	}
	e := newEnv(t)
	l := e.newLogin("openid profile date_of_birth address fraud")
	tok := l.exchange(l.code("janet-davidson"))
	resp, pdf := e.get(e.issuer+DefaultReportPath, tok.access)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "report.pdf")
	if err := writeFile(in, pdf); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	ink, total, err := nonWhitePixels(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	if ink < total/200 {
		t.Errorf("the first page is (nearly) blank: %d of %d pixels are not white", ink, total)
	}
	text, err := exec.Command("pdftotext", "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	s := string(text)
	verified, unverified, ok := strings.Cut(s, "Provided by the person, not verified")
	if !ok {
		t.Fatalf("no unverified section in:\n%s", s)
	}
	for _, want := range []string{"Janet Davidson", "1985-06-01", "YO31 1EB", "6f35afb8-42ee-5b82-88be-29ee7dc0f762", "EMULATOR"} {
		if !strings.Contains(verified, want) {
			t.Errorf("the verified part lacks %q:\n%s", want, verified)
		}
	}
	if !strings.Contains(unverified, "Mary Smith") || strings.Contains(verified, "Mary Smith") {
		t.Errorf("Mary Smith (unverified) must appear in the unverified section only:\n%s", s)
	}
	if strings.Contains(s, "janet.davidson@example.com") {
		t.Error("the report shows the email, whose scope was not granted")
	}
}

// TestLogPrivacy runs logins through the pages and every endpoint and
// checks the log holds routes and statuses, and no personal data, code,
// token, secret, state or nonce.
func TestLogPrivacy(t *testing.T) {
	e := newEnv(t)
	l := e.newLogin(allScopes)
	code := l.code("janet-davidson")
	tok := l.exchange(code)
	for _, p := range []string{PathUserinfo, PathAgeVerification, PathAccounts, DefaultReportPath} {
		e.get(e.issuer+p, tok.access)
	}
	e.tokenRequest(l.tokenForm(code), clientID, "wrong-"+clientSecret)
	e.get(e.newLogin("openid").authURL(), "")
	e.logMu.Lock()
	logs := e.logs.String()
	e.logMu.Unlock()
	p := e.persona("janet-davidson")
	secrets := []string{p.Name, p.Subject, "Davidson", "1985-06-01", "janet.davidson", "YO31", "Mary Smith", "GB98MIDL",
		code, tok.access, tok.idToken[:40], clientSecret, l.state, l.nonce, l.verifier, challengeOf(l.verifier), "janet-davidson"}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	for _, want := range []string{`"route":"GET /v2/authorize"`, `"route":"POST /token"`, `"route":"GET /userinfo/report"`, `"status":401`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for k := range rec {
			switch k {
			case "time", "level", "msg", "method", "route", "status", "duration":
			default:
				t.Errorf("the log has a field %q", k)
			}
		}
	}
}
