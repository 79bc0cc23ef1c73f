package keyset

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Rules of a relying party's published JWKS as Singpass and Corppass fetch
// it (Singpass's JWKS page, the pre-FAPI client JWK requirements, and both
// rejecting a redirect).
const (
	// FetchTimeout is how long they wait for the answer.
	FetchTimeout = 3 * time.Second
	// maxJWKSBytes caps the answer read.
	maxJWKSBytes = 256 << 10
)

// Problem is one reason Singpass or Corppass would refuse a published
// JWKS: what is wrong, and the rule it breaks.
type Problem struct {
	// What names the problem, e.g. `key 1 (kid "a"): has a private part ("d")`.
	What string
	// Why says the rule and who applies it.
	Why string
}

func (p Problem) String() string { return p.What + ": " + p.Why }

// Checker fetches a published JWKS as Singpass and Corppass do and reports
// every problem they would reject it for. The zero value checks real,
// public URLs.
type Checker struct {
	// Transport makes the request (nil: a clone of
	// http.DefaultTransport). Redirects are never followed, whatever it
	// does.
	Transport http.RoundTripper
	// Resolve looks up a host's addresses (nil: net.DefaultResolver).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// AllowLoopback accepts a loopback host (127.0.0.0/8, ::1,
	// localhost) on any port, for tests. The providers themselves can
	// never reach one.
	AllowLoopback bool
	// Timeout is how long the answer may take (0: FetchTimeout, the
	// providers' 3 s).
	Timeout time.Duration
}

func (c Checker) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return FetchTimeout
}

// Check fetches rawURL once, within FetchTimeout, and returns every
// problem found: with the URL (https, port 443, a public address; a host
// that is not public is reported and not fetched), with the answer (no
// redirect, status 200, a JSON body in time), and with the set (see
// [CheckJWKS]). No problems means the set would be accepted as far as
// these rules go. The error is for a context ended by the caller only.
func (c Checker) Check(ctx context.Context, rawURL string) ([]Problem, error) {
	var probs []Problem
	add := func(what, why string) { probs = append(probs, Problem{what, why}) }
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		add("the URL is not an absolute http(s) URL", "the providers fetch the JWKS from a public https URL")
		return probs, nil
	}
	if u.Scheme != "https" {
		add("the URL is http", "the providers fetch the JWKS over https only (port 443, a publicly trusted certificate)")
	}
	if u.User != nil {
		add("the URL has user info", "the providers send no credentials to the JWKS URL")
	}
	loopback := c.AllowLoopback && isLoopbackHost(u.Hostname())
	if port := u.Port(); port != "" && port != "443" && !loopback {
		add("the URL has port "+port, "the providers fetch the JWKS on port 443 only")
	}
	if !loopback {
		// A host the providers cannot reach is not fetched either: the
		// check does not probe private networks.
		if addrProbs := c.checkAddresses(ctx, u.Hostname()); len(addrProbs) > 0 {
			return append(probs, addrProbs...), nil
		}
	}

	fctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	body, answerProbs := c.fetch(fctx, u)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	probs = append(probs, answerProbs...)
	if body != nil {
		probs = append(probs, CheckJWKS(body)...)
	}
	return probs, nil
}

// checkAddresses reports a host that does not resolve to public addresses
// only.
func (c Checker) checkAddresses(ctx context.Context, host string) []Problem {
	why := "Singpass and Corppass fetch the JWKS from the internet, with no IP allow-list"
	if ip, err := netip.ParseAddr(host); err == nil {
		if !public(ip) {
			return []Problem{{"the host " + host + " is not a public address", why}}
		}
		return nil
	}
	resolve := c.Resolve
	if resolve == nil {
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	addrs, err := resolve(rctx, host)
	if err != nil || len(addrs) == 0 {
		return []Problem{{"the host " + host + " does not resolve", why}}
	}
	for _, a := range addrs {
		if !public(a.Unmap()) {
			return []Problem{{fmt.Sprintf("the host %s resolves to %s, not a public address", host, a), why}}
		}
	}
	return nil
}

func public(ip netip.Addr) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// fetch GETs u as the providers do: no redirect, the timeout in ctx. It
// returns the body of a 200 answer, or nil, with the problems.
func (c Checker) fetch(ctx context.Context, u *url.URL) ([]byte, []Problem) {
	tr := c.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, []Problem{{"the URL cannot be requested", "the providers fetch the JWKS from a public https URL"}}
	}
	late := Problem{fmt.Sprintf("no answer within %v", c.timeout()), "Singpass and Corppass give up on a JWKS URL after 3 s (Singpass tries 3 times)"}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, []Problem{late}
		}
		return nil, []Problem{{"the request failed: " + errText(err), "the JWKS URL must answer over https with a publicly trusted certificate and its full chain"}}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		to := resp.Header.Get("Location")
		return nil, []Problem{{fmt.Sprintf("HTTP %d redirect to %q", resp.StatusCode, to), "Singpass and Corppass do not follow redirects: serve the JWKS at the registered URL itself"}}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, []Problem{{fmt.Sprintf("HTTP %d", resp.StatusCode), "the JWKS URL must answer 200 with the key set"}}
	}
	var probs []Problem
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || (mt != "application/json" && mt != "application/jwk-set+json") {
		probs = append(probs, Problem{fmt.Sprintf("Content-Type %q", resp.Header.Get("Content-Type")), "a JWKS is served as application/json or application/jwk-set+json"})
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if ctx.Err() != nil { // the whole answer must arrive in time
		return nil, append(probs, late)
	}
	if err != nil {
		return nil, append(probs, Problem{"reading the body failed: " + errText(err), "the JWKS URL must answer with the whole key set"})
	}
	if len(body) > maxJWKSBytes {
		return nil, append(probs, Problem{fmt.Sprintf("the body is over %d KiB", maxJWKSBytes>>10), "a key set is a few keys, not a large document"})
	}
	return body, probs
}

// errText is err without the URL net/http wraps around it.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// privateMembers are the JWK members that hold private key material, for
// every key type (RFC 7518 §6).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// CheckJWKS applies Singpass's and Corppass's rules to a published JWK set
// and returns every problem: a JSON object {"keys":[…]}; each key an EC
// key on P-256, P-384 or P-521 with a point on its curve, a kid no other
// key has, "use" sig or enc, an enc key's alg one of ECDH-ES+A128KW,
// ECDH-ES+A192KW, ECDH-ES+A256KW, and no private part; at least one
// signing and one encryption key.
func CheckJWKS(body []byte) []Problem {
	// Member names are matched exactly, as the providers' parsers do
	// (encoding/json would also take "Keys" for "keys").
	var top map[string]json.RawMessage
	var doc struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(body, &top); err != nil || json.Unmarshal(top["keys"], &doc.Keys) != nil || doc.Keys == nil {
		return []Problem{{"the body is not a JSON object with a \"keys\" array", "a JWKS is a JWK set (RFC 7517 §5)"}}
	}
	var probs []Problem
	kids := map[string]int{}
	var sig, enc int
	for i, raw := range doc.Keys {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			probs = append(probs, Problem{fmt.Sprintf("key %d is not a JSON object", i), "a JWKS holds JWKs"})
			continue
		}
		str := func(name string) string {
			var s string
			_ = json.Unmarshal(m[name], &s)
			return s
		}
		kid, use, alg, kty := str("kid"), str("use"), str("alg"), str("kty")
		name := fmt.Sprintf("key %d (kid %q)", i, kid)
		add := func(what, why string) { probs = append(probs, Problem{name + ": " + what, why}) }
		// Any case: "D" is no private part to a provider's parser, but it
		// still publishes the secret.
		for name := range m {
			if slices.Contains(privateMembers, strings.ToLower(name)) {
				add(fmt.Sprintf("has a private part (%q)", name), "a published JWKS must hold public keys only: anyone can read it, and the providers refuse a key with \"d\"")
			}
		}
		switch {
		case kid == "":
			add("has no kid", "every key needs a kid, unique in the set: the providers pick keys by kid")
		case kids[kid] > 0:
			add(fmt.Sprintf("repeats the kid of key %d", kids[kid]-1), "each kid must be unique and never reused")
		default:
			kids[kid] = i + 1
		}
		if kty != "EC" {
			add(fmt.Sprintf("kty %q", kty), "Singpass and Corppass take EC keys only (kty \"EC\")")
			continue
		}
		switch use {
		case UseSig:
			sig++
			if alg != "" && alg != "ES256" && alg != "ES384" && alg != "ES512" {
				add(fmt.Sprintf("signing key with alg %q", alg), "a signing key's alg is ES256, ES384 or ES512")
			}
		case UseEnc:
			enc++
			if alg != "ECDH-ES+A128KW" && alg != "ECDH-ES+A192KW" && alg != "ECDH-ES+A256KW" {
				add(fmt.Sprintf("encryption key with alg %q", alg), "an encryption key's alg must be ECDH-ES+A128KW, ECDH-ES+A192KW or ECDH-ES+A256KW")
			}
		default:
			add(fmt.Sprintf("use %q", use), "every key needs \"use\": \"sig\" or \"enc\"")
		}
		// The point must be on the named curve; go-jose checks it.
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			add("is not a valid EC key (curve, x and y)", "keys must be EC on P-256, P-384 or P-521 with a point on the curve")
		} else if pub, ok := k.Key.(*ecdsa.PublicKey); ok && pub.Curve.Params().Name != "P-256" && pub.Curve.Params().Name != "P-384" && pub.Curve.Params().Name != "P-521" {
			add("curve "+pub.Curve.Params().Name, "keys must be on P-256, P-384 or P-521")
		}
	}
	if sig == 0 {
		probs = append(probs, Problem{"no EC signing key (use \"sig\")", "the set needs at least one signing key: the providers verify the client assertions with it"})
	}
	if enc == 0 {
		probs = append(probs, Problem{"no EC encryption key (use \"enc\")", "the set needs at least one encryption key: the providers encrypt the ID token and userinfo to it"})
	}
	return probs
}
