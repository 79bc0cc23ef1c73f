package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idconnect/idconnect/store"
)

// Metrics are the service's Prometheus metrics, on a registry of their
// own (never the global default one). Every label takes its values from a
// small fixed set: provider names from the configuration, operation names
// from a fixed list, error codes from classify. No label ever holds a URL
// path, a state, a subject or anything else a person or a client chooses.
//
// Create Metrics with NewMetrics, hand them to Config.Metrics, and wrap
// the outbound provider transports (Transport) and the stores (Store) with
// them.
type Metrics struct {
	registry      *prometheus.Registry
	started       *prometheus.CounterVec
	finished      *prometheus.CounterVec
	failed        *prometheus.CounterVec
	providerCalls *prometheus.HistogramVec
	storeOps      *prometheus.HistogramVec
}

// NewMetrics returns the service's metrics on a fresh registry that also
// carries the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idconnect_logins_started_total",
			Help: "Logins started (the person was sent to the provider), by provider.",
		}, []string{"provider"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idconnect_logins_finished_total",
			Help: "Logins that delivered verified data (to the browser or to a result handle), by provider.",
		}, []string{"provider"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idconnect_logins_failed_total",
			Help: "Login requests (start, callback, redeem) that failed, by provider and reason (the error code of the answer).",
		}, []string{"provider", "reason"}),
		providerCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idconnect_provider_request_duration_seconds",
			Help:    "Calls to identity providers, by provider, operation and result (2xx, 3xx, 4xx, 5xx or error).",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "operation", "result"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idconnect_store_operation_duration_seconds",
			Help:    "Store operations, by store (logins, documents, results), operation (put, take) and result (ok, not_found, exists, full, error).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"store", "operation", "result"}),
	}
	m.registry.MustRegister(m.started, m.finished, m.failed, m.providerCalls, m.storeOps,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Transport wraps base (nil means http.DefaultTransport) so that every
// call through it is timed under provider's name and the operation read
// from the request path (see operation). base is used unchanged: give it
// its own header cap.
func (m *Metrics) Transport(provider string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &timedTransport{m: m, provider: provider, base: base}
}

type timedTransport struct {
	m        *Metrics
	provider string
	base     http.RoundTripper
}

func (t *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	result := "error"
	if err == nil {
		result = strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	t.m.providerCalls.WithLabelValues(t.provider, operation(r.URL.Path), result).Observe(time.Since(start).Seconds())
	return resp, err
}

// operations maps path segments that name a provider operation to the
// operation's label. Paths themselves are never labels: Myinfo's person
// path holds the person's NRIC.
var operations = map[string]string{
	"token":                "token",
	"person":               "person",
	"userinfo":             "userinfo",
	"par":                  "par",
	"jwks":                 "jwks",
	"jwks.json":            "jwks",
	"keys":                 "jwks",
	"openid-configuration": "discovery",
	"ageverification":      "ageverification",
	"accounts":             "accounts",
	"report":               "report",
	"authorise":            "authorise",
	"authorize":            "authorise",
}

// operation names the provider operation of a request path: the label of
// the last segment found in operations, else "other". Its result is always
// one of a fixed set of words.
func operation(path string) string {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if op, ok := operations[segs[i]]; ok {
			return op
		}
	}
	return "other"
}

// Store wraps s so that its operations are timed under the given store
// name (a fixed word such as "logins"). The wrapper keeps s's readiness
// check.
func (m *Metrics) Store(name string, s store.Store) store.Store {
	return &timedStore{m: m, name: name, s: s}
}

type timedStore struct {
	m    *Metrics
	name string
	s    store.Store
}

func (t *timedStore) Put(ctx context.Context, key string, value []byte, expiresAt time.Time) error {
	start := time.Now()
	err := t.s.Put(ctx, key, value, expiresAt)
	t.m.storeOps.WithLabelValues(t.name, "put", storeResult(err)).Observe(time.Since(start).Seconds())
	return err
}

func (t *timedStore) Take(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	v, err := t.s.Take(ctx, key)
	t.m.storeOps.WithLabelValues(t.name, "take", storeResult(err)).Observe(time.Since(start).Seconds())
	return v, err
}

// Ready reports the wrapped store's readiness (ready when it has no
// check).
func (t *timedStore) Ready(ctx context.Context) error {
	return storeReady(ctx, t.s)
}

func storeResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrExists):
		return "exists"
	case errors.Is(err, store.ErrFull):
		return "full"
	}
	return "error"
}

// started, finished and failed count a login event under a provider name
// that the Flow knows ("unknown" otherwise: the name in a path is the
// client's choice).
func (s *Server) countStarted(provider string) {
	s.metrics.started.WithLabelValues(s.providerLabel(provider)).Inc()
}

func (s *Server) countFinished(provider string) {
	s.metrics.finished.WithLabelValues(s.providerLabel(provider)).Inc()
}

func (s *Server) countFailed(provider string, err error) {
	s.metrics.failed.WithLabelValues(s.providerLabel(provider), classify(err).code).Inc()
}

func (s *Server) providerLabel(name string) string {
	if _, ok := s.flow.Provider(name); ok {
		return name
	}
	return "unknown"
}
