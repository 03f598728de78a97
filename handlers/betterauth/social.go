package betterauth

import (
	"context"
	"net/url"
	"strings"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/betterauth/jstime"
	"gatehouse/handlers/internal/baflow"
)

func socialStart(provider string, cb, errCB, newCB, hint *string, scopes *[]string, signUp *bool,
	params *betterauthapi.AuthorizationParams) baflow.SocialStart {
	in := baflow.SocialStart{Provider: provider, CallbackURL: str(cb), ErrorCallbackURL: str(errCB),
		NewUserCallbackURL: str(newCB), LoginHint: str(hint), RequestSignUp: isTrue(signUp)}
	if scopes != nil {
		in.Scopes = *scopes
	}
	in.AdditionalParams = authParams(params)
	return in
}

// authParams is a request's additionalParams, nil when absent.
func authParams(p *betterauthapi.AuthorizationParams) map[string]string {
	if p == nil {
		return nil
	}
	return *p
}

// startFlow begins an OAuth flow and binds its state to the browser.
func (s *Server) startFlow(ctx context.Context, in baflow.SocialStart, link *baflow.Auth) (string, error) {
	authURL, state, err := s.flows.StartSocial(ctx, in, link)
	if err != nil {
		return "", err
	}
	setCookies(ctx, s.jar.Signed(baflow.StateCookie, state, baflow.StateCookieTTL))
	return authURL, nil
}

// SignInSocial starts a sign-in with a provider, or signs in with an ID token the client holds.
func (s *Server) SignInSocial(ctx context.Context, req betterauthapi.SignInSocialRequestObject) (betterauthapi.SignInSocialResponseObject, error) {
	b := req.Body
	// Part of Better Auth's body schema: checked before anything else, as the validator would.
	if err := baflow.CheckAuthParams(authParams(b.AdditionalParams)); err != nil {
		return nil, err
	}
	var body betterauthapi.SocialSignInResult
	if b.IdToken != nil {
		a, err := s.flows.SignInWithIDToken(ctx, baflow.IDTokenSignIn{Provider: b.Provider, Token: b.IdToken.Token,
			Nonce: str(b.IdToken.Nonce), AccessToken: str(b.IdToken.AccessToken), RefreshToken: str(b.IdToken.RefreshToken)})
		if err != nil {
			return nil, err
		}
		s.signedIn(ctx, a, false)
		if err := body.FromSocialSessionResult(betterauthapi.SocialSessionResult{Token: a.Session.Token, User: toUser(a.User)}); err != nil {
			return nil, err
		}
		return betterauthapi.SignInSocial200JSONResponse{Body: body}, nil
	}
	authURL, err := s.startFlow(ctx, socialStart(b.Provider, b.CallbackURL, b.ErrorCallbackURL, b.NewUserCallbackURL,
		b.LoginHint, b.Scopes, b.RequestSignUp, b.AdditionalParams), nil)
	if err != nil {
		return nil, err
	}
	redirect := !isTrue(b.DisableRedirect)
	if err := body.FromSocialRedirectResult(betterauthapi.SocialRedirectResult{Url: authURL, Redirect: redirect}); err != nil {
		return nil, err
	}
	out := betterauthapi.SignInSocial200JSONResponse{Body: body}
	if redirect {
		out.Headers.Location = &authURL
	}
	return out, nil
}

// LinkSocial links a provider account to the signed-in user: through the provider, or at once
// with an ID token.
func (s *Server) LinkSocial(ctx context.Context, req betterauthapi.LinkSocialRequestObject) (betterauthapi.LinkSocialResponseObject, error) {
	b := req.Body
	// Part of Better Auth's body schema: checked before the session, as the validator would.
	if err := baflow.CheckAuthParams(authParams(b.AdditionalParams)); err != nil {
		return nil, err
	}
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if b.IdToken != nil {
		if err := s.flows.LinkIDToken(ctx, a, b.Provider, b.IdToken.Token, str(b.IdToken.Nonce),
			str(b.IdToken.AccessToken), str(b.IdToken.RefreshToken)); err != nil {
			return nil, err
		}
		ok := true
		return betterauthapi.LinkSocial200JSONResponse{Body: betterauthapi.LinkSocialResult{Status: &ok}}, nil
	}
	authURL, err := s.startFlow(ctx, socialStart(b.Provider, b.CallbackURL, b.ErrorCallbackURL, nil,
		b.LoginHint, b.Scopes, b.RequestSignUp, b.AdditionalParams), a)
	if err != nil {
		return nil, err
	}
	redirect := !isTrue(b.DisableRedirect)
	out := betterauthapi.LinkSocial200JSONResponse{Body: betterauthapi.LinkSocialResult{Url: authURL, Redirect: redirect}}
	if redirect {
		out.Headers.Location = &authURL
	}
	return out, nil
}

// OauthCallback completes a flow and sends the browser on, signed in or with ?error=.
func (s *Server) OauthCallback(ctx context.Context, req betterauthapi.OauthCallbackRequestObject) (betterauthapi.OauthCallbackResponseObject, error) {
	p := req.Params
	cookieState, _ := s.jar.Read(request(ctx), baflow.StateCookie)
	res := s.flows.OAuthCallback(ctx, req.ProviderId, baflow.Callback{Code: str(p.Code), State: str(p.State),
		Error: str(p.Error), ErrorDescription: str(p.ErrorDescription), Iss: str(p.Iss), CookieState: cookieState})
	if res.ExpireStateCookie {
		setCookies(ctx, s.jar.Expired(baflow.StateCookie))
	}
	if res.SignIn != nil {
		s.signedIn(ctx, res.SignIn, false)
	}
	return betterauthapi.OauthCallback302Response{Headers: betterauthapi.OauthCallback302ResponseHeaders{Location: &res.Redirect}}, nil
}

// OauthCallbackPost turns a form_post callback into the GET callback, as Better Auth does, so
// that the browser brings its SameSite=Lax state cookie along.
func (s *Server) OauthCallbackPost(ctx context.Context, req betterauthapi.OauthCallbackPostRequestObject) (betterauthapi.OauthCallbackPostResponseObject, error) {
	form := req.FormdataBody
	if form == nil {
		form = req.JSONBody
	}
	q := url.Values{}
	if form != nil {
		for k, v := range map[string]*string{"code": form.Code, "error": form.Error, "device_id": form.DeviceId,
			"error_description": form.ErrorDescription, "state": form.State, "user": form.User, "iss": form.Iss} {
			if v != nil {
				q.Set(k, *v)
			}
		}
	}
	for k, vs := range request(ctx).URL.Query() {
		q[k] = vs // the query wins over the body
	}
	to := s.flows.APIURL() + "/callback/" + url.PathEscape(req.ProviderId) + "?" + q.Encode()
	return betterauthapi.OauthCallbackPost302Response{Headers: betterauthapi.OauthCallbackPost302ResponseHeaders{Location: &to}}, nil
}

// ListAccounts lists the accounts linked to the user.
func (s *Server) ListAccounts(ctx context.Context, _ betterauthapi.ListAccountsRequestObject) (betterauthapi.ListAccountsResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.flows.ListAccounts(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListAccounts200JSONResponse, 0, len(rows))
	for _, r := range rows {
		out = append(out, toAccount(r))
	}
	return out, nil
}

// UnlinkAccount removes a linked account.
func (s *Server) UnlinkAccount(ctx context.Context, req betterauthapi.UnlinkAccountRequestObject) (betterauthapi.UnlinkAccountResponseObject, error) {
	a, err := s.requireFreshSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.UnlinkAccount(ctx, a, req.Body.AccountId); err != nil {
		return nil, err
	}
	return betterauthapi.UnlinkAccount200JSONResponse{Status: true}, nil
}

// accountID reads an account selection; the account cookie is not kept by this server, so
// selecting by cookie finds nothing.
func accountID(sel *betterauthapi.AccountSelection) (string, error) {
	if byID, err := sel.AsAccountSelectionById(); err == nil && byID.AccountId != "" {
		return byID.AccountId, nil
	}
	return "", baflow.ErrAccountNotFound
}

// GetAccessToken returns a valid provider access token of a linked account.
func (s *Server) GetAccessToken(ctx context.Context, req betterauthapi.GetAccessTokenRequestObject) (betterauthapi.GetAccessTokenResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	id, err := accountID(req.Body)
	if err != nil {
		return nil, err
	}
	at, err := s.flows.GetAccessToken(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.GetAccessToken200JSONResponse{AccessToken: at.AccessToken, Scopes: at.Scopes,
		AccessTokenExpiresAt: jstime.Ptr(at.AccessTokenExpiresAt)}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if at.IDToken != "" {
		out.IdToken = &at.IDToken
	}
	return out, nil
}

// RefreshToken refreshes a linked account's provider tokens.
func (s *Server) RefreshToken(ctx context.Context, req betterauthapi.RefreshTokenRequestObject) (betterauthapi.RefreshTokenResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	id, err := accountID(req.Body)
	if err != nil {
		return nil, err
	}
	at, err := s.flows.RefreshToken(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.RefreshToken200JSONResponse{AccessToken: at.AccessToken, RefreshToken: at.RefreshToken,
		AccessTokenExpiresAt: jstime.Ptr(at.AccessTokenExpiresAt), RefreshTokenExpiresAt: jstime.Ptr(at.RefreshTokenExpiresAt),
		ProviderId: at.ProviderID, AccountId: id}
	if len(at.Scopes) > 0 {
		scope := strings.Join(at.Scopes, ",")
		out.Scope = &scope
	}
	if at.IDToken != "" {
		out.IdToken = &at.IDToken
	}
	return out, nil
}

// AccountInfo asks a linked account's provider who the user is.
func (s *Server) AccountInfo(ctx context.Context, req betterauthapi.AccountInfoRequestObject) (betterauthapi.AccountInfoResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	prof, err := s.flows.AccountInfo(ctx, a, req.Params.AccountId)
	if err != nil {
		return nil, err
	}
	// As Better Auth's providers' getUserInfo: user is {name, email, image, emailVerified} (no
	// id; absent fields left out), data the provider's raw profile.
	info := prof.User
	out := betterauthapi.AccountInfo200JSONResponse{Data: prof.Data}
	out.User = betterauthapi.AccountInfoResult_User{Name: &info.Name, EmailVerified: info.EmailVerified}
	if info.Email != "" {
		out.User.Email = &info.Email
	}
	if info.Image != "" {
		out.User.Image = &info.Image
	}
	acct := prof.Account
	out.Account.Id, out.Account.AccountId, out.Account.ProviderId = acct.ID, acct.AccountID, acct.ProviderID
	return out, nil
}
