package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/idconnect/idconnect"
)

// parseReturnURL checks an application's return URL: absolute http(s),
// without a fragment (the handle is added to its query).
func parseReturnURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Fragment != "" {
		return nil, errors.New("must be an absolute http(s) URL without a fragment")
	}
	return u, nil
}

// demoLogin starts a login for the demo application: like /login/{provider},
// but its redirect URI is /demo/callback/{provider}, whose result is handed
// off to the demo's backend whatever else is configured.
func (s *Server) demoLogin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("provider")
	if _, ok := s.flow.Provider(name); !ok {
		s.loginError(w, r, name, fmt.Errorf("%w: %q", idconnect.ErrUnknownProvider, name))
		return
	}
	opts := s.demoLogins[name]
	opts.Attributes = slices.Clone(opts.Attributes) // a provider may change its login's
	opts.RedirectURI = s.public + "/demo/callback/" + name
	s.start(w, r, name, opts)
}

// demoFinish handles a demo login's redirect: the result, or the error's
// code, goes to the demo application's return URL; never to the browser.
func (s *Server) demoFinish(w http.ResponseWriter, r *http.Request) {
	s.finishTo(w, r, r.PathValue("provider"), s.demoReturn)
}
