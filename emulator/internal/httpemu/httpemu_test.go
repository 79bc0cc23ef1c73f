package httpemu

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func options(logger *slog.Logger) Options {
	return Options{
		Logger: logger, Message: "test emulator",
		Unavailable:   func(w http.ResponseWriter) { http.Error(w, "unavailable", http.StatusServiceUnavailable) },
		MaxQueryBytes: 10,
		QueryTooLong:  func(w http.ResponseWriter) { http.Error(w, "too long", http.StatusRequestURITooLong) },
		MaxBodyBytes:  4,
	}
}

func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /echo/{id}", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write(b)
	})
	return m
}

func TestServeLogsRouteNotPath(t *testing.T) {
	var logs bytes.Buffer
	o := options(slog.New(slog.NewJSONHandler(&logs, nil)))
	clock := time.Unix(0, 0)
	o.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "kept")
	Serve(w, httptest.NewRequest("POST", "/echo/secret-id?q=1", strings.NewReader("abc")), o, mux())
	if w.Code != http.StatusCreated || w.Body.String() != "abc" {
		t.Fatalf("answer %d %q", w.Code, w.Body)
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Request-Id": "kept"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatal(err, logs.String())
	}
	want := map[string]any{"msg": "test emulator", "method": "POST", "route": "POST /echo/{id}", "status": 201.0, "duration": 1e9}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("log %s = %v, want %v", k, rec[k], v)
		}
	}
	if len(rec) != len(want)+2 { // time, level
		t.Errorf("log fields: %v", rec)
	}
	if strings.Contains(logs.String(), "secret-id") || strings.Contains(logs.String(), "q=1") {
		t.Errorf("the log holds the path or query: %s", logs.String())
	}
}

func TestServeLimits(t *testing.T) {
	o := options(nil)
	w := httptest.NewRecorder()
	Serve(w, httptest.NewRequest("POST", "/echo/1?q=12345678901", nil), o, mux())
	if w.Code != http.StatusRequestURITooLong || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("long query: %d %v", w.Code, w.Header())
	}
	w = httptest.NewRecorder()
	Serve(w, httptest.NewRequest("POST", "/echo/1", strings.NewReader("12345")), o, mux())
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: %d", w.Code)
	}
}

func TestServeSlow(t *testing.T) {
	o := options(nil)
	o.Slow = 20 * time.Millisecond
	w := httptest.NewRecorder()
	start := time.Now()
	Serve(w, httptest.NewRequest("POST", "/echo/1", strings.NewReader("ok")), o, mux())
	if w.Code != http.StatusCreated || time.Since(start) < o.Slow {
		t.Errorf("slow: %d after %v", w.Code, time.Since(start))
	}

	o.Slow = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w = httptest.NewRecorder()
	Serve(w, httptest.NewRequest("POST", "/echo/1", nil).WithContext(ctx), o, mux())
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("slow, client gone: %d", w.Code)
	}
}
