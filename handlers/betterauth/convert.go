package betterauth

import (
	"errors"
	"strings"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"gatehouse/gen/betterauthapi"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/betterauth/jstime"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/baflow"
)

// toUser is a user as Better Auth sends it, every field present. Rows moved over from a Node
// deployment without the admin or two-factor plugins hold nulls there; they read as defaults.
func toUser(u baflow.User) betterauthapi.User {
	out := betterauthapi.User{Id: u.ID, Name: u.Name, Email: openapi_types.Email(u.Email), EmailVerified: u.EmailVerified,
		Image: u.Image, CreatedAt: jstime.From(u.CreatedAt), UpdatedAt: jstime.From(u.UpdatedAt),
		Username: u.Username, DisplayUsername: u.DisplayUsername, Role: "user", BanReason: u.BanReason,
		BanExpires: jstime.Ptr(u.BanExpires)}
	if u.Role != nil {
		out.Role = *u.Role
	}
	if u.Banned != nil {
		out.Banned = *u.Banned
	}
	if u.TwoFactorEnabled != nil {
		out.TwoFactorEnabled = *u.TwoFactorEnabled
	}
	return out
}

// toSession is a session as Better Auth sends it; Token is what the flows put there (the
// token itself for the caller's own session).
func toSession(s dbsqlc.BetterauthSession) betterauthapi.Session {
	return betterauthapi.Session{Id: s.ID, Token: s.Token, UserId: s.UserID, ExpiresAt: jstime.From(s.ExpiresAt),
		CreatedAt: jstime.From(s.CreatedAt), UpdatedAt: jstime.From(s.UpdatedAt), IpAddress: s.IPAddress,
		UserAgent: s.UserAgent, ImpersonatedBy: s.ImpersonatedBy, ActiveOrganizationId: s.ActiveOrganizationID}
}

// toAccount is a linked account without its secrets.
func toAccount(a dbsqlc.BetterauthAccount) betterauthapi.Account {
	scopes := []string{}
	if a.Scope != nil && *a.Scope != "" {
		scopes = strings.Split(*a.Scope, ",")
	}
	return betterauthapi.Account{Id: a.ID, ProviderId: a.ProviderID, AccountId: a.AccountID, UserId: a.UserID,
		CreatedAt: jstime.From(a.CreatedAt), UpdatedAt: jstime.From(a.UpdatedAt), Scopes: scopes}
}

// errorCode is the Better Auth code of err, "" for unexpected errors.
func errorCode(err error) string {
	var api *apierror.Error
	if errors.As(err, &api) && api.Status < 500 {
		return api.Code
	}
	return ""
}
