package baflow

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/token"
)

// Templates of the mails this API sends; each gets data.url and data.token.
const (
	TemplateVerifyEmail   = "betterauth-verify-email"
	TemplateResetPassword = "betterauth-reset-password"
	TemplateChangeEmail   = "betterauth-change-email"
	TemplateDeleteAccount = "betterauth-delete-account"
)

// Kinds of email-verification token, in the JWT's requestType claim as Better Auth writes it.
const (
	requestChangeConfirm = "change-email-confirmation" // mailed to the current address
	requestChangeVerify  = "change-email-verification" // mailed to the new address
)

// verificationClaims is the payload of Better Auth's email-verification JWT (HS256 under the
// secret), so that links mailed by a Node deployment work here.
type verificationClaims struct {
	Email, UpdateTo, RequestType, UserID string
}

func (s *Service) signVerification(c verificationClaims) (string, error) {
	now := time.Now()
	b := jwt.NewBuilder().Claim("email", strings.ToLower(c.Email)).IssuedAt(now).Expiration(now.Add(s.cfg.VerificationTTL))
	if c.UpdateTo != "" {
		b = b.Claim("updateTo", strings.ToLower(c.UpdateTo))
	}
	if c.RequestType != "" {
		b = b.Claim("requestType", c.RequestType)
	}
	if c.UserID != "" {
		b = b.Claim("userId", c.UserID)
	}
	t, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(t, jwt.WithKey(jwa.HS256, []byte(s.cfg.Secret)))
	return string(signed), err
}

// parseVerification checks a verification JWT: TOKEN_EXPIRED or INVALID_TOKEN (401) otherwise.
func (s *Service) parseVerification(raw string) (verificationClaims, error) {
	t, err := jwt.Parse([]byte(raw), jwt.WithKey(jwa.HS256, []byte(s.cfg.Secret)), jwt.WithValidate(true))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired()) {
			return verificationClaims{}, ErrTokenExpired
		}
		return verificationClaims{}, ErrInvalidTokenUnauthorized
	}
	str := func(k string) string {
		v, _ := t.Get(k)
		s, _ := v.(string)
		return s
	}
	c := verificationClaims{Email: str("email"), UpdateTo: str("updateTo"), RequestType: str("requestType"), UserID: str("userId")}
	if c.Email == "" {
		return verificationClaims{}, ErrInvalidTokenUnauthorized
	}
	return c, nil
}

// link is an absolute URL of this API: path plus query parameters.
func (s *Service) link(path string, query url.Values) string {
	return s.apiURL + path + "?" + query.Encode()
}

func orRoot(callbackURL string) string {
	if callbackURL == "" {
		return "/"
	}
	return callbackURL
}

// enqueueVerification mails user a link that verifies their address.
func (s *Service) enqueueVerification(ctx context.Context, tx db.DB, user User, callbackURL string) error {
	tok, err := s.signVerification(verificationClaims{Email: user.Email, UserID: user.ID})
	if err != nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, mail.Message{To: user.Email, Template: TemplateVerifyEmail, Data: map[string]any{
		"url": s.link("/verify-email", url.Values{"token": {tok}, "callbackURL": {orRoot(callbackURL)}}), "token": tok,
		"name": user.Name, "appName": s.cfg.AppName, "newEmail": "", "validFor": humanTTL(s.cfg.VerificationTTL),
	}})
}

// SendVerificationEmail mails a verification link. Signed in (a not nil), email must be a's
// address and not yet verified. Signed out, the answer is the same whether or not an
// unverified account has the address, and only such an account gets mail.
func (s *Service) SendVerificationEmail(ctx context.Context, a *Auth, email, callbackURL string) error {
	if err := s.checkCallbackURL(callbackURL, ErrInvalidCallbackURL); err != nil {
		return err
	}
	email = normalizeEmail(email)
	var user User
	if a != nil {
		if a.User.Email != email {
			return ErrEmailMismatch
		}
		if a.User.EmailVerified {
			return ErrEmailAlreadyVerified
		}
		user = a.User
	} else {
		u, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), email)
		if notFound(err) || (err == nil && u.EmailVerified) {
			return nil
		} else if err != nil {
			return db.Translate(err)
		}
		user = u
	}
	if err := s.store.InTx(ctx, func(tx db.DB) error { return s.enqueueVerification(ctx, tx, user, callbackURL) }); err != nil {
		return db.Translate(err)
	}
	s.outbox.Wake()
	return nil
}

// VerifyEmailResult is what following a verification link did.
type VerifyEmailResult struct {
	// User is the account moved to its new address (nil for a plain verification, which
	// answers {"status":true,"user":null} as Better Auth does).
	User *User
	// Confirmed is set when the current address approved a change of email and the link to the
	// new address went out.
	Confirmed bool
}

// VerifyEmail follows a link from a verification mail: it verifies the address, or moves the
// account to a new address in the two steps of a change of email (the second link keeps the
// first one's callbackURL). current is the browser's session, if any.
func (s *Service) VerifyEmail(ctx context.Context, raw, callbackURL string, current *Auth) (*VerifyEmailResult, error) {
	c, err := s.parseVerification(raw)
	if err != nil {
		return nil, err
	}
	if c.UpdateTo != "" {
		return s.verifyEmailChange(ctx, c, callbackURL, current)
	}
	user, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), c.Email)
	if notFound(err) {
		return nil, ErrUserNotFound.WithStatus(401)
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if c.UserID != "" && c.UserID != user.ID {
		return nil, ErrInvalidTokenUnauthorized
	}
	if user.EmailVerified {
		return &VerifyEmailResult{}, nil
	}
	// As Better Auth by default (autoSignInAfterVerification off): the address is verified, the
	// answer names no user and nobody is signed in.
	if _, err = s.store.BetterauthUserSetEmailVerified(ctx, s.store.Pool(), user.ID); err != nil {
		return nil, db.Translate(err)
	}
	return &VerifyEmailResult{}, nil
}

func (s *Service) verifyEmailChange(ctx context.Context, c verificationClaims, callbackURL string, current *Auth) (*VerifyEmailResult, error) {
	if c.UserID == "" {
		return nil, ErrInvalidTokenUnauthorized
	}
	user, err := s.store.BetterauthUserGet(ctx, s.store.Pool(), c.UserID)
	if notFound(err) {
		return nil, ErrUserNotFound.WithStatus(401)
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if user.Email != c.Email {
		return nil, ErrInvalidTokenUnauthorized // the address changed since the mail was sent
	}
	if current != nil && current.User.ID != user.ID {
		return nil, baError(401, "INVALID_USER", "Invalid user")
	}
	if c.RequestType == requestChangeConfirm {
		// The current address approved the change: now prove the new one.
		err := s.store.InTx(ctx, func(tx db.DB) error {
			return s.enqueueChangeVerification(ctx, tx, user, c.UpdateTo, callbackURL)
		})
		if err != nil {
			return nil, db.Translate(err)
		}
		s.outbox.Wake()
		return &VerifyEmailResult{Confirmed: true}, nil
	}
	updated, err := s.store.BetterauthUserSetEmail(ctx, s.store.Pool(), dbsqlc.BetterauthUserSetEmailParams{
		ID: user.ID, Email: c.UpdateTo, EmailVerified: true})
	var conflict *db.ConflictError
	if errors.As(db.Translate(err), &conflict) {
		return nil, ErrUserExistsPlain
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return &VerifyEmailResult{User: &updated}, nil
}

func (s *Service) enqueueChangeVerification(ctx context.Context, tx db.DB, user User, newEmail, callbackURL string) error {
	tok, err := s.signVerification(verificationClaims{Email: user.Email, UpdateTo: newEmail,
		RequestType: requestChangeVerify, UserID: user.ID})
	if err != nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, mail.Message{To: newEmail, Template: TemplateVerifyEmail, Data: map[string]any{
		"url": s.link("/verify-email", url.Values{"token": {tok}, "callbackURL": {orRoot(callbackURL)}}), "token": tok,
		"name": user.Name, "appName": s.cfg.AppName, "newEmail": newEmail, "validFor": humanTTL(s.cfg.VerificationTTL),
	}})
}

// ChangeEmail starts moving a's account to newEmail. A verified account must first approve
// from its current address (template betterauth-change-email); an unverified one gets the
// verification link at the new address. An address already in use gets no mail and the same
// answer.
func (s *Service) ChangeEmail(ctx context.Context, a *Auth, newEmail, callbackURL string) error {
	if err := s.checkCallbackURL(callbackURL, ErrInvalidCallbackURL); err != nil {
		return err
	}
	newEmail = normalizeEmail(newEmail)
	if newEmail == a.User.Email {
		return baError(400, "EMAIL_IS_THE_SAME", "Email is the same")
	}
	if _, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), newEmail); err == nil {
		return nil
	} else if !notFound(err) {
		return db.Translate(err)
	}
	err := s.store.InTx(ctx, func(tx db.DB) error {
		if !a.User.EmailVerified {
			return s.enqueueChangeVerification(ctx, tx, a.User, newEmail, callbackURL)
		}
		tok, err := s.signVerification(verificationClaims{Email: a.User.Email, UpdateTo: newEmail,
			RequestType: requestChangeConfirm, UserID: a.User.ID})
		if err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, mail.Message{To: a.User.Email, Template: TemplateChangeEmail, Data: map[string]any{
			"url": s.link("/verify-email", url.Values{"token": {tok}, "callbackURL": {orRoot(callbackURL)}}), "token": tok,
			"name": a.User.Name, "appName": s.cfg.AppName, "newEmail": newEmail, "validFor": humanTTL(s.cfg.VerificationTTL),
		}})
	})
	if err != nil {
		return db.Translate(err)
	}
	s.outbox.Wake()
	return nil
}

const resetPrefix = "reset-password:"

// RequestPasswordReset mails a reset link to the account with email, if there is one; the
// answer and the work are the same either way. The link leads through GET
// /reset-password/{token} to redirectTo with the token.
func (s *Service) RequestPasswordReset(ctx context.Context, email, redirectTo string) error {
	if err := s.checkCallbackURL(redirectTo, ErrInvalidRedirectURL); err != nil {
		return err
	}
	tok := token.Alnum(24)
	user, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), normalizeEmail(email))
	if notFound(err) {
		return nil
	} else if err != nil {
		return db.Translate(err)
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if err := s.store.BetterauthVerificationCreate(ctx, tx, dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: resetPrefix + tokenHash(tok), Value: user.ID, ExpiresAt: time.Now().Add(s.cfg.ResetTTL),
		}); err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, mail.Message{To: user.Email, Template: TemplateResetPassword, Data: map[string]any{
			"url":   s.apiURL + "/reset-password/" + tok + "?" + url.Values{"callbackURL": {redirectTo}}.Encode(),
			"token": tok, "name": user.Name, "appName": s.cfg.AppName, "validFor": humanTTL(s.cfg.ResetTTL),
		}})
	})
	if err != nil {
		return db.Translate(err)
	}
	s.outbox.Wake()
	return nil
}

// ResetTokenValid reports whether a reset token is live, without using it up.
func (s *Service) ResetTokenValid(ctx context.Context, tok string) (bool, error) {
	_, err := s.store.BetterauthVerificationGet(ctx, s.store.Pool(), resetPrefix+tokenHash(tok))
	if notFound(err) {
		return false, nil
	}
	return err == nil, db.Translate(err)
}

// ResetPassword uses up a reset token and sets the password of its account (creating the
// credential account of a user who only had social sign-in). Of several concurrent uses of
// one token, one succeeds.
func (s *Service) ResetPassword(ctx context.Context, tok, newPassword string) error {
	if tok == "" {
		return ErrInvalidToken
	}
	if err := s.checkNewPassword(newPassword); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		v, err := s.store.BetterauthVerificationTake(ctx, tx, resetPrefix+tokenHash(tok))
		if err != nil {
			return err
		}
		n, err := s.store.BetterauthCredentialSetPassword(ctx, tx, dbsqlc.BetterauthCredentialSetPasswordParams{
			UserID: v.Value, Password: &hash})
		if err != nil || n > 0 {
			return err
		}
		_, err = s.store.BetterauthAccountCreate(ctx, tx, dbsqlc.BetterauthAccountCreateParams{
			ID: newID(), AccountID: v.Value, ProviderID: "credential", UserID: v.Value, Password: &hash})
		return err
	})
	if notFound(err) {
		return ErrInvalidToken
	}
	return db.Translate(err)
}

const deletePrefix = "delete-account-"

// DeleteUserResult says what a delete-user call did.
type DeleteUserResult struct {
	Deleted  bool // the account is gone
	MailSent bool // a confirmation link went out instead
}

// DeleteUser deletes a's account when password is right or token is a live deletion token of
// the account; with neither it mails a confirmation link (template betterauth-delete-account)
// that leads to DeleteUserWithToken.
func (s *Service) DeleteUser(ctx context.Context, a *Auth, password, tok, callbackURL string) (DeleteUserResult, error) {
	if err := s.checkCallbackURL(callbackURL, ErrInvalidCallbackURL); err != nil {
		return DeleteUserResult{}, err
	}
	switch {
	case password != "":
		if err := s.checkPassword(ctx, a.User.ID, password, ErrCredentialAccountNotFound); err != nil {
			return DeleteUserResult{}, err
		}
		return DeleteUserResult{Deleted: true}, s.deleteUser(ctx, s.store.Pool(), a.User.ID)
	case tok != "":
		return DeleteUserResult{Deleted: true}, s.DeleteUserWithToken(ctx, a, tok)
	}
	tok = token.Alnum(32)
	err := s.store.InTx(ctx, func(tx db.DB) error {
		if err := s.store.BetterauthVerificationCreate(ctx, tx, dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: deletePrefix + tokenHash(tok), Value: a.User.ID, ExpiresAt: time.Now().Add(s.cfg.DeleteTTL),
		}); err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, mail.Message{To: a.User.Email, Template: TemplateDeleteAccount, Data: map[string]any{
			"url":   s.link("/delete-user/callback", url.Values{"token": {tok}, "callbackURL": {orRoot(callbackURL)}}),
			"token": tok, "name": a.User.Name, "appName": s.cfg.AppName, "validFor": humanTTL(s.cfg.DeleteTTL),
		}})
	})
	if err != nil {
		return DeleteUserResult{}, db.Translate(err)
	}
	s.outbox.Wake()
	return DeleteUserResult{MailSent: true}, nil
}

// DeleteUserWithToken uses up a deletion token of a's account and deletes the account.
func (s *Service) DeleteUserWithToken(ctx context.Context, a *Auth, tok string) error {
	err := s.store.InTx(ctx, func(tx db.DB) error {
		v, err := s.store.BetterauthVerificationTake(ctx, tx, deletePrefix+tokenHash(tok))
		if err != nil {
			return err
		}
		if v.Value != a.User.ID {
			return ErrInvalidToken.WithStatus(404)
		}
		return s.deleteUser(ctx, tx, a.User.ID)
	})
	if notFound(err) {
		return ErrInvalidToken.WithStatus(404)
	}
	var api *apiErr
	if errors.As(err, &api) {
		return api
	}
	return db.Translate(err)
}

// deleteUser removes an account with its sessions and linked accounts (by cascade).
func (s *Service) deleteUser(ctx context.Context, q db.DB, userID string) error {
	_, err := s.store.BetterauthUserDelete(ctx, q, userID)
	return db.Translate(err)
}

// humanTTL says how long a mailed link works, for the mail's text: "one hour",
// "2 days", "30 minutes".
func humanTTL(d time.Duration) string {
	n, unit := int64(d/time.Minute), "minute"
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int64(d/time.Hour), "hour"
	}
	if n == 1 {
		return "one " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
