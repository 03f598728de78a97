package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "createOrganization", path: "/organization/create", session: true,
			valid: map[string]any{"name": canary, "slug": canary}, missing: "slug",
			wrongType: []map[string]any{{"name": canaryNumber, "slug": canary}, {"name": canary, "slug": canary, "metadata": canary},
				{"name": canary, "slug": canary, "keepCurrentActiveOrganization": canary}, {"name": canary, "slug": canary, "logo": canaryNumber},
				{"name": "", "slug": canary}}},
		bodyOp{name: "checkOrganizationSlug", path: "/organization/check-slug", session: true,
			valid: map[string]any{"slug": canary}, missing: "slug",
			wrongType: []map[string]any{{"slug": canaryNumber}, {"slug": ""}}},
		bodyOp{name: "setActiveOrganization", path: "/organization/set-active", session: true,
			valid: map[string]any{"organizationSlug": canary}, bodyOptional: true,
			wrongType: []map[string]any{{"organizationId": canaryNumber}, {"organizationSlug": []string{canary}}}},
		bodyOp{name: "updateOrganization", path: "/organization/update", session: true,
			valid: map[string]any{"data": map[string]any{"name": canary}, "organizationId": canary}, missing: "data",
			wrongType: []map[string]any{{"data": canary}, {"data": map[string]any{"metadata": canary}},
				{"data": map[string]any{"name": canaryNumber}}, {"data": map[string]any{"slug": canary, "extra": canary}}}},
		bodyOp{name: "deleteOrganization", path: "/organization/delete", session: true,
			valid: map[string]any{"organizationId": canary}, missing: "organizationId",
			wrongType: []map[string]any{{"organizationId": canaryNumber}}},
	)
}

func TestOrganizationCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ann, annID := orgUser(t, h, "Ann", "ann@example.com")

	r := ann.post("/organization/create", map[string]any{"name": "Acme", "slug": "acme", "logo": "https://img.example/acme.png",
		"metadata": map[string]any{"plan": "pro", "seats": 3}})
	wantNoCookies(t, r)
	body := r.JSON(t)
	var o org
	r.Decode(t, &o)
	var full struct {
		Members []orgMember `json:"members"`
	}
	r.Decode(t, &full)
	if !id32.MatchString(o.ID) || o.Name != "Acme" || o.Slug != "acme" || o.Logo == nil || !jsDate.MatchString(o.CreatedAt) {
		t.Fatalf("organization %s", r.Body)
	}
	if m, ok := body["metadata"].(map[string]any); !ok || m["plan"] != "pro" || m["seats"] != float64(3) {
		t.Fatalf("metadata %v, want the object sent", body["metadata"])
	}
	if len(full.Members) != 1 || full.Members[0].UserID != annID || full.Members[0].Role != "owner" ||
		full.Members[0].OrganizationID != o.ID || !id32.MatchString(full.Members[0].ID) || full.Members[0].User != nil {
		t.Fatalf("members %+v", full.Members)
	}
	if got := ann.activeOrg(); got != o.ID {
		t.Fatalf("active organization %q, want %q", got, o.ID)
	}
	if got := dbString(t, h, `SELECT "metadata" FROM betterauth.organization WHERE id = $1`, o.ID); got != `{"plan":"pro","seats":3}` {
		t.Fatalf("stored metadata %s", got)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.member WHERE "organizationId" = $1 AND "userId" = $2 AND role = 'owner'`, o.ID, annID); n != 1 {
		t.Fatalf("%d owner rows", n)
	}

	// Without metadata the key is absent; keepCurrentActiveOrganization leaves the active one.
	r = ann.post("/organization/create", map[string]any{"name": "Beta", "slug": "beta", "keepCurrentActiveOrganization": true})
	if _, has := r.JSON(t)["metadata"]; has || r.Status != http.StatusOK {
		t.Fatalf("create without metadata: %d %s", r.Status, r.Body)
	}
	if got := ann.activeOrg(); got != o.ID {
		t.Fatalf("active organization moved to %q", got)
	}
	if got := dbString(t, h, `SELECT "metadata" FROM betterauth.organization WHERE slug = 'beta'`); got != "<null>" {
		t.Fatalf("stored metadata %s", got)
	}

	// A taken slug, no session.
	before := dbState(t, h)
	wantError(t, ann.post("/organization/create", map[string]any{"name": "Other", "slug": "acme"}), http.StatusBadRequest, "ORGANIZATION_ALREADY_EXISTS")
	wantError(t, newBrowser(t, h).post("/organization/create", map[string]any{"name": "X", "slug": "x"}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, ann.post("/organization/create", map[string]any{"name": "", "slug": "y"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, h, before)
}

func TestOrganizationCheckSlug(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ann, _ := orgUser(t, h, "Ann", "ann@example.com")
	ann.createOrg("Acme", "acme", nil)
	wantJSON(t, ann.post("/organization/check-slug", map[string]any{"slug": "acme-2"}), `{"status":true}`)
	before := dbState(t, h)
	wantError(t, ann.post("/organization/check-slug", map[string]any{"slug": "acme"}), http.StatusBadRequest, "ORGANIZATION_SLUG_ALREADY_TAKEN")
	wantError(t, newBrowser(t, h).post("/organization/check-slug", map[string]any{"slug": "acme"}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
}

func TestOrganizationList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ann, _ := orgUser(t, h, "Ann", "ann@example.com")
	bob, _ := orgUser(t, h, "Bob", "bob@example.com")
	a := ann.createOrg("Acme", "acme", map[string]any{"metadata": map[string]any{"plan": "pro"}})
	bob.createOrg("Bobco", "bobco", nil)
	r := ann.get("/organization/list")
	wantJSON(t, r, `[{"name":"Acme","slug":"acme","logo":null,"createdAt":"`+a.CreatedAt+`","metadata":"{\"plan\":\"pro\"}","id":"`+a.ID+`"}]`)
	wantJSON(t, newBrowserSignedUp(t, h, "cat@example.com").get("/organization/list"), `[]`)
	wantError(t, newBrowser(t, h).get("/organization/list"), http.StatusUnauthorized, "UNAUTHORIZED")
}

// newBrowserSignedUp is a browser with a new account and no organization.
func newBrowserSignedUp(t *testing.T, h *handlertest.Harness, email string) *browser {
	t.Helper()
	b, _ := orgUser(t, h, "Someone", email)
	return b
}

func TestOrganizationSetActive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ann, _ := orgUser(t, h, "Ann", "ann@example.com")
	bob, _ := orgUser(t, h, "Bob", "bob@example.com")
	a := ann.createOrg("Acme", "acme", map[string]any{"metadata": map[string]any{"plan": "pro"}})
	b := ann.createOrg("Beta", "beta", nil)
	bobs := bob.createOrg("Bobco", "bobco", nil)

	// By id: the org (metadata as stored) and the session cookie again.
	r := ann.post("/organization/set-active", map[string]any{"organizationId": a.ID})
	wantJSON(t, r, `{"name":"Acme","slug":"acme","logo":null,"createdAt":"`+a.CreatedAt+`","metadata":"{\"plan\":\"pro\"}","id":"`+a.ID+`"}`)
	wantSessionCookie(t, ann, ann.token(), 604800)
	if ann.activeOrg() != a.ID {
		t.Fatal("not active")
	}
	// By slug.
	r = ann.post("/organization/set-active", map[string]any{"organizationSlug": "beta"})
	if r.Status != http.StatusOK || r.JSON(t)["id"] != b.ID || ann.activeOrg() != b.ID {
		t.Fatalf("by slug: %d %s", r.Status, r.Body)
	}
	// Neither: the active one.
	if r = ann.post("/organization/set-active", map[string]any{}); r.JSON(t)["id"] != b.ID {
		t.Fatalf("neither: %s", r.Body)
	}
	// null unsets; then neither answers null.
	r = ann.post("/organization/set-active", map[string]any{"organizationId": nil})
	if r.Status != http.StatusOK || string(r.Body) != "null\n" || ann.activeOrg() != "" {
		t.Fatalf("unset: %d %q", r.Status, r.Body)
	}
	if r = ann.post("/organization/set-active", map[string]any{}); string(r.Body) != "null\n" {
		t.Fatalf("nothing active: %q", r.Body)
	}

	before := dbState(t, h)
	wantError(t, ann.post("/organization/set-active", map[string]any{"organizationId": "nope"}), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, ann.post("/organization/set-active", map[string]any{"organizationSlug": "nope"}), http.StatusBadRequest, "ORGANIZATION_NOT_FOUND")
	wantError(t, ann.post("/organization/set-active", map[string]any{"organizationId": bobs.ID}), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, newBrowser(t, h).post("/organization/set-active", map[string]any{"organizationId": a.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
	// Asking for an organization one is not a member of unsets the active one, as in Better Auth.
	ann.post("/organization/set-active", map[string]any{"organizationId": a.ID})
	wantError(t, ann.post("/organization/set-active", map[string]any{"organizationSlug": "bobco"}), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	if ann.activeOrg() != "" {
		t.Fatal("the active organization survived a refused set-active")
	}
	ann.post("/organization/set-active", map[string]any{"organizationId": a.ID})
	wantError(t, ann.get("/organization/get-organization?organizationId="+bobs.ID), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	if ann.activeOrg() != "" {
		t.Fatal("the active organization survived a refused get-organization")
	}
}

func TestOrganizationGetFull(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	inv := tm.owner.invite(tm.org.ID, "zoe@example.com", "member")

	// The owner's active organization is the one created.
	r := tm.owner.get("/organization/get-full-organization")
	var full struct {
		org
		Members     []orgMember  `json:"members"`
		Invitations []invitation `json:"invitations"`
	}
	r.Decode(t, &full)
	if r.Status != http.StatusOK || full.ID != tm.org.ID || len(full.Members) != 3 || len(full.Invitations) != 3 {
		t.Fatalf("full organization: %d %s", r.Status, r.Body)
	}
	m := full.Members[0]
	if m.Role != "owner" || m.User == nil || m.User.Email != "olive@example.com" || m.User.Name != "Olive" || m.User.ID != tm.ownerID {
		t.Fatalf("first member %+v", m)
	}
	if full.Invitations[2].ID != inv.ID || full.Invitations[0].Status != "accepted" {
		t.Fatalf("invitations %+v", full.Invitations)
	}
	// A member sees no invitations; membersLimit; by slug and by id.
	r = tm.member.get("/organization/get-full-organization?organizationSlug=acme&membersLimit=2")
	r.Decode(t, &full)
	if len(full.Members) != 2 || len(full.Invitations) != 0 || full.Invitations == nil {
		t.Fatalf("member's view: %s", r.Body)
	}
	if r = tm.admin.get("/organization/get-full-organization?organizationId=" + tm.org.ID); r.Status != http.StatusOK {
		t.Fatalf("admin: %d %s", r.Status, r.Body)
	}
	// Nothing active: null.
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	if r = outsider.get("/organization/get-full-organization"); r.Status != http.StatusOK || string(r.Body) != "null\n" {
		t.Fatalf("none active: %d %q", r.Status, r.Body)
	}
	wantError(t, outsider.get("/organization/get-full-organization?organizationId="+tm.org.ID), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, outsider.get("/organization/get-full-organization?organizationSlug=nope"), http.StatusBadRequest, "ORGANIZATION_NOT_FOUND")
	wantError(t, newBrowser(t, h).get("/organization/get-full-organization"), http.StatusUnauthorized, "UNAUTHORIZED")
	wantError(t, tm.owner.get("/organization/get-full-organization?membersLimit=abc"), http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestOrganizationGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	want := `{"name":"Acme","slug":"acme","logo":null,"createdAt":"` + tm.org.CreatedAt + `","metadata":null,"id":"` + tm.org.ID + `"}`
	wantJSON(t, tm.owner.get("/organization/get-organization"), want)
	wantJSON(t, tm.member.get("/organization/get-organization?organizationSlug=acme"), want)
	wantJSON(t, tm.admin.get("/organization/get-organization?organizationId="+tm.org.ID), want)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	if r := outsider.get("/organization/get-organization"); string(r.Body) != "null\n" {
		t.Fatalf("none active: %q", r.Body)
	}
	wantError(t, outsider.get("/organization/get-organization?organizationId="+tm.org.ID), http.StatusForbidden, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, outsider.get("/organization/get-organization?organizationId=nope"), http.StatusBadRequest, "ORGANIZATION_NOT_FOUND")
	wantError(t, newBrowser(t, h).get("/organization/get-organization"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestOrganizationUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	other := tm.owner.createOrg("Other", "other", map[string]any{"keepCurrentActiveOrganization": true})

	// The admin may update; metadata comes back parsed.
	r := tm.admin.post("/organization/update", map[string]any{"organizationId": tm.org.ID,
		"data": map[string]any{"name": "Acme Inc", "slug": "acme-inc", "logo": "https://img.example/a.png", "metadata": map[string]any{"tier": 2}}})
	wantJSON(t, r, `{"name":"Acme Inc","slug":"acme-inc","logo":"https://img.example/a.png","createdAt":"`+tm.org.CreatedAt+
		`","metadata":{"tier":2},"id":"`+tm.org.ID+`"}`)
	if got := dbString(t, h, `SELECT "metadata" FROM betterauth.organization WHERE id = $1`, tm.org.ID); got != `{"tier":2}` {
		t.Fatalf("stored metadata %s", got)
	}
	// The active organization is the default; a partial update keeps the rest; logo null clears.
	r = tm.owner.post("/organization/update", map[string]any{"data": map[string]any{"name": "Acme", "logo": nil}})
	wantJSON(t, r, `{"name":"Acme","slug":"acme-inc","logo":null,"createdAt":"`+tm.org.CreatedAt+`","metadata":{"tier":2},"id":"`+tm.org.ID+`"}`)

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/update", map[string]any{"organizationId": tm.org.ID, "data": map[string]any{"name": "Mine"}}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
	wantError(t, tm.owner.post("/organization/update", map[string]any{"organizationId": tm.org.ID, "data": map[string]any{"slug": "other"}}),
		http.StatusBadRequest, "ORGANIZATION_SLUG_ALREADY_TAKEN")
	wantError(t, tm.admin.post("/organization/update", map[string]any{"organizationId": other.ID, "data": map[string]any{"name": "Mine"}}),
		http.StatusBadRequest, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, tm.owner.post("/organization/update", map[string]any{"organizationId": "nope", "data": map[string]any{"name": "Mine"}}),
		http.StatusBadRequest, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	before = dbState(t, h)
	wantError(t, outsider.post("/organization/update", map[string]any{"data": map[string]any{"name": "Mine"}}),
		http.StatusBadRequest, "ORGANIZATION_NOT_FOUND")
	r = newBrowser(t, h).post("/organization/update", map[string]any{"data": map[string]any{"name": "Mine"}})
	if r.Status != http.StatusUnauthorized || string(r.Body) != `{"message":"User not found"}`+"\n" {
		t.Fatalf("no session: %d %s", r.Status, r.Body)
	}
	wantUnchanged(t, h, before)
}

func TestOrganizationDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	tm.owner.invite(tm.org.ID, "zoe@example.com", "member")
	tm.owner.post("/organization/update", map[string]any{"data": map[string]any{"metadata": map[string]any{"a": 1}}})

	before := dbState(t, h)
	wantError(t, tm.admin.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
	wantError(t, tm.member.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	before = dbState(t, h)
	wantError(t, outsider.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantError(t, tm.owner.post("/organization/delete", map[string]any{"organizationId": "nope"}), http.StatusBadRequest, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
	wantUnchanged(t, h, before)

	r := tm.owner.post("/organization/delete", map[string]any{"organizationId": tm.org.ID})
	wantJSON(t, r, `{"name":"Acme","slug":"acme","logo":null,"createdAt":"`+tm.org.CreatedAt+`","metadata":"{\"a\":1}","id":"`+tm.org.ID+`"}`)
	for _, table := range []string{"organization", "member", "invitation"} {
		if n := h.Count(`SELECT count(*) FROM betterauth.` + table); n != 0 {
			t.Fatalf("%d %s rows left", n, table)
		}
	}
	if tm.owner.activeOrg() != "" {
		t.Fatal("the deleted organization is still active")
	}
	wantError(t, tm.owner.post("/organization/delete", map[string]any{"organizationId": tm.org.ID}), http.StatusBadRequest, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
}
