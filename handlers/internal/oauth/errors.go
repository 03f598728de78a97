package oauth

import (
	"errors"
	"fmt"
)

// Errors a Provider returns. Every error a Provider method returns is one of these (tested with
// errors.Is), a *TokenError (tested with errors.As), a *ConfigError, or the caller's context error.
var (
	// ErrInvalidIDToken reports an ID token that is malformed, badly signed, expired, not yet
	// valid, issued by someone else, meant for another client or carrying the wrong nonce.
	// A server answers 401.
	ErrInvalidIDToken = errors.New("oauth: invalid ID token")

	// ErrIDTokenNotSupported reports a provider that issues no ID tokens (GitHub).
	// Better Auth answers 404 ID_TOKEN_NOT_SUPPORTED.
	ErrIDTokenNotSupported = errors.New("oauth: provider does not issue ID tokens")

	// ErrUserInfo reports a provider that answered but gave no usable identity: no subject, an
	// access token the user info endpoint refused, a user info subject that differs from the ID
	// token's. Better Auth answers 401 FAILED_TO_GET_USER_INFO (or redirects with
	// unable_to_get_user_info from the callback).
	ErrUserInfo = errors.New("oauth: cannot get user info")

	// ErrUpstream reports a provider that could not be reached or answered with something other
	// than a valid response or an OAuth error: a network failure, a 5xx, a redirect, a body too
	// large or not JSON. A server answers 502.
	ErrUpstream = errors.New("oauth: provider unavailable")

	// ErrDiscovery reports that the OpenID Connect discovery document could not be fetched or was
	// unusable. Errors that wrap it also wrap ErrUpstream when the cause was the network.
	ErrDiscovery = errors.New("oauth: discovery failed")

	// ErrInvalidGrant matches a *TokenError whose code says the code or refresh token is invalid,
	// expired, revoked or was issued to another client: "invalid_grant", and GitHub's
	// "bad_verification_code" and "bad_refresh_token".
	ErrInvalidGrant = errors.New("oauth: invalid grant")
)

// TokenError is an OAuth error response from the token endpoint (RFC 6749 §5.2): the provider
// refused a code exchange or a refresh. GitHub sends these with status 200.
type TokenError struct {
	Op          string // "exchange" or "refresh"
	Status      int    // HTTP status of the provider's answer
	Code        string // the provider's "error": invalid_grant, invalid_client, bad_verification_code, ...
	Description string // the provider's "error_description", possibly empty
}

// Error describes the refusal with the provider's code and description.
func (e *TokenError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("oauth: %s refused: %s: %s", e.Op, e.Code, e.Description)
	}
	return fmt.Sprintf("oauth: %s refused: %s", e.Op, e.Code)
}

// Is makes errors.Is(err, ErrInvalidGrant) true for the codes that mean a dead grant.
func (e *TokenError) Is(target error) bool {
	if target != ErrInvalidGrant {
		return false
	}
	switch e.Code {
	case "invalid_grant", "bad_verification_code", "bad_refresh_token":
		return true
	}
	return false
}

// ConfigError reports an unusable Config or environment.
type ConfigError struct {
	ID  string // provider id, possibly empty
	Msg string
}

// Error names the provider and the problem.
func (e *ConfigError) Error() string {
	if e.ID == "" {
		return "oauth: " + e.Msg
	}
	return fmt.Sprintf("oauth: provider %q: %s", e.ID, e.Msg)
}

// upstream wraps a protocol failure as ErrUpstream.
func upstream(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUpstream, fmt.Sprintf(format, args...))
}

// upstreamErr wraps a transport failure as ErrUpstream, keeping err (a context error stays
// visible to errors.Is).
func upstreamErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUpstream, what, err)
}
