package betterauth_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

const orgPassword = "correct horse"

// org is an organization as the API answers it.
type org struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Slug      string  `json:"slug"`
	Logo      *string `json:"logo"`
	CreatedAt string  `json:"createdAt"`
	Metadata  any     `json:"metadata"`
	Members   []orgMember
}

type orgMember struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organizationId"`
	UserID         string `json:"userId"`
	Role           string `json:"role"`
	CreatedAt      string `json:"createdAt"`
	User           *struct {
		ID    string  `json:"id"`
		Name  string  `json:"name"`
		Email string  `json:"email"`
		Image *string `json:"image"`
	} `json:"user"`
}

type invitation struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organizationId"`
	Email          string  `json:"email"`
	Role           *string `json:"role"`
	Status         string  `json:"status"`
	ExpiresAt      string  `json:"expiresAt"`
	CreatedAt      string  `json:"createdAt"`
	InviterID      string  `json:"inviterId"`
}

// orgUser signs up a user with email in a browser of its own.
func orgUser(t *testing.T, h *handlertest.Harness, name, email string) (*browser, string) {
	t.Helper()
	b := newBrowser(t, h)
	u := b.signUp(email, orgPassword, map[string]any{"name": name})
	return b, u.User.ID
}

// createOrg creates an organization in b, failing unless it works.
func (b *browser) createOrg(name, slug string, extra map[string]any) org {
	b.t.Helper()
	body := map[string]any{"name": name, "slug": slug}
	for k, v := range extra {
		body[k] = v
	}
	r := b.post("/organization/create", body)
	if r.Status != http.StatusOK {
		b.t.Fatalf("create organization: %d %s", r.Status, r.Body)
	}
	var o org
	r.Decode(b.t, &o)
	var withMembers struct {
		Members []orgMember `json:"members"`
	}
	r.Decode(b.t, &withMembers)
	o.Members = withMembers.Members
	return o
}

// invite has b invite email to orgID with role, failing unless it works.
func (b *browser) invite(orgID, email string, role any) invitation {
	b.t.Helper()
	r := b.post("/organization/invite-member", map[string]any{"organizationId": orgID, "email": email, "role": role})
	if r.Status != http.StatusOK {
		b.t.Fatalf("invite %s: %d %s", email, r.Status, r.Body)
	}
	var inv invitation
	r.Decode(b.t, &inv)
	return inv
}

// join makes member (with email) a member of orgID with role, invited by owner.
func join(t *testing.T, owner, member *browser, orgID, email, role string) orgMember {
	t.Helper()
	inv := owner.invite(orgID, email, role)
	r := member.post("/organization/accept-invitation", map[string]any{"invitationId": inv.ID})
	if r.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	var out struct {
		Member orgMember `json:"member"`
	}
	r.Decode(t, &out)
	return out.Member
}

// activeOrg is the activeOrganizationId of b's session ("" when none).
func (b *browser) activeOrg() string {
	b.t.Helper()
	r := b.get("/get-session")
	var s struct {
		Session struct {
			ActiveOrganizationID *string `json:"activeOrganizationId"`
		} `json:"session"`
	}
	r.Decode(b.t, &s)
	if s.Session.ActiveOrganizationID == nil {
		return ""
	}
	return *s.Session.ActiveOrganizationID
}

// orgTeam is an organization with an owner, an admin and a member, each in a browser.
type orgTeam struct {
	h                     *handlertest.Harness
	org                   org
	owner, admin, member  *browser
	ownerID, adminID      string
	memberID              string
	adminMember, memberMe orgMember
}

func newOrgTeam(t *testing.T, h *handlertest.Harness) *orgTeam {
	t.Helper()
	tm := &orgTeam{h: h}
	tm.owner, tm.ownerID = orgUser(t, h, "Olive", "olive@example.com")
	tm.admin, tm.adminID = orgUser(t, h, "Adam", "adam@example.com")
	tm.member, tm.memberID = orgUser(t, h, "Mia", "mia@example.com")
	tm.org = tm.owner.createOrg("Acme", "acme", nil)
	tm.adminMember = join(t, tm.owner, tm.admin, tm.org.ID, "adam@example.com", "admin")
	tm.memberMe = join(t, tm.owner, tm.member, tm.org.ID, "mia@example.com", "member")
	return tm
}
