package oneid

import (
	"sync"
	"time"
)

// DefaultOversizeReport is a report size well past what a client should
// accept (20 MiB), for [Faults.SetReportOversize].
const DefaultOversizeReport = 20 << 20

// Faults are runtime switches that make the emulator misbehave, so a
// relying party's negative tests can run. The zero value is "no faults".
// All methods are safe for concurrent use, so a test may flip a switch
// between two requests of one login.
type Faults struct {
	mu                   sync.RWMutex
	down                 bool
	slow                 time.Duration
	idTokenForeignKey    bool
	idTokenRS256         bool
	idTokenExpired       bool
	idTokenWrongNonce    bool
	balancesWithoutScope bool
	reportNotPDF         bool
	reportOversize       int64
	authorizeError       string
}

func (f *Faults) set(p *bool, on bool) { f.mu.Lock(); *p = on; f.mu.Unlock() }
func (f *Faults) get(p *bool) bool     { f.mu.RLock(); defer f.mu.RUnlock(); return *p }

// SetDown makes every endpoint answer 503 temporarily_unavailable; the
// authorization endpoint, given a registered client and redirect URI,
// redirects with error=temporarily_unavailable and state instead.
func (f *Faults) SetDown(on bool) { f.set(&f.down, on) }

// Down reports whether SetDown is on.
func (f *Faults) Down() bool { return f.get(&f.down) }

// SetSlow delays every request by d before it is handled (0 turns it off).
// The delay ends early, with a 503, when the request's context ends.
func (f *Faults) SetSlow(d time.Duration) { f.mu.Lock(); f.slow = max(d, 0); f.mu.Unlock() }

// Slow returns the delay set by SetSlow.
func (f *Faults) Slow() time.Duration { f.mu.RLock(); defer f.mu.RUnlock(); return f.slow }

// SetIDTokenForeignKey signs ID tokens (PS256) with a key other than the
// published one, under the published kid.
func (f *Faults) SetIDTokenForeignKey(on bool) { f.set(&f.idTokenForeignKey, on) }

// IDTokenForeignKey reports whether SetIDTokenForeignKey is on.
func (f *Faults) IDTokenForeignKey() bool { return f.get(&f.idTokenForeignKey) }

// SetIDTokenRS256 signs ID tokens with the published key but RS256
// (PKCS #1 v1.5), while the JWKS and discovery say PS256 only: a client
// must refuse the algorithm.
func (f *Faults) SetIDTokenRS256(on bool) { f.set(&f.idTokenRS256, on) }

// IDTokenRS256 reports whether SetIDTokenRS256 is on.
func (f *Faults) IDTokenRS256() bool { return f.get(&f.idTokenRS256) }

// SetIDTokenExpired issues correctly signed ID tokens whose exp lies ten
// minutes in the past, well beyond any client's leeway.
func (f *Faults) SetIDTokenExpired(on bool) { f.set(&f.idTokenExpired, on) }

// IDTokenExpired reports whether SetIDTokenExpired is on.
func (f *Faults) IDTokenExpired() bool { return f.get(&f.idTokenExpired) }

// SetIDTokenWrongNonce puts a nonce other than the authorization
// request's in ID tokens (and one when none was sent).
func (f *Faults) SetIDTokenWrongNonce(on bool) { f.set(&f.idTokenWrongNonce, on) }

// IDTokenWrongNonce reports whether SetIDTokenWrongNonce is on.
func (f *Faults) IDTokenWrongNonce() bool { return f.get(&f.idTokenWrongNonce) }

// SetBalancesWithoutScope sends account balances from /accounts even when
// accounts.balances was not granted: data the person did not consent to,
// which a client must not keep.
func (f *Faults) SetBalancesWithoutScope(on bool) { f.set(&f.balancesWithoutScope, on) }

// BalancesWithoutScope reports whether SetBalancesWithoutScope is on.
func (f *Faults) BalancesWithoutScope() bool { return f.get(&f.balancesWithoutScope) }

// SetReportNotPDF serves an HTML page as the report, still labelled
// Content-Type application/pdf: a client must check the %PDF- magic.
func (f *Faults) SetReportNotPDF(on bool) { f.set(&f.reportNotPDF, on) }

// ReportNotPDF reports whether SetReportNotPDF is on.
func (f *Faults) ReportNotPDF() bool { return f.get(&f.reportNotPDF) }

// SetReportOversize serves a report of size bytes (such as
// DefaultOversizeReport) with no Content-Length: a PDF header followed by
// padding, streamed in small chunks so it never sits in memory. A client
// must stop reading at its cap. Zero or less turns it off.
func (f *Faults) SetReportOversize(size int64) {
	f.mu.Lock()
	f.reportOversize = max(size, 0)
	f.mu.Unlock()
}

// ReportOversize returns the size set by SetReportOversize.
func (f *Faults) ReportOversize() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.reportOversize
}

// SetAuthorizeError makes every authorization request (from a registered
// client with a registered redirect URI) end at once with error=
// access_denied and this OneID sub-code, such as "SessionExpired" or
// "OneID.OIDC.Redirect.SpamGuardBlocked" (the prefix is added when
// missing). "" turns it off. It returns an error for a code that is not
// letters, digits and dots. The authorization request's own oneid_error=
// parameter does the same for one request.
func (f *Faults) SetAuthorizeError(code string) error {
	full := ""
	if code != "" {
		var ok bool
		if full, ok = normalizeSubCode(code); !ok {
			return errBadSubCode
		}
	}
	f.mu.Lock()
	f.authorizeError = full
	f.mu.Unlock()
	return nil
}

// AuthorizeError returns the full sub-code set by SetAuthorizeError.
func (f *Faults) AuthorizeError() string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.authorizeError
}

// Reset turns every fault off.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.slow = false, 0
	f.idTokenForeignKey, f.idTokenRS256, f.idTokenExpired, f.idTokenWrongNonce = false, false, false, false
	f.balancesWithoutScope, f.reportNotPDF, f.reportOversize, f.authorizeError = false, false, 0, ""
}
