package httpx

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// CheckURL accepts an absolute https URL without user info or fragment, or
// an http one on a loopback host (see [IsLoopback]); allowInsecure accepts
// http on any host. The errors name no URL (it may hold a secret) and read
// well after a field name, as in "Issuer: scheme must be https".
func CheckURL(raw string, allowInsecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("not an absolute URL (without user info or fragment)")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (allowInsecure || IsLoopback(u.Hostname())):
	case u.Scheme == "http":
		return errors.New("http is allowed only on a loopback host (or with AllowInsecureHTTP)")
	default:
		return errors.New("scheme must be https")
	}
	return nil
}

// IsLoopback reports whether host names this machine: "localhost" (any
// case) or a loopback IP literal (127.0.0.0/8, ::1). Other names could
// resolve anywhere, so they never count.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
