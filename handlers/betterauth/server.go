// Package betterauth serves the Better Auth-compatible API (openapi/betterauth.yaml): it
// implements betterauthapi.StrictServerInterface over the flows of package baflow. Handlers
// translate the wire format only: the cookies Better Auth's clients expect, its bodies with
// explicit nulls, and its redirects.
package betterauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/internal/bacookie"
	"gatehouse/handlers/internal/baflow"
)

// Server implements betterauthapi.StrictServerInterface.
type Server struct {
	flows *baflow.Service
	jar   *bacookie.Jar
}

var _ betterauthapi.StrictServerInterface = (*Server)(nil)

// New returns the API over its flows, with the cookie jar of the deployment.
func New(flows *baflow.Service, jar *bacookie.Jar) *Server { return &Server{flows: flows, jar: jar} }

// request is the HTTP request behind ctx (for its cookies).
func request(ctx context.Context) *http.Request { return exchangeFrom(ctx).req }

// session returns the browser's live session, or nil when it has none. A signed cookie naming
// a session that is gone is expired in the browser; a session due for it is extended and its
// cookie sent again, as Better Auth does on every authenticated call.
func (s *Server) session(ctx context.Context, noRefresh bool) (*baflow.Auth, error) {
	r := request(ctx)
	if key := r.Header.Get(apiKeyHeader); key != "" {
		return s.apiKeySession(ctx, key) // api-key plugin: the key's owner, whatever the cookies
	}
	tok, ok := s.jar.Read(r, bacookie.SessionToken)
	if !ok {
		return nil, nil
	}
	_, dontRemember := s.jar.Read(r, bacookie.DontRemember)
	a, refreshed, err := s.flows.Authenticate(ctx, tok, baflow.SessionOptions{NoRefresh: noRefresh || dontRemember})
	if errors.Is(err, baflow.ErrUnauthorized) {
		setCookies(ctx, s.jar.ExpireSession()...)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if refreshed {
		setCookies(ctx, s.jar.Session(a.Session.Token, false, false)...)
	}
	return a, nil
}

// requireSession is session for the operations that need one: 401 UNAUTHORIZED without.
func (s *Server) requireSession(ctx context.Context) (*baflow.Auth, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, baflow.ErrUnauthorized
	}
	return a, nil
}

// requireFreshSession also refuses sessions signed in more than a day ago (403 SESSION_NOT_FRESH).
func (s *Server) requireFreshSession(ctx context.Context) (*baflow.Auth, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	return a, s.flows.RequireFresh(a)
}

// signedIn hands a new session to the browser.
func (s *Server) signedIn(ctx context.Context, a *baflow.Auth, dontRemember bool) {
	_, had := s.jar.Read(request(ctx), bacookie.DontRemember)
	setCookies(ctx, s.jar.Session(a.Session.Token, dontRemember, had)...)
}

// resendSession sends the current session cookie again, as Better Auth does after changes.
func (s *Server) resendSession(ctx context.Context, a *baflow.Auth) {
	_, dontRemember := s.jar.Read(request(ctx), bacookie.DontRemember)
	s.signedIn(ctx, a, dontRemember)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func isTrue(p *bool) bool { return p != nil && *p }

func isFalse(p *bool) bool { return p != nil && !*p }

// SignUpEmail creates an account with a password and signs it in.
func (s *Server) SignUpEmail(ctx context.Context, req betterauthapi.SignUpEmailRequestObject) (betterauthapi.SignUpEmailResponseObject, error) {
	b := req.Body
	a, err := s.flows.SignUpEmail(ctx, baflow.SignUp{Name: b.Name, Email: string(b.Email), Password: b.Password,
		Image: b.Image, Username: b.Username, DisplayUsername: b.DisplayUsername, CallbackURL: str(b.CallbackURL),
		DontRemember: isFalse(b.RememberMe)})
	if err != nil {
		return nil, err
	}
	out := betterauthapi.SignUpEmail200JSONResponse{Body: betterauthapi.SignUpResult{User: toUser(a.User)}}
	if a.Session.Token != "" {
		s.signedIn(ctx, a, isFalse(b.RememberMe))
		out.Body.Token = &a.Session.Token
	}
	return out, nil
}

func (s *Server) signInResult(ctx context.Context, a *baflow.Auth, callbackURL string, dontRemember bool) (betterauthapi.SignInResult, *string) {
	s.signedIn(ctx, a, dontRemember)
	res := betterauthapi.SignInResult{Token: a.Session.Token, User: toUser(a.User)}
	if callbackURL == "" {
		return res, nil
	}
	res.Redirect, res.Url = true, &callbackURL
	return res, &callbackURL
}

// SignInEmail signs in with email and password.
func (s *Server) SignInEmail(ctx context.Context, req betterauthapi.SignInEmailRequestObject) (betterauthapi.SignInEmailResponseObject, error) {
	b := req.Body
	a, err := s.flows.SignInEmail(ctx, string(b.Email), b.Password, str(b.CallbackURL), isFalse(b.RememberMe))
	if err != nil {
		return nil, err
	}
	if redirect, err := s.twoFactorGate(ctx, a, isFalse(b.RememberMe)); err != nil {
		return nil, err
	} else if redirect != nil {
		return betterauthapi.SignInEmail200JSONResponse{Body: *redirect}, nil
	}
	body, loc := s.signInResult(ctx, a, str(b.CallbackURL), isFalse(b.RememberMe))
	return betterauthapi.SignInEmail200JSONResponse{Body: signInAnswer(body), Headers: betterauthapi.SignInEmail200ResponseHeaders{Location: loc}}, nil
}

// SignInUsername signs in with username and password.
func (s *Server) SignInUsername(ctx context.Context, req betterauthapi.SignInUsernameRequestObject) (betterauthapi.SignInUsernameResponseObject, error) {
	b := req.Body
	a, err := s.flows.SignInUsername(ctx, b.Username, b.Password, str(b.CallbackURL), isFalse(b.RememberMe))
	if err != nil {
		return nil, err
	}
	if redirect, err := s.twoFactorGate(ctx, a, isFalse(b.RememberMe)); err != nil {
		return nil, err
	} else if redirect != nil {
		return betterauthapi.SignInUsername200JSONResponse{Body: *redirect}, nil
	}
	body, loc := s.signInResult(ctx, a, str(b.CallbackURL), isFalse(b.RememberMe))
	return betterauthapi.SignInUsername200JSONResponse{Body: signInAnswer(body), Headers: betterauthapi.SignInUsername200ResponseHeaders{Location: loc}}, nil
}

var (
	noStore  = "no-store"
	noCache  = "no-cache"
	nullJSON = []byte("null\n")
)

// nullSession is get-session's answer when signed out: the JSON literal null.
type nullSession struct{}

func (nullSession) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", noStore)
	w.Header().Set("Pragma", noCache)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(nullJSON)
	return err
}

func (n nullSession) VisitGetSessionResponse(w http.ResponseWriter) error     { return n.write(w) }
func (n nullSession) VisitGetSessionPostResponse(w http.ResponseWriter) error { return n.write(w) }

// GetSession returns the browser's session and user, or null.
func (s *Server) GetSession(ctx context.Context, req betterauthapi.GetSessionRequestObject) (betterauthapi.GetSessionResponseObject, error) {
	a, err := s.session(ctx, isTrue(req.Params.DisableRefresh))
	if err != nil || a == nil {
		return nullSession{}, err
	}
	if viaAPIKey(ctx) != nil {
		return apiKeySessionAnswer{a}, nil
	}
	out := betterauthapi.GetSession200JSONResponse{Headers: betterauthapi.GetSession200ResponseHeaders{CacheControl: &noStore, Pragma: &noCache}}
	out.Body.Session, out.Body.User = toSession(a.Session), toUser(a.User)
	return out, nil
}

// GetSessionPost is GetSession by POST (Better Auth's deferred refresh).
func (s *Server) GetSessionPost(ctx context.Context, req betterauthapi.GetSessionPostRequestObject) (betterauthapi.GetSessionPostResponseObject, error) {
	a, err := s.session(ctx, isTrue(req.Params.DisableRefresh))
	if err != nil || a == nil {
		return nullSession{}, err
	}
	if viaAPIKey(ctx) != nil {
		return apiKeySessionAnswer{a}, nil
	}
	out := betterauthapi.GetSessionPost200JSONResponse{Headers: betterauthapi.GetSessionPost200ResponseHeaders{CacheControl: &noStore, Pragma: &noCache}}
	out.Body.Session, out.Body.User = toSession(a.Session), toUser(a.User)
	return out, nil
}

// SignOut ends the browser's session, if any, and clears its cookies.
func (s *Server) SignOut(ctx context.Context, req betterauthapi.SignOutRequestObject) (betterauthapi.SignOutResponseObject, error) {
	if req.Body != nil {
		if err := s.flows.CheckRedirects(str(req.Body.CallbackURL), "", "", ""); err != nil {
			return nil, err
		}
	}
	if tok, ok := s.jar.Read(request(ctx), bacookie.SessionToken); ok {
		if err := s.flows.SignOut(ctx, tok); err != nil {
			return nil, err
		}
	}
	setCookies(ctx, s.jar.ExpireSession()...)
	return betterauthapi.SignOut200JSONResponse{Body: betterauthapi.SignOutResult{Success: true}}, nil
}

const resetMessage = "If this email exists in our system, check your email for the reset link"

// ForgetPassword is RequestPasswordReset under its Better Auth 1.1 path.
func (s *Server) ForgetPassword(ctx context.Context, req betterauthapi.ForgetPasswordRequestObject) (betterauthapi.ForgetPasswordResponseObject, error) {
	if err := s.flows.RequestPasswordReset(ctx, string(req.Body.Email), str(req.Body.RedirectTo)); err != nil {
		return nil, err
	}
	return betterauthapi.ForgetPassword200JSONResponse{Status: true, Message: resetMessage}, nil
}

// RequestPasswordReset mails a reset link when the account exists; the answer is the same.
func (s *Server) RequestPasswordReset(ctx context.Context, req betterauthapi.RequestPasswordResetRequestObject) (betterauthapi.RequestPasswordResetResponseObject, error) {
	if err := s.flows.RequestPasswordReset(ctx, string(req.Body.Email), str(req.Body.RedirectTo)); err != nil {
		return nil, err
	}
	return betterauthapi.RequestPasswordReset200JSONResponse{Status: true, Message: resetMessage}, nil
}

// ResetPassword sets a new password with a token from a reset mail.
func (s *Server) ResetPassword(ctx context.Context, req betterauthapi.ResetPasswordRequestObject) (betterauthapi.ResetPasswordResponseObject, error) {
	tok := str(req.Body.Token)
	if tok == "" {
		tok = str(req.Params.Token)
	}
	if err := s.flows.ResetPassword(ctx, tok, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return betterauthapi.ResetPassword200JSONResponse{Status: true}, nil
}

// ResetPasswordCallback is the link of a reset mail: it sends the browser to the app's reset
// page with the token, or with error=INVALID_TOKEN.
func (s *Server) ResetPasswordCallback(ctx context.Context, req betterauthapi.ResetPasswordCallbackRequestObject) (betterauthapi.ResetPasswordCallbackResponseObject, error) {
	cb := req.Params.CallbackURL
	if err := s.flows.CheckRedirects(cb, "", "", ""); err != nil {
		return nil, err
	}
	ok, err := s.flows.ResetTokenValid(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	var to string
	switch {
	case cb == "":
		to = s.flows.APIURL() + "/error?error=INVALID_TOKEN"
	case ok:
		to = withQuery(s.flows.ResolveURL(cb), "token", req.Token)
	default:
		to = withQuery(s.flows.ResolveURL(cb), "error", "INVALID_TOKEN")
	}
	return betterauthapi.ResetPasswordCallback302Response{Headers: betterauthapi.ResetPasswordCallback302ResponseHeaders{Location: &to}}, nil
}

// withQuery adds key=value to the query of raw.
func withQuery(raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// verifyEmailNull is verify-email's answer after a plain verification: {"status":true,"user":null}.
type verifyEmailNull struct{}

func (verifyEmailNull) VisitVerifyEmailResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte(`{"status":true,"user":null}` + "\n"))
	return err
}

// VerifyEmail follows a verification link.
func (s *Server) VerifyEmail(ctx context.Context, req betterauthapi.VerifyEmailRequestObject) (betterauthapi.VerifyEmailResponseObject, error) {
	cb := str(req.Params.CallbackURL)
	if err := s.flows.CheckRedirects(cb, "", "", ""); err != nil {
		return nil, err
	}
	current, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	res, err := s.flows.VerifyEmail(ctx, req.Params.Token, cb, current)
	if err != nil {
		if code := errorCode(err); cb != "" && code != "" {
			to := withQuery(cb, "error", code)
			return betterauthapi.VerifyEmail302Response{Headers: betterauthapi.VerifyEmail302ResponseHeaders{Location: &to}}, nil
		}
		return nil, err
	}
	if current != nil && res.User != nil {
		current.User = *res.User
		s.resendSession(ctx, current)
	}
	if cb != "" {
		return betterauthapi.VerifyEmail302Response{Headers: betterauthapi.VerifyEmail302ResponseHeaders{Location: &cb}}, nil
	}
	if res.User == nil {
		if res.Confirmed {
			return betterauthapi.VerifyEmail200JSONResponse{Body: betterauthapi.VerifyEmailResult{Status: true}}, nil
		}
		return verifyEmailNull{}, nil
	}
	u := betterauthapi.NullableUser(toUser(*res.User))
	return betterauthapi.VerifyEmail200JSONResponse{Body: betterauthapi.VerifyEmailResult{Status: true, User: &u}}, nil
}

// SendVerificationEmail mails a verification link. Signed out, it takes at least half a
// second whatever happens, so that its timing does not tell which addresses have accounts.
func (s *Server) SendVerificationEmail(ctx context.Context, req betterauthapi.SendVerificationEmailRequestObject) (betterauthapi.SendVerificationEmailResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		floor := time.Now().Add(500 * time.Millisecond)
		defer func() { time.Sleep(time.Until(floor)) }()
	}
	if err := s.flows.SendVerificationEmail(ctx, a, string(req.Body.Email), str(req.Body.CallbackURL)); err != nil {
		return nil, err
	}
	return betterauthapi.SendVerificationEmail200JSONResponse{Status: true}, nil
}

// ChangeEmail starts a change of address.
func (s *Server) ChangeEmail(ctx context.Context, req betterauthapi.ChangeEmailRequestObject) (betterauthapi.ChangeEmailResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.ChangeEmail(ctx, a, string(req.Body.NewEmail), str(req.Body.CallbackURL)); err != nil {
		return nil, err
	}
	return betterauthapi.ChangeEmail200JSONResponse{Status: true}, nil
}

// ChangePassword changes the password, optionally ending every other session.
func (s *Server) ChangePassword(ctx context.Context, req betterauthapi.ChangePasswordRequestObject) (betterauthapi.ChangePasswordResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	revoke := isTrue(req.Body.RevokeOtherSessions)
	next, err := s.flows.ChangePassword(ctx, a, req.Body.CurrentPassword, req.Body.NewPassword, revoke)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.ChangePassword200JSONResponse{Body: betterauthapi.ChangePasswordResult{User: toUser(next.User)}}
	if revoke {
		s.signedIn(ctx, next, false)
		out.Body.Token = &next.Session.Token
	}
	return out, nil
}

// UpdateUser changes the profile.
func (s *Server) UpdateUser(ctx context.Context, req betterauthapi.UpdateUserRequestObject) (betterauthapi.UpdateUserResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b.Name == nil && !b.Image.IsSpecified() && b.Username == nil && b.DisplayUsername == nil {
		return nil, baflow.ErrNoFieldsToUpdate
	}
	in := baflow.UserUpdate{Name: b.Name, Username: b.Username, DisplayUsername: b.DisplayUsername}
	if b.Image.IsSpecified() {
		in.SetImage = true // null and "" clear it
		if img, err := b.Image.Get(); err == nil && img != "" {
			in.Image = &img
		}
	}
	if a.User, err = s.flows.UpdateUser(ctx, a, in); err != nil {
		return nil, err
	}
	s.resendSession(ctx, a)
	return betterauthapi.UpdateUser200JSONResponse{Body: betterauthapi.StatusResult{Status: true}}, nil
}

// UpdateSession changes the session's writable fields; this deployment has none.
func (s *Server) UpdateSession(ctx context.Context, _ betterauthapi.UpdateSessionRequestObject) (betterauthapi.UpdateSessionResponseObject, error) {
	if _, err := s.requireSession(ctx); err != nil {
		return nil, err
	}
	return nil, baflow.ErrNoFieldsToUpdate
}

// VerifyPassword checks the password of the signed-in user.
func (s *Server) VerifyPassword(ctx context.Context, req betterauthapi.VerifyPasswordRequestObject) (betterauthapi.VerifyPasswordResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.VerifyPassword(ctx, a, req.Body.Password); err != nil {
		return nil, err
	}
	return betterauthapi.VerifyPassword200JSONResponse{Status: true}, nil
}

// IsUsernameAvailable tells whether a username is free.
func (s *Server) IsUsernameAvailable(ctx context.Context, req betterauthapi.IsUsernameAvailableRequestObject) (betterauthapi.IsUsernameAvailableResponseObject, error) {
	ok, err := s.flows.IsUsernameAvailable(ctx, req.Body.Username)
	if err != nil {
		return nil, err
	}
	return betterauthapi.IsUsernameAvailable200JSONResponse{Available: ok}, nil
}

// DeleteUser deletes the account (with the password or a mailed token) or mails a link that does.
func (s *Server) DeleteUser(ctx context.Context, req betterauthapi.DeleteUserRequestObject) (betterauthapi.DeleteUserResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.flows.DeleteUser(ctx, a, str(req.Body.Password), str(req.Body.Token), str(req.Body.CallbackURL))
	if err != nil {
		return nil, err
	}
	if res.MailSent {
		return betterauthapi.DeleteUser200JSONResponse{Body: betterauthapi.DeleteUserResult{Success: true, Message: "Verification email sent"}}, nil
	}
	setCookies(ctx, s.jar.ExpireSession()...)
	return betterauthapi.DeleteUser200JSONResponse{Body: betterauthapi.DeleteUserResult{Success: true, Message: "User deleted"}}, nil
}

// DeleteUserCallback is the link of a deletion mail, opened where the user is signed in.
func (s *Server) DeleteUserCallback(ctx context.Context, req betterauthapi.DeleteUserCallbackRequestObject) (betterauthapi.DeleteUserCallbackResponseObject, error) {
	cb := str(req.Params.CallbackURL)
	if err := s.flows.CheckRedirects(cb, "", "", ""); err != nil {
		return nil, err
	}
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, baflow.ErrFailedToGetUserInfo.WithStatus(http.StatusNotFound)
	}
	if err := s.flows.DeleteUserWithToken(ctx, a, req.Params.Token); err != nil {
		return nil, err
	}
	setCookies(ctx, s.jar.ExpireSession()...)
	if cb != "" {
		return betterauthapi.DeleteUserCallback302Response{Headers: betterauthapi.DeleteUserCallback302ResponseHeaders{Location: &cb}}, nil
	}
	return betterauthapi.DeleteUserCallback200JSONResponse{Body: betterauthapi.DeleteUserResult{Success: true, Message: "User deleted"}}, nil
}

// ListSessions lists the user's live sessions.
func (s *Server) ListSessions(ctx context.Context, _ betterauthapi.ListSessionsRequestObject) (betterauthapi.ListSessionsResponseObject, error) {
	a, err := s.requireFreshSession(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.flows.ListSessions(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListSessions200JSONResponse, 0, len(rows))
	for _, r := range rows {
		out = append(out, toSession(r))
	}
	return out, nil
}

// RevokeSession ends one of the user's sessions.
func (s *Server) RevokeSession(ctx context.Context, req betterauthapi.RevokeSessionRequestObject) (betterauthapi.RevokeSessionResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	own, err := s.flows.RevokeSession(ctx, a, req.Body.Token)
	if err != nil {
		return nil, err
	}
	if own {
		setCookies(ctx, s.jar.ExpireSession()...)
	}
	return betterauthapi.RevokeSession200JSONResponse{Body: betterauthapi.StatusResult{Status: true}}, nil
}

// RevokeSessions ends every session of the user.
func (s *Server) RevokeSessions(ctx context.Context, _ betterauthapi.RevokeSessionsRequestObject) (betterauthapi.RevokeSessionsResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.RevokeSessions(ctx, a); err != nil {
		return nil, err
	}
	setCookies(ctx, s.jar.ExpireSession()...)
	return betterauthapi.RevokeSessions200JSONResponse{Body: betterauthapi.StatusResult{Status: true}}, nil
}

// RevokeOtherSessions ends every session of the user but this one.
func (s *Server) RevokeOtherSessions(ctx context.Context, _ betterauthapi.RevokeOtherSessionsRequestObject) (betterauthapi.RevokeOtherSessionsResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.RevokeOtherSessions(ctx, a); err != nil {
		return nil, err
	}
	return betterauthapi.RevokeOtherSessions200JSONResponse(betterauthapi.StatusResult{Status: true}), nil
}

// Ok is the liveness answer of Better Auth.
func (s *Server) Ok(context.Context, betterauthapi.OkRequestObject) (betterauthapi.OkResponseObject, error) {
	return betterauthapi.Ok200JSONResponse{Ok: true}, nil
}
