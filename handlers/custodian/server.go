package custodian

import (
	"context"

	"gatehouse/gen/custodianapi"
	"gatehouse/handlers/internal/custodianflow"
)

// Server implements custodianapi.StrictServerInterface.
type Server struct {
	flow *custodianflow.Service
}

var _ custodianapi.StrictServerInterface = (*Server)(nil)

// New returns the API over its flows.
func New(flow *custodianflow.Service) *Server { return &Server{flow: flow} }

// Login logs in with a password or a login token.
func (s *Server) Login(ctx context.Context, req custodianapi.LoginRequestObject) (custodianapi.LoginResponseObject, error) {
	tok, err := s.flow.Login(ctx, string(req.Body.Email), req.Body.Password, req.Body.Token)
	if err != nil {
		return nil, err
	}
	return custodianapi.Login200JSONResponse{Token: tok}, nil
}

// RequestLoginToken mails a login token when the address has an account.
func (s *Server) RequestLoginToken(ctx context.Context, req custodianapi.RequestLoginTokenRequestObject) (custodianapi.RequestLoginTokenResponseObject, error) {
	if err := s.flow.RequestLoginToken(ctx, string(req.Body.Email)); err != nil {
		return nil, err
	}
	return custodianapi.RequestLoginToken200JSONResponse{
		Message: "If the address has an account, a login token is on its way."}, nil
}

// Register creates an account.
func (s *Server) Register(ctx context.Context, req custodianapi.RegisterRequestObject) (custodianapi.RegisterResponseObject, error) {
	u, err := s.flow.Register(ctx, string(req.Body.Email), req.Body.Password)
	if err != nil {
		return nil, err
	}
	return custodianapi.Register201JSONResponse(toUser(u)), nil
}

// ChangePassword changes the signed-in user's password.
func (s *Server) ChangePassword(ctx context.Context, req custodianapi.ChangePasswordRequestObject) (custodianapi.ChangePasswordResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flow.ChangePassword(ctx, p, req.Body.OldPassword, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return custodianapi.ChangePassword200JSONResponse{
		Message: "Password changed; every other session has ended."}, nil
}

// ChangeEmail changes the signed-in user's address and ends all their sessions.
func (s *Server) ChangeEmail(ctx context.Context, req custodianapi.ChangeEmailRequestObject) (custodianapi.ChangeEmailResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flow.ChangeEmail(ctx, p, string(req.Body.Email))
	if err != nil {
		return nil, err
	}
	return custodianapi.ChangeEmail200JSONResponse(toUser(u)), nil
}

// GetMyProfile returns the signed-in user's profile.
func (s *Server) GetMyProfile(ctx context.Context, _ custodianapi.GetMyProfileRequestObject) (custodianapi.GetMyProfileResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flow.Profile(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return custodianapi.GetMyProfile200JSONResponse{ProfileJSONResponse: toProfile(u)}, nil
}

// UpdateMyProfile sets fields of the signed-in user's profile.
func (s *Server) UpdateMyProfile(ctx context.Context, req custodianapi.UpdateMyProfileRequestObject) (custodianapi.UpdateMyProfileResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flow.UpdateProfile(ctx, p, p.UserID, fromProfileUpdate(*req.Body))
	if err != nil {
		return nil, err
	}
	return custodianapi.UpdateMyProfile200JSONResponse{ProfileJSONResponse: toProfile(u)}, nil
}

// GetUserProfile returns a user's profile, for admins.
func (s *Server) GetUserProfile(ctx context.Context, req custodianapi.GetUserProfileRequestObject) (custodianapi.GetUserProfileResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.flow.UserProfile(ctx, p, req.UserId)
	if err != nil {
		return nil, err
	}
	return custodianapi.GetUserProfile200JSONResponse{ProfileJSONResponse: toProfile(u)}, nil
}

// UpdateUserProfile sets fields of a user's profile, for admins.
func (s *Server) UpdateUserProfile(ctx context.Context, req custodianapi.UpdateUserProfileRequestObject) (custodianapi.UpdateUserProfileResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin {
		return nil, custodianflow.ErrForbidden
	}
	u, err := s.flow.UpdateProfile(ctx, p, req.UserId, fromProfileUpdate(*req.Body))
	if err != nil {
		return nil, err
	}
	return custodianapi.UpdateUserProfile200JSONResponse{ProfileJSONResponse: toProfile(u)}, nil
}

// GetNotificationSettings returns the signed-in user's settings of a channel.
func (s *Server) GetNotificationSettings(ctx context.Context, req custodianapi.GetNotificationSettingsRequestObject) (custodianapi.GetNotificationSettingsResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.flow.Notifications(ctx, p.UserID, string(req.Channel))
	if err != nil {
		return nil, err
	}
	return custodianapi.GetNotificationSettings200JSONResponse{NotificationSettingsJSONResponse: toNotifications(n)}, nil
}

// UpdateNotificationSettings sets flags of the signed-in user's channel.
func (s *Server) UpdateNotificationSettings(ctx context.Context, req custodianapi.UpdateNotificationSettingsRequestObject) (custodianapi.UpdateNotificationSettingsResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	n, err := s.flow.UpdateNotifications(ctx, p.UserID, string(req.Channel), custodianflow.NotificationUpdate{
		Enabled: b.Enabled, Alerts: b.Alerts, Updates: b.Updates, Reminders: b.Reminders,
		Newsletters: b.Newsletters, Marketing: b.Marketing})
	if err != nil {
		return nil, err
	}
	return custodianapi.UpdateNotificationSettings200JSONResponse{NotificationSettingsJSONResponse: toNotifications(n)}, nil
}

// ListUserEvents lists a user's events, newest first.
func (s *Server) ListUserEvents(ctx context.Context, req custodianapi.ListUserEventsRequestObject) (custodianapi.ListUserEventsResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	var limit int
	var before int64
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	if req.Params.Before != nil {
		before = *req.Params.Before
	}
	events, err := s.flow.Events(ctx, p, req.UserId, limit, before)
	if err != nil {
		return nil, err
	}
	return toEvents(events)
}

// SetUserRateLimit sets a user's rate limit, for admins.
func (s *Server) SetUserRateLimit(ctx context.Context, req custodianapi.SetUserRateLimitRequestObject) (custodianapi.SetUserRateLimitResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flow.SetRateLimit(ctx, p, req.UserId, int32(req.Body.WindowSeconds), int32(req.Body.RequestsPerWindow)); err != nil {
		return nil, err
	}
	return custodianapi.SetUserRateLimit200JSONResponse(*req.Body), nil
}

// DeleteUserRateLimit removes a user's rate limit, for admins.
func (s *Server) DeleteUserRateLimit(ctx context.Context, req custodianapi.DeleteUserRateLimitRequestObject) (custodianapi.DeleteUserRateLimitResponseObject, error) {
	p, err := s.flow.Principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flow.SetRateLimit(ctx, p, req.UserId, 0, 0); err != nil {
		return nil, err
	}
	return custodianapi.DeleteUserRateLimit204Response{}, nil
}
