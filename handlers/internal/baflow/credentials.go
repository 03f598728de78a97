package baflow

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

// SignUp is what sign-up/email receives.
type SignUp struct {
	Name, Email, Password string
	Image                 *string
	Username              *string
	DisplayUsername       *string
	CallbackURL           string
	DontRemember          bool
}

// SignUpEmail creates an account with a password and signs it in. With RequireEmailVerification
// it sends the verification mail and signs nobody in: the result then has no session.
func (s *Service) SignUpEmail(ctx context.Context, in SignUp) (*Auth, error) {
	email := normalizeEmail(in.Email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return nil, ErrInvalidEmail
	}
	if err := s.checkNewPassword(in.Password); err != nil {
		return nil, err
	}
	if err := s.checkCallbackURL(in.CallbackURL, ErrInvalidCallbackURL); err != nil {
		return nil, err
	}
	username, display, err := s.usernames(in.Username, in.DisplayUsername)
	if err != nil {
		return nil, err
	}
	if username != nil {
		if taken, err := s.store.BetterauthUsernameTaken(ctx, s.store.Pool(), username); err != nil {
			return nil, db.Translate(err)
		} else if taken {
			return nil, ErrUsernameTaken
		}
	}
	if _, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), email); err == nil {
		return s.duplicateSignUp(in, email, username, display)
	} else if !notFound(err) {
		return nil, db.Translate(err)
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	var out *Auth
	err = s.store.InTx(ctx, func(tx db.DB) error {
		user, err := s.store.BetterauthUserCreate(ctx, tx, dbsqlc.BetterauthUserCreateParams{
			ID: newID(), Name: in.Name, Email: email, Image: in.Image,
			Username: username, DisplayUsername: display, Role: ptr(s.roleFor(email)),
		})
		if err != nil {
			return err
		}
		if _, err := s.store.BetterauthAccountCreate(ctx, tx, dbsqlc.BetterauthAccountCreateParams{
			ID: newID(), AccountID: user.ID, ProviderID: "credential", UserID: user.ID, Password: &hash,
		}); err != nil {
			return err
		}
		if s.cfg.RequireEmailVerification {
			out = &Auth{User: user}
			return s.enqueueVerification(ctx, tx, user, in.CallbackURL)
		}
		out, err = s.createSession(ctx, tx, user, in.DontRemember)
		return err
	})
	var conflict *db.ConflictError
	if errors.As(db.Translate(err), &conflict) {
		if strings.Contains(conflict.Constraint, "username") {
			return nil, ErrUsernameTaken
		}
		return s.duplicateSignUp(in, email, username, display)
	}
	if err != nil {
		return nil, db.Translate(err)
	}
	s.outbox.Wake()
	return out, nil
}

// duplicateSignUp answers a sign-up with an address that has an account. Without
// RequireEmailVerification that is 422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL, as in Better Auth.
// With it, a new sign-up signs nobody in either, so Better Auth answers as for one (a made-up
// user, no token, after the same hashing work) and the answer tells nobody which addresses have
// accounts; the owner is not mailed.
func (s *Service) duplicateSignUp(in SignUp, email string, username, display *string) (*Auth, error) {
	if !s.cfg.RequireEmailVerification {
		return nil, ErrUserExists
	}
	if _, err := s.hasher.Hash(in.Password); err != nil {
		return nil, err
	}
	now := time.Now()
	return &Auth{User: User{
		ID: newID(), Name: in.Name, Email: email, Image: in.Image, CreatedAt: now, UpdatedAt: now,
		Username: username, DisplayUsername: display, Role: ptr(s.roleFor(email)),
		Banned: ptr(false), TwoFactorEnabled: ptr(false),
	}}, nil
}

// SignInEmail checks an email and password and starts a session. Unknown addresses cost the
// same hashing work as wrong passwords and get the same answer.
func (s *Service) SignInEmail(ctx context.Context, email, pw, callbackURL string, dontRemember bool) (*Auth, error) {
	if err := s.checkCallbackURL(callbackURL, ErrInvalidCallbackURL); err != nil {
		return nil, err
	}
	email = normalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil {
		return nil, ErrInvalidEmail
	}
	if len([]rune(pw)) > s.cfg.MaxPasswordLength {
		return nil, ErrPasswordTooLong
	}
	row, err := s.store.BetterauthCredentialByEmail(ctx, s.store.Pool(), email)
	if notFound(err) {
		s.hasher.Burn(pw)
		return nil, ErrInvalidEmailOrPassword
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return s.signInWithPassword(ctx, row.BetterauthUser, row.Password, pw, dontRemember, ErrInvalidEmailOrPassword)
}

// SignInUsername is SignInEmail by username.
func (s *Service) SignInUsername(ctx context.Context, username, pw, callbackURL string, dontRemember bool) (*Auth, error) {
	if err := s.checkCallbackURL(callbackURL, ErrInvalidCallbackURL); err != nil {
		return nil, err
	}
	if username == "" || pw == "" {
		return nil, ErrInvalidUsernameOrPassword
	}
	if err := checkUsername(username); err != nil {
		return nil, err.WithStatus(422)
	}
	if len([]rune(pw)) > s.cfg.MaxPasswordLength {
		return nil, ErrPasswordTooLong
	}
	row, err := s.store.BetterauthCredentialByUsername(ctx, s.store.Pool(), ptr(strings.ToLower(username)))
	if notFound(err) {
		s.hasher.Burn(pw)
		return nil, ErrInvalidUsernameOrPassword
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return s.signInWithPassword(ctx, row.BetterauthUser, row.Password, pw, dontRemember, ErrInvalidUsernameOrPassword)
}

func (s *Service) signInWithPassword(ctx context.Context, user User, stored *string, pw string, dontRemember bool, wrong error) (*Auth, error) {
	if stored == nil {
		s.hasher.Burn(pw)
		return nil, wrong
	}
	ok, rehash, err := s.hasher.Verify(*stored, pw)
	if err != nil || !ok {
		return nil, wrong
	}
	if s.cfg.RequireEmailVerification && !user.EmailVerified {
		if err := s.store.InTx(ctx, func(tx db.DB) error { return s.enqueueVerification(ctx, tx, user, "/") }); err != nil {
			return nil, db.Translate(err)
		}
		s.outbox.Wake()
		return nil, ErrEmailNotVerified
	}
	if rehash {
		// An older format (Better Auth's scrypt): store the password in the current one.
		if h, err := s.hasher.Hash(pw); err == nil {
			if _, err := s.store.BetterauthCredentialSetPassword(ctx, s.store.Pool(), dbsqlc.BetterauthCredentialSetPasswordParams{
				UserID: user.ID, Password: &h}); err != nil {
				return nil, db.Translate(err)
			}
		}
	}
	return s.createSession(ctx, s.store.Pool(), user, dontRemember)
}

// VerifyPassword checks the password of a's user.
func (s *Service) VerifyPassword(ctx context.Context, a *Auth, pw string) error {
	return s.checkPassword(ctx, a.User.ID, pw, ErrInvalidPassword)
}

// checkPassword checks pw against the credential account of userID: ErrInvalidPassword when
// wrong, missing when the user has no password (after the same hashing work).
func (s *Service) checkPassword(ctx context.Context, userID, pw string, missing error) error {
	stored, err := s.store.BetterauthCredentialPassword(ctx, s.store.Pool(), userID)
	if notFound(err) || (err == nil && stored == nil) {
		s.hasher.Burn(pw)
		return missing
	} else if err != nil {
		return db.Translate(err)
	}
	if ok, _, err := s.hasher.Verify(*stored, pw); err != nil || !ok {
		return ErrInvalidPassword
	}
	return nil
}

// ChangePassword sets a new password after checking the current one. With revokeOthers every
// session of the user ends and a new one replaces a's, which the result holds.
func (s *Service) ChangePassword(ctx context.Context, a *Auth, current, next string, revokeOthers bool) (*Auth, error) {
	if err := s.checkNewPassword(next); err != nil {
		return nil, err
	}
	if err := s.checkPassword(ctx, a.User.ID, current, ErrCredentialAccountNotFound); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return nil, err
	}
	out := a
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if _, err := s.store.BetterauthCredentialSetPassword(ctx, tx, dbsqlc.BetterauthCredentialSetPasswordParams{
			UserID: a.User.ID, Password: &hash}); err != nil {
			return err
		}
		if !revokeOthers {
			return nil
		}
		if _, err := s.store.BetterauthSessionDeleteByUser(ctx, tx, a.User.ID); err != nil {
			return err
		}
		out, err = s.createSession(ctx, tx, a.User, false)
		return err
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.]+$`)

// checkUsername applies Better Auth's default username rules: 3 to 30 characters of letters,
// digits, "_" and ".".
func checkUsername(u string) *apiErr {
	switch n := len([]rune(u)); {
	case n < 3:
		return ErrUsernameTooShort
	case n > 30:
		return ErrUsernameTooLong
	case !usernamePattern.MatchString(u):
		return ErrInvalidUsername
	}
	return nil
}

// usernames validates a username and display name being set and returns the stored forms: the
// username in lower case, the display name as given (or the username as given).
func (s *Service) usernames(username, display *string) (*string, *string, error) {
	if username == nil && display != nil && checkUsername(*display) == nil {
		username = display // Better Auth derives the username from a valid display name
	}
	if username == nil {
		return nil, display, nil
	}
	if err := checkUsername(*username); err != nil {
		return nil, nil, err
	}
	if display == nil {
		display = username
	}
	return ptr(strings.ToLower(*username)), display, nil
}

// IsUsernameAvailable reports whether nobody has username; a malformed one is a 422 error.
func (s *Service) IsUsernameAvailable(ctx context.Context, username string) (bool, error) {
	if username == "" {
		return false, ErrInvalidUsername.WithStatus(422)
	}
	if err := checkUsername(username); err != nil {
		return false, err.WithStatus(422)
	}
	taken, err := s.store.BetterauthUsernameTaken(ctx, s.store.Pool(), ptr(strings.ToLower(username)))
	if err != nil {
		return false, db.Translate(err)
	}
	return !taken, nil
}

func ptr[T any](v T) *T { return &v }
