package idconnect_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/idconnect/idconnect"
)

func TestParseCallback(t *testing.T) {
	tests := []struct {
		query   string
		want    idconnect.Callback
		wantErr bool
	}{
		{"code=abc&state=s1", idconnect.Callback{Code: "abc", State: "s1"}, false},
		{"code=abc&state=s1&scope=name+dob&client_id=X&iss=http%3A%2F%2Fx", idconnect.Callback{Code: "abc", State: "s1", Issuer: "http://x",
			Extra: url.Values{"scope": {"name dob"}, "client_id": {"X"}}}, false},
		{"state=s1&error=access_denied&error_oneid=UserCancelled", idconnect.Callback{State: "s1", Error: "access_denied",
			Extra: url.Values{"error_oneid": {"UserCancelled"}}}, false},
		{"code=a&state=s1&x=" + strings.Repeat("a", idconnect.MaxCallbackValue+1), idconnect.Callback{}, true},
		{"state=s1&error=access_denied&error-description=Resource+Owner+did+not+authorize+the+request", idconnect.Callback{State: "s1", Error: "access_denied", ErrorDescription: "Resource Owner did not authorize the request"}, false},
		{"state=s1&error=access_denied&error_description=no", idconnect.Callback{State: "s1", Error: "access_denied", ErrorDescription: "no"}, false},
		{"code=abc", idconnect.Callback{}, true},
		{"state=s1", idconnect.Callback{}, true},
		{"code=a&code=b&state=s1", idconnect.Callback{}, true},
		{"code=a&state=s1&state=s2", idconnect.Callback{}, true},
		{"code=" + strings.Repeat("a", idconnect.MaxCallbackValue+1) + "&state=s", idconnect.Callback{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 40)], func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := idconnect.ParseCallback(q)
			if tt.wantErr {
				if !errors.Is(err, idconnect.ErrInvalidRequest) {
					t.Fatalf("err = %v, want ErrInvalidRequest", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseCallback(f *testing.F) {
	f.Add("code=abc&state=s1")
	f.Add("state=s1&error=access_denied&error-description=x")
	f.Add("code=%ZZ&state=")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cb, err := idconnect.ParseCallback(q)
		if err != nil {
			if !errors.Is(err, idconnect.ErrInvalidRequest) {
				t.Fatalf("error %v is not ErrInvalidRequest", err)
			}
			return
		}
		if cb.State == "" || (cb.Code == "" && cb.Error == "") {
			t.Fatalf("accepted callback without state or code/error: %+v", cb)
		}
		if len(cb.Code) > idconnect.MaxCallbackValue || len(cb.State) > idconnect.MaxCallbackValue {
			t.Fatal("accepted oversized value")
		}
	})
}

func TestSecretRedacts(t *testing.T) {
	s := idconnect.Secret("hunter2")
	for _, got := range []string{s.String(), s.GoString()} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("secret leaked: %q", got)
		}
	}
	b, _ := s.MarshalJSON()
	if strings.Contains(string(b), "hunter2") || s.Reveal() != "hunter2" {
		t.Errorf("MarshalJSON %s, Reveal %q", b, s.Reveal())
	}
}
