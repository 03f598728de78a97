package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// UserInfo is the user's identity at the provider, mapped as Better Auth maps it.
type UserInfo struct {
	// ID is the account id (Better Auth's accountId): the OIDC sub, GitHub's numeric user id.
	ID string
	// Email as the provider gives it, not normalized; may be empty.
	Email string
	// EmailVerified: OIDC email_verified (a boolean or "true"), GitHub's verified flag of the
	// chosen address. False when Email is empty.
	EmailVerified bool
	// Name: OIDC name (else given_name family_name), GitHub name (else login). May be empty.
	Name string
	// Image: OIDC picture, GitHub avatar_url. May be empty.
	Image string
}

// UserInfo returns the identity behind tokens from Exchange. nonce is the one sent in the
// authorization URL, "" if none.
//
// OIDC: the ID token, when there is one, is verified as VerifyIDToken does (ErrInvalidIDToken) and
// its claims are the identity; when they lack the email or the name, the user info endpoint
// completes them (its sub must be the ID token's). Without an ID token the user info endpoint is
// the identity. GitHub: GET /user, and /user/emails for the email: the primary address if
// verified, else the public profile address, else the primary one, else the first; EmailVerified
// is that address's verified flag. A token the user info endpoint refuses, or an identity without
// a subject, is ErrUserInfo.
func (p *Provider) UserInfo(ctx context.Context, t *Tokens, nonce string) (*UserInfo, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: no tokens", ErrUserInfo)
	}
	ep, err := p.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if p.cfg.Kind == KindGitHub {
		return p.gitHubUser(ctx, ep, t.AccessToken)
	}
	if t.IDToken == "" {
		if ep.userInfo == "" {
			return nil, fmt.Errorf("%w: no ID token and no user info endpoint", ErrUserInfo)
		}
		return p.fetchUserInfo(ctx, ep, t.AccessToken)
	}
	c, err := p.verifyIDToken(ctx, ep, t.IDToken, nonce)
	if err != nil {
		return nil, err
	}
	ui := c.userInfo()
	if (ui.Email == "" || ui.Name == "") && ep.userInfo != "" && t.AccessToken != "" {
		more, err := p.fetchUserInfo(ctx, ep, t.AccessToken)
		switch {
		case err == nil && more.ID != ui.ID:
			return nil, fmt.Errorf("%w: user info subject %q differs from the ID token's %q", ErrUserInfo, more.ID, ui.ID)
		case err == nil:
			if ui.Email == "" {
				ui.Email, ui.EmailVerified = more.Email, more.EmailVerified
			}
			if ui.Name == "" {
				ui.Name = more.Name
			}
			if ui.Image == "" {
				ui.Image = more.Image
			}
		case ui.Email == "":
			return nil, err
		}
		// Only the name was missing: the ID token's identity stands without it.
	}
	return ui, nil
}

// Profile returns the identity behind an access token together with the provider's raw
// profile, as Better Auth's /account-info shows it: OIDC, the user info endpoint's claims as
// they came; GitHub, the /user object, its "email" filled in with the chosen address when the
// profile shows none (as Better Auth's GitHub provider does). Errors as for UserInfo; an OIDC
// provider without a user info endpoint is ErrUserInfo.
func (p *Provider) Profile(ctx context.Context, accessToken string) (*UserInfo, map[string]any, error) {
	ep, err := p.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p.cfg.Kind == KindGitHub {
		return p.gitHubProfile(ctx, ep, accessToken)
	}
	if ep.userInfo == "" {
		return nil, nil, fmt.Errorf("%w: no user info endpoint", ErrUserInfo)
	}
	return p.userInfoProfile(ctx, ep, accessToken)
}

// fetchUserInfo reads the OIDC user info endpoint with accessToken.
func (p *Provider) fetchUserInfo(ctx context.Context, ep *endpoints, accessToken string) (*UserInfo, error) {
	ui, _, err := p.userInfoProfile(ctx, ep, accessToken)
	return ui, err
}

// userInfoProfile reads the OIDC user info endpoint with accessToken: the identity and the raw
// claims.
func (p *Provider) userInfoProfile(ctx context.Context, ep *endpoints, accessToken string) (*UserInfo, map[string]any, error) {
	if accessToken == "" {
		return nil, nil, fmt.Errorf("%w: no access token", ErrUserInfo)
	}
	var c idClaims
	data, err := p.getProfile(ctx, "user info", ep.userInfo, http.Header{"Authorization": {"Bearer " + accessToken}}, &c)
	if err != nil {
		return nil, nil, err
	}
	if c.Sub == "" {
		return nil, nil, fmt.Errorf("%w: user info has no sub", ErrUserInfo)
	}
	return c.userInfo(), data, nil
}

// getProfile reads a profile resource (what names it in errors) into v, and returns it also as
// the raw JSON object it was.
func (p *Provider) getProfile(ctx context.Context, what, url string, header http.Header, v any) (map[string]any, error) {
	var raw json.RawMessage
	status, err := p.getJSON(ctx, url, header, &raw)
	if err != nil {
		return nil, err
	}
	if err := statusErr(what, status); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, upstream("%s: %v", what, err)
	}
	data, err := rawObject(raw)
	if err != nil {
		return nil, upstream("%s: %v", what, err)
	}
	return data, nil
}

// rawObject decodes a JSON object keeping numbers as they were written.
func rawObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return out, nil
}

// statusErr maps a resource server's status: 200 is fine, 401 and 403 refuse the token
// (ErrUserInfo), anything else is ErrUpstream.
func statusErr(what string, status int) error {
	switch status {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w: %s answered %d", ErrUserInfo, what, status)
	}
	return upstream("%s answered %d", what, status)
}

// gitHubHeader is what GitHub's REST API wants.
func gitHubHeader(accessToken string) http.Header {
	return http.Header{
		"Authorization":        {"Bearer " + accessToken},
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
	}
}

type gitHubProfile struct {
	ID        json.Number `json:"id"`
	Login     string      `json:"login"`
	Name      string      `json:"name"`
	Email     string      `json:"email"`
	AvatarURL string      `json:"avatar_url"`
}

type gitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

func (p *Provider) gitHubUser(ctx context.Context, ep *endpoints, accessToken string) (*UserInfo, error) {
	ui, _, err := p.gitHubProfile(ctx, ep, accessToken)
	return ui, err
}

// gitHubProfile reads GitHub's /user and /user/emails: the identity and the raw /user object
// (its email filled in with the chosen address when it shows none).
func (p *Provider) gitHubProfile(ctx context.Context, ep *endpoints, accessToken string) (*UserInfo, map[string]any, error) {
	if accessToken == "" {
		return nil, nil, fmt.Errorf("%w: no access token", ErrUserInfo)
	}
	var prof gitHubProfile
	data, err := p.getProfile(ctx, "GitHub user", ep.userInfo, gitHubHeader(accessToken), &prof)
	if err != nil {
		return nil, nil, err
	}
	if id, err := strconv.ParseInt(prof.ID.String(), 10, 64); err != nil || id <= 0 {
		return nil, nil, fmt.Errorf("%w: GitHub user id %q", ErrUserInfo, prof.ID)
	}
	var emails []gitHubEmail
	status, err := p.getJSON(ctx, ep.emails, gitHubHeader(accessToken), &emails)
	if err != nil {
		return nil, nil, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		// The token lacks user:email: only the public profile address is known, unverified.
		emails = nil
	default:
		return nil, nil, upstream("GitHub emails answered %d", status)
	}
	email, verified := pickGitHubEmail(prof.Email, emails)
	name := prof.Name
	if name == "" {
		name = prof.Login
	}
	if prof.Email == "" && email != "" {
		data["email"] = email
	}
	return &UserInfo{
		ID: prof.ID.String(), Email: email, EmailVerified: verified, Name: name, Image: prof.AvatarURL,
	}, data, nil
}

// pickGitHubEmail chooses the account's address: the primary one if verified, else the public
// profile address (verified if /user/emails says so), else the primary one, else the first.
func pickGitHubEmail(public string, emails []gitHubEmail) (string, bool) {
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			return e.Email, true
		}
	}
	verified := func(addr string) bool {
		for _, e := range emails {
			if strings.EqualFold(e.Email, addr) {
				return e.Verified
			}
		}
		return false
	}
	if public != "" {
		return public, verified(public)
	}
	for _, e := range emails {
		if e.Primary && e.Email != "" {
			return e.Email, e.Verified
		}
	}
	for _, e := range emails {
		if e.Email != "" {
			return e.Email, e.Verified
		}
	}
	return "", false
}
