package emailcode

import (
	"context"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"gatehouse/gen/emailcodeapi"
	"gatehouse/handlers/internal/authflow"
)

func toUser(u authflow.User) emailcodeapi.User {
	out := emailcodeapi.User{
		Id:           u.ID,
		IsAnonymous:  u.IsAnonymous,
		Role:         emailcodeapi.UserRole(u.Role),
		CreatedAt:    u.CreatedAt.UTC(),
		UpdatedAt:    u.UpdatedAt.UTC(),
		LastSignInAt: u.LastSignInAt,
	}
	if u.Email != nil {
		e := openapi_types.Email(*u.Email)
		out.Email = &e
	}
	if out.LastSignInAt != nil {
		t := out.LastSignInAt.UTC()
		out.LastSignInAt = &t
	}
	return out
}

func authSuccess(ctx context.Context, u authflow.User, tok string) emailcodeapi.AuthSuccessResponse {
	return emailcodeapi.AuthSuccessResponse{
		Data:     emailcodeapi.AuthSuccess{User: toUser(u), Token: tok},
		Metadata: metadata(ctx),
	}
}
