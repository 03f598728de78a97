package baflow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/google/uuid"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/token"
)

// Errors of the passkey plugin (@better-auth/passkey 1.7's codes, messages and statuses).
var (
	ErrChallengeNotFound           = baError(http.StatusBadRequest, "CHALLENGE_NOT_FOUND", "Challenge not found")
	ErrFailedToVerifyRegistration  = baError(http.StatusBadRequest, "FAILED_TO_VERIFY_REGISTRATION", "Failed to verify registration")
	ErrNotAllowedToRegisterPasskey = baError(http.StatusUnauthorized, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY", "You are not allowed to register this passkey")
	// ErrPasskeyUnknownCredential is verify-authentication's answer to a credential id no passkey has.
	ErrPasskeyUnknownCredential = baError(http.StatusUnauthorized, "PASSKEY_NOT_FOUND", "Passkey not found")
	// ErrPasskeyNotFound is delete-passkey's and update-passkey's answer to an unknown id.
	ErrPasskeyNotFound = baError(http.StatusNotFound, "PASSKEY_NOT_FOUND", "Passkey not found")
	// ErrAuthenticationFailed is a refused assertion (400: its checks failed; see ErrBadPasskeySignature).
	ErrAuthenticationFailed = baError(http.StatusBadRequest, "AUTHENTICATION_FAILED", "Authentication failed")
	// ErrBadPasskeySignature is an assertion whose signature is wrong (401, as Better Auth).
	ErrBadPasskeySignature = baError(http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Authentication failed")
	// ErrPasskeyNotOwned is delete-passkey's answer for another user's passkey: Better Auth sends
	// 401 with an empty body, and so do the handlers for this error.
	ErrPasskeyNotOwned = baError(http.StatusUnauthorized, "", "")
	// ErrPasskeyNameBlank is update-passkey's refusal of a name that is blank once trimmed.
	ErrPasskeyNameBlank = baError(http.StatusBadRequest, "VALIDATION_ERROR", "[body.name] Too small: expected string to have >=1 characters")
)

const (
	// PasskeyChallengeCookie names the cookie that carries a ceremony's challenge id.
	PasskeyChallengeCookie = "better-auth-passkey"
	// PasskeyChallengeTTL is the life of a challenge and of its cookie.
	PasskeyChallengeTTL = 300 * time.Second
	// passkeyChallengePrefix marks challenge verifications; the id is stored hashed.
	passkeyChallengePrefix = "passkey-challenge:"
	passkeyTimeout         = 60000
)

// Passkey is a stored passkey.
type Passkey = dbsqlc.BetterauthPasskey

// PasskeyAlgorithms are the COSE algorithms offered for new passkeys, in Better Auth's order:
// EdDSA, ES256, RS256.
var PasskeyAlgorithms = []int{-8, -7, -257}

// passkeyChallenge is the verification value of a ceremony, as Better Auth writes it
// (registrations carry "context", null when there is none).
type passkeyChallenge struct {
	Type              string          `json:"type"`
	ExpectedChallenge string          `json:"expectedChallenge"`
	UserData          passkeyUser     `json:"userData"`
	Context           json.RawMessage `json:"context,omitempty"`
}

type passkeyUser struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// PasskeyRP returns the relying party id and the origins ceremonies may run on.
func (s *Service) PasskeyRP() (string, []string) {
	base, _ := url.Parse(s.cfg.BaseURL)
	id := s.cfg.PasskeyRPID
	if id == "" {
		id = base.Hostname()
	}
	origins := s.cfg.PasskeyOrigins
	if len(origins) == 0 {
		origins = []string{originOf(base)}
	}
	return id, origins
}

// PasskeyRegistrationOptions are the creation options of a registration, and the id of its
// challenge for the challenge cookie.
type PasskeyRegistrationOptions struct {
	ChallengeID string
	Challenge   string
	RPName      string
	RPID        string
	// UserHandle is base64url of a fresh random handle (Better Auth's userID).
	UserHandle, UserName, DisplayName string
	Exclude                           []Passkey
}

// PasskeyAuthenticationOptions are the request options of a sign-in, and the id of its
// challenge. Allow is nil unless the caller is signed in and has passkeys.
type PasskeyAuthenticationOptions struct {
	ChallengeID string
	Challenge   string
	RPID        string
	Allow       []Passkey
}

// newPasskeyChallenge returns 32 random bytes in base64url, as simplewebauthn makes them.
func newPasskeyChallenge() string { return token.Opaque(32) }

// newUserHandle is Better Auth's user handle: base64url of 32 random [a-z0-9] characters.
func newUserHandle() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, 32)
	buf := make([]byte, 64)
	for len(out) < 32 {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < 252 && len(out) < 32 { // 252 = 7*36: no bias
				out = append(out, alphabet[int(b)%36])
			}
		}
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// storeChallenge keeps c for PasskeyChallengeTTL and returns the id its cookie carries (Better
// Auth's shape: 32 characters of [A-Za-z0-9_-]); the row holds only the id's hash.
func (s *Service) storeChallenge(ctx context.Context, c passkeyChallenge) (string, error) {
	value, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	id := token.Opaque(24)
	err = s.store.BetterauthVerificationCreate(ctx, s.store.Pool(), dbsqlc.BetterauthVerificationCreateParams{
		ID: newID(), Identifier: passkeyChallengePrefix + tokenHash(id), Value: string(value),
		ExpiresAt: time.Now().Add(PasskeyChallengeTTL)})
	return id, db.Translate(err)
}

// takeChallenge uses up the challenge named by id (the verified cookie value) for a ceremony of
// kind; any failure is ErrChallengeNotFound.
func (s *Service) takeChallenge(ctx context.Context, id, kind string) (passkeyChallenge, error) {
	var c passkeyChallenge
	if id == "" {
		return c, ErrChallengeNotFound
	}
	v, err := s.store.BetterauthVerificationTake(ctx, s.store.Pool(), passkeyChallengePrefix+tokenHash(id))
	if notFound(err) {
		return c, ErrChallengeNotFound
	} else if err != nil {
		return c, db.Translate(err)
	}
	if json.Unmarshal([]byte(v.Value), &c) != nil || c.Type != kind || c.ExpectedChallenge == "" {
		return c, ErrChallengeNotFound
	}
	return c, nil
}

// StartPasskeyRegistration makes the creation options for a new passkey of a's user. name, when
// set, is the user name the authenticator shows; regContext is kept with the challenge.
func (s *Service) StartPasskeyRegistration(ctx context.Context, a *Auth, name, regContext string) (*PasskeyRegistrationOptions, error) {
	existing, err := s.store.BetterauthPasskeyListByUser(ctx, s.store.Pool(), a.User.ID)
	if err != nil {
		return nil, db.Translate(err)
	}
	rpID, _ := s.PasskeyRP()
	email := a.User.Email
	if email == "" {
		email = a.User.ID
	}
	out := &PasskeyRegistrationOptions{Challenge: newPasskeyChallenge(), RPName: s.cfg.AppName, RPID: rpID,
		UserHandle: newUserHandle(), UserName: email, DisplayName: email, Exclude: existing}
	if name != "" {
		out.UserName = name
	}
	c := passkeyChallenge{Type: "registration", ExpectedChallenge: out.Challenge,
		UserData: passkeyUser{ID: a.User.ID, Name: email, DisplayName: email}}
	c.Context = json.RawMessage("null")
	if regContext != "" {
		c.Context, _ = json.Marshal(regContext)
	}
	if out.ChallengeID, err = s.storeChallenge(ctx, c); err != nil {
		return nil, err
	}
	return out, nil
}

// StartPasskeyAuthentication makes the request options of a passkey sign-in; a (nil when signed
// out) limits them to the caller's passkeys.
func (s *Service) StartPasskeyAuthentication(ctx context.Context, a *Auth) (*PasskeyAuthenticationOptions, error) {
	rpID, _ := s.PasskeyRP()
	out := &PasskeyAuthenticationOptions{Challenge: newPasskeyChallenge(), RPID: rpID}
	c := passkeyChallenge{Type: "authentication", ExpectedChallenge: out.Challenge}
	if a != nil {
		c.UserData.ID = a.User.ID
		mine, err := s.store.BetterauthPasskeyListByUser(ctx, s.store.Pool(), a.User.ID)
		if err != nil {
			return nil, db.Translate(err)
		}
		if len(mine) > 0 {
			out.Allow = mine
		}
	}
	var err error
	if out.ChallengeID, err = s.storeChallenge(ctx, c); err != nil {
		return nil, err
	}
	return out, nil
}

// PasskeyRegistration is a registered passkey and, when one was asked for, a new session.
type PasskeyRegistration struct {
	Passkey Passkey
	Session *Auth
}

// FinishPasskeyRegistration verifies the authenticator's answer (the RegistrationResponseJSON
// object, as JSON) to the challenge named by challengeID and stores the passkey for a's user.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, a *Auth, challengeID string, response []byte, name string, createSession bool) (*PasskeyRegistration, error) {
	c, err := s.takeChallenge(ctx, challengeID, "registration")
	if err != nil {
		return nil, err
	}
	if c.UserData.ID != a.User.ID {
		return nil, ErrNotAllowedToRegisterPasskey
	}
	rpID, origins := s.PasskeyRP()
	pcc, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, failedRegistration(err)
	}
	params := make([]protocol.CredentialParameter, 0, len(PasskeyAlgorithms))
	for _, alg := range PasskeyAlgorithms {
		params = append(params, protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(alg)})
	}
	if _, err := pcc.Verify(c.ExpectedChallenge, rpID, origins, nil, nil, protocol.TopOriginExplicitVerificationMode,
		false, false, true, nil, params, protocol.AttestationPolicy{}, protocol.SignaturePolicy{}); err != nil {
		return nil, failedRegistration(err)
	}
	authData := pcc.Response.AttestationObject.AuthData
	flags := authData.Flags
	if flags.HasBackupState() && !flags.HasBackupEligible() {
		return nil, failedRegistration(errors.New("backup state without backup eligibility"))
	}
	if authData.Counter > math.MaxInt32 {
		return nil, failedRegistration(errors.New("signature counter out of range"))
	}
	deviceType := "singleDevice"
	if flags.HasBackupEligible() {
		deviceType = "multiDevice"
	}
	aaguid, err := uuid.FromBytes(authData.AttData.AAGUID)
	if err != nil {
		return nil, failedRegistration(err)
	}
	transports := strings.Join(pcc.Raw.AttestationResponse.Transports, ",")
	var label *string
	if n := strings.TrimSpace(name); n != "" {
		label = &n
	}
	out := &PasskeyRegistration{}
	err = s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		out.Passkey, err = s.store.BetterauthPasskeyCreate(ctx, tx, dbsqlc.BetterauthPasskeyCreateParams{
			ID: newID(), Name: label, PublicKey: base64.StdEncoding.EncodeToString(authData.AttData.CredentialPublicKey),
			UserID: a.User.ID, CredentialID: base64.RawURLEncoding.EncodeToString(authData.AttData.CredentialID),
			Counter: int32(authData.Counter), DeviceType: deviceType, BackedUp: flags.HasBackupState(),
			Transports: &transports, Aaguid: ptr(aaguid.String()),
		})
		if err != nil || !createSession {
			return err
		}
		user, err := s.store.BetterauthUserGet(ctx, tx, a.User.ID)
		if err != nil {
			return err
		}
		out.Session, err = s.createSession(ctx, tx, user, false)
		return err
	})
	if db.IsConflict(db.Translate(err), "") {
		return nil, failedRegistration(err) // the credential is registered already
	} else if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

// failedRegistration is ErrFailedToVerifyRegistration with its cause, for the logs.
func failedRegistration(cause error) error {
	e := *ErrFailedToVerifyRegistration
	e.Err = cause
	return &e
}

// FinishPasskeyAuthentication verifies an assertion (the AuthenticationResponseJSON object, as
// JSON) against the challenge named by challengeID and the passkey it names, moves the passkey's
// signature counter forward and signs its owner in.
func (s *Service) FinishPasskeyAuthentication(ctx context.Context, challengeID string, response []byte) (*Auth, error) {
	c, err := s.takeChallenge(ctx, challengeID, "authentication")
	if err != nil {
		return nil, err
	}
	var named struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(response, &named)
	if named.ID == "" {
		return nil, ErrPasskeyUnknownCredential
	}
	pk, err := s.store.BetterauthPasskeyByCredentialID(ctx, s.store.Pool(), named.ID)
	if notFound(err) {
		return nil, ErrPasskeyUnknownCredential
	} else if err != nil {
		return nil, db.Translate(err)
	}
	fail := func(base *apierror.Error, cause error) error {
		e := *base
		e.Err = cause
		return &e
	}
	par, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fail(ErrAuthenticationFailed, err)
	}
	key, err := base64.StdEncoding.DecodeString(pk.PublicKey)
	if err != nil {
		return nil, fail(ErrAuthenticationFailed, err)
	}
	rpID, origins := s.PasskeyRP()
	if err := par.Verify(c.ExpectedChallenge, rpID, "", origins, nil, nil, protocol.TopOriginExplicitVerificationMode,
		false, false, true, key, protocol.SignaturePolicy{}); err != nil {
		var perr *protocol.Error
		if errors.As(err, &perr) && perr.Type == protocol.ErrAssertionSignature.Type {
			return nil, fail(ErrBadPasskeySignature, err)
		}
		return nil, fail(ErrAuthenticationFailed, err)
	}
	// The signature counter must move forward, unless the authenticator keeps none (0 and 0):
	// a counter that lags is the mark of a cloned authenticator.
	next, seen := par.Response.AuthenticatorData.Counter, uint32(pk.Counter)
	if (next > 0 || seen > 0) && next <= seen || next > math.MaxInt32 {
		return nil, fail(ErrAuthenticationFailed, errors.New("signature counter did not move forward"))
	}
	var out *Auth
	err = s.store.InTx(ctx, func(tx db.DB) error {
		n, err := s.store.BetterauthPasskeyAdvanceCounter(ctx, tx, dbsqlc.BetterauthPasskeyAdvanceCounterParams{
			ID: pk.ID, SeenCounter: pk.Counter, NewCounter: int32(next)})
		if err != nil {
			return err
		}
		if n == 0 {
			return fail(ErrAuthenticationFailed, errors.New("signature counter moved meanwhile"))
		}
		user, err := s.store.BetterauthUserGet(ctx, tx, pk.UserID)
		if err != nil {
			return err
		}
		out, err = s.createSession(ctx, tx, user, false)
		return err
	})
	if err != nil {
		return nil, db.Translate(err)
	}
	return out, nil
}

// ListPasskeys returns the passkeys of a's user.
func (s *Service) ListPasskeys(ctx context.Context, a *Auth) ([]Passkey, error) {
	rows, err := s.store.BetterauthPasskeyListByUser(ctx, s.store.Pool(), a.User.ID)
	return rows, db.Translate(err)
}

// ownPasskey checks that the passkey id exists (else ErrPasskeyNotFound) and belongs to a's user
// (else notOwned).
func (s *Service) ownPasskey(ctx context.Context, a *Auth, id string, notOwned error) error {
	pk, err := s.store.BetterauthPasskeyGet(ctx, s.store.Pool(), id)
	if notFound(err) {
		return ErrPasskeyNotFound
	} else if err != nil {
		return db.Translate(err)
	}
	if pk.UserID != a.User.ID {
		return notOwned
	}
	return nil
}

// DeletePasskey deletes a passkey of a's user; another user's is ErrPasskeyNotOwned.
func (s *Service) DeletePasskey(ctx context.Context, a *Auth, id string) error {
	if err := s.ownPasskey(ctx, a, id, ErrPasskeyNotOwned); err != nil {
		return err
	}
	_, err := s.store.BetterauthPasskeyDelete(ctx, s.store.Pool(), dbsqlc.BetterauthPasskeyDeleteParams{ID: id, UserID: a.User.ID})
	return db.Translate(err)
}

// RenamePasskey renames a passkey of a's user; another user's is
// ErrNotAllowedToRegisterPasskey (Better Auth's code for it).
func (s *Service) RenamePasskey(ctx context.Context, a *Auth, id, name string) (Passkey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Passkey{}, ErrPasskeyNameBlank
	}
	if err := s.ownPasskey(ctx, a, id, ErrNotAllowedToRegisterPasskey); err != nil {
		return Passkey{}, err
	}
	pk, err := s.store.BetterauthPasskeyRename(ctx, s.store.Pool(), dbsqlc.BetterauthPasskeyRenameParams{ID: id, UserID: a.User.ID, Name: &name})
	if notFound(err) {
		return Passkey{}, ErrPasskeyNotFound // deleted meanwhile
	}
	return pk, db.Translate(err)
}
