package baflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/token"
)

// Errors of the two-factor flows: Better Auth 1.7's TWO_FACTOR_ERROR_CODES with their statuses.
var (
	ErrTOTPAlreadyEnabled     = baError(400, "TOTP_ALREADY_ENABLED", "TOTP is already enabled")
	ErrTOTPNotEnabled         = baError(400, "TOTP_NOT_ENABLED", "TOTP not enabled")
	ErrTwoFactorNotEnabled    = baError(400, "TWO_FACTOR_NOT_ENABLED", "Two factor isn't enabled")
	ErrBackupCodesNotEnabled  = baError(400, "BACKUP_CODES_NOT_ENABLED", "Backup codes aren't enabled")
	ErrInvalidCode            = baError(401, "INVALID_CODE", "Invalid code")
	ErrInvalidBackupCode      = baError(401, "INVALID_BACKUP_CODE", "Invalid backup code")
	ErrInvalidTwoFactorCookie = baError(401, "INVALID_TWO_FACTOR_COOKIE", "Invalid two factor cookie")
	ErrOTPExpired             = baError(400, "OTP_HAS_EXPIRED", "OTP has expired")
	ErrTooManyAttempts        = baError(400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "Too many attempts. Please request a new code.")
	ErrAccountLocked          = baError(429, "ACCOUNT_TEMPORARILY_LOCKED",
		"Too many failed verification attempts. Your account is temporarily locked. Please try again later.")
	// ErrTwoFactorNeedsSession is Better Auth's answer to a mailed code that would turn two-factor
	// authentication on while signing in (it can only be turned on with a session).
	ErrTwoFactorNeedsSession = baError(400, "FAILED_TO_CREATE_SESSION", "Failed to create session")

	// errTwoFactorChallengeEnded and errTwoFactorChallengeGone are ErrTooManyAttempts and
	// ErrInvalidTwoFactorCookie for a sign-in challenge that is over: the browser's two_factor
	// cookie is to be expired.
	errTwoFactorChallengeEnded = baError(400, ErrTooManyAttempts.Code, ErrTooManyAttempts.Message)
	errTwoFactorChallengeGone  = baError(401, ErrInvalidTwoFactorCookie.Code, ErrInvalidTwoFactorCookie.Message)
)

// EndsChallenge reports whether err ended the sign-in challenge of the request, whose
// two_factor cookie the answer then expires.
func EndsChallenge(err error) bool {
	return errors.Is(err, errTwoFactorChallengeEnded) || errors.Is(err, errTwoFactorChallengeGone)
}

// TemplateTwoFactorOTP is the mail with a two-factor code: data.otp, data.name, data.appName,
// data.validFor.
const TemplateTwoFactorOTP = "betterauth-two-factor-otp"

// Better Auth's two-factor defaults.
const (
	twoFactorChallengeTTL      = 600 * time.Second   // the two_factor cookie and its verification rows
	twoFactorTrustTTL          = 30 * 24 * time.Hour // the trust_device cookie and its row
	twoFactorOTPTTL            = 3 * time.Minute
	twoFactorChallengeAttempts = 5 // wrong TOTP or backup codes per sign-in challenge
	twoFactorOTPAttempts       = 5 // wrong tries of one mailed code
	twoFactorLockoutFailures   = 10
	twoFactorLockoutFor        = 15 * time.Minute
)

const (
	twoFactorChallengePrefix = "2fa-"
	twoFactorAttemptsPrefix  = "2fa-attempts-"
	twoFactorOTPPrefix       = "2fa-otp-"
	twoFactorTrustPrefix     = "trust-device-"
)

// ChallengeTTL and TrustDeviceTTL are the lives of the two_factor and trust_device cookies.
const (
	ChallengeTTL   = twoFactorChallengeTTL
	TrustDeviceTTL = twoFactorTrustTTL
)

func twoFactorOn(u User) bool { return u.TwoFactorEnabled != nil && *u.TwoFactorEnabled }

// SignInGate is what a password sign-in becomes for a user with two-factor authentication on.
type SignInGate struct {
	// Challenge, when not empty, means no session: the sign-in's session is gone and this is the
	// value of the two_factor cookie; Methods are the ways to pass it.
	Challenge string
	Methods   []string
	// TrustDevice is the new trust_device cookie of a trusted browser that signs in without a
	// second factor; ExpireTrust says the trust_device cookie sent is no longer valid.
	TrustDevice string
	ExpireTrust bool
}

// TwoFactorGate applies two-factor authentication to a's password sign-in. trust is the value
// of the browser's signed trust_device cookie ("" without one). A user without two-factor
// authentication, or on a trusted browser, keeps the session (the trusted browser gets a new
// trust cookie); for the others the session is deleted and a challenge started.
func (s *Service) TwoFactorGate(ctx context.Context, a *Auth, trust string) (SignInGate, error) {
	if !twoFactorOn(a.User) {
		return SignInGate{}, nil
	}
	if trust != "" {
		if next, ok, err := s.rotateTwoFactorTrust(ctx, a.User.ID, trust); err != nil {
			return SignInGate{}, err
		} else if ok {
			return SignInGate{TrustDevice: next}, nil
		}
	}
	gate := SignInGate{Challenge: twoFactorChallengePrefix + token.Opaque(15), ExpireTrust: trust != ""}
	expires := time.Now().Add(twoFactorChallengeTTL)
	err := s.store.InTx(ctx, func(tx db.DB) error {
		if _, err := s.store.BetterauthSessionDelete(ctx, tx, a.Session.ID); err != nil {
			return err
		}
		if err := s.store.BetterauthVerificationCreate(ctx, tx, dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: gate.Challenge, Value: a.User.ID, ExpiresAt: expires}); err != nil {
			return err
		}
		return s.store.BetterauthVerificationCreate(ctx, tx, dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: twoFactorAttemptsPrefix + gate.Challenge, Value: "0", ExpiresAt: expires})
	})
	if err != nil {
		return SignInGate{}, db.Translate(err)
	}
	tf, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), a.User.ID)
	if err == nil && (tf.Verified == nil || *tf.Verified) {
		gate.Methods = append(gate.Methods, "totp")
	} else if err != nil && !notFound(err) {
		return SignInGate{}, db.Translate(err)
	}
	gate.Methods = append(gate.Methods, "otp") // codes by mail are always available
	return gate, nil
}

// rotateTwoFactorTrust checks a trust_device cookie value of userID and, when it is valid,
// replaces its row by a new one and returns the new cookie value.
func (s *Service) rotateTwoFactorTrust(ctx context.Context, userID, trust string) (string, bool, error) {
	_, trustID, ok := strings.Cut(trust, "!")
	if !ok || !strings.HasPrefix(trustID, twoFactorTrustPrefix) ||
		!hmac.Equal([]byte(trust), []byte(trustDeviceValue(s.cfg.Secret, userID, trustID))) {
		return "", false, nil
	}
	row, err := s.store.BetterauthVerificationTake(ctx, s.store.Pool(), trustID)
	if notFound(err) || (err == nil && row.Value != userID) {
		return "", false, nil
	} else if err != nil {
		return "", false, db.Translate(err)
	}
	next, err := s.newTwoFactorTrust(ctx, s.store.Pool(), userID)
	return next, err == nil, err
}

// newTwoFactorTrust records a trusted browser of userID and returns its trust_device cookie
// value.
func (s *Service) newTwoFactorTrust(ctx context.Context, q db.DB, userID string) (string, error) {
	id := twoFactorTrustPrefix + token.Opaque(24)
	if err := s.store.BetterauthVerificationCreate(ctx, q, dbsqlc.BetterauthVerificationCreateParams{
		ID: newID(), Identifier: id, Value: userID, ExpiresAt: time.Now().Add(twoFactorTrustTTL)}); err != nil {
		return "", db.Translate(err)
	}
	return trustDeviceValue(s.cfg.Secret, userID, id), nil
}

// TwoFactorSetup is the answer of EnableTwoFactor.
type TwoFactorSetup struct {
	Method      string
	TOTPURI     string
	BackupCodes []string
}

// EnableTwoFactor checks a's password and, for method "totp", stores a new unverified TOTP
// secret and backup codes (two-factor authentication turns on with the first code verified).
// Method "otp" stores nothing: the first mailed code verified turns it on.
func (s *Service) EnableTwoFactor(ctx context.Context, a *Auth, password, method, issuer string) (*TwoFactorSetup, error) {
	if err := s.checkPassword(ctx, a.User.ID, password, ErrInvalidPassword); err != nil {
		return nil, err
	}
	if method == "otp" {
		return &TwoFactorSetup{Method: "otp"}, nil
	}
	secret := token.Opaque(24) // 32 characters of [A-Za-z0-9_-], as generateRandomString(32)
	enc, err := symmetricEncrypt(s.cfg.Secret, secret)
	if err != nil {
		return nil, err
	}
	codes := newBackupCodes()
	_, err = s.store.BetterauthTwoFactorBegin(ctx, s.store.Pool(), dbsqlc.BetterauthTwoFactorBeginParams{
		ID: newID(), Secret: enc, BackupCodes: encodeBackupCodes(s.cfg.Secret, codes), UserID: a.User.ID})
	if notFound(err) {
		return nil, ErrTOTPAlreadyEnabled
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if issuer == "" {
		issuer = s.cfg.AppName
	}
	return &TwoFactorSetup{Method: "totp", TOTPURI: totpURI([]byte(secret), issuer, a.User.Email), BackupCodes: codes}, nil
}

// DisableTwoFactor checks a's password, turns two-factor authentication off, deletes the
// secret and backup codes and every trusted device, and replaces a's session by a new one,
// which it returns.
func (s *Service) DisableTwoFactor(ctx context.Context, a *Auth, password string) (*Auth, error) {
	if err := s.checkPassword(ctx, a.User.ID, password, ErrInvalidPassword); err != nil {
		return nil, err
	}
	var out *Auth
	err := s.store.InTx(ctx, func(tx db.DB) error {
		u, err := s.store.BetterauthUserSetTwoFactorEnabled(ctx, tx, dbsqlc.BetterauthUserSetTwoFactorEnabledParams{
			ID: a.User.ID, Enabled: ptr(false)})
		if err != nil {
			return err
		}
		if _, err := s.store.BetterauthTwoFactorDeleteByUser(ctx, tx, a.User.ID); err != nil {
			return err
		}
		// Every trusted device is forgotten, not only this browser (Better Auth forgets only
		// this one, so that turning 2FA on again would still trust the others).
		if _, err := s.store.BetterauthVerificationDeleteTrustedDevices(ctx, tx, a.User.ID); err != nil {
			return err
		}
		out, err = s.replaceSession(ctx, tx, u, a.Session)
		return err
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

// GetTOTPURI returns the otpauth URI of a's TOTP secret, after checking the password.
func (s *Service) GetTOTPURI(ctx context.Context, a *Auth, password string) (string, error) {
	tf, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), a.User.ID)
	if notFound(err) {
		return "", ErrTOTPNotEnabled
	} else if err != nil {
		return "", db.Translate(err)
	}
	key, err := s.twoFactorTOTPKey(tf)
	if err != nil {
		return "", err
	}
	if err := s.checkPassword(ctx, a.User.ID, password, ErrInvalidPassword); err != nil {
		return "", err
	}
	return totpURI(key, s.cfg.AppName, a.User.Email), nil
}

func (s *Service) twoFactorTOTPKey(tf dbsqlc.BetterauthTwoFactor) ([]byte, error) {
	plain, err := symmetricDecrypt(s.cfg.Secret, tf.Secret)
	if err != nil {
		return nil, err
	}
	return totpKey(plain)
}

// GenerateBackupCodes replaces a's backup codes by ten new ones, after checking the password.
func (s *Service) GenerateBackupCodes(ctx context.Context, a *Auth, password string) ([]string, error) {
	if !twoFactorOn(a.User) {
		return nil, ErrTwoFactorNotEnabled
	}
	if err := s.checkPassword(ctx, a.User.ID, password, ErrInvalidPassword); err != nil {
		return nil, err
	}
	tf, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), a.User.ID)
	if notFound(err) {
		return nil, ErrTwoFactorNotEnabled
	} else if err != nil {
		return nil, db.Translate(err)
	}
	codes := newBackupCodes()
	if _, err := s.store.BetterauthTwoFactorSetBackupCodes(ctx, s.store.Pool(), dbsqlc.BetterauthTwoFactorSetBackupCodesParams{
		ID: tf.ID, BackupCodes: encodeBackupCodes(s.cfg.Secret, codes)}); err != nil {
		return nil, db.Translate(err)
	}
	return codes, nil
}

// TwoFactorCaller is who asks for a two-factor verification: a signed-in browser (Session),
// or one signing in, with the value of its signed two_factor cookie (Challenge, "" when it has
// none) and whether it holds a valid dont_remember cookie.
type TwoFactorCaller struct {
	Session      *Auth
	Challenge    string
	DontRemember bool
}

// TwoFactorPass is the outcome of a right code: the body's Token ("" for none) and User, and
// the session whose cookie is to be set (nil for none). SignedIn says a sign-in challenge
// ended in a new session (the two_factor cookie is then expired); DontRemember that this
// session is not remembered; TrustDevice is a new trust_device cookie value.
type TwoFactorPass struct {
	Token        string
	User         User
	Session      *Auth
	SignedIn     bool
	DontRemember bool
	TrustDevice  string
}

// twoFactorVerifier is a verification under way: its user, and a's session or the challenge.
type twoFactorVerifier struct {
	user   User
	caller TwoFactorCaller
	key    string // the challenge, or "<userId>!<sessionId>": where mailed codes are kept
}

func (v *twoFactorVerifier) signingIn() bool { return v.caller.Session == nil }

func (s *Service) startTwoFactor(ctx context.Context, c TwoFactorCaller) (*twoFactorVerifier, error) {
	if c.Session != nil {
		return &twoFactorVerifier{user: c.Session.User, caller: c, key: c.Session.User.ID + "!" + c.Session.Session.ID}, nil
	}
	if !strings.HasPrefix(c.Challenge, twoFactorChallengePrefix) || strings.HasPrefix(c.Challenge, twoFactorAttemptsPrefix) ||
		strings.HasPrefix(c.Challenge, twoFactorOTPPrefix) {
		return nil, ErrInvalidTwoFactorCookie
	}
	row, err := s.store.BetterauthVerificationGet(ctx, s.store.Pool(), c.Challenge)
	if notFound(err) {
		return nil, ErrInvalidTwoFactorCookie
	} else if err != nil {
		return nil, db.Translate(err)
	}
	u, err := s.store.BetterauthUserGet(ctx, s.store.Pool(), row.Value)
	if notFound(err) {
		return nil, ErrInvalidTwoFactorCookie
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return &twoFactorVerifier{user: u, caller: c, key: c.Challenge}, nil
}

// beginTwoFactorAttempt claims one of the challenge's attempts before its code is checked (so
// that requests sent at once cannot check more codes than the limit) and refuses, ending it, a
// challenge that has used them all.
func (s *Service) beginTwoFactorAttempt(ctx context.Context, v *twoFactorVerifier) error {
	n, err := s.store.BetterauthVerificationClaimAttempt(ctx, s.store.Pool(), twoFactorAttemptsPrefix+v.key)
	if notFound(err) {
		return ErrInvalidTwoFactorCookie
	} else if err != nil {
		return db.Translate(err)
	}
	if n >= 1 && n <= twoFactorChallengeAttempts {
		return nil
	}
	for _, id := range []string{v.key, twoFactorAttemptsPrefix + v.key} {
		if _, err := s.store.BetterauthVerificationDeleteByIdentifier(ctx, s.store.Pool(), id); err != nil {
			return db.Translate(err)
		}
	}
	return errTwoFactorChallengeEnded
}

// claimTwoFactorAttempt counts a sign-in verification against the account before its code is
// checked, and refuses it once the account is locked: ten attempts in a row without a right
// code lock it for 15 minutes, however many run at once.
func (s *Service) claimTwoFactorAttempt(ctx context.Context, tf dbsqlc.BetterauthTwoFactor) error {
	n, err := s.store.BetterauthTwoFactorClaimAttempt(ctx, s.store.Pool(), dbsqlc.BetterauthTwoFactorClaimAttemptParams{
		ID: tf.ID, MaxFailures: twoFactorLockoutFailures, LockedUntil: time.Now().Add(twoFactorLockoutFor)})
	if notFound(err) {
		return ErrTOTPNotEnabled // two-factor authentication turned off meanwhile
	} else if err != nil {
		return db.Translate(err)
	}
	if n != nil && *n > twoFactorLockoutFailures {
		return ErrAccountLocked
	}
	return nil
}

// twoFactorPassed clears the account's failures after a right code while signing in.
func (s *Service) twoFactorPassed(ctx context.Context, v *twoFactorVerifier, tf *dbsqlc.BetterauthTwoFactor) error {
	if !v.signingIn() || tf == nil {
		return nil
	}
	_, err := s.store.BetterauthTwoFactorResetFailures(ctx, s.store.Pool(), tf.ID)
	return db.Translate(err)
}

// passTwoFactor ends a verification: with a session, its own token and user; signing in, it uses up
// the challenge and starts a session (and trusts the browser when asked).
func (s *Service) passTwoFactor(ctx context.Context, v *twoFactorVerifier, trustDevice bool) (*TwoFactorPass, error) {
	if !v.signingIn() {
		return &TwoFactorPass{Token: v.caller.Session.Session.Token, User: v.user}, nil
	}
	var out *TwoFactorPass
	err := s.store.InTx(ctx, func(tx db.DB) error {
		row, err := s.store.BetterauthVerificationTake(ctx, tx, v.key)
		if notFound(err) || (err == nil && row.Value != v.user.ID) {
			return errTwoFactorChallengeGone
		} else if err != nil {
			return err
		}
		if _, err := s.store.BetterauthVerificationDeleteByIdentifier(ctx, tx, twoFactorAttemptsPrefix+v.key); err != nil {
			return err
		}
		a, err := s.createSession(ctx, tx, v.user, v.caller.DontRemember)
		if err != nil {
			return err
		}
		out = &TwoFactorPass{Token: a.Session.Token, User: v.user, Session: a, SignedIn: true, DontRemember: v.caller.DontRemember}
		if trustDevice {
			out.TrustDevice, err = s.newTwoFactorTrust(ctx, tx, v.user.ID)
		}
		return err
	})
	if errors.Is(err, errTwoFactorChallengeGone) {
		return nil, errTwoFactorChallengeGone
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

// turnTwoFactorOn turns two-factor authentication on for a's user and replaces a's session by a
// new one.
func (s *Service) turnTwoFactorOn(ctx context.Context, a *Auth) (*Auth, error) {
	var out *Auth
	err := s.store.InTx(ctx, func(tx db.DB) error {
		u, err := s.store.BetterauthUserSetTwoFactorEnabled(ctx, tx, dbsqlc.BetterauthUserSetTwoFactorEnabledParams{
			ID: a.User.ID, Enabled: ptr(true)})
		if err != nil {
			return err
		}
		out, err = s.replaceSession(ctx, tx, u, a.Session)
		return err
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

// VerifyTOTP checks a TOTP code. Each time step is accepted once per user. With a session
// whose secret is not yet verified, a right code turns two-factor authentication on and
// replaces the session; the answer then carries, as in Better Auth, the previous token and user.
func (s *Service) VerifyTOTP(ctx context.Context, c TwoFactorCaller, code string, trustDevice bool) (*TwoFactorPass, error) {
	v, err := s.startTwoFactor(ctx, c)
	if err != nil {
		return nil, err
	}
	tf, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), v.user.ID)
	if notFound(err) {
		return nil, ErrTOTPNotEnabled
	} else if err != nil {
		return nil, db.Translate(err)
	}
	verified := tf.Verified == nil || *tf.Verified
	if v.signingIn() {
		if !verified {
			return nil, ErrTOTPNotEnabled
		}
		if err := s.beginTwoFactorAttempt(ctx, v); err != nil {
			return nil, err
		}
		if err := s.claimTwoFactorAttempt(ctx, tf); err != nil {
			return nil, err
		}
	}
	key, err := s.twoFactorTOTPKey(tf)
	if err != nil {
		return nil, err
	}
	step, ok := totpStep(key, code, time.Now())
	if ok {
		n, err := s.store.BetterauthTwoFactorAcceptStep(ctx, s.store.Pool(), dbsqlc.BetterauthTwoFactorAcceptStepParams{ID: tf.ID, Step: step})
		if err != nil {
			return nil, db.Translate(err)
		}
		ok = n == 1 // a step already accepted is a code replayed
	}
	if !ok {
		return nil, ErrInvalidCode
	}
	if err := s.twoFactorPassed(ctx, v, &tf); err != nil {
		return nil, err
	}
	if !verified {
		var rotated *Auth
		if !twoFactorOn(v.user) {
			if rotated, err = s.turnTwoFactorOn(ctx, c.Session); err != nil {
				return nil, err
			}
		}
		if _, err := s.store.BetterauthTwoFactorSetVerified(ctx, s.store.Pool(), tf.ID); err != nil {
			return nil, db.Translate(err)
		}
		return &TwoFactorPass{Token: c.Session.Session.Token, User: v.user, Session: rotated}, nil
	}
	return s.passTwoFactor(ctx, v, trustDevice)
}

// twoFactorOTPHash is how mailed codes are stored: Better Auth's storeOTP "hashed" form
// (base64url of SHA-256, no padding).
func twoFactorOTPHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// SendTwoFactorOTP mails a new 6-digit code, valid 3 minutes, to the caller's user.
func (s *Service) SendTwoFactorOTP(ctx context.Context, c TwoFactorCaller) error {
	v, err := s.startTwoFactor(ctx, c)
	if err != nil {
		return err
	}
	code := token.Digits(6)
	err = s.store.InTx(ctx, func(tx db.DB) error {
		if err := s.store.BetterauthVerificationCreate(ctx, tx, dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: twoFactorOTPPrefix + v.key, Value: twoFactorOTPHash(code) + ":0", ExpiresAt: time.Now().Add(twoFactorOTPTTL)}); err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, mail.Message{To: v.user.Email, Template: TemplateTwoFactorOTP, Data: map[string]any{
			"otp": code, "name": v.user.Name, "appName": s.cfg.AppName, "validFor": humanTTL(twoFactorOTPTTL)}})
	})
	if err != nil {
		return db.Translate(err)
	}
	s.outbox.Wake()
	return nil
}

// VerifyTwoFactorOTP checks the newest mailed code. With a session of a user whose two-factor
// authentication is off, a right code turns it on and replaces the session.
func (s *Service) VerifyTwoFactorOTP(ctx context.Context, c TwoFactorCaller, code string, trustDevice bool) (*TwoFactorPass, error) {
	v, err := s.startTwoFactor(ctx, c)
	if err != nil {
		return nil, err
	}
	var tf *dbsqlc.BetterauthTwoFactor
	if v.signingIn() {
		row, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), v.user.ID)
		if err == nil {
			tf = &row
			if err := s.claimTwoFactorAttempt(ctx, row); err != nil {
				return nil, err
			}
		} else if !notFound(err) {
			return nil, db.Translate(err)
		}
	}
	row, err := s.store.BetterauthVerificationTake(ctx, s.store.Pool(), twoFactorOTPPrefix+v.key)
	if notFound(err) {
		return nil, ErrOTPExpired
	} else if err != nil {
		return nil, db.Translate(err)
	}
	stored, count, _ := strings.Cut(row.Value, ":")
	tries, _ := strconv.Atoi(count)
	if tries >= twoFactorOTPAttempts {
		return nil, ErrTooManyAttempts
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(twoFactorOTPHash(code))) != 1 &&
		subtle.ConstantTimeCompare([]byte(stored), []byte(code)) != 1 { // a code stored in clear by Better Auth
		if err := s.store.BetterauthVerificationCreate(ctx, s.store.Pool(), dbsqlc.BetterauthVerificationCreateParams{
			ID: newID(), Identifier: row.Identifier, Value: stored + ":" + strconv.Itoa(tries+1), ExpiresAt: row.ExpiresAt}); err != nil {
			return nil, db.Translate(err)
		}
		return nil, ErrInvalidCode
	}
	if err := s.twoFactorPassed(ctx, v, tf); err != nil {
		return nil, err
	}
	if !twoFactorOn(v.user) {
		if v.signingIn() {
			return nil, ErrTwoFactorNeedsSession
		}
		a, err := s.turnTwoFactorOn(ctx, c.Session)
		if err != nil {
			return nil, err
		}
		return &TwoFactorPass{Token: a.Session.Token, User: a.User, Session: a}, nil
	}
	return s.passTwoFactor(ctx, v, trustDevice)
}

// VerifyBackupCode redeems one of the user's backup codes: of concurrent requests with the
// same code, one succeeds. With disableSession (signing in) the code is used up but no session
// starts and the challenge stays.
func (s *Service) VerifyBackupCode(ctx context.Context, c TwoFactorCaller, code string, disableSession, trustDevice bool) (*TwoFactorPass, error) {
	v, err := s.startTwoFactor(ctx, c)
	if err != nil {
		return nil, err
	}
	tf, err := s.store.BetterauthTwoFactorGetByUser(ctx, s.store.Pool(), v.user.ID)
	if notFound(err) {
		return nil, ErrBackupCodesNotEnabled
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if v.signingIn() {
		if err := s.beginTwoFactorAttempt(ctx, v); err != nil {
			return nil, err
		}
		if err := s.claimTwoFactorAttempt(ctx, tf); err != nil {
			return nil, err
		}
	}
	ok := false
	err = s.store.InTx(ctx, func(tx db.DB) error {
		row, err := s.store.BetterauthTwoFactorLockByUser(ctx, tx, v.user.ID)
		if err != nil {
			return err
		}
		left, found := redeemBackupCode(s.cfg.Secret, row.BackupCodes, code)
		if !found {
			return nil
		}
		ok = true
		_, err = s.store.BetterauthTwoFactorSetBackupCodes(ctx, tx, dbsqlc.BetterauthTwoFactorSetBackupCodesParams{ID: row.ID, BackupCodes: left})
		return err
	})
	if notFound(err) {
		return nil, ErrBackupCodesNotEnabled // two-factor authentication turned off meanwhile
	} else if err != nil {
		return nil, db.Translate(err)
	}
	if !ok {
		return nil, ErrInvalidBackupCode
	}
	if err := s.twoFactorPassed(ctx, v, &tf); err != nil {
		return nil, err
	}
	if disableSession {
		out := &TwoFactorPass{User: v.user}
		if !v.signingIn() {
			out.Token = c.Session.Session.Token
		}
		return out, nil
	}
	return s.passTwoFactor(ctx, v, trustDevice)
}
