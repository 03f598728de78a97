package baaccess

import "testing"

func TestAdminAllows(t *testing.T) {
	for _, c := range []struct {
		role string
		want Permissions
		ok   bool
	}{
		{"admin", Permissions{"user": {"list"}}, true},
		{"admin", Permissions{"user": {"create", "ban", "set-role", "delete", "get", "update", "set-password", "impersonate"}}, true},
		{"admin", Permissions{"session": {"list", "revoke", "delete"}}, true},
		{"admin", Permissions{"user": {"list"}, "session": {"revoke"}}, true},
		{"admin", Permissions{"user": {"impersonate-admins"}}, false},
		{"admin", Permissions{"user": {"list", "impersonate-admins"}}, false},
		{"admin", Permissions{"user": {"list"}, "project": {"create"}}, false},
		{"admin", Permissions{"user": {}}, false},
		{"admin", Permissions{}, false},
		{"user", Permissions{"user": {"list"}}, false},
		{"user", Permissions{"session": {"list"}}, false},
		{"", Permissions{"user": {"list"}}, false},
		{"user,admin", Permissions{"user": {"ban"}}, true},
		{"admin,user", Permissions{"session": {"revoke"}}, true},
		{"user, admin", Permissions{"user": {"ban"}}, false}, // parts are not trimmed
		{"Admin", Permissions{"user": {"ban"}}, false},
		{"owner", Permissions{"user": {"ban"}}, false},
	} {
		if got := Admin.Allows(c.role, c.want); got != c.ok {
			t.Errorf("Allows(%q, %v) = %v, want %v", c.role, c.want, got, c.ok)
		}
	}
}

func TestHasRole(t *testing.T) {
	for _, c := range []struct {
		role string
		ok   bool
	}{{"admin", true}, {"user,admin", true}, {"user", false}, {"", false}, {"user, admin", false}} {
		if got := HasRole(c.role, "admin"); got != c.ok {
			t.Errorf("HasRole(%q) = %v, want %v", c.role, got, c.ok)
		}
	}
}
