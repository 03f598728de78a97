package betterauth_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "updateMemberRole", path: "/organization/update-member-role", session: true,
			valid: map[string]any{"role": "admin", "memberId": canary}, missing: "memberId",
			wrongType: []map[string]any{{"role": canaryNumber, "memberId": canary}, {"role": []any{canaryNumber}, "memberId": canary},
				{"role": "admin", "memberId": canaryNumber}}},
		bodyOp{name: "removeMember", path: "/organization/remove-member", session: true,
			valid: map[string]any{"memberIdOrEmail": canary}, missing: "memberIdOrEmail",
			wrongType: []map[string]any{{"memberIdOrEmail": canaryNumber}, {"memberIdOrEmail": canary, "organizationId": true}}},
		bodyOp{name: "leaveOrganization", path: "/organization/leave", session: true,
			valid: map[string]any{"organizationId": canary}, missing: "organizationId",
			wrongType: []map[string]any{{"organizationId": canaryNumber}}},
		bodyOp{name: "hasOrganizationPermission", path: "/organization/has-permission", session: true,
			valid: map[string]any{"permissions": map[string]any{"member": []string{canary}}},
			wrongType: []map[string]any{{"permissions": canary}, {"permissions": map[string]any{"member": canary}},
				{"permissions": map[string]any{"member": []any{canaryNumber}}}}},
	)
}

func TestOrganizationListMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	var page struct {
		Members []orgMember `json:"members"`
		Total   int         `json:"total"`
	}
	r := tm.member.get("/organization/list-members")
	r.Decode(t, &page)
	if r.Status != http.StatusOK || page.Total != 3 || len(page.Members) != 3 || page.Members[0].Role != "owner" ||
		page.Members[2].UserID != tm.memberID || page.Members[2].User == nil || page.Members[2].User.Email != "mia@example.com" {
		t.Fatalf("list-members: %d %s", r.Status, r.Body)
	}
	r = tm.owner.get("/organization/list-members?limit=1&offset=1&organizationSlug=acme")
	r.Decode(t, &page)
	if page.Total != 3 || len(page.Members) != 1 || page.Members[0].UserID != tm.adminID {
		t.Fatalf("paged: %s", r.Body)
	}
	r = tm.owner.get("/organization/list-members?filterField=role&filterValue=admin,member&filterOperator=in&sortBy=createdAt&sortDirection=desc&organizationId=" + tm.org.ID)
	r.Decode(t, &page)
	if page.Total != 2 || len(page.Members) != 2 || page.Members[0].UserID != tm.memberID {
		t.Fatalf("filtered: %s", r.Body)
	}
	r = tm.owner.get("/organization/list-members?filterField=role&filterValue=owner&filterOperator=ne")
	r.Decode(t, &page)
	if page.Total != 2 {
		t.Fatalf("ne: %s", r.Body)
	}
	r = tm.owner.get("/organization/list-members?filterField=userId&filterValue=" + tm.ownerID)
	r.Decode(t, &page)
	if page.Total != 1 || page.Members[0].Role != "owner" {
		t.Fatalf("eq: %s", r.Body)
	}
	for _, c := range []struct {
		query string
		want  []string // user ids, in order
	}{
		{"filterField=role&filterValue=owner,admin&filterOperator=not_in", []string{tm.memberID}},
		{"filterField=role&filterValue=ad&filterOperator=starts_with", []string{tm.adminID}},
		{"filterField=role&filterValue=ber&filterOperator=ends_with", []string{tm.memberID}},
		{"filterField=role&filterValue=n&filterOperator=contains&sortBy=role&sortDirection=desc", []string{tm.ownerID, tm.adminID}},
		{"filterField=createdAt&filterValue=" + tm.adminMember.CreatedAt + "&filterOperator=gte", []string{tm.adminID, tm.memberID}},
		{"filterField=createdAt&filterValue=" + tm.adminMember.CreatedAt + "&filterOperator=lt", []string{tm.ownerID}},
		{"filterField=organizationId&filterValue=" + tm.org.ID + "&sortBy=id&limit=5", nil},
	} {
		r = tm.owner.get("/organization/list-members?" + c.query)
		r.Decode(t, &page)
		var got []string
		for _, m := range page.Members {
			got = append(got, m.UserID)
		}
		if c.want == nil && page.Total == 3 && len(got) == 3 {
			continue
		}
		if r.Status != http.StatusOK || page.Total != len(c.want) || strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Fatalf("%s: %d %s", c.query, r.Status, r.Body)
		}
	}
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	wantError(t, outsider.get("/organization/list-members"), http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	wantError(t, outsider.get("/organization/list-members?organizationId="+tm.org.ID), http.StatusForbidden, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
	wantError(t, newBrowser(t, h).get("/organization/list-members"), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, tm.owner.get("/organization/list-members?sortBy=password"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, tm.owner.get("/organization/list-members?limit=-1"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, tm.owner.get("/organization/list-members?filterOperator=like"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, tm.owner.get("/organization/list-members?filterField=email"), http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestOrganizationGetActiveMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	m := tm.adminMember
	wantJSON(t, tm.admin.get("/organization/get-active-member"), `{"organizationId":"`+tm.org.ID+`","userId":"`+tm.adminID+
		`","role":"admin","createdAt":"`+m.CreatedAt+`","id":"`+m.ID+`","user":{"id":"`+tm.adminID+`","name":"Adam","email":"adam@example.com","image":null}}`)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	wantError(t, outsider.get("/organization/get-active-member"), http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	// Removed while it was active: the organization is no longer active; a session still naming
	// it (set by hand) finds no member.
	tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": m.ID})
	wantError(t, tm.admin.get("/organization/get-active-member"), http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	h.Exec(`UPDATE betterauth.session SET "activeOrganizationId" = $1 WHERE "userId" = $2`, tm.org.ID, tm.adminID)
	wantError(t, tm.admin.get("/organization/get-active-member"), http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, newBrowser(t, h).get("/organization/get-active-member"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestOrganizationGetActiveMemberRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	wantJSON(t, tm.member.get("/organization/get-active-member-role"), `{"role":"member"}`)
	wantJSON(t, tm.member.get("/organization/get-active-member-role?userId="+tm.ownerID), `{"role":"owner"}`)
	wantJSON(t, tm.owner.get("/organization/get-active-member-role?organizationSlug=acme&userId="+tm.adminID), `{"role":"admin"}`)
	outsider, outsiderID := orgUser(t, h, "Out", "out@example.com")
	wantError(t, outsider.get("/organization/get-active-member-role"), http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	wantError(t, outsider.get("/organization/get-active-member-role?organizationId="+tm.org.ID), http.StatusForbidden, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
	wantError(t, tm.owner.get("/organization/get-active-member-role?userId="+outsiderID), http.StatusForbidden, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
	wantError(t, newBrowser(t, h).get("/organization/get-active-member-role"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestOrganizationUpdateMemberRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	roleOf := func(id string) string { return dbString(t, h, `SELECT role FROM betterauth.member WHERE id = $1`, id) }

	// Refusals first: nothing changes.
	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/update-member-role", map[string]any{"memberId": tm.adminMember.ID, "role": "member"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
	wantError(t, tm.admin.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "owner"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
	wantError(t, tm.admin.post("/organization/update-member-role", map[string]any{"memberId": tm.org.Members[0].ID, "role": "member"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
	wantError(t, tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.org.Members[0].ID, "role": "admin"}),
		http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
	r := tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "boss"})
	wantError(t, r, http.StatusBadRequest, "ROLE_NOT_FOUND")
	if r.JSON(t)["message"] != "ROLE_NOT_FOUND: boss" {
		t.Fatalf("message %s", r.Body)
	}
	wantError(t, tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": []string{}}),
		http.StatusBadRequest, "ROLE_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/update-member-role", map[string]any{"memberId": "nope", "role": "admin"}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	elsewhere := outsider.createOrg("Elsewhere", "elsewhere", nil)
	outsider.post("/organization/set-active", map[string]any{"organizationId": nil})
	before = dbState(t, h)
	wantError(t, tm.owner.post("/organization/update-member-role", map[string]any{"memberId": elsewhere.Members[0].ID, "role": "member"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
	r = tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "boss,member,chief"})
	if r.Status != http.StatusBadRequest || r.JSON(t)["message"] != "ROLE_NOT_FOUND: boss, chief" {
		t.Fatalf("unknown roles: %d %s", r.Status, r.Body)
	}
	wantError(t, outsider.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "admin"}),
		http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	wantError(t, outsider.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "admin", "organizationId": tm.org.ID}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "admin"}),
		http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	// The admin promotes the member: the bare member comes back.
	r = tm.admin.post("/organization/update-member-role", map[string]any{"memberId": tm.memberMe.ID, "role": "admin"})
	m := tm.memberMe
	wantJSON(t, r, `{"organizationId":"`+tm.org.ID+`","userId":"`+tm.memberID+`","role":"admin","createdAt":"`+m.CreatedAt+`","id":"`+m.ID+`"}`)
	// Several roles, as an array; the owner makes another owner, who may then step down.
	r = tm.owner.post("/organization/update-member-role", map[string]any{"memberId": m.ID, "role": []string{"admin", " member"}})
	if r.Status != http.StatusOK || roleOf(m.ID) != "admin,member" {
		t.Fatalf("array role: %d %s / %s", r.Status, r.Body, roleOf(m.ID))
	}
	if r = tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.adminMember.ID, "role": "owner", "organizationId": tm.org.ID}); r.Status != http.StatusOK {
		t.Fatalf("grant owner: %d %s", r.Status, r.Body)
	}
	if r = tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.org.Members[0].ID, "role": "member"}); r.Status != http.StatusOK {
		t.Fatalf("step down: %d %s", r.Status, r.Body)
	}
	if roleOf(tm.org.Members[0].ID) != "member" || roleOf(tm.adminMember.ID) != "owner" {
		t.Fatal("roles not stored")
	}
}

func TestOrganizationRemoveMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	count := func() int {
		return h.Count(`SELECT count(*) FROM betterauth.member WHERE "organizationId" = $1`, tm.org.ID)
	}

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.adminMember.ID}),
		http.StatusUnauthorized, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER")
	wantError(t, tm.admin.post("/organization/remove-member", map[string]any{"memberIdOrEmail": "olive@example.com"}),
		http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	wantError(t, tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.org.Members[0].ID}),
		http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	wantError(t, tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": "nobody@example.com"}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": "nope"}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	elsewhere := outsider.createOrg("Elsewhere", "elsewhere", nil)
	outsider.post("/organization/set-active", map[string]any{"organizationId": nil})
	before = dbState(t, h)
	// A member of another organization: the owner rule and the permission come first, as in Better Auth.
	wantError(t, tm.admin.post("/organization/remove-member", map[string]any{"memberIdOrEmail": elsewhere.Members[0].ID}),
		http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	wantError(t, tm.member.post("/organization/remove-member", map[string]any{"memberIdOrEmail": "x"}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": elsewhere.Members[0].ID}),
		http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	wantError(t, outsider.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.memberMe.ID}),
		http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	wantError(t, outsider.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.memberMe.ID, "organizationId": tm.org.ID}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.memberMe.ID}),
		http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	// By email (any case), by the admin.
	m := tm.memberMe
	r := tm.admin.post("/organization/remove-member", map[string]any{"memberIdOrEmail": "MIA@example.com"})
	wantJSON(t, r, `{"member":{"organizationId":"`+tm.org.ID+`","userId":"`+tm.memberID+`","role":"member","createdAt":"`+m.CreatedAt+`","id":"`+m.ID+`"}}`)
	if count() != 2 {
		t.Fatalf("%d members", count())
	}
	// Removing yourself unsets your active organization.
	if r = tm.admin.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.adminMember.ID, "organizationId": tm.org.ID}); r.Status != http.StatusOK {
		t.Fatalf("self: %d %s", r.Status, r.Body)
	}
	if tm.admin.activeOrg() != "" || count() != 1 {
		t.Fatal("self removal")
	}
}

func TestOrganizationLeave(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	before := dbState(t, h)
	wantError(t, tm.owner.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	before = dbState(t, h)
	wantError(t, outsider.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/leave", map[string]any{"organizationId": "nope"}), http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/leave", map[string]any{"organizationId": tm.org.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	m := tm.memberMe
	wantJSON(t, tm.member.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}), `{"organizationId":"`+tm.org.ID+`","userId":"`+tm.memberID+
		`","role":"member","createdAt":"`+m.CreatedAt+`","id":"`+m.ID+`","user":{"id":"`+tm.memberID+`","name":"Mia","email":"mia@example.com","image":null}}`)
	if tm.member.activeOrg() != "" || h.Count(`SELECT count(*) FROM betterauth.member WHERE "userId" = $1`, tm.memberID) != 0 {
		t.Fatal("still a member")
	}
	// With a second owner the first may leave.
	tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.adminMember.ID, "role": "owner"})
	if r := tm.owner.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}); r.Status != http.StatusOK {
		t.Fatalf("second owner: %d %s", r.Status, r.Body)
	}
	wantError(t, tm.admin.post("/organization/leave", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
}

func TestOrganizationHasPermission(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	for _, c := range []struct {
		who   *browser
		perms map[string]any
		ok    bool
	}{
		{tm.owner, map[string]any{"organization": []string{"delete"}}, true},
		{tm.admin, map[string]any{"organization": []string{"delete"}}, false},
		{tm.admin, map[string]any{"organization": []string{"update"}, "member": []string{"create", "update", "delete"}}, true},
		{tm.admin, map[string]any{"invitation": []string{"create", "cancel"}}, true},
		{tm.member, map[string]any{"invitation": []string{"create"}}, false},
		{tm.member, map[string]any{"member": []string{"delete"}}, false},
		{tm.member, map[string]any{"ac": []string{"read"}}, true},
		{tm.owner, map[string]any{"billing": []string{"read"}}, false},
		{tm.owner, map[string]any{}, false},
	} {
		r := c.who.post("/organization/has-permission", map[string]any{"permissions": c.perms})
		want := `{"error":null,"success":false}`
		if c.ok {
			want = `{"error":null,"success":true}`
		}
		wantJSON(t, r, want)
	}
	// The deprecated key alone yields false; an explicit organization.
	wantJSON(t, tm.owner.post("/organization/has-permission", map[string]any{"permission": map[string]any{"ac": []string{"read"}}}), `{"error":null,"success":false}`)
	wantJSON(t, tm.member.post("/organization/has-permission", map[string]any{"organizationId": tm.org.ID, "permissions": map[string]any{"ac": []string{"read"}}}), `{"error":null,"success":true}`)
	// Neither or both of permissions and permission: refused by Better Auth's schema.
	wantError(t, tm.owner.post("/organization/has-permission", map[string]any{}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, tm.owner.post("/organization/has-permission", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, tm.owner.post("/organization/has-permission", map[string]any{"permission": map[string]any{}, "permissions": map[string]any{}}),
		http.StatusBadRequest, "VALIDATION_ERROR")
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	wantError(t, outsider.post("/organization/has-permission", map[string]any{"permissions": map[string]any{"ac": []string{"read"}}}), http.StatusBadRequest, "NO_ACTIVE_ORGANIZATION")
	wantError(t, outsider.post("/organization/has-permission", map[string]any{"organizationId": tm.org.ID, "permissions": map[string]any{"ac": []string{"read"}}}), http.StatusUnauthorized, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, newBrowser(t, h).post("/organization/has-permission", map[string]any{"permissions": map[string]any{}}), http.StatusUnauthorized, "UNAUTHORIZED")
}

// Two owners leaving at once: one goes, the other stays as the last owner.
func TestOrganizationLeaveConcurrentOwners(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	tm.owner.post("/organization/update-member-role", map[string]any{"memberId": tm.adminMember.ID, "role": "owner"})
	cookies := []string{tm.owner.cookieHeader(), tm.admin.cookieHeader()}
	answers := race(h, 2, func(i int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + "/organization/leave",
			Body: map[string]any{"organizationId": tm.org.ID}, Header: http.Header{"Origin": {origin}, "Cookie": {cookies[i]}}}
	})
	left := 0
	for _, r := range answers {
		if r.Status == http.StatusOK {
			left++
			continue
		}
		wantError(t, r, http.StatusBadRequest, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
	}
	if left != 1 || h.Count(`SELECT count(*) FROM betterauth.member WHERE "organizationId" = $1 AND role = 'owner'`, tm.org.ID) != 1 {
		t.Fatalf("%d owners left the organization; want 1, and one owner remaining", left)
	}
}

// An admin cannot make itself an owner, alone or among other roles, nor invite itself in as one.
func TestOrganizationAdminSelfPromotion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	before := dbState(t, h)
	for _, role := range []any{"owner", "admin,owner", []string{"admin", "owner"}, " owner "} {
		wantError(t, tm.admin.post("/organization/update-member-role", map[string]any{"memberId": tm.adminMember.ID, "role": role}),
			http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
		wantError(t, tm.admin.post("/organization/invite-member", map[string]any{"email": "adam2@example.com", "role": role}),
			http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
	}
	wantUnchanged(t, h, before)
	if got := dbString(t, h, `SELECT role FROM betterauth.member WHERE id = $1`, tm.adminMember.ID); got != "admin" {
		t.Fatalf("admin's role is %q", got)
	}
}
