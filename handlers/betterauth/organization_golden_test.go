package betterauth_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// GET queries the organization operations refuse: 400 VALIDATION_ERROR, nothing echoed or changed.
func TestOrganizationBadQueries(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	before := dbState(t, h)
	for _, q := range []string{
		"/organization/get-full-organization?membersLimit=" + canary,
		"/organization/get-full-organization?membersLimit=-1",
		"/organization/list-members?limit=" + canary,
		"/organization/list-members?offset=-5",
		"/organization/list-members?sortBy=" + canary,
		"/organization/list-members?sortDirection=" + canary,
		"/organization/list-members?filterField=" + canary,
		"/organization/list-members?filterOperator=" + canary,
		"/organization/get-invitation",
		"/organization/get-invitation?id=a&id=" + canary,
	} {
		r := tm.owner.get(q)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		if strings.Contains(string(r.Body), canary) {
			t.Fatalf("%s: the error repeats the query: %s", q, r.Body)
		}
	}
	wantUnchanged(t, h, before)
}

// The answers of the organization operations, pinned in testdata/golden/organization-*.json.
func TestGoldenOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, _ := orgUser(t, h, "Zoe", "zoe@example.com")
	ids := strings.NewReplacer() // filled below
	want := func(name string, resp *handlertest.Response) {
		t.Helper()
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, resp.Status, resp.Body)
		}
		norm := *resp
		norm.Body = []byte(ids.Replace(string(resp.Body)))
		golden(t, "organization-"+name, &norm, "")
	}
	inv := tm.owner.invite(tm.org.ID, "zoe@example.com", "member")
	created := tm.owner.post("/organization/create", map[string]any{"name": "Beta", "slug": "beta", "metadata": map[string]any{"plan": "pro"},
		"keepCurrentActiveOrganization": true})
	beta, _ := created.JSON(t)["id"].(string)
	ids = strings.NewReplacer(tm.org.ID, "<org>", beta, "<beta>", tm.ownerID, "<owner>", tm.adminID, "<admin>", tm.memberID, "<member>", inv.ID, "<invitation>")

	want("create", created)
	want("list", tm.owner.get("/organization/list"))
	want("set-active", tm.owner.post("/organization/set-active", map[string]any{"organizationId": tm.org.ID}))
	want("get-full-organization", tm.owner.get("/organization/get-full-organization"))
	want("get-organization", tm.member.get("/organization/get-organization"))
	want("update", tm.owner.post("/organization/update", map[string]any{"data": map[string]any{"metadata": map[string]any{"tier": 1}}}))
	want("list-members", tm.member.get("/organization/list-members"))
	want("get-active-member", tm.member.get("/organization/get-active-member"))
	want("get-active-member-role", tm.member.get("/organization/get-active-member-role"))
	want("has-permission", tm.member.post("/organization/has-permission", map[string]any{"permissions": map[string]any{"member": []string{"delete"}}}))
	want("list-invitations", tm.owner.get("/organization/list-invitations"))
	want("get-invitation", zoe.get("/organization/get-invitation?id="+inv.ID))
	h.Exec(`UPDATE betterauth."user" SET "emailVerified" = true WHERE email = 'zoe@example.com'`)
	want("list-user-invitations", zoe.get("/organization/list-user-invitations"))
	want("accept-invitation", zoe.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}))
	want("update-member-role", tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "admin"}))
	want("remove-member", tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.memberMe.ID}))
	want("leave", tm.admin.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}))
	want("invite-member", tm.owner.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member"}))
	want("check-slug", tm.owner.post("/organization/check-slug", map[string]any{"slug": "free"}))
	want("delete", tm.owner.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}))
	wantError(t, tm.owner.post("/organization/cancel-invitation", map[string]any{"invitationId": inv.ID}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
}
