package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const e2eAPIKey = "e2e-api-key-0123456789abcdef0123456789"

func TestLoadServiceConfigProduction(t *testing.T) {
	certFile, keyFile := writeTestCert(t)
	key32 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	for _, tc := range []struct {
		name  string
		env   map[string]string
		want  []string // each must be in the error; none means valid
		check func(t *testing.T, cfg *serviceConfig)
	}{
		{"defaults", nil, nil, func(t *testing.T, cfg *serviceConfig) {
			if cfg.ReturnURL != "" || cfg.LogFormat != "text" || cfg.Limits.ShutdownTimeout != 20*time.Second || cfg.Limits.TLS != nil || cfg.ResultKey != nil {
				t.Errorf("defaults: %+v", cfg)
			}
		}},
		{"handoff", map[string]string{"IDCONNECT_RETURN_URL": "https://app.example/done", "IDCONNECT_API_KEY": e2eAPIKey, "IDCONNECT_RESULT_KEY": key32}, nil,
			func(t *testing.T, cfg *serviceConfig) {
				if cfg.ReturnURL != "https://app.example/done" || cfg.APIKey.Reveal() != e2eAPIKey || len(cfg.ResultKey) != 32 {
					t.Errorf("handoff: %+v", cfg)
				}
			}},
		{"handoff to loopback http", map[string]string{"IDCONNECT_RETURN_URL": "http://127.0.0.1:8080/done", "IDCONNECT_API_KEY": e2eAPIKey}, nil, nil},
		{"operations", map[string]string{"IDCONNECT_LOG_FORMAT": "JSON", "IDCONNECT_SHUTDOWN_TIMEOUT": "45s", "IDCONNECT_TLS_CERT": certFile, "IDCONNECT_TLS_KEY": keyFile}, nil,
			func(t *testing.T, cfg *serviceConfig) {
				if cfg.LogFormat != "json" || cfg.Limits.ShutdownTimeout != 45*time.Second || cfg.Limits.TLS == nil || len(cfg.Limits.TLS.Certificates) != 1 {
					t.Errorf("operations: %+v", cfg.Limits)
				}
			}},
		{"return URL without API key", map[string]string{"IDCONNECT_RETURN_URL": "https://app.example/done"}, []string{"IDCONNECT_API_KEY is required"}, nil},
		{"short API key", map[string]string{"IDCONNECT_RETURN_URL": "https://app.example/done", "IDCONNECT_API_KEY": "short"}, []string{"IDCONNECT_API_KEY is required"}, nil},
		{"API key without return URL", map[string]string{"IDCONNECT_API_KEY": e2eAPIKey}, []string{"IDCONNECT_RETURN_URL is not"}, nil},
		{"relative return URL", map[string]string{"IDCONNECT_RETURN_URL": "/done", "IDCONNECT_API_KEY": e2eAPIKey}, []string{"IDCONNECT_RETURN_URL"}, nil},
		{"plain http return URL", map[string]string{"IDCONNECT_RETURN_URL": "http://app.example/done", "IDCONNECT_API_KEY": e2eAPIKey}, []string{"want https"}, nil},
		{"bad result key", map[string]string{"IDCONNECT_RESULT_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))}, []string{"IDCONNECT_RESULT_KEY: want exactly 32"}, nil},
		{"redis without keys", map[string]string{"IDCONNECT_REDIS_URL": "redis://127.0.0.1:6379/0"},
			[]string{"IDCONNECT_RESULT_KEY is required with IDCONNECT_REDIS_URL", "IDCONNECT_COOKIE_KEY is required with IDCONNECT_REDIS_URL"}, nil},
		{"bad log format", map[string]string{"IDCONNECT_LOG_FORMAT": "xml"}, []string{"IDCONNECT_LOG_FORMAT"}, nil},
		{"bad shutdown timeout", map[string]string{"IDCONNECT_SHUTDOWN_TIMEOUT": "-1s"}, []string{"IDCONNECT_SHUTDOWN_TIMEOUT"}, nil},
		{"TLS cert alone", map[string]string{"IDCONNECT_TLS_CERT": certFile}, []string{"go together"}, nil},
		{"TLS files missing", map[string]string{"IDCONNECT_TLS_CERT": certFile + ".no", "IDCONNECT_TLS_KEY": keyFile}, []string{"IDCONNECT_TLS_CERT/IDCONNECT_TLS_KEY"}, nil},
		{"all at once", map[string]string{"IDCONNECT_RETURN_URL": "https://app.example/done", "IDCONNECT_LOG_FORMAT": "xml", "IDCONNECT_SHUTDOWN_TIMEOUT": "soon", "IDCONNECT_TLS_KEY": keyFile},
			[]string{"IDCONNECT_API_KEY", "IDCONNECT_LOG_FORMAT", "IDCONNECT_SHUTDOWN_TIMEOUT", "go together"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadServiceConfig(func(k string) string { return tc.env[k] })
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if tc.check != nil {
					tc.check(t, cfg)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), e2eAPIKey) {
				t.Errorf("the error holds the API key: %v", err)
			}
		})
	}
}

// writeTestCert writes a fresh self-signed certificate for 127.0.0.1 and
// its key, and returns their paths.
func writeTestCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "idconnect test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// slowServer runs serveWithLimits with a handler that holds each request
// until release is closed, and returns the address, a channel that gets a
// value when a request has entered the handler, and serve's result.
func slowServer(t *testing.T, ctx context.Context, limits httpLimits, release <-chan struct{}) (string, <-chan struct{}, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveWithLimits(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
			io.WriteString(w, "finished")
		}), limits)
	}()
	return ln.Addr().String(), entered, done
}

// A request in flight when shutdown begins completes; new connections are
// refused; serve returns without error.
func TestServeGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	addr, entered, done := slowServer(t, ctx, defaultLimits, release)
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM
	// The listener closes at once: a new connection is refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned before the in-flight request finished: %v", err)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// A request still running when the shutdown bound passes is cut, and
// serve says so.
func TestServeShutdownTimeoutCuts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	limits := defaultLimits
	limits.ShutdownTimeout = 200 * time.Millisecond
	addr, entered, done := slowServer(t, ctx, limits, release)
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/stuck")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "were cut") {
			t.Fatalf("serve: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("serve took %s to give up", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not give up on the stuck request")
	}
	if err := <-got; err == nil {
		t.Fatal("the stuck request got an answer")
	}
}

// `idconnect serve` with TLS and JSON logs: HTTPS answers with the
// certificate, plain HTTP does not, every line is JSON with a request id,
// and SIGTERM (ctx) stops it cleanly.
func TestServeTLSAndJSONLogs(t *testing.T) {
	certFile, keyFile := writeTestCert(t)
	env := map[string]string{
		"IDCONNECT_ADDR":         "127.0.0.1:0",
		"IDCONNECT_TLS_CERT":     certFile,
		"IDCONNECT_TLS_KEY":      keyFile,
		"IDCONNECT_LOG_FORMAT":   "json",
		"IDCONNECT_REDIRECT_URL": "https://localhost:3443/callback",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, logs)
	}()
	var addr string
	addrRe := regexp.MustCompile(`"?addr"?[:=]"?([0-9.:]+)`) // JSON or, if the format is ignored, text
	for deadline := time.Now().Add(30 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not start:\n%s", logs)
		}
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json"} {
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		req.Header.Set("X-Request-Id", "tls-test-"+strings.Trim(path, "/."))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("https %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-Id") != req.Header.Get("X-Request-Id") {
			t.Fatalf("https %s: %d, request id %q", path, resp.StatusCode, resp.Header.Get("X-Request-Id"))
		}
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("plain HTTP answered 200 on the TLS listener")
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("serve exited %d:\n%s", c, logs)
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	seen := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "***") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if rec["msg"] == "request" {
			seen++
			if id, _ := rec["request_id"].(string); !strings.HasPrefix(id, "tls-test-") {
				t.Errorf("request line without its id: %q", line)
			}
		}
	}
	if seen < 3 {
		t.Fatalf("%d request lines:\n%s", seen, logs)
	}
}

// With IDCONNECT_RETURN_URL, the generic callback, the seed callback and
// OneID (its report inline) hand results to the application's backend:
// the browser gets a handle, the backend the data, once.
func TestEndToEndResultHandoff(t *testing.T) {
	ts, _ := startService(t, map[string]string{
		"IDCONNECT_RETURN_URL": "http://127.0.0.1:9/app/done",
		"IDCONNECT_API_KEY":    e2eAPIKey,
	})
	fetch := func(handle, key string) answer {
		req, _ := http.NewRequest("GET", ts.URL+"/results/"+url.PathEscape(handle), nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
	}
	handOff := func(c *http.Client, callback string) string {
		t.Helper()
		a := get(t, c, callback)
		loc, err := url.Parse(a.header.Get("Location"))
		if a.status != http.StatusFound || err != nil || loc.Host != "127.0.0.1:9" || loc.Path != "/app/done" || loc.Query().Get("result") == "" {
			t.Fatalf("callback: %d to %q %s", a.status, a.header.Get("Location"), a.body)
		}
		for _, v := range personalData(t) {
			if strings.Contains(loc.String(), v) {
				t.Fatalf("the return URL carries %q", v)
			}
		}
		return loc.Query().Get("result")
	}

	// Myinfo v3 through the generic route.
	c := browserClient(t)
	a := get(t, c, ts.URL+"/login/myinfo")
	var start struct{ Data struct{ URL string } }
	if err := json.Unmarshal([]byte(a.body), &start); err != nil {
		t.Fatal(err)
	}
	resp := get(t, c, start.Data.URL+"&persona=S6005048A&consent=allow")
	handle := handOff(c, resp.header.Get("Location"))
	if a := fetch(handle, "wrong-key-0123456789abcdef0123456789"); a.status != http.StatusUnauthorized || envelopeCode(t, a) != "RESULT_UNAUTHORIZED" {
		t.Fatalf("wrong key: %d %s", a.status, a.body)
	}
	a = fetch(handle, e2eAPIKey)
	var body struct {
		Data struct {
			Provider, Subject string
			Sodata            json.RawMessage
			InlineDocuments   map[string]struct {
				ContentType string `json:"content_type"`
				Data        []byte
			} `json:"inline_documents"`
		}
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != http.StatusOK || body.Data.Provider != "myinfo" || string(body.Data.Sodata) != seedSodata {
		t.Fatalf("fetch: %d %s", a.status, a.body)
	}
	if a := fetch(handle, e2eAPIKey); a.status != http.StatusGone || envelopeCode(t, a) != "RESULT_USED" {
		t.Fatalf("second fetch: %d %s", a.status, a.body)
	}

	// The seed's /callback finishes the login itself and hands off.
	c = browserClient(t)
	handle = handOff(c, login(t, c, ts.URL, "S6005048A", "allow"))
	if a := fetch(handle, e2eAPIKey); a.status != http.StatusOK || !strings.Contains(a.body, `"sodata":`+seedSodata) {
		t.Fatalf("seed handoff fetch: %d %s", a.status, a.body)
	}
	// A denial goes back to the application as an error code.
	c = browserClient(t)
	a = get(t, c, login(t, c, ts.URL, "S6005048A", "deny"))
	if loc, _ := url.Parse(a.header.Get("Location")); a.status != http.StatusFound || loc.Query().Get("error") != "CONSENT_DENIED" {
		t.Fatalf("denied: %d to %q", a.status, a.header.Get("Location"))
	}

	// OneID: the PDF report arrives inline.
	c = browserClient(t)
	resp = get(t, c, oneidStart(t, c, ts.URL)+"&persona=janet-davidson&consent=allow")
	handle = handOff(c, resp.header.Get("Location"))
	a = fetch(handle, e2eAPIKey)
	body.Data.InlineDocuments = nil
	if err := json.Unmarshal([]byte(a.body), &body); err != nil || a.status != http.StatusOK || body.Data.Provider != "oneid" {
		t.Fatalf("oneid fetch: %d %s", a.status, a.body)
	}
	if r := body.Data.InlineDocuments["report"]; r.ContentType != "application/pdf" || !bytes.HasPrefix(r.Data, []byte("%PDF-")) {
		t.Fatalf("oneid report inline: %q", r.ContentType)
	}
}

// TestProductionGuards: IDCONNECT_ENV=production refuses each setting that
// is a fine default on a laptop and a fault in production, and reports
// them all at once.
func TestProductionGuards(t *testing.T) {
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	if code, _, stderr := runKeys(t, "generate", "-out", keysFile); code != 0 {
		t.Fatalf("keys generate: %s", stderr)
	}
	key32 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	// A production configuration: real Singpass, https, shared keys, the
	// handoff on Redis, the demo off.
	base := map[string]string{
		"IDCONNECT_ENV":                "production",
		"IDCONNECT_SINGPASS_ISSUER":    "production",
		"IDCONNECT_SINGPASS_CLIENT_ID": "rp-client-0123456789",
		"IDCONNECT_SINGPASS_KEYS":      keysFile,
		"IDCONNECT_REDIRECT_URL":       "https://rp.example/callback",
		"IDCONNECT_COOKIE_KEY":         key32,
		"IDCONNECT_RETURN_URL":         "https://app.example/done",
		"IDCONNECT_API_KEY":            e2eAPIKey,
		"IDCONNECT_RESULT_KEY":         key32,
		"IDCONNECT_REDIS_URL":          "redis://127.0.0.1:6379/0",
	}
	with := func(edits map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range edits {
			env[k] = v
		}
		return env
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"production", base, nil},
		{"development allows it all", map[string]string{"IDCONNECT_ENV": "development"}, nil},
		{"unknown env", with(map[string]string{"IDCONNECT_ENV": "prod"}), []string{`IDCONNECT_ENV "prod"`}},
		{"emulators", map[string]string{"IDCONNECT_ENV": "production", "IDCONNECT_REDIRECT_URL": "https://rp.example/callback", "IDCONNECT_COOKIE_KEY": key32, "IDCONNECT_DEMO": "off"},
			[]string{"embedded emulators"}},
		{"an emulator's issuer", with(map[string]string{"IDCONNECT_SINGPASS_ISSUER": "http://localhost:3001/emulator/singpass/fapi"}), []string{`IDCONNECT_SINGPASS_ISSUER "http://localhost:3001/emulator/singpass/fapi" is not https`}},
		{"memory store with the handoff", with(map[string]string{"IDCONNECT_REDIS_URL": ""}), []string{"keep results in this process's memory"}},
		{"per-process cookie key", with(map[string]string{"IDCONNECT_COOKIE_KEY": "", "IDCONNECT_REDIS_URL": ""}),
			[]string{"IDCONNECT_COOKIE_KEY is not set", "keep results in this process's memory"}},
		{"per-process result key", with(map[string]string{"IDCONNECT_RESULT_KEY": "", "IDCONNECT_REDIS_URL": ""}),
			[]string{"IDCONNECT_RESULT_KEY is not set", "keep results in this process's memory"}},
		{"http redirect", with(map[string]string{"IDCONNECT_REDIRECT_URL": "http://localhost:3001/callback"}), []string{`IDCONNECT_REDIRECT_URL "http://localhost:3001/callback" is http`}},
		{"http return URL", with(map[string]string{"IDCONNECT_RETURN_URL": "http://127.0.0.1:8080/done"}), []string{`IDCONNECT_RETURN_URL "http://127.0.0.1:8080/done" is http`}},
		{"demo on", with(map[string]string{"IDCONNECT_DEMO": "on"}), []string{"the demo page is on"}},
		{"all at once", map[string]string{"IDCONNECT_ENV": "production", "IDCONNECT_RETURN_URL": "http://127.0.0.1:8080/done", "IDCONNECT_API_KEY": e2eAPIKey},
			[]string{"embedded emulators", "keep results in this process's memory", "IDCONNECT_COOKIE_KEY is not set", "IDCONNECT_RESULT_KEY is not set",
				`IDCONNECT_REDIRECT_URL "http://localhost:3001/callback" is http`, `IDCONNECT_RETURN_URL "http://127.0.0.1:8080/done" is http`, "the demo page is on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadServiceConfig(func(k string) string { return tc.env[k] })
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			// Nothing else is reported: each case names every problem.
			if n, want := strings.Count(err.Error(), "IDCONNECT_ENV"), len(tc.want); n != want {
				t.Errorf("%d problems reported, want %d:\n%v", n, want, err)
			}
			if strings.Contains(err.Error(), e2eAPIKey) || strings.Contains(err.Error(), key32) {
				t.Errorf("the error holds a secret: %v", err)
			}
		})
	}
}
