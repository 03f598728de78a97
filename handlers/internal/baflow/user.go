package baflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
)

// UserUpdate is what update-user may change; nil fields stay as they are.
type UserUpdate struct {
	Name *string
	// SetImage says whether Image is to be stored (a nil Image then clears it).
	SetImage        bool
	Image           *string
	Username        *string
	DisplayUsername *string
}

// UpdateUser changes a's profile.
func (s *Service) UpdateUser(ctx context.Context, a *Auth, in UserUpdate) (User, error) {
	var username, display *string
	if in.Username != nil || in.DisplayUsername != nil {
		var err error
		if username, display, err = s.usernames(in.Username, in.DisplayUsername); err != nil {
			return User{}, err
		}
		if in.Username == nil && username != nil && a.User.Username != nil {
			username = nil // a new display name alone does not rename an account that has a username
		}
		if username != nil && (a.User.Username == nil || *a.User.Username != *username) {
			if taken, err := s.store.BetterauthUsernameTaken(ctx, s.store.Pool(), username); err != nil {
				return User{}, db.Translate(err)
			} else if taken {
				return User{}, ErrUsernameTaken
			}
		}
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return User{}, baError(400, "VALIDATION_ERROR", "[body.name] Name must not be empty")
	}
	u, err := s.store.BetterauthUserUpdateProfile(ctx, s.store.Pool(), dbsqlc.BetterauthUserUpdateProfileParams{
		ID: a.User.ID, Name: in.Name, SetImage: in.SetImage, Image: in.Image,
		Username: username, DisplayUsername: display,
	})
	var conflict *db.ConflictError
	if errors.As(db.Translate(err), &conflict) {
		return User{}, ErrUsernameTaken
	} else if err != nil {
		return User{}, db.Translate(err)
	}
	return u, nil
}

// Roles are the roles Better Auth's admin plugin knows by default; a user's
// role column holds one of them or several joined by commas, as the plugin
// stores a list.
var Roles = []string{"admin", "user"}

// SetRole gives the account with email a role (the server's set-role command):
// one of Roles, or several joined by commas ("admin,user").
func (s *Service) SetRole(ctx context.Context, email, role string) (User, error) {
	role, err := normalizeRole(role)
	if err != nil {
		return User{}, err
	}
	email = normalizeEmail(email)
	u, err := s.store.BetterauthUserSetRoleByEmail(ctx, s.store.Pool(), dbsqlc.BetterauthUserSetRoleByEmailParams{
		Email: email, Role: &role})
	if notFound(err) {
		return User{}, fmt.Errorf("no user with email %s", email)
	}
	return u, db.Translate(err)
}

// normalizeRole checks that every comma-separated part of role is one of
// Roles and returns them joined without spaces or repeats.
func normalizeRole(role string) (string, error) {
	var out []string
	for _, part := range strings.Split(role, ",") {
		part = strings.TrimSpace(part)
		if !slices.Contains(Roles, part) {
			return "", fmt.Errorf("unknown role %q (want %s, or several joined by commas)", part, strings.Join(Roles, " or "))
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return strings.Join(out, ","), nil
}
