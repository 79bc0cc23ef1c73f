package httpx

import (
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw      string
		insecure bool
		want     string // "" means accepted; else a substring of the error
	}{
		{"https://id.example/fapi", false, ""},
		{"https://id.example:8443", false, ""},
		{"http://localhost:8080/cb", false, ""},
		{"http://LOCALHOST/cb", false, ""},
		{"http://127.0.0.1:5156", false, ""},
		{"http://127.8.9.10", false, ""},
		{"http://[::1]:9000/x", false, ""},
		{"http://id.example", true, ""},
		{"http://id.example", false, "http is allowed only on a loopback host"},
		{"http://localhost.example", false, "http is allowed only on a loopback host"},
		{"http://10.0.0.1", false, "http is allowed only on a loopback host"},
		{"ftp://id.example", false, "scheme must be https"},
		{"ftp://id.example", true, "scheme must be https"},
		{"/fapi", false, "not an absolute URL"},
		{"", false, "not an absolute URL"},
		{"https://user:pw@id.example", false, "not an absolute URL"},
		{"https://id.example/#frag", false, "not an absolute URL"},
		{"https://id.example/%zz", false, "not an absolute URL"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.raw, tt.insecure)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%q, %v) = %v, want nil", tt.raw, tt.insecure, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckURL(%q, %v) = %v, want %q", tt.raw, tt.insecure, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "pw"):
			t.Errorf("CheckURL(%q) leaks user info: %v", tt.raw, err)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.255.0.1", true},
		{"::1", true},
		{"", false},
		{"localhost.", false},
		{"sub.localhost", false},
		{"0.0.0.0", false},
		{"10.0.0.1", false},
		{"::", false},
		{"example.com", false},
		{"[::1]", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
