package betterauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/internal/handlertest"
)

const inviteTemplate = "betterauth-organization-invitation"

func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "inviteMember", path: "/organization/invite-member", session: true,
			valid: map[string]any{"email": "zoe@example.com", "role": "member", "organizationId": canary}, missing: "role",
			wrongType: []map[string]any{{"email": canaryNumber, "role": "member"}, {"email": "zoe@example.com", "role": canaryNumber},
				{"email": "zoe@example.com", "role": "member", "resend": canary}, {"email": "zoe@example.com", "role": "member", "teamId": canaryNumber}}},
		bodyOp{name: "acceptInvitation", path: "/organization/accept-invitation", session: true,
			valid: map[string]any{"invitationId": canary}, missing: "invitationId",
			wrongType: []map[string]any{{"invitationId": canaryNumber}}},
		bodyOp{name: "rejectInvitation", path: "/organization/reject-invitation", session: true,
			valid: map[string]any{"invitationId": canary}, missing: "invitationId",
			wrongType: []map[string]any{{"invitationId": []string{canary}}}},
		bodyOp{name: "cancelInvitation", path: "/organization/cancel-invitation", session: true,
			valid: map[string]any{"invitationId": canary}, missing: "invitationId",
			wrongType: []map[string]any{{"invitationId": true}}},
	)
}

func TestOrganizationInviteMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)

	r := tm.admin.post("/organization/invite-member", map[string]any{"email": "Zoe@Example.com", "role": []string{"admin", "member"}})
	var inv invitation
	r.Decode(t, &inv)
	if r.Status != http.StatusOK || !id32.MatchString(inv.ID) || inv.Email != "zoe@example.com" || inv.Role == nil || *inv.Role != "admin,member" ||
		inv.Status != "pending" || inv.OrganizationID != tm.org.ID || inv.InviterID != tm.adminID || !jsDate.MatchString(inv.ExpiresAt) {
		t.Fatalf("invitation: %d %s", r.Status, r.Body)
	}
	exp, _ := time.Parse(time.RFC3339, inv.ExpiresAt)
	if d := time.Until(exp); d < 47*time.Hour || d > 48*time.Hour+time.Minute {
		t.Fatalf("expires in %v, want 48 h", d)
	}
	data := mailData(t, h, "zoe@example.com", inviteTemplate)
	if data["invitationId"] != inv.ID || data["organizationId"] != tm.org.ID || data["role"] != "admin,member" ||
		data["organizationName"] != "Acme" || data["inviterName"] != "Adam" || data["inviterEmail"] != "adam@example.com" ||
		data["url"] != origin+"/accept-invitation/"+inv.ID || data["email"] != "zoe@example.com" {
		t.Fatalf("mail data %v", data)
	}
	if n := h.Count(`SELECT count(*) FROM betterauth.invitation WHERE id = $1 AND email = 'zoe@example.com' AND status = 'pending' AND "inviterId" = $2`, inv.ID, tm.adminID); n != 1 {
		t.Fatal("invitation row")
	}

	// Refusals change nothing (and send nothing).
	before := dbState(t, h)
	wantError(t, tm.admin.post("/organization/invite-member", map[string]any{"email": "zoe@example.com", "role": "member"}),
		http.StatusBadRequest, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
	wantError(t, tm.member.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
	wantError(t, tm.admin.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "owner"}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
	wantMessageOnly(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "boss"}),
		http.StatusBadRequest, "ROLE_NOT_FOUND: boss")
	wantError(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": " , "}),
		http.StatusBadRequest, "ROLE_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "not-an-email", "role": "member"}),
		http.StatusBadRequest, "INVALID_EMAIL")
	wantError(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "MIA@example.com", "role": "member"}),
		http.StatusBadRequest, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
	wantError(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member", "organizationId": "nope"}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantMessageOnly(t, tm.owner.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": []string{"boss", "member", "chief"}}),
		http.StatusBadRequest, "ROLE_NOT_FOUND: boss, chief")
	wantUnchanged(t, h, before)
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	before = dbState(t, h)
	wantError(t, outsider.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member"}),
		http.StatusBadRequest, "ORGANIZATION_NOT_FOUND")
	wantError(t, outsider.post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member", "organizationId": tm.org.ID}),
		http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/invite-member", map[string]any{"email": "yan@example.com", "role": "member"}),
		http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	// Resend: same invitation, later expiry, mailed again.
	h.Exec(`UPDATE betterauth.invitation SET "expiresAt" = now() + interval '1 hour' WHERE id = $1`, inv.ID)
	r = tm.owner.post("/organization/invite-member", map[string]any{"email": "zoe@example.com", "role": "member", "resend": true})
	var again invitation
	r.Decode(t, &again)
	if r.Status != http.StatusOK || again.ID != inv.ID || again.CreatedAt != inv.CreatedAt {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	exp, _ = time.Parse(time.RFC3339, again.ExpiresAt)
	if time.Until(exp) < 47*time.Hour || mailCount(h, "zoe@example.com", inviteTemplate) != 2 ||
		h.Count(`SELECT count(*) FROM betterauth.invitation WHERE email = 'zoe@example.com'`) != 1 {
		t.Fatalf("resend did not renew and mail: %s", r.Body)
	}
	// The owner may invite an owner; only an owner may re-send that invitation; an expired
	// invitation does not block a new one.
	tm.owner.invite(tm.org.ID, "boss@example.com", "owner")
	wantError(t, tm.admin.post("/organization/invite-member", map[string]any{"email": "boss@example.com", "role": "member", "resend": true}),
		http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
	h.Exec(`UPDATE betterauth.invitation SET "expiresAt" = now() - interval '1 minute' WHERE email = 'boss@example.com'`)
	tm.owner.invite(tm.org.ID, "boss@example.com", "owner")
}

func TestOrganizationAcceptInvitation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, zoeID := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := tm.owner.invite(tm.org.ID, "ZOE@example.com", "admin")

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}), http.StatusForbidden, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
	wantError(t, zoe.post("/organization/accept-invitation", map[string]any{"invitationId": "nope"}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	r := zoe.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID})
	wantNoCookies(t, r)
	var out struct {
		Invitation invitation `json:"invitation"`
		Member     orgMember  `json:"member"`
	}
	r.Decode(t, &out)
	if r.Status != http.StatusOK || out.Invitation.ID != inv.ID || out.Invitation.Status != "accepted" || out.Member.UserID != zoeID ||
		out.Member.Role != "admin" || out.Member.OrganizationID != tm.org.ID || out.Member.User != nil {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	if zoe.activeOrg() != tm.org.ID || dbString(t, h, `SELECT status FROM betterauth.invitation WHERE id = $1`, inv.ID) != "accepted" ||
		h.Count(`SELECT count(*) FROM betterauth.member WHERE "userId" = $1 AND role = 'admin'`, zoeID) != 1 {
		t.Fatal("accept did not store")
	}
	wantError(t, zoe.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}), http.StatusBadRequest, "INVITATION_NOT_FOUND")

	// An expired invitation cannot be accepted.
	yan, _ := orgUser(t, h, "Yan", "yan@example.com")
	late := tm.owner.invite(tm.org.ID, "yan@example.com", "member")
	h.Exec(`UPDATE betterauth.invitation SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, late.ID)
	before = dbState(t, h)
	wantError(t, yan.post("/organization/accept-invitation", map[string]any{"invitationId": late.ID}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
	wantUnchanged(t, h, before)
}

// One invitation accepted by eight requests at once makes one member.
func TestOrganizationAcceptInvitationConcurrent(t *testing.T) {
	t.Parallel()
	const n = 8
	h := newHarness(t)
	owner, _ := orgUser(t, h, "Olive", "olive@example.com")
	o := owner.createOrg("Acme", "acme", nil)
	zoe, zoeID := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := owner.invite(o.ID, "zoe@example.com", "member")
	cookie := zoe.cookieHeader()
	answers := race(h, n, func(int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + "/organization/accept-invitation",
			Body: map[string]any{"invitationId": inv.ID}, Header: http.Header{"Origin": {origin}, "Cookie": {cookie}}}
	})
	won := 0
	for _, r := range answers {
		if r.Status == http.StatusOK {
			won++
			continue
		}
		wantError(t, r, http.StatusBadRequest, "INVITATION_NOT_FOUND")
	}
	if won != 1 {
		t.Fatalf("%d accepts succeeded, want 1", won)
	}
	if c := h.Count(`SELECT count(*) FROM betterauth.member WHERE "userId" = $1`, zoeID); c != 1 {
		t.Fatalf("%d member rows", c)
	}
}

func TestOrganizationRejectInvitation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, _ := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := tm.owner.invite(tm.org.ID, "zoe@example.com", "member")

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/reject-invitation", map[string]any{"invitationId": inv.ID}), http.StatusForbidden, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
	wantError(t, newBrowser(t, h).post("/organization/reject-invitation", map[string]any{"invitationId": inv.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	r := zoe.post("/organization/reject-invitation", map[string]any{"invitationId": inv.ID})
	var out struct {
		Invitation invitation `json:"invitation"`
	}
	r.Decode(t, &out)
	if r.Status != http.StatusOK || !strings.HasSuffix(string(r.Body), `"member":null}`+"\n") || out.Invitation.Status != "rejected" {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	if dbString(t, h, `SELECT status FROM betterauth.invitation WHERE id = $1`, inv.ID) != "rejected" || zoe.activeOrg() != "" {
		t.Fatal("not rejected")
	}
	r = zoe.post("/organization/reject-invitation", map[string]any{"invitationId": inv.ID})
	wantError(t, r, http.StatusBadRequest, "INVITATION_NOT_FOUND")
	if r.JSON(t)["message"] != "Invitation not found!" {
		t.Fatalf("message %s", r.Body)
	}
	wantError(t, zoe.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
}

func TestOrganizationCancelInvitation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, _ := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := tm.owner.invite(tm.org.ID, "zoe@example.com", "member")

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/cancel-invitation", map[string]any{"invitationId": inv.ID}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION")
	wantError(t, zoe.post("/organization/cancel-invitation", map[string]any{"invitationId": inv.ID}), http.StatusBadRequest, "MEMBER_NOT_FOUND")
	wantError(t, tm.owner.post("/organization/cancel-invitation", map[string]any{"invitationId": "nope"}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/organization/cancel-invitation", map[string]any{"invitationId": inv.ID}), http.StatusUnauthorized, "UNAUTHORIZED")
	wantUnchanged(t, h, before)

	r := tm.admin.post("/organization/cancel-invitation", map[string]any{"invitationId": inv.ID})
	wantJSON(t, r, `{"organizationId":"`+tm.org.ID+`","email":"zoe@example.com","role":"member","status":"canceled","expiresAt":"`+inv.ExpiresAt+
		`","createdAt":"`+inv.CreatedAt+`","inviterId":"`+tm.ownerID+`","id":"`+inv.ID+`"}`)
	wantError(t, zoe.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}), http.StatusBadRequest, "INVITATION_NOT_FOUND")
	// Whatever its status, as in Better Auth.
	done := join(t, tm.owner, zoe, tm.org.ID, "zoe@example.com", "member")
	accepted := dbString(t, h, `SELECT id FROM betterauth.invitation WHERE status = 'accepted' AND email = 'zoe@example.com'`)
	if r = tm.owner.post("/organization/cancel-invitation", map[string]any{"invitationId": accepted}); r.Status != http.StatusOK || r.JSON(t)["status"] != "canceled" {
		t.Fatalf("cancel an accepted invitation: %d %s", r.Status, r.Body)
	}
	if h.Count(`SELECT count(*) FROM betterauth.member WHERE id = $1`, done.ID) != 1 {
		t.Fatal("canceling an accepted invitation removed the member")
	}
}

func TestOrganizationGetInvitation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, _ := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := tm.admin.invite(tm.org.ID, "zoe@example.com", "member")

	wantJSON(t, zoe.get("/organization/get-invitation?id="+inv.ID), `{"organizationId":"`+tm.org.ID+`","email":"zoe@example.com","role":"member","status":"pending","expiresAt":"`+
		inv.ExpiresAt+`","createdAt":"`+inv.CreatedAt+`","inviterId":"`+tm.adminID+`","id":"`+inv.ID+`","organizationName":"Acme","organizationSlug":"acme","inviterEmail":"adam@example.com"}`)
	wantError(t, tm.member.get("/organization/get-invitation?id="+inv.ID), http.StatusForbidden, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
	wantError(t, zoe.get("/organization/get-invitation?id=nope"), http.StatusBadRequest, "INVITATION_NOT_FOUND")
	wantError(t, zoe.get("/organization/get-invitation"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantMessageOnly(t, newBrowser(t, h).get("/organization/get-invitation?id="+inv.ID), http.StatusUnauthorized, "Not authenticated")
	// The inviter left: refused.
	tm.owner.post("/organization/remove-member", map[string]any{"memberIdOrEmail": tm.adminMember.ID})
	wantError(t, zoe.get("/organization/get-invitation?id="+inv.ID), http.StatusBadRequest, "INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION")
	// Expired: not found.
	h.Exec(`UPDATE betterauth.invitation SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, inv.ID)
	wantError(t, zoe.get("/organization/get-invitation?id="+inv.ID), http.StatusBadRequest, "INVITATION_NOT_FOUND")
}

func TestOrganizationListInvitations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	tm.owner.invite(tm.org.ID, "zoe@example.com", "member")
	tm.owner.invite(tm.org.ID, "boss@example.com", "owner")
	var list []invitation
	r := tm.owner.get("/organization/list-invitations")
	r.Decode(t, &list)
	if r.Status != http.StatusOK || len(list) != 4 || list[0].Status != "accepted" || list[3].Email != "boss@example.com" {
		t.Fatalf("owner's list: %d %s", r.Status, r.Body)
	}
	r = tm.admin.get("/organization/list-invitations?organizationId=" + tm.org.ID)
	r.Decode(t, &list)
	if len(list) != 3 || strings.Contains(string(r.Body), "boss@") {
		t.Fatalf("admin's list shows owner invitations: %s", r.Body)
	}
	wantError(t, tm.member.get("/organization/list-invitations"), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS")
	outsider, _ := orgUser(t, h, "Out", "out@example.com")
	wantMessageOnly(t, outsider.get("/organization/list-invitations"), http.StatusBadRequest, "Organization ID is required")
	wantMessageOnly(t, outsider.get("/organization/list-invitations?organizationId="+tm.org.ID), http.StatusForbidden, "You are not a member of this organization")
	wantError(t, newBrowser(t, h).get("/organization/list-invitations"), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestOrganizationListUserInvitations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	zoe, _ := orgUser(t, h, "Zoe", "zoe@example.com")
	inv := tm.owner.invite(tm.org.ID, "zoe@example.com", "member")
	other := tm.owner.createOrg("Other", "other", nil)
	gone := tm.owner.invite(other.ID, "zoe@example.com", "admin")
	tm.owner.post("/organization/cancel-invitation", map[string]any{"invitationId": gone.ID})

	wantError(t, zoe.get("/organization/list-user-invitations"), http.StatusForbidden, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
	h.Exec(`UPDATE betterauth."user" SET "emailVerified" = true WHERE email = 'zoe@example.com'`)
	wantJSON(t, zoe.get("/organization/list-user-invitations"), `[{"organizationId":"`+tm.org.ID+`","email":"zoe@example.com","role":"member","status":"pending","expiresAt":"`+
		inv.ExpiresAt+`","createdAt":"`+inv.CreatedAt+`","inviterId":"`+tm.ownerID+`","id":"`+inv.ID+`","organizationName":"Acme"}]`)
	wantMessageOnly(t, zoe.get("/organization/list-user-invitations?email=zoe@example.com"), http.StatusBadRequest, "User email cannot be passed for client side API calls.")
	wantMessageOnly(t, newBrowser(t, h).get("/organization/list-user-invitations"), http.StatusBadRequest, "Missing session headers, or email query parameter.")
	h.Exec(`UPDATE betterauth."user" SET "emailVerified" = true WHERE email = 'mia@example.com'`)
	wantJSON(t, tm.member.get("/organization/list-user-invitations"), `[]`)
}

// A member whose email changed to one with a pending invitation to the same organization gets a
// 400 for accepting it (not a 500 from the unique membership), and nothing changes.
func TestOrganizationAcceptInvitationAlreadyMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tm := newOrgTeam(t, h)
	inv := tm.owner.invite(tm.org.ID, "mia.new@example.com", "admin")
	h.Exec(`UPDATE betterauth."user" SET email = 'mia.new@example.com' WHERE id = $1`, tm.memberID)

	before := dbState(t, h)
	wantError(t, tm.member.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID}),
		http.StatusBadRequest, "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
	wantUnchanged(t, h, before)
	if got := dbString(t, h, `SELECT role FROM betterauth.member WHERE id = $1`, tm.memberMe.ID); got != "member" {
		t.Fatalf("role %q after a refused accept", got)
	}
}
