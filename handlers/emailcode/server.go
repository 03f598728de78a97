package emailcode

import (
	"context"
	"net/http"
	"time"

	"gatehouse/gen/emailcodeapi"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/reqctx"
)

// Server implements emailcodeapi.StrictServerInterface.
type Server struct {
	flow *authflow.EmailCode
}

var _ emailcodeapi.StrictServerInterface = (*Server)(nil)

// New returns the API over its flows.
func New(flow *authflow.EmailCode) *Server { return &Server{flow: flow} }

// RequestCode sends a sign-in code.
func (s *Server) RequestCode(ctx context.Context, req emailcodeapi.RequestCodeRequestObject) (emailcodeapi.RequestCodeResponseObject, error) {
	dashboard := req.Body.IsDashboardLogin != nil && *req.Body.IsDashboardLogin
	expires, err := s.flow.RequestCode(ctx, string(req.Body.Email), dashboard)
	if err != nil {
		return nil, err
	}
	return emailcodeapi.RequestCode202JSONResponse{
		Data:     emailcodeapi.CodeRequested{ExpiresAt: expires.UTC()},
		Metadata: metadata(ctx),
	}, nil
}

// VerifyCode signs in with a code.
func (s *Server) VerifyCode(ctx context.Context, req emailcodeapi.VerifyCodeRequestObject) (emailcodeapi.VerifyCodeResponseObject, error) {
	user, tok, err := s.flow.VerifyCode(ctx, string(req.Body.Email), req.Body.Code, reqctx.From(ctx).Bearer)
	if err != nil {
		return nil, err
	}
	return emailcodeapi.VerifyCode200JSONResponse(authSuccess(ctx, user, tok)), nil
}

// SignInAnonymously creates and signs in a guest.
func (s *Server) SignInAnonymously(ctx context.Context, _ emailcodeapi.SignInAnonymouslyRequestObject) (emailcodeapi.SignInAnonymouslyResponseObject, error) {
	user, tok, err := s.flow.SignInAnonymously(ctx)
	if err != nil {
		return nil, err
	}
	return emailcodeapi.SignInAnonymously200JSONResponse(authSuccess(ctx, user, tok)), nil
}

// GetMe returns the signed-in user.
func (s *Server) GetMe(ctx context.Context, _ emailcodeapi.GetMeRequestObject) (emailcodeapi.GetMeResponseObject, error) {
	user, err := s.flow.CurrentUser(ctx, reqctx.From(ctx).Bearer)
	if err != nil {
		return nil, err
	}
	return emailcodeapi.GetMe200JSONResponse{Data: toUser(user), Metadata: metadata(ctx)}, nil
}

// SignOut ends the token's session.
func (s *Server) SignOut(ctx context.Context, _ emailcodeapi.SignOutRequestObject) (emailcodeapi.SignOutResponseObject, error) {
	if err := s.flow.SignOut(ctx, reqctx.From(ctx).Bearer); err != nil {
		return nil, err
	}
	return emailcodeapi.SignOut204Response{}, nil
}

// DeleteAccount deletes the signed-in user.
func (s *Server) DeleteAccount(ctx context.Context, _ emailcodeapi.DeleteAccountRequestObject) (emailcodeapi.DeleteAccountResponseObject, error) {
	if err := s.flow.DeleteAccount(ctx, reqctx.From(ctx).Bearer); err != nil {
		return nil, err
	}
	return emailcodeapi.DeleteAccount204Response{}, nil
}

// RenderError writes e in this API's error body: {"error": {"code", "message"[, "requestId"]}}.
func RenderError(w http.ResponseWriter, r *http.Request, e *apierror.Error) {
	apierror.WriteNested(w, e, e.Code, e.Message, reqctx.From(r.Context()).RequestID)
}

func metadata(ctx context.Context) emailcodeapi.Metadata {
	return emailcodeapi.Metadata{RequestId: reqctx.From(ctx).RequestID, Timestamp: time.Now().UTC()}
}
