// Package orgaccess is the access control of Better Auth's organization plugin with its default
// roles (better-auth/dist/plugins/organization/access/statement.mjs): which actions on which
// resources the roles owner, admin and member grant, and how role lists are parsed.
package orgaccess

import (
	"slices"
	"strings"

	"gatehouse/handlers/internal/baaccess"
)

// Role names of the default access control.
const (
	Owner  = "owner"
	Admin  = "admin"
	Member = "member"
)

// Permissions maps a resource to actions on it, as has-permission takes them.
type Permissions = baaccess.Permissions

var all = Permissions{
	"organization": {"update", "delete"},
	"member":       {"create", "update", "delete"},
	"invitation":   {"create", "cancel"},
	"team":         {"create", "update", "delete"},
	"ac":           {"create", "read", "update", "delete"},
}

// roles are Better Auth's default roles: owner has every statement, admin every one but
// organization:delete, member only ac:read. A member without a role has none.
var roles = baaccess.New(map[string]Permissions{
	Owner: all,
	Admin: {
		"organization": {"update"},
		"member":       {"create", "update", "delete"},
		"invitation":   {"create", "cancel"},
		"team":         {"create", "update", "delete"},
		"ac":           {"create", "read", "update", "delete"},
	},
	Member: {"organization": {}, "member": {}, "invitation": {}, "team": {}, "ac": {"read"}},
}, "")

// Known reports whether name is a defined role.
func Known(name string) bool { return roles.IsRole(name) }

// Parse splits a stored or submitted role value ("admin, owner") into trimmed, non-empty names.
func Parse(values ...string) []string {
	var out []string
	for _, v := range values {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// Join is the stored form of a role list.
func Join(names []string) string { return strings.Join(names, ",") }

// Has reports whether the stored role value includes name.
func Has(role, name string) bool { return slices.Contains(Parse(role), name) }

// Allows reports whether one of the roles in the stored role value grants every action of
// every resource in want (Better Auth's AND semantics). An empty request, an unknown resource
// or an empty action list is refused. Unlike the admin plugin's role strings, the names are
// trimmed.
func Allows(role string, want Permissions) bool {
	return roles.Allows(Join(Parse(role)), want)
}
