package baflow

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// originSet is the set of trusted origins: the base URL's and the configured ones, each an
// exact origin or one with "*" standing for one or more host labels ("https://*.example.com").
type originSet struct {
	exact    map[string]bool
	patterns []originPattern
}

type originPattern struct{ scheme, hostSuffix, port string }

func newOriginSet(base *url.URL, trusted []string) (*originSet, error) {
	o := &originSet{exact: map[string]bool{originOf(base): true}}
	for _, t := range trusted {
		t = strings.TrimSuffix(strings.TrimSpace(t), "/")
		if t == "" {
			continue
		}
		u, err := url.Parse(strings.Replace(t, "*.", "wildcard.", 1))
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("baflow: trusted origin %q is not an origin like https://app.example.com", t)
		}
		if strings.Contains(t, "*") {
			host := u.Hostname()
			if !strings.HasPrefix(host, "wildcard.") || strings.Count(t, "*") != 1 {
				return nil, fmt.Errorf("baflow: trusted origin %q: a wildcard must be the first host label", t)
			}
			o.patterns = append(o.patterns, originPattern{scheme: strings.ToLower(u.Scheme),
				hostSuffix: strings.ToLower(strings.TrimPrefix(host, "wildcard")), port: u.Port()})
			continue
		}
		o.exact[originOf(u)] = true
	}
	return o, nil
}

// originOf is the serialized origin of u in lower case: scheme://host[:port].
func originOf(u *url.URL) string {
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// trusts reports whether the absolute URL or origin raw belongs to a trusted origin.
func (o *originSet) trusts(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return false
	}
	if o.exact[originOf(u)] {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, p := range o.patterns {
		if strings.ToLower(u.Scheme) == p.scheme && u.Port() == p.port &&
			strings.HasSuffix(host, p.hostSuffix) && len(host) > len(p.hostSuffix) {
			return true
		}
	}
	return false
}

// allowsRedirect reports whether raw may be sent back to a browser as a redirect target: a
// path on this site that no parser can read as another host, or an absolute URL of a trusted
// origin.
func (o *originSet) allowsRedirect(raw string) bool {
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return false
		}
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") || strings.Contains(strings.ToLower(raw), "%2f") ||
			strings.Contains(strings.ToLower(raw), "%5c") {
			return false
		}
		u, err := url.Parse(raw)
		return err == nil && u.Host == "" && u.Scheme == "" && path.IsAbs(u.Path)
	}
	return o.trusts(raw)
}

// checkCallbackURL returns failure when raw is set and may not be redirected to.
func (s *Service) checkCallbackURL(raw string, failure *apiErr) error {
	if raw == "" || s.origins.allowsRedirect(raw) {
		return nil
	}
	return failure
}

// CheckRedirects checks the URLs a request names for later redirects, as Better Auth's origin
// check does: callbackURL, redirectTo, errorCallbackURL and newUserCallbackURL.
func (s *Service) CheckRedirects(callbackURL, redirectTo, errorCallbackURL, newUserCallbackURL string) error {
	for _, c := range []struct {
		url string
		err *apiErr
	}{
		{callbackURL, ErrInvalidCallbackURL}, {redirectTo, ErrInvalidRedirectURL},
		{errorCallbackURL, ErrInvalidErrorCallbackURL}, {newUserCallbackURL, ErrInvalidNewUserCallbackURL},
	} {
		if err := s.checkCallbackURL(c.url, c.err); err != nil {
			return err
		}
	}
	return nil
}

// RequestOrigin is what the origin (CSRF) check reads of a request.
type RequestOrigin struct {
	Method          string
	Origin, Referer string
	HasCookie       bool
	SecFetchSite    string
	SecFetchMode    string
	SecFetchDest    string
	// SignInOrUp marks the sign-in and sign-up endpoints, which also guard cookie-less
	// requests against cross-site form posts.
	SignInOrUp bool
}

// CheckOrigin applies Better Auth's CSRF rules: a state-changing request that carries cookies
// must come from a trusted origin (by Origin, else Referer); a sign-in or sign-up without
// cookies is refused when it is a cross-site navigation, and its origin is checked when the
// browser names one. Requests with no cookies and no such headers (curl, servers) pass.
func (s *Service) CheckOrigin(r RequestOrigin) error {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS":
		return nil
	}
	force := false
	if !r.HasCookie {
		if !r.SignInOrUp {
			return nil
		}
		if r.SecFetchSite != "" || r.SecFetchMode != "" || r.SecFetchDest != "" {
			if r.SecFetchSite == "cross-site" && r.SecFetchMode == "navigate" {
				return ErrCrossSiteNavigation
			}
			force = true
		} else if r.Origin != "" || r.Referer != "" {
			force = true
		}
		if !force {
			return nil
		}
	}
	origin := r.Origin
	if origin == "null" && r.SecFetchSite == "same-origin" {
		return nil // a sandboxed same-origin page: the browser vouches for it
	}
	if origin == "" {
		origin = r.Referer
	}
	if origin == "" || origin == "null" {
		return ErrMissingOrigin
	}
	if !s.origins.trusts(origin) {
		return ErrInvalidOrigin
	}
	return nil
}
