package main

import (
	"fmt"
	"net/url"
	"strings"
)

// productionProblems applies IDCONNECT_ENV=production's rules to a read
// configuration: no emulator, no result kept in one process's memory, no
// key made up per process, no plain-http redirect and no demo page. Each
// of these is a fine default on a laptop and a fault in production, where
// it would lose logins on a restart, split them between instances, or
// send people's data in clear. It returns every problem, or nil for any
// other IDCONNECT_ENV.
func productionProblems(env func(name, seedName, def string) string, cfg *serviceConfig) []error {
	switch mode := strings.ToLower(env("IDCONNECT_ENV", "", "development")); mode {
	case "development":
		return nil
	case "production":
	default:
		return []error{fmt.Errorf("IDCONNECT_ENV %q: want production or development", mode)}
	}
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("IDCONNECT_ENV=production: "+format, a...))
	}
	if cfg.Emulated {
		add("no provider is configured, so the service would run on its embedded emulators, with invented people and keys made up at start: configure Myinfo, Singpass, Corppass or OneID")
	}
	for _, p := range []struct{ name, url string }{
		{"IDCONNECT_SINGPASS_ISSUER", issuerOf(cfg.Singpass)},
		{"IDCONNECT_CORPPASS_ISSUER", issuerOf(cfg.Corppass)},
		{"IDCONNECT_ONEID_ISSUER", oneIDIssuer(cfg)},
		{"IDCONNECT_MYINFO_BASE_URL", cfg.Myinfo.BaseURL},
	} {
		if p.url != "" && !strings.HasPrefix(strings.ToLower(p.url), "https://") {
			add("%s %q is not https: a provider is reached over https; plain http is an emulator's", p.name, p.url)
		}
	}
	if cfg.ReturnURL != "" && cfg.RedisURL == "" {
		add("the result handoff (IDCONNECT_RETURN_URL) would keep results in this process's memory, lost on a restart and unseen by other instances: set IDCONNECT_REDIS_URL")
	}
	if cfg.CookieKey == nil {
		add("IDCONNECT_COOKIE_KEY is not set, so each process makes up its own: a restart or another instance refuses every login in flight (openssl rand -base64 32)")
	}
	if cfg.ReturnURL != "" && cfg.ResultKey == nil {
		add("IDCONNECT_RESULT_KEY is not set, so each process makes up its own: a restart loses every result waiting to be fetched (openssl rand -base64 32)")
	}
	for _, u := range []struct{ name, url string }{
		{"IDCONNECT_REDIRECT_URL", cfg.RedirectURL},
		{"IDCONNECT_RETURN_URL", cfg.ReturnURL},
	} {
		if p, err := url.Parse(u.url); err == nil && p.Scheme == "http" {
			add("%s %q is http: codes, states and results would cross the network in clear, and the binding cookie could not be Secure; use https", u.name, u.url)
		}
	}
	if cfg.Demo {
		add("the demo page is on (IDCONNECT_DEMO): it shows whoever logs in their data on a public page; set IDCONNECT_DEMO=off")
	}
	return errs
}

func issuerOf(sp *singpassConfig) string {
	if sp == nil {
		return ""
	}
	return sp.Issuer
}

func oneIDIssuer(cfg *serviceConfig) string {
	if cfg.OneID == nil {
		return ""
	}
	return cfg.OneID.Issuer
}
