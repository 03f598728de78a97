package betterauth

import (
	"context"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/internal/bacookie"
	"gatehouse/handlers/internal/baflow"
)

// Cookies of the two-factor plugin.
const (
	// twoFactorCookie holds a sign-in's challenge (Max-Age 600).
	twoFactorCookie = "two_factor"
	// trustDeviceCookie marks a browser trusted to skip the second factor (30 days).
	trustDeviceCookie = "trust_device"
)

// signInAnswer is a sign-in's session answer in the union sign-in operations answer with.
func signInAnswer(res betterauthapi.SignInResult) betterauthapi.SignInAnswer {
	var out betterauthapi.SignInAnswer
	_ = out.FromSignInResult(res) // marshalling a generated struct does not fail
	return out
}

// twoFactorGate applies two-factor authentication to a password sign-in that created a: nil
// when the sign-in proceeds (a trusted browser then gets a new trust cookie), else the
// {twoFactorRedirect, twoFactorMethods} answer, a's session deleted, the challenge cookie set
// and the session cookies expired, as Better Auth's after-hook does.
func (s *Server) twoFactorGate(ctx context.Context, a *baflow.Auth, dontRemember bool) (*betterauthapi.SignInAnswer, error) {
	trust, _ := s.jar.Read(request(ctx), trustDeviceCookie)
	gate, err := s.flows.TwoFactorGate(ctx, a, trust)
	if err != nil {
		return nil, err
	}
	if gate.TrustDevice != "" {
		setCookies(ctx, s.jar.Signed(trustDeviceCookie, gate.TrustDevice, baflow.TrustDeviceTTL))
	}
	if gate.Challenge == "" {
		return nil, nil
	}
	if dontRemember {
		setCookies(ctx, s.jar.Signed(bacookie.DontRemember, "true", 0))
	}
	if gate.ExpireTrust {
		setCookies(ctx, s.jar.Expired(trustDeviceCookie))
	}
	setCookies(ctx, s.jar.Expired(bacookie.SessionToken), s.jar.Expired(bacookie.SessionData),
		s.jar.Signed(twoFactorCookie, gate.Challenge, baflow.ChallengeTTL))
	methods := make([]betterauthapi.TwoFactorRedirectResultTwoFactorMethods, len(gate.Methods))
	for i, m := range gate.Methods {
		methods[i] = betterauthapi.TwoFactorRedirectResultTwoFactorMethods(m)
	}
	var out betterauthapi.SignInAnswer
	err = out.FromTwoFactorRedirectResult(betterauthapi.TwoFactorRedirectResult{TwoFactorRedirect: true, TwoFactorMethods: methods})
	return &out, err
}

// twoFactorCaller is the browser asking for a verification: its session, or else its sign-in
// challenge cookie and dont_remember marker.
func (s *Server) twoFactorCaller(ctx context.Context) (baflow.TwoFactorCaller, error) {
	a, err := s.session(ctx, false)
	if err != nil || a != nil {
		return baflow.TwoFactorCaller{Session: a}, err
	}
	r := request(ctx)
	c := baflow.TwoFactorCaller{}
	c.Challenge, _ = s.jar.Read(r, twoFactorCookie)
	_, c.DontRemember = s.jar.Read(r, bacookie.DontRemember)
	return c, nil
}

// twoFactorResult hands the outcome of a right code to the browser: the new session's cookie
// (with the challenge cookie expired after a sign-in), the trust cookie, and the body.
func (s *Server) twoFactorResult(ctx context.Context, p *baflow.TwoFactorPass) betterauthapi.TwoFactorSessionResult {
	if p.Session != nil && p.SignedIn {
		_, had := s.jar.Read(request(ctx), bacookie.DontRemember)
		setCookies(ctx, s.jar.Session(p.Session.Session.Token, p.DontRemember, had)...)
		setCookies(ctx, s.jar.Expired(twoFactorCookie))
	} else if p.Session != nil {
		s.resendSession(ctx, p.Session)
	}
	if p.TrustDevice != "" {
		setCookies(ctx, s.jar.Signed(trustDeviceCookie, p.TrustDevice, baflow.TrustDeviceTTL), s.jar.Expired(bacookie.DontRemember))
	}
	out := betterauthapi.TwoFactorSessionResult{User: toUser(p.User)}
	if p.Token != "" {
		out.Token = &p.Token
	}
	return out
}

// twoFactorFailed expires the challenge cookie when err ended the sign-in challenge.
func (s *Server) twoFactorFailed(ctx context.Context, err error) error {
	if baflow.EndsChallenge(err) {
		setCookies(ctx, s.jar.Expired(twoFactorCookie))
	}
	return err
}

// EnableTwoFactor starts setting up two-factor authentication (TOTP, or codes by mail).
func (s *Server) EnableTwoFactor(ctx context.Context, req betterauthapi.EnableTwoFactorRequestObject) (betterauthapi.EnableTwoFactorResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	method := "totp"
	if req.Body.Method != nil {
		method = string(*req.Body.Method)
	}
	res, err := s.flows.EnableTwoFactor(ctx, a, req.Body.Password, method, str(req.Body.Issuer))
	if err != nil {
		return nil, err
	}
	out := betterauthapi.EnableTwoFactor200JSONResponse{Method: betterauthapi.TwoFactorEnableResultMethod(res.Method)}
	if res.Method == "totp" {
		out.TotpURI, out.BackupCodes = &res.TOTPURI, &res.BackupCodes
	}
	return out, nil
}

// DisableTwoFactor turns two-factor authentication off and forgets every trusted device.
func (s *Server) DisableTwoFactor(ctx context.Context, req betterauthapi.DisableTwoFactorRequestObject) (betterauthapi.DisableTwoFactorResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	_, hadTrust := s.jar.Read(request(ctx), trustDeviceCookie)
	next, err := s.flows.DisableTwoFactor(ctx, a, req.Body.Password)
	if err != nil {
		return nil, err
	}
	s.resendSession(ctx, next)
	if hadTrust {
		setCookies(ctx, s.jar.Expired(trustDeviceCookie))
	}
	return betterauthapi.DisableTwoFactor200JSONResponse{Body: betterauthapi.StatusResult{Status: true}}, nil
}

// GetTotpUri shows the TOTP URI of the stored secret again.
func (s *Server) GetTotpUri(ctx context.Context, req betterauthapi.GetTotpUriRequestObject) (betterauthapi.GetTotpUriResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	uri, err := s.flows.GetTOTPURI(ctx, a, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GetTotpUri200JSONResponse{TotpURI: uri}, nil
}

// VerifyTotp checks a TOTP code, to finish setting up or to sign in.
func (s *Server) VerifyTotp(ctx context.Context, req betterauthapi.VerifyTotpRequestObject) (betterauthapi.VerifyTotpResponseObject, error) {
	c, err := s.twoFactorCaller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.flows.VerifyTOTP(ctx, c, req.Body.Code, isTrue(req.Body.TrustDevice))
	if err != nil {
		return nil, s.twoFactorFailed(ctx, err)
	}
	return betterauthapi.VerifyTotp200JSONResponse{Body: s.twoFactorResult(ctx, p)}, nil
}

// SendTwoFactorOtp mails a one-time code.
func (s *Server) SendTwoFactorOtp(ctx context.Context, _ betterauthapi.SendTwoFactorOtpRequestObject) (betterauthapi.SendTwoFactorOtpResponseObject, error) {
	c, err := s.twoFactorCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.SendTwoFactorOTP(ctx, c); err != nil {
		return nil, err
	}
	return betterauthapi.SendTwoFactorOtp200JSONResponse{Status: true}, nil
}

// VerifyTwoFactorOtp checks a mailed code, to turn two-factor authentication on or to sign in.
func (s *Server) VerifyTwoFactorOtp(ctx context.Context, req betterauthapi.VerifyTwoFactorOtpRequestObject) (betterauthapi.VerifyTwoFactorOtpResponseObject, error) {
	c, err := s.twoFactorCaller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.flows.VerifyTwoFactorOTP(ctx, c, req.Body.Code, isTrue(req.Body.TrustDevice))
	if err != nil {
		return nil, s.twoFactorFailed(ctx, err)
	}
	return betterauthapi.VerifyTwoFactorOtp200JSONResponse{Body: s.twoFactorResult(ctx, p)}, nil
}

// VerifyBackupCode redeems a backup code.
func (s *Server) VerifyBackupCode(ctx context.Context, req betterauthapi.VerifyBackupCodeRequestObject) (betterauthapi.VerifyBackupCodeResponseObject, error) {
	c, err := s.twoFactorCaller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	p, err := s.flows.VerifyBackupCode(ctx, c, b.Code, isTrue(b.DisableSession), isTrue(b.TrustDevice))
	if err != nil {
		return nil, s.twoFactorFailed(ctx, err)
	}
	return betterauthapi.VerifyBackupCode200JSONResponse{Body: s.twoFactorResult(ctx, p)}, nil
}

// GenerateBackupCodes replaces the backup codes.
func (s *Server) GenerateBackupCodes(ctx context.Context, req betterauthapi.GenerateBackupCodesRequestObject) (betterauthapi.GenerateBackupCodesResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := s.flows.GenerateBackupCodes(ctx, a, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GenerateBackupCodes200JSONResponse{Status: true, BackupCodes: codes}, nil
}
