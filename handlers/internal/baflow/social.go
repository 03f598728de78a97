package baflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/token"
)

// StateCookie is the cookie (under the better-auth. prefix, signed) that binds an OAuth flow
// to the browser that started it.
const StateCookie = "state"

// StateTTL is how long a started OAuth flow's state is stored (Better Auth's 10 minutes).
const StateTTL = 10 * time.Minute

// StateCookieTTL is StateCookie's Max-Age: Better Auth gives the cookie 300 s, half the life of
// the state it binds (generateGenericState).
const StateCookieTTL = 5 * time.Minute

const statePrefix = "oauth-state:"

// oauthState is what a started flow remembers, in a verification row under its state's hash.
type oauthState struct {
	Provider      string `json:"provider"`
	CodeVerifier  string `json:"codeVerifier"`
	Nonce         string `json:"nonce,omitempty"`
	CallbackURL   string `json:"callbackURL"`
	ErrorURL      string `json:"errorURL,omitempty"`
	NewUserURL    string `json:"newUserURL,omitempty"`
	RequestSignUp bool   `json:"requestSignUp,omitempty"`
	// LinkUserID is set when the flow links an account to a signed-in user.
	LinkUserID string `json:"linkUserId,omitempty"`
	LinkEmail  string `json:"linkEmail,omitempty"`
}

// SocialStart is what sign-in/social and link-social receive.
type SocialStart struct {
	Provider           string
	CallbackURL        string
	ErrorCallbackURL   string
	NewUserCallbackURL string
	Scopes             []string
	LoginHint          string
	RequestSignUp      bool
	// AdditionalParams go into the authorization URL (CheckAuthParams refuses reserved keys).
	AdditionalParams map[string]string
}

// CheckAuthParams refuses additionalParams that would set one of the flow's own authorization
// URL parameters (oauth.ReservedParams), as Better Auth's body schema does: 400 VALIDATION_ERROR.
func CheckAuthParams(params map[string]string) error {
	for k := range params {
		if slices.Contains(oauth.ReservedParams, k) {
			return ErrReservedAuthParams
		}
	}
	return nil
}

// provider returns the configured provider id, or PROVIDER_NOT_FOUND.
func (s *Service) provider(id string) (*oauth.Provider, error) {
	p, ok := s.cfg.Providers[id]
	if !ok {
		return nil, ErrProviderNotFound
	}
	return p, nil
}

// Providers lists the configured provider ids.
func (s *Service) Providers() []string {
	var ids []string
	for id := range s.cfg.Providers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *Service) redirectURI(p *oauth.Provider) string { return s.apiURL + "/callback/" + p.ID() }

// StartSocial begins an authorization-code flow with PKCE: it stores the state and returns the
// provider's authorization URL and the state, which the caller binds to the browser with
// StateCookie. With link set, the flow links the provider's account to link's user instead of
// signing in.
func (s *Service) StartSocial(ctx context.Context, in SocialStart, link *Auth) (authURL, state string, err error) {
	p, err := s.provider(in.Provider)
	if err != nil {
		return "", "", err
	}
	if err := CheckAuthParams(in.AdditionalParams); err != nil {
		return "", "", err
	}
	if err := s.CheckRedirects(in.CallbackURL, "", in.ErrorCallbackURL, in.NewUserCallbackURL); err != nil {
		return "", "", err
	}
	verifier, challenge := oauth.PKCE()
	st := oauthState{Provider: p.ID(), CodeVerifier: verifier, CallbackURL: orRoot(in.CallbackURL),
		ErrorURL: in.ErrorCallbackURL, NewUserURL: in.NewUserCallbackURL, RequestSignUp: in.RequestSignUp}
	if p.SupportsIDTokens() {
		st.Nonce = oauth.NewNonce()
	}
	if link != nil {
		st.LinkUserID, st.LinkEmail = link.User.ID, link.User.Email
	}
	state = token.Alnum(32)
	authURL, err = p.AuthCodeURL(ctx, oauth.AuthRequest{State: state, CodeChallenge: challenge,
		RedirectURI: s.redirectURI(p), Scopes: in.Scopes, LoginHint: in.LoginHint, Nonce: st.Nonce,
		Params: in.AdditionalParams})
	if err != nil {
		return "", "", err
	}
	value, err := json.Marshal(st)
	if err != nil {
		return "", "", err
	}
	if err := s.store.BetterauthVerificationCreate(ctx, s.store.Pool(), dbsqlc.BetterauthVerificationCreateParams{
		ID: newID(), Identifier: statePrefix + tokenHash(state), Value: string(value), ExpiresAt: time.Now().Add(StateTTL),
	}); err != nil {
		return "", "", db.Translate(err)
	}
	return authURL, state, nil
}

// Callback is what a provider sends back to /callback/{provider}.
type Callback struct {
	Code, State, Error, ErrorDescription, Iss string
	// CookieState is the state held by the browser's StateCookie (verified), if any.
	CookieState string
}

// CallbackResult is where a callback sends the browser, and the session it starts, if any.
type CallbackResult struct {
	Redirect string
	SignIn   *Auth
	// ExpireStateCookie is set once the state and the browser's StateCookie matched: Better
	// Auth expires the cookie then (whatever follows), and leaves it alone before.
	ExpireStateCookie bool
}

// OAuthCallback completes a flow. It never fails: every failure sends the browser to the
// flow's error URL (or this API's /error page) with ?error=<code>, as Better Auth does.
//
// The state is checked as Better Auth's parseGenericState does: no state is state_not_found;
// a state not stored (unknown, used up or expired) is state_mismatch at the /error page; a
// stored state the browser's cookie does not hold is state_mismatch at the flow's error URL,
// and the state stays stored (the browser that started the flow may still complete it).
func (s *Service) OAuthCallback(ctx context.Context, providerID string, cb Callback) CallbackResult {
	var res CallbackResult
	fail := func(errorURL, code, description string) CallbackResult {
		if errorURL == "" {
			errorURL = s.apiURL + "/error"
		}
		q := url.Values{"error": {code}}
		if description != "" {
			q.Set("error_description", description)
		}
		res.Redirect = appendQuery(errorURL, q)
		return res
	}
	if cb.State == "" {
		return fail("", "state_not_found", "")
	}
	id := statePrefix + tokenHash(cb.State)
	v, err := s.store.BetterauthVerificationGet(ctx, s.store.Pool(), id)
	switch {
	case notFound(err):
		return fail("", "state_mismatch", "")
	case err != nil:
		return fail("", "internal_server_error", "")
	}
	var st oauthState
	if json.Unmarshal([]byte(v.Value), &st) != nil {
		return fail("", "internal_server_error", "")
	}
	if cb.CookieState != cb.State {
		return fail(st.ErrorURL, "state_mismatch", "")
	}
	res.ExpireStateCookie = true
	// Use the state up; of concurrent callbacks with it, one goes on.
	switch _, err := s.store.BetterauthVerificationTake(ctx, s.store.Pool(), id); {
	case notFound(err):
		return fail("", "state_mismatch", "")
	case err != nil:
		return fail("", "internal_server_error", "")
	}
	if cb.Error != "" {
		return fail(st.ErrorURL, cb.Error, cb.ErrorDescription)
	}
	if cb.Code == "" {
		return fail(st.ErrorURL, "no_code", "")
	}
	p, ok := s.cfg.Providers[providerID]
	if !ok || p.ID() != st.Provider {
		return fail(st.ErrorURL, "oauth_provider_not_found", "")
	}
	if cb.Iss != "" && p.Issuer() != "" && cb.Iss != p.Issuer() {
		return fail(st.ErrorURL, "issuer_mismatch", "")
	}
	tokens, err := p.Exchange(ctx, cb.Code, st.CodeVerifier, s.redirectURI(p))
	if err != nil {
		return fail(st.ErrorURL, "invalid_code", "")
	}
	info, err := p.UserInfo(ctx, tokens, st.Nonce)
	if err != nil || info.ID == "" {
		return fail(st.ErrorURL, "unable_to_get_user_info", "")
	}
	if st.LinkUserID != "" {
		if code := s.linkAccount(ctx, st, p.ID(), info, tokens); code != "" {
			return fail(st.ErrorURL, code, "")
		}
		res.Redirect = st.CallbackURL
		return res
	}
	if info.Email == "" {
		return fail(st.ErrorURL, "email_not_found", "")
	}
	a, isNew, code, err := s.signInWithProvider(ctx, p.ID(), info, tokens, false)
	var refused *apiErr
	if errors.As(err, &refused) && refused.Code != "" && refused.Status < 500 {
		return fail(st.ErrorURL, refused.Code, refused.Message) // e.g. BANNED_USER, as Better Auth redirects it
	} else if err != nil {
		return fail(st.ErrorURL, "internal_server_error", "")
	}
	if code != "" {
		return fail(st.ErrorURL, code, "")
	}
	res.Redirect, res.SignIn = st.CallbackURL, a
	if isNew && st.NewUserURL != "" {
		res.Redirect = st.NewUserURL
	}
	return res
}

// appendQuery adds q to the query of raw.
func appendQuery(raw string, q url.Values) string {
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	return raw + sep + q.Encode()
}

// signInWithProvider finds or creates the user of a provider identity and starts a session. It
// returns Better Auth's callback error code (e.g. "account_not_linked") when it may not.
func (s *Service) signInWithProvider(ctx context.Context, providerID string, info *oauth.UserInfo,
	tokens *oauth.Tokens, dontRemember bool) (*Auth, bool, string, error) {
	var out *Auth
	var isNew bool
	var code string
	err := s.store.InTx(ctx, func(tx db.DB) error {
		acct, err := s.store.BetterauthAccountGet(ctx, tx, dbsqlc.BetterauthAccountGetParams{ProviderID: providerID, AccountID: info.ID})
		var user User
		switch {
		case err == nil:
			if user, err = s.store.BetterauthUserGet(ctx, tx, acct.UserID); err != nil {
				return err
			}
			if _, err := s.store.BetterauthAccountUpdateTokens(ctx, tx, s.tokenParams(acct.ID, tokens)); err != nil {
				return err
			}
		case notFound(err):
			email := normalizeEmail(info.Email)
			user, err = s.store.BetterauthUserGetByEmail(ctx, tx, email)
			switch {
			case err == nil:
				// Implicit linking, as Better Auth allows it: both sides must vouch for the address.
				if !info.EmailVerified || !user.EmailVerified {
					code = "account_not_linked"
					return nil
				}
			case notFound(err):
				isNew = true
				user, err = s.store.BetterauthUserCreate(ctx, tx, dbsqlc.BetterauthUserCreateParams{
					ID: newID(), Name: info.Name, Email: email, EmailVerified: info.EmailVerified,
					Image: nonEmpty(info.Image), Role: ptr(s.roleFor(email)),
				})
				if err != nil {
					return err
				}
			default:
				return err
			}
			if err := s.createAccount(ctx, tx, user.ID, providerID, info.ID, tokens); err != nil {
				return err
			}
		default:
			return err
		}
		out, err = s.createSession(ctx, tx, user, dontRemember)
		return err
	})
	if err != nil {
		return nil, false, "", db.Translate(err)
	}
	return out, isNew, code, nil
}

// linkAccount links a provider identity to the user of a link flow; it returns a callback error
// code when it may not. The checks and their order are Better Auth's linkOAuthAccount's (with
// its default options: no trusted providers, no linking of different addresses): an address
// the provider does not vouch for is unable_to_link_account, another address (or none)
// email_does_not_match, an identity of another user account_already_linked_to_different_user.
func (s *Service) linkAccount(ctx context.Context, st oauthState, providerID string, info *oauth.UserInfo, tokens *oauth.Tokens) string {
	if !info.EmailVerified {
		return "unable_to_link_account"
	}
	if strings.ToLower(info.Email) != strings.ToLower(st.LinkEmail) {
		return "email_does_not_match"
	}
	acct, err := s.store.BetterauthAccountGet(ctx, s.store.Pool(), dbsqlc.BetterauthAccountGetParams{ProviderID: providerID, AccountID: info.ID})
	switch {
	case err == nil && acct.UserID != st.LinkUserID:
		return "account_already_linked_to_different_user"
	case err == nil:
		if _, err := s.store.BetterauthAccountUpdateTokens(ctx, s.store.Pool(), s.tokenParams(acct.ID, tokens)); err != nil {
			return "unable_to_link_account"
		}
		return ""
	case !notFound(err):
		return "unable_to_link_account"
	}
	if err := s.createAccount(ctx, s.store.Pool(), st.LinkUserID, providerID, info.ID, tokens); err != nil {
		return "unable_to_link_account"
	}
	return ""
}

func (s *Service) createAccount(ctx context.Context, q db.DB, userID, providerID, accountID string, t *oauth.Tokens) error {
	p := s.tokenParams("", t)
	_, err := s.store.BetterauthAccountCreate(ctx, q, dbsqlc.BetterauthAccountCreateParams{
		ID: newID(), AccountID: accountID, ProviderID: providerID, UserID: userID,
		AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, IDToken: p.IDToken,
		AccessTokenExpiresAt: p.AccessTokenExpiresAt, RefreshTokenExpiresAt: p.RefreshTokenExpiresAt, Scope: p.Scope,
	})
	return err
}

// tokenParams is the update of account id with a provider's tokens, sealed at rest.
func (s *Service) tokenParams(id string, t *oauth.Tokens) dbsqlc.BetterauthAccountUpdateTokensParams {
	p := dbsqlc.BetterauthAccountUpdateTokensParams{ID: id}
	if t == nil {
		return p
	}
	p.AccessToken = s.seal(t.AccessToken)
	p.RefreshToken = s.seal(t.RefreshToken)
	p.IDToken = nonEmpty(t.IDToken)
	p.AccessTokenExpiresAt = t.AccessTokenExpiresAt
	p.RefreshTokenExpiresAt = t.RefreshTokenExpiresAt
	if len(t.Scopes) > 0 {
		p.Scope = ptr(strings.Join(t.Scopes, ","))
	}
	return p
}

const sealedPrefix = "sealed.v1:"

// seal encrypts a provider token for storage; empty stays absent.
func (s *Service) seal(v string) *string {
	if v == "" {
		return nil
	}
	out, err := s.ring.Seal("betterauth-oauth-token", []byte(v))
	if err != nil {
		return nil
	}
	return ptr(sealedPrefix + base64.RawStdEncoding.EncodeToString(out))
}

// unseal returns a stored provider token in clear; tokens moved over from Node Better Auth
// are stored in clear and returned as they are.
func (s *Service) unseal(v *string) string {
	if v == nil {
		return ""
	}
	rest, ok := strings.CutPrefix(*v, sealedPrefix)
	if !ok {
		return *v
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		return ""
	}
	out, err := s.ring.Open("betterauth-oauth-token", raw)
	if err != nil {
		return ""
	}
	return string(out)
}

func nonEmpty(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// IDTokenSignIn is an ID token the client already holds (sign-in/social with idToken).
type IDTokenSignIn struct {
	Provider     string
	Token, Nonce string
	AccessToken  string
	RefreshToken string
	DontRemember bool
}

// SignInWithIDToken verifies an ID token against the provider's keys and signs its user in.
func (s *Service) SignInWithIDToken(ctx context.Context, in IDTokenSignIn) (*Auth, error) {
	p, err := s.provider(in.Provider)
	if err != nil {
		return nil, err
	}
	if !p.SupportsIDTokens() {
		return nil, ErrIDTokenNotSupported
	}
	info, err := p.VerifyIDToken(ctx, in.Token, in.Nonce)
	if err != nil {
		if errors.Is(err, oauth.ErrInvalidIDToken) {
			return nil, ErrInvalidTokenUnauthorized
		}
		return nil, ErrFailedToGetUserInfo
	}
	if info.Email == "" {
		return nil, ErrUserEmailNotFound
	}
	a, _, code, err := s.signInWithProvider(ctx, p.ID(), info,
		&oauth.Tokens{IDToken: in.Token, AccessToken: in.AccessToken, RefreshToken: in.RefreshToken}, in.DontRemember)
	if err != nil {
		return nil, err
	}
	if code != "" {
		return nil, baError(401, "OAUTH_LINK_ERROR", "Account not linked - linking not allowed")
	}
	return a, nil
}

// ListAccounts returns the accounts linked to a's user.
func (s *Service) ListAccounts(ctx context.Context, a *Auth) ([]dbsqlc.BetterauthAccount, error) {
	rows, err := s.store.BetterauthAccountListByUser(ctx, s.store.Pool(), a.User.ID)
	return rows, db.Translate(err)
}

// findAccount returns a's account with the Better Auth account id (row id) id.
func (s *Service) findAccount(ctx context.Context, a *Auth, id string) (dbsqlc.BetterauthAccount, []dbsqlc.BetterauthAccount, error) {
	rows, err := s.ListAccounts(ctx, a)
	if err != nil {
		return dbsqlc.BetterauthAccount{}, nil, err
	}
	for _, r := range rows {
		if r.ID == id {
			return r, rows, nil
		}
	}
	return dbsqlc.BetterauthAccount{}, rows, ErrAccountNotFound
}

// UnlinkAccount removes a's linked account id; the last one cannot go.
func (s *Service) UnlinkAccount(ctx context.Context, a *Auth, id string) error {
	acct, rows, err := s.findAccount(ctx, a, id)
	if len(rows) == 1 {
		return ErrUnlinkLastAccount
	}
	if err != nil {
		return err
	}
	_, err = s.store.BetterauthAccountDelete(ctx, s.store.Pool(), dbsqlc.BetterauthAccountDeleteParams{ID: acct.ID, UserID: a.User.ID})
	return db.Translate(err)
}

// oauthAccount returns a's account id and its provider; the password account has none.
func (s *Service) oauthAccount(ctx context.Context, a *Auth, id string) (dbsqlc.BetterauthAccount, *oauth.Provider, error) {
	acct, _, err := s.findAccount(ctx, a, id)
	if err != nil {
		return acct, nil, err
	}
	p, ok := s.cfg.Providers[acct.ProviderID]
	if !ok {
		return acct, nil, baError(400, "PROVIDER_NOT_SUPPORTED", "Provider "+acct.ProviderID+" is not supported.")
	}
	return acct, p, nil
}

// AccessToken is a provider token of an account, as get-access-token and refresh-token give it.
type AccessToken struct {
	AccessToken           string
	RefreshToken          string
	IDToken               string
	AccessTokenExpiresAt  *time.Time
	RefreshTokenExpiresAt *time.Time
	Scopes                []string
	ProviderID, AccountID string
}

func (s *Service) accessToken(acct dbsqlc.BetterauthAccount) *AccessToken {
	at := &AccessToken{AccessToken: s.unseal(acct.AccessToken), RefreshToken: s.unseal(acct.RefreshToken),
		AccessTokenExpiresAt: acct.AccessTokenExpiresAt, RefreshTokenExpiresAt: acct.RefreshTokenExpiresAt,
		ProviderID: acct.ProviderID, AccountID: acct.AccountID}
	if acct.IDToken != nil {
		at.IDToken = *acct.IDToken
	}
	if acct.Scope != nil && *acct.Scope != "" {
		at.Scopes = strings.Split(*acct.Scope, ",")
	}
	return at
}

// GetAccessToken returns a valid access token of a's account id, refreshing it first when it
// expires within five seconds and a refresh token is stored. A refresh the provider refuses is
// 400 FAILED_TO_GET_ACCESS_TOKEN, as in Better Auth's getValidAccessToken.
func (s *Service) GetAccessToken(ctx context.Context, a *Auth, id string) (*AccessToken, error) {
	acct, p, err := s.oauthAccount(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return s.validAccessToken(ctx, p, acct)
}

func (s *Service) validAccessToken(ctx context.Context, p *oauth.Provider, acct dbsqlc.BetterauthAccount) (*AccessToken, error) {
	at := s.accessToken(acct)
	if at.AccessTokenExpiresAt != nil && time.Until(*at.AccessTokenExpiresAt) < 5*time.Second && at.RefreshToken != "" {
		return s.refresh(ctx, p, acct, ErrFailedToGetAccessToken)
	}
	return at, nil
}

// RefreshToken refreshes the tokens of a's account id now.
func (s *Service) RefreshToken(ctx context.Context, a *Auth, id string) (*AccessToken, error) {
	acct, p, err := s.oauthAccount(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return s.refresh(ctx, p, acct, baError(400, "FAILED_TO_REFRESH_ACCESS_TOKEN", "Failed to refresh access token"))
}

// refresh refreshes acct's tokens; failed is the error a provider's refusal gives
// (refresh-token's FAILED_TO_REFRESH_ACCESS_TOKEN, get-access-token's FAILED_TO_GET_ACCESS_TOKEN).
func (s *Service) refresh(ctx context.Context, p *oauth.Provider, acct dbsqlc.BetterauthAccount, failed error) (*AccessToken, error) {
	rt := s.unseal(acct.RefreshToken)
	if rt == "" {
		return nil, baError(400, "REFRESH_TOKEN_NOT_FOUND", "Refresh token not found")
	}
	t, err := p.Refresh(ctx, rt)
	if err != nil {
		return nil, failed
	}
	updated, err := s.store.BetterauthAccountUpdateTokens(ctx, s.store.Pool(), s.tokenParams(acct.ID, t))
	if err != nil {
		return nil, db.Translate(err)
	}
	return s.accessToken(updated), nil
}

// AccountProfile is what a provider says about a linked account: the identity mapped to Better
// Auth's user fields, and the provider's raw profile.
type AccountProfile struct {
	User    *oauth.UserInfo
	Data    map[string]any
	Account dbsqlc.BetterauthAccount
}

// AccountInfo asks the provider of a's account id who the account is, with a valid (refreshed
// if need be) access token. As Better Auth's /account-info: an account of no configured
// provider (the password account) is 400 PROVIDER_NOT_CONFIGURED, a failed refresh 400
// FAILED_TO_GET_ACCESS_TOKEN, no access token 400 ACCESS_TOKEN_NOT_FOUND, no profile 401
// FAILED_TO_GET_USER_INFO.
func (s *Service) AccountInfo(ctx context.Context, a *Auth, id string) (*AccountProfile, error) {
	acct, _, err := s.findAccount(ctx, a, id)
	if err != nil {
		return nil, err
	}
	p, ok := s.cfg.Providers[acct.ProviderID]
	if !ok {
		return nil, ErrProviderNotConfigured
	}
	at, err := s.validAccessToken(ctx, p, acct)
	if err != nil {
		return nil, err
	}
	if at.AccessToken == "" {
		return nil, ErrAccessTokenNotFound
	}
	info, data, err := p.Profile(ctx, at.AccessToken)
	if err != nil {
		return nil, ErrFailedToGetUserInfo
	}
	return &AccountProfile{User: info, Data: data, Account: acct}, nil
}

// LinkIDToken links the provider account of an ID token the client holds to a's user.
func (s *Service) LinkIDToken(ctx context.Context, a *Auth, provider, idToken, nonce, accessToken, refreshToken string) error {
	p, err := s.provider(provider)
	if err != nil {
		return err
	}
	if !p.SupportsIDTokens() {
		return ErrIDTokenNotSupported
	}
	info, err := p.VerifyIDToken(ctx, idToken, nonce)
	if err != nil {
		return ErrInvalidTokenUnauthorized
	}
	if info.Email == "" {
		return ErrUserEmailNotFound
	}
	// Better Auth's order (linkSocialAccount, default options): an identity already linked is
	// updated when it is the user's own and refused (409) when it is another user's, before the
	// address is looked at; then an address the provider does not vouch for, and another
	// address than the user's, are refused; nothing is stored on refusal.
	tokens := &oauth.Tokens{IDToken: idToken, AccessToken: accessToken, RefreshToken: refreshToken}
	acct, err := s.store.BetterauthAccountGet(ctx, s.store.Pool(), dbsqlc.BetterauthAccountGetParams{ProviderID: p.ID(), AccountID: info.ID})
	switch {
	case err == nil && acct.UserID == a.User.ID:
		_, err := s.store.BetterauthAccountUpdateTokens(ctx, s.store.Pool(), s.tokenParams(acct.ID, tokens))
		return db.Translate(err)
	case err == nil:
		return ErrSocialAccountLinked.WithStatus(http.StatusConflict)
	case !notFound(err):
		return db.Translate(err)
	}
	if !info.EmailVerified {
		return ErrLinkingNotAllowed
	}
	if strings.ToLower(info.Email) != strings.ToLower(a.User.Email) {
		return ErrLinkingDifferentEmails
	}
	if err := s.createAccount(ctx, s.store.Pool(), a.User.ID, p.ID(), info.ID, tokens); err != nil {
		return ErrLinkingFailed
	}
	return nil
}
