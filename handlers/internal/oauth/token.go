package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tokens are a token endpoint's answer, as Better Auth stores them on an account row. Empty
// fields and nil times were absent from the answer.
type Tokens struct {
	AccessToken           string
	RefreshToken          string // empty when the provider issued none (or kept the old one on refresh)
	IDToken               string // OIDC only
	TokenType             string // usually "Bearer"
	AccessTokenExpiresAt  *time.Time
	RefreshTokenExpiresAt *time.Time // from refresh_token_expires_in (GitHub Apps)
	Scopes                []string   // granted scopes, when the provider says
}

// Exchange trades an authorization code for tokens (RFC 6749 §4.1.3 with the PKCE verifier).
// redirectURI must be the one of the authorization URL. A provider's refusal is a *TokenError
// (errors.Is(err, ErrInvalidGrant) for a bad, used or expired code or a wrong verifier).
func (p *Provider) Exchange(ctx context.Context, code, verifier, redirectURI string) (*Tokens, error) {
	if code == "" {
		return nil, fmt.Errorf("%w: empty authorization code", ErrInvalidGrant)
	}
	form := url.Values{}
	form.Set("grant_type", "authorization_code")
	form.Set("code", code)
	form.Set("redirect_uri", redirectURI)
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return p.tokenRequest(ctx, "exchange", form)
}

// Refresh trades a refresh token for new tokens (RFC 6749 §6). The answer's RefreshToken is empty
// when the provider keeps the old one valid: the caller then keeps the old one. A revoked or
// expired refresh token gives errors.Is(err, ErrInvalidGrant).
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("%w: empty refresh token", ErrInvalidGrant)
	}
	form := url.Values{}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", refreshToken)
	return p.tokenRequest(ctx, "refresh", form)
}

// tokenResponse is a token endpoint's JSON answer, success or error.
type tokenResponse struct {
	AccessToken           string          `json:"access_token"`
	TokenType             string          `json:"token_type"`
	RefreshToken          string          `json:"refresh_token"`
	IDToken               string          `json:"id_token"`
	ExpiresIn             flexString      `json:"expires_in"`
	RefreshTokenExpiresIn flexString      `json:"refresh_token_expires_in"`
	Scope                 json.RawMessage `json:"scope"`
	Error                 string          `json:"error"`
	ErrorDescription      string          `json:"error_description"`
}

func (p *Provider) tokenRequest(ctx context.Context, op string, form url.Values) (*Tokens, error) {
	ep, err := p.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if ep.authMethod == AuthPost {
		form.Set("client_id", p.cfg.ClientID)
		form.Set("client_secret", p.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.token, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, upstreamErr("POST "+ep.token, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ep.authMethod == AuthBasic {
		// RFC 6749 §2.3.1: both halves form-encoded before base64.
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret))
	}
	sent := p.now()
	status, h, body, err := p.do(req)
	if err != nil {
		return nil, err
	}
	var tr tokenResponse
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded", "text/plain":
		// GitHub's answer to clients that do not ask for JSON; tolerated.
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, upstream("%s: token endpoint answered %d with an unreadable body", op, status)
		}
		tr = tokenResponse{
			AccessToken: v.Get("access_token"), TokenType: v.Get("token_type"),
			RefreshToken: v.Get("refresh_token"), IDToken: v.Get("id_token"),
			ExpiresIn: flexString(v.Get("expires_in")), RefreshTokenExpiresIn: flexString(v.Get("refresh_token_expires_in")),
			Error: v.Get("error"), ErrorDescription: v.Get("error_description"),
		}
		if s := v.Get("scope"); s != "" {
			tr.Scope, _ = json.Marshal(s)
		}
	default:
		if err := json.Unmarshal(body, &tr); err != nil {
			return nil, upstream("%s: token endpoint answered %d with a body that is not JSON", op, status)
		}
	}
	if status >= 500 {
		return nil, upstream("%s: token endpoint answered %d %s", op, status, tr.Error)
	}
	if tr.Error != "" {
		return nil, &TokenError{Op: op, Status: status, Code: tr.Error, Description: tr.ErrorDescription}
	}
	if status != http.StatusOK {
		return nil, upstream("%s: token endpoint answered %d without an OAuth error", op, status)
	}
	if tr.AccessToken == "" {
		return nil, upstream("%s: token endpoint answered without an access token", op)
	}
	t := &Tokens{
		AccessToken:  tr.AccessToken,
		RefreshToken: tr.RefreshToken,
		IDToken:      tr.IDToken,
		TokenType:    tr.TokenType,
		Scopes:       parseScopes(tr.Scope, p.cfg.Kind == KindGitHub),
	}
	if t.AccessTokenExpiresAt, err = expiry(sent, tr.ExpiresIn); err != nil {
		return nil, upstream("%s: expires_in: %v", op, err)
	}
	if t.RefreshTokenExpiresAt, err = expiry(sent, tr.RefreshTokenExpiresIn); err != nil {
		return nil, upstream("%s: refresh_token_expires_in: %v", op, err)
	}
	return t, nil
}

// expiry is sent + seconds, nil when seconds is empty or 0.
func expiry(sent time.Time, seconds flexString) (*time.Time, error) {
	if seconds == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(string(seconds), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f > 100*365*24*3600 {
		return nil, fmt.Errorf("%q is not a number of seconds", string(seconds))
	}
	if f == 0 {
		return nil, nil
	}
	at := sent.Add(time.Duration(f * float64(time.Second))).UTC()
	return &at, nil
}

// parseScopes reads a scope field: a space-separated string (RFC 6749 §3.3), an array, or for
// GitHub a comma-separated string.
func parseScopes(raw json.RawMessage, commas bool) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if commas {
			return splitScopes(s)
		}
		return strings.Fields(s)
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil
	}
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}
