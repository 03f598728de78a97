// Package baaccess is Better Auth's access control (its plugins/access module): statements name
// the actions each resource has, roles grant some of them, and a check asks whether a role
// string grants every requested action. The admin plugin's default roles live here; plugins
// with roles of their own (organizations) build their Control with New.
package baaccess

import "slices"

// Permissions are actions by resource, e.g. {"user": ["ban", "list"]}.
type Permissions map[string][]string

// Control is a set of named roles and the role a user without one has.
type Control struct {
	roles       map[string]Permissions
	defaultRole string
}

// New returns a Control over roles; defaultRole applies to an empty role string.
func New(roles map[string]Permissions, defaultRole string) *Control {
	return &Control{roles: roles, defaultRole: defaultRole}
}

// AdminStatements are the admin plugin's resources and actions.
var AdminStatements = Permissions{
	"user": {"create", "list", "set-role", "ban", "impersonate", "impersonate-admins", "delete",
		"set-password", "set-email", "set-phone", "get", "update"},
	"session": {"list", "revoke", "delete"},
}

// Admin is the admin plugin's default access control: "admin" may do every user action but
// impersonate-admins and every session action; "user" may do nothing. Users without a role
// are "user".
var Admin = New(map[string]Permissions{
	"admin": {
		"user": {"create", "list", "set-role", "ban", "impersonate", "delete", "set-password",
			"set-email", "set-phone", "get", "update"},
		"session": {"list", "revoke", "delete"},
	},
	"user": {},
}, "user")

// Allows reports whether role (one role, or several joined by commas, as Better Auth stores
// them; the default role when empty) grants all of want. As in Better Auth, the parts are not
// trimmed, a resource the role does not know or an empty action list is a refusal, and an empty
// request grants nothing.
func (c *Control) Allows(role string, want Permissions) bool {
	if role == "" {
		role = c.defaultRole
	}
	for _, name := range splitRoles(role) {
		if grant, ok := c.roles[name]; ok && authorize(grant, want) {
			return true
		}
	}
	return false
}

// IsRole reports whether name is one of c's roles.
func (c *Control) IsRole(name string) bool {
	_, ok := c.roles[name]
	return ok
}

// splitRoles splits a stored role string at commas, without trimming.
func splitRoles(role string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(role); i++ {
		if i == len(role) || role[i] == ',' {
			out = append(out, role[start:i])
			start = i + 1
		}
	}
	return out
}

// HasRole reports whether the role string names any of roles.
func HasRole(role string, roles ...string) bool {
	for _, r := range splitRoles(role) {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// authorize is Better Auth's role.authorize with the AND connector.
func authorize(grant, want Permissions) bool {
	granted := false
	for resource, actions := range want {
		allowed, ok := grant[resource]
		if !ok || len(actions) == 0 {
			return false
		}
		for _, a := range actions {
			if !slices.Contains(allowed, a) {
				return false
			}
		}
		granted = true
	}
	return granted
}
