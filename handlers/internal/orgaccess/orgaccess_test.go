package orgaccess

import (
	"slices"
	"testing"
)

func TestAllows(t *testing.T) {
	for _, c := range []struct {
		role string
		want Permissions
		ok   bool
	}{
		{"owner", Permissions{"organization": {"delete"}}, true},
		{"owner", Permissions{"organization": {"update", "delete"}, "member": {"create"}}, true},
		{"admin", Permissions{"organization": {"update"}}, true},
		{"admin", Permissions{"organization": {"delete"}}, false},
		{"admin", Permissions{"organization": {"update", "delete"}}, false},
		{"admin", Permissions{"member": {"create", "update", "delete"}, "invitation": {"create", "cancel"}}, true},
		{"member", Permissions{"ac": {"read"}}, true},
		{"member", Permissions{"member": {"delete"}}, false},
		{"member", Permissions{"invitation": {"create"}}, false},
		{"member", Permissions{"organization": {"update"}}, false},
		{"member,admin", Permissions{"member": {"delete"}}, true},
		{" member , owner ", Permissions{"organization": {"delete"}}, true},
		{"owner", Permissions{"billing": {"read"}}, false},
		{"owner", Permissions{"member": {}}, false},
		{"owner", Permissions{}, false},
		{"boss", Permissions{"ac": {"read"}}, false},
		{"", Permissions{"ac": {"read"}}, false},
	} {
		if got := Allows(c.role, c.want); got != c.ok {
			t.Errorf("Allows(%q, %v) = %v, want %v", c.role, c.want, got, c.ok)
		}
	}
}

func TestParse(t *testing.T) {
	if got := Parse("admin, owner", " ,member"); !slices.Equal(got, []string{"admin", "owner", "member"}) {
		t.Fatalf("Parse = %q", got)
	}
	if !Has("admin,owner", Owner) || Has("admin", Owner) || !Known("member") || Known("boss") {
		t.Fatal("Has/Known")
	}
	if Join([]string{"admin", "member"}) != "admin,member" {
		t.Fatal("Join")
	}
}
