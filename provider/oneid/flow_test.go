package oneid_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/provider/oneid"
	"github.com/idconnect/idconnect/store"
)

// Error redirects through idconnect.Flow: ParseCallback keeps
// error_oneid/oneid_error in Callback.Extra and the Flow asks the client
// (idconnect.CallbackErrorer) what they mean.
func TestFlowErrorRedirect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     url.Values
		want  error
		sub   string
		other []error // sentinels it must not match
	}{
		{"UserCancelled", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.UserCancelled"}}, idconnect.ErrConsentDenied, "UserCancelled", []error{oneid.ErrSessionExpired}},
		{"RequestDenied", url.Values{"error": {"access_denied"}, "oneid_error": {"OneID.OIDC.Redirect.RequestDenied"}}, idconnect.ErrConsentDenied, "RequestDenied", nil},
		{"SessionExpired", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SessionExpired"}}, oneid.ErrSessionExpired, "SessionExpired", []error{idconnect.ErrConsentDenied}},
		{"SpamGuardBlocked", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SpamGuardBlocked"}}, oneid.ErrSpamGuardBlocked, "SpamGuardBlocked", []error{idconnect.ErrConsentDenied}},
		{"unknown", url.Values{"error": {"access_denied"}, "error_oneid": {"OneID.OIDC.Redirect.SomethingNew"}}, idconnect.ErrConsentDenied, "SomethingNew", nil},
		{"server_error", url.Values{"error": {"server_error"}}, idconnect.ErrProviderUnavailable, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			flow := &idconnect.Flow{
				Providers: map[string]idconnect.Provider{"oneid": e.client(t)},
				Store:     &store.Memory{Now: e.clock.Now},
				Now:       e.clock.Now,
			}
			rec := httptest.NewRecorder()
			browser, err := flow.BindBrowser(rec, httptest.NewRequest(http.MethodGet, "/login/oneid", nil))
			if err != nil {
				t.Fatal(err)
			}
			login, _, err := flow.Start(context.Background(), "oneid", browser, idconnect.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tc.q.Set("state", login.State)
			cb, err := idconnect.ParseCallback(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			_, err = flow.Callback(context.Background(), "oneid", cb, browser)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			for _, o := range tc.other {
				if errors.Is(err, o) {
					t.Errorf("%v also matches %v", err, o)
				}
			}
			var oe *oneid.Error
			if !errors.As(err, &oe) || oe.SubCode != tc.sub {
				t.Errorf("got %#v, want sub-code %q", err, tc.sub)
			}
			if e.fake.count("token") != 0 {
				t.Error("token called")
			}
		})
	}
}
