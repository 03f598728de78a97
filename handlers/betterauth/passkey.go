package betterauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/betterauth/jstime"
	"gatehouse/handlers/internal/baflow"
)

// The passkey plugin (@better-auth/passkey): WebAuthn registration and sign-in, and the user's
// passkey list. The flows check and store; these handlers move the challenge cookie and shape the
// options and rows as simplewebauthn and Better Auth write them.

// toPasskey is a passkey row as Better Auth returns it.
func toPasskey(p baflow.Passkey) betterauthapi.Passkey {
	return betterauthapi.Passkey{Id: p.ID, Name: p.Name, PublicKey: p.PublicKey, UserId: p.UserID,
		CredentialID: p.CredentialID, Counter: int(p.Counter), DeviceType: betterauthapi.PasskeyDeviceType(p.DeviceType),
		BackedUp: p.BackedUp, Transports: p.Transports, CreatedAt: jstime.Ptr(p.CreatedAt), Aaguid: p.Aaguid}
}

// descriptors are passkeys as simplewebauthn lists them in options: the stored transports split
// on "," (absent when none are stored).
func descriptors(ps []baflow.Passkey) []betterauthapi.PasskeyCredentialDescriptor {
	out := make([]betterauthapi.PasskeyCredentialDescriptor, 0, len(ps))
	for _, p := range ps {
		d := betterauthapi.PasskeyCredentialDescriptor{Id: p.CredentialID, Type: "public-key"}
		if p.Transports != nil {
			t := strings.Split(*p.Transports, ",")
			d.Transports = &t
		}
		out = append(out, d)
	}
	return out
}

// challengeCookie hands the id of a ceremony's challenge to the browser.
func (s *Server) challengeCookie(ctx context.Context, id string) {
	setCookies(ctx, s.jar.Signed(baflow.PasskeyChallengeCookie, id, baflow.PasskeyChallengeTTL))
}

// challengeID is the verified challenge id the browser sent back ("" without one).
func (s *Server) challengeID(ctx context.Context) string {
	id, _ := s.jar.Read(request(ctx), baflow.PasskeyChallengeCookie)
	return id
}

// GeneratePasskeyRegistrationOptions starts registering a passkey for the session user.
func (s *Server) GeneratePasskeyRegistrationOptions(ctx context.Context, req betterauthapi.GeneratePasskeyRegistrationOptionsRequestObject) (betterauthapi.GeneratePasskeyRegistrationOptionsResponseObject, error) {
	a, err := s.requireFreshSession(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	o, err := s.flows.StartPasskeyRegistration(ctx, a, str(p.Name), str(p.Context))
	if err != nil {
		return nil, err
	}
	s.challengeCookie(ctx, o.ChallengeID)
	var body betterauthapi.PasskeyRegistrationOptions
	body.Challenge, body.Attestation, body.Timeout = o.Challenge, "none", 60000
	body.Rp.Name, body.Rp.Id = o.RPName, o.RPID
	body.User.Id, body.User.Name, body.User.DisplayName = o.UserHandle, o.UserName, o.DisplayName
	for _, alg := range baflow.PasskeyAlgorithms {
		body.PubKeyCredParams = append(body.PubKeyCredParams, struct {
			Alg  int                                                          `json:"alg"`
			Type betterauthapi.PasskeyRegistrationOptionsPubKeyCredParamsType `json:"type"`
		}{Alg: alg, Type: "public-key"})
	}
	body.ExcludeCredentials = descriptors(o.Exclude)
	sel := &body.AuthenticatorSelection
	sel.ResidentKey, sel.UserVerification, sel.RequireResidentKey = "preferred", "preferred", false
	if p.AuthenticatorAttachment != nil {
		att := betterauthapi.PasskeyRegistrationOptionsAuthenticatorSelectionAuthenticatorAttachment(*p.AuthenticatorAttachment)
		sel.AuthenticatorAttachment = &att
	}
	body.Extensions.CredProps = true
	body.Hints = []string{}
	return betterauthapi.GeneratePasskeyRegistrationOptions200JSONResponse{Body: body}, nil
}

// authenticationOptions starts a passkey sign-in (for the session user's passkeys, if signed in).
func (s *Server) authenticationOptions(ctx context.Context) (betterauthapi.PasskeyAuthenticationOptions, error) {
	var body betterauthapi.PasskeyAuthenticationOptions
	a, err := s.session(ctx, false)
	if err != nil {
		return body, err
	}
	o, err := s.flows.StartPasskeyAuthentication(ctx, a)
	if err != nil {
		return body, err
	}
	s.challengeCookie(ctx, o.ChallengeID)
	body.RpId, body.Challenge, body.Timeout, body.UserVerification = o.RPID, o.Challenge, 60000, "preferred"
	if o.Allow != nil {
		allow := descriptors(o.Allow)
		body.AllowCredentials = &allow
	}
	return body, nil
}

// GeneratePasskeyAuthenticationOptions starts a passkey sign-in (the 1.7 client's GET).
func (s *Server) GeneratePasskeyAuthenticationOptions(ctx context.Context, _ betterauthapi.GeneratePasskeyAuthenticationOptionsRequestObject) (betterauthapi.GeneratePasskeyAuthenticationOptionsResponseObject, error) {
	body, err := s.authenticationOptions(ctx)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GeneratePasskeyAuthenticationOptions200JSONResponse{Body: body}, nil
}

// GeneratePasskeyAuthenticationOptionsPost is GeneratePasskeyAuthenticationOptions by POST, as
// the 1.1.0 document has it.
func (s *Server) GeneratePasskeyAuthenticationOptionsPost(ctx context.Context, _ betterauthapi.GeneratePasskeyAuthenticationOptionsPostRequestObject) (betterauthapi.GeneratePasskeyAuthenticationOptionsPostResponseObject, error) {
	body, err := s.authenticationOptions(ctx)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GeneratePasskeyAuthenticationOptionsPost200JSONResponse{Body: body}, nil
}

// PasskeyVerifyRegistration finishes registering a passkey for the session user.
func (s *Server) PasskeyVerifyRegistration(ctx context.Context, req betterauthapi.PasskeyVerifyRegistrationRequestObject) (betterauthapi.PasskeyVerifyRegistrationResponseObject, error) {
	a, err := s.requireFreshSession(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	response, err := json.Marshal(b.Response)
	if err != nil {
		return nil, err
	}
	res, err := s.flows.FinishPasskeyRegistration(ctx, a, s.challengeID(ctx), response, str(b.Name), isTrue(b.CreateSession))
	if err != nil {
		return nil, err
	}
	p := toPasskey(res.Passkey)
	out := betterauthapi.PasskeyRegistrationResult{Id: p.Id, Name: p.Name, PublicKey: p.PublicKey, UserId: p.UserId,
		CredentialID: p.CredentialID, Counter: p.Counter, DeviceType: betterauthapi.PasskeyRegistrationResultDeviceType(p.DeviceType),
		BackedUp: p.BackedUp, Transports: p.Transports, CreatedAt: p.CreatedAt, Aaguid: p.Aaguid}
	if res.Session != nil {
		s.signedIn(ctx, res.Session, false)
		sess, user := toSession(res.Session.Session), toUser(res.Session.User)
		out.Session, out.User = &sess, &user
	}
	return betterauthapi.PasskeyVerifyRegistration200JSONResponse{Body: out}, nil
}

// PasskeyVerifyAuthentication signs in with a passkey.
func (s *Server) PasskeyVerifyAuthentication(ctx context.Context, req betterauthapi.PasskeyVerifyAuthenticationRequestObject) (betterauthapi.PasskeyVerifyAuthenticationResponseObject, error) {
	response, err := json.Marshal(req.Body.Response)
	if err != nil {
		return nil, err
	}
	a, err := s.flows.FinishPasskeyAuthentication(ctx, s.challengeID(ctx), response)
	if err != nil {
		return nil, err
	}
	s.signedIn(ctx, a, false)
	return betterauthapi.PasskeyVerifyAuthentication200JSONResponse{Body: betterauthapi.PasskeySignInResult{
		Session: toSession(a.Session), User: toUser(a.User)}}, nil
}

// ListPasskeys lists the session user's passkeys.
func (s *Server) ListPasskeys(ctx context.Context, _ betterauthapi.ListPasskeysRequestObject) (betterauthapi.ListPasskeysResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.flows.ListPasskeys(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make(betterauthapi.ListPasskeys200JSONResponse, 0, len(rows))
	for _, r := range rows {
		out = append(out, toPasskey(r))
	}
	return out, nil
}

// emptyUnauthorized is Better Auth's bodiless 401 (delete-passkey of another user's passkey).
type emptyUnauthorized struct{}

func (emptyUnauthorized) VisitDeletePasskeyResponse(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusUnauthorized)
	return nil
}

// DeletePasskey deletes one of the session user's passkeys.
func (s *Server) DeletePasskey(ctx context.Context, req betterauthapi.DeletePasskeyRequestObject) (betterauthapi.DeletePasskeyResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.DeletePasskey(ctx, a, req.Body.Id); errors.Is(err, baflow.ErrPasskeyNotOwned) {
		return emptyUnauthorized{}, nil
	} else if err != nil {
		return nil, err
	}
	return betterauthapi.DeletePasskey200JSONResponse{Status: true}, nil
}

// UpdatePasskey renames one of the session user's passkeys.
func (s *Server) UpdatePasskey(ctx context.Context, req betterauthapi.UpdatePasskeyRequestObject) (betterauthapi.UpdatePasskeyResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.flows.RenamePasskey(ctx, a, req.Body.Id, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return betterauthapi.UpdatePasskey200JSONResponse{Passkey: toPasskey(p)}, nil
}
