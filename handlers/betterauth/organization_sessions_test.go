package betterauth_test

import (
	"net/http"
	"testing"
)

// A user removed from, or leaving, an organization, and every member of a deleted one, must not
// keep it active on any of their sessions (not just the session that made the call).
func TestOrganizationActiveClearedEverywhere(t *testing.T) {
	h := newHarness(t)
	tm := newOrgTeam(t, h)

	// The member's second device has the organization active too.
	other := newBrowser(t, h)
	other.signIn("mia@example.com", orgPassword)
	if r := other.post("/organization/set-active", map[string]any{"organizationId": tm.org.ID}); r.Status != http.StatusOK {
		t.Fatalf("set-active: %d %s", r.Status, r.Body)
	}
	if r := tm.owner.post("/organization/remove-member", map[string]any{"organizationId": tm.org.ID, "memberIdOrEmail": tm.memberMe.ID}); r.Status != http.StatusOK {
		t.Fatalf("remove-member: %d %s", r.Status, r.Body)
	}
	if got := tm.member.activeOrg(); got != "" {
		t.Errorf("removed member's session still has organization %q active", got)
	}
	if got := other.activeOrg(); got != "" {
		t.Errorf("removed member's other session still has organization %q active", got)
	}
	if got := tm.owner.activeOrg(); got != tm.org.ID {
		t.Errorf("owner's active organization = %q, want %q", got, tm.org.ID)
	}

	// Deleting the organization unsets it on the admin's session as well as the owner's.
	if got := tm.admin.activeOrg(); got != tm.org.ID {
		t.Fatalf("admin's active organization = %q, want %q", got, tm.org.ID)
	}
	if r := tm.owner.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}); r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for name, b := range map[string]*browser{"owner": tm.owner, "admin": tm.admin} {
		if got := b.activeOrg(); got != "" {
			t.Errorf("%s's session still has the deleted organization %q active", name, got)
		}
	}
}
