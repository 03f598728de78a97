// Plugin compatibility suite: drives the two-factor, passkey, admin, API-key and organization
// endpoints of a Better Auth server through the real plugin clients (twoFactorClient,
// passkeyClient, adminClient, apiKeyClient, organizationClient; versions in package.json), the
// way an application's users and admins would, and asserts what they would notice. Proven
// against the real Better Auth server with these plugins (cmd/bench/betterauth-node); pointed at
// gatehouse's /api/auth it checks our compatibility.
//
// Environment: as suite.mjs (BA_BASE_URL, BA_ORIGIN, MAIL_FILE, BA_TIMEOUT_MS, BA_TRACE), plus
//   ADMIN_EMAIL    an address the server makes an admin when its account is created (required)
//
// The target must not rate-limit, must mail the two-factor code with the template
// betterauth-two-factor-otp (data.otp) and invitations with betterauth-organization-invitation
// (data.invitationId), and must take BA_BASE_URL's host as the passkey relying party.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";

import { apiKeyClient } from "@better-auth/api-key/client";
import { passkeyClient } from "@better-auth/passkey/client";
import { adminClient, organizationClient, twoFactorClient, usernameClient } from "better-auth/client/plugins";

import { Authenticator } from "./authenticator.mjs";
import {
  API, Browser, ID, ORIGIN, SESSION_COOKIE, assertError, assertOk, assertSession, assertSessionCookie, assertUser,
  finish, mailMark, startSuite, step, waitMail,
} from "./lib.mjs";

const ADMIN_EMAIL = (process.env.ADMIN_EMAIL || "").toLowerCase();
if (!ADMIN_EMAIL) {
  console.error("ADMIN_EMAIL is required (an address the server makes an admin on sign-up)");
  process.exit(2);
}

const authenticator = new Authenticator(ORIGIN);
authenticator.install();

// twoFactorRedirects counts the client's onTwoFactorRedirect calls.
let twoFactorRedirects = 0;
const plugins = () => [
  usernameClient(),
  twoFactorClient({ onTwoFactorRedirect: () => { twoFactorRedirects++; } }),
  passkeyClient(),
  adminClient(),
  apiKeyClient(),
  organizationClient(),
];
const browser = (name) => new Browser(name, plugins());

// totp computes the RFC 6238 code of an otpauth:// URI's secret for the 30-second step at
// offset steps from now.
function totp(uri, offset = 0) {
  const secret = new URL(uri).searchParams.get("secret");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = createHmac("sha1", key).update(counter).digest();
  const o = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, "0");
}

async function signUp(b, email, name, password) {
  const data = assertOk(await b.client.signUp.email({ email, password, name }), `sign-up ${email}`);
  assertUser(data.user, { email });
  return data.user;
}

startSuite();
const run = randomBytes(4).toString("hex");
const password = `plugin-password-${run}`;

// ---------------------------------------------------------------------------------------------
// Two-factor.

const tfEmail = `tess.${run}@example.com`;
const T = browser("two-factor device");
let totpURI = "";
let backupCodes = [];

await step("two-factor: enable answers a TOTP URI and ten backup codes; 2FA waits for the first code", async () => {
  await signUp(T, tfEmail, "Tess", password);
  assertError(await T.client.twoFactor.enable({ password: "wrong password" }), 400, "INVALID_PASSWORD");
  const data = assertOk(await T.client.twoFactor.enable({ password }), "enable");
  assert.match(data.totpURI, /^otpauth:\/\/totp\/[^?]+\?secret=[A-Z2-7]+&issuer=[^&]+&digits=6&period=30$/, "totpURI");
  assert.ok(decodeURIComponent(new URL(data.totpURI).pathname).endsWith(tfEmail), "the URI names the account");
  assert.equal(data.backupCodes.length, 10, "ten backup codes");
  for (const c of data.backupCodes) assert.match(c, /^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/, "backup code shape");
  totpURI = data.totpURI;
  backupCodes = data.backupCodes;
  const s = assertOk(await T.client.getSession(), "get-session");
  assert.equal(s.user.twoFactorEnabled, false, "not enabled before the first code");
});

await step("two-factor: the first verified TOTP code turns 2FA on", async () => {
  assertError(await T.client.twoFactor.verifyTotp({ code: "000000" === totp(totpURI) ? "111111" : "000000" }), 401, "INVALID_CODE");
  const data = assertOk(await T.client.twoFactor.verifyTotp({ code: totp(totpURI) }), "verify-totp");
  assert.match(data.token, ID, "token");
  assertUser(data.user, { email: tfEmail });
  assertSessionCookie(T);
  const s = assertOk(await T.client.getSession(), "get-session");
  assert.equal(s.user.twoFactorEnabled, true, "enabled");
});

await step("two-factor: sign-in answers twoFactorRedirect and the two_factor cookie instead of a session", async () => {
  const D = browser("second device");
  const before = twoFactorRedirects;
  const data = assertOk(await D.client.signIn.email({ email: tfEmail, password }), "sign-in");
  assert.equal(data.twoFactorRedirect, true, "twoFactorRedirect");
  assert.ok(data.twoFactorMethods.includes("totp"), `methods ${data.twoFactorMethods}`);
  assert.equal(twoFactorRedirects, before + 1, "the client called onTwoFactorRedirect");
  assert.equal(D.cookie(SESSION_COOKIE), undefined, "no session cookie");
  const tf = D.cookie("better-auth.two_factor");
  assert.ok(tf, "the two_factor cookie");
  assert.equal(Number(tf.attrs["max-age"]), 600, "two_factor lives 10 minutes");
  assert.equal(assertOk(await D.client.getSession(), "get-session"), null, "not signed in yet");
  // The next step's code: the current one was spent turning 2FA on, and a server may refuse a
  // step twice.
  const done = assertOk(await D.client.twoFactor.verifyTotp({ code: totp(totpURI, 1), trustDevice: true }), "verify-totp");
  assert.match(done.token, ID, "token");
  assertSessionCookie(D, { token: done.token });
  assert.equal(D.cookie("better-auth.two_factor"), undefined, "two_factor cookie expired");
  const trust = D.cookie("better-auth.trust_device");
  assert.ok(trust, "trust_device cookie");
  assert.equal(Number(trust.attrs["max-age"]), 30 * 24 * 3600, "trusted for 30 days");
  // A trusted device signs in without a code.
  assertOk(await D.client.signOut(), "sign-out");
  const again = assertOk(await D.client.signIn.email({ email: tfEmail, password }), "sign-in on the trusted device");
  assert.equal(again.twoFactorRedirect, undefined, "no 2FA on a trusted device");
  assertSessionCookie(D, { token: again.token });
});

await step("two-factor: a backup code signs in once", async () => {
  const D = browser("backup-code device");
  assertOk(await D.client.signIn.email({ email: tfEmail, password }), "sign-in");
  const data = assertOk(await D.client.twoFactor.verifyBackupCode({ code: backupCodes[0] }), "verify-backup-code");
  assertSessionCookie(D, { token: data.token });
  assertUser(data.user, { email: tfEmail });
  const E = browser("replay device");
  assertOk(await E.client.signIn.email({ email: tfEmail, password }), "sign-in");
  assertError(await E.client.twoFactor.verifyBackupCode({ code: backupCodes[0] }), 401, "INVALID_BACKUP_CODE");
  const fresh = assertOk(await T.client.twoFactor.generateBackupCodes({ password }), "generate-backup-codes");
  assert.equal(fresh.status, true);
  assert.equal(fresh.backupCodes.length, 10);
  assert.ok(!fresh.backupCodes.includes(backupCodes[1]), "new codes");
  backupCodes = fresh.backupCodes;
});

await step("two-factor: a mailed one-time code signs in", async () => {
  const D = browser("otp device");
  const sign = assertOk(await D.client.signIn.email({ email: tfEmail, password }), "sign-in");
  assert.ok(sign.twoFactorMethods.includes("otp"), `methods ${sign.twoFactorMethods}`);
  const mark = mailMark();
  assert.equal(assertOk(await D.client.twoFactor.sendOtp(), "send-otp").status, true);
  const mail = await waitMail(tfEmail, "betterauth-two-factor-otp", mark, { link: false });
  assert.match(mail.data.otp, /^\d{6}$/, "data.otp");
  assertError(await D.client.twoFactor.verifyOtp({ code: mail.data.otp === "000000" ? "111111" : "000000" }), 401, "INVALID_CODE");
  const data = assertOk(await D.client.twoFactor.verifyOtp({ code: mail.data.otp }), "verify-otp");
  assertSessionCookie(D, { token: data.token });
});

await step("two-factor: getTotpUri needs the password; disable turns 2FA off", async () => {
  assertError(await T.client.twoFactor.getTotpUri({ password: "wrong password" }), 400, "INVALID_PASSWORD");
  assert.equal(assertOk(await T.client.twoFactor.getTotpUri({ password }), "get-totp-uri").totpURI.split("?")[0], totpURI.split("?")[0]);
  assert.equal(assertOk(await T.client.twoFactor.disable({ password }), "disable").status, true);
  const D = browser("after disable");
  const data = assertOk(await D.client.signIn.email({ email: tfEmail, password }), "sign-in");
  assert.equal(data.twoFactorRedirect, undefined, "no 2FA");
  assertSessionCookie(D, { token: data.token });
});

// ---------------------------------------------------------------------------------------------
// Passkeys.

const pkEmail = `pat.${run}@example.com`;
const P = browser("passkey device");
let passkeyId = "";

await step("passkey: addPasskey registers the authenticator's credential", async () => {
  const user = await signUp(P, pkEmail, "Pat", password);
  const data = assertOk(await P.client.passkey.addPasskey({ name: "Laptop" }), "add-passkey");
  assert.equal(data.name, "Laptop");
  assert.equal(data.userId, user.id);
  assert.equal(data.counter, 0);
  assert.equal(data.transports, "internal,hybrid");
  assert.match(data.publicKey, /^[A-Za-z0-9+/]+=*$/, "publicKey is base64");
  assert.ok(authenticator.credentials.has(data.credentialID), "credentialID is the authenticator's id");
  const list = assertOk(await P.client.passkey.listUserPasskeys(), "list-user-passkeys");
  assert.equal(list.length, 1);
  passkeyId = list[0].id;
  assert.equal(list[0].credentialID, data.credentialID);
});

await step("passkey: sign-in with the passkey, rename and delete it", async () => {
  const D = browser("passkey sign-in");
  const data = assertOk(await D.client.signIn.passkey(), "sign-in passkey");
  assertSession(data.session);
  assertUser(data.user, { email: pkEmail });
  assertSessionCookie(D, { token: data.session.token });
  const s = assertOk(await D.client.getSession(), "get-session");
  assert.equal(s.user.email, pkEmail);
  const renamed = assertOk(await P.client.passkey.updatePasskey({ id: passkeyId, name: "Desk" }), "update-passkey");
  assert.equal(renamed.passkey.name, "Desk");
  const [row] = assertOk(await P.client.passkey.listUserPasskeys(), "list");
  assert.ok(row.counter >= 1, `the sign count moved (${row.counter})`);
  assert.equal(assertOk(await P.client.passkey.deletePasskey({ id: passkeyId }), "delete-passkey").status, true);
  assert.equal(assertOk(await P.client.passkey.listUserPasskeys(), "list").length, 0);
});

// ---------------------------------------------------------------------------------------------
// Admin.

const A = browser("admin");
const U = browser("member");
const memberEmail = `uma.${run}@example.com`;
let memberId = "";

await step("admin: an admin lists and searches users; a plain user may not", async () => {
  // The admin account may exist from an earlier run against the same server.
  const adminPassword = "compat-suite-admin-password";
  const admin = (await A.client.signIn.email({ email: ADMIN_EMAIL, password: adminPassword })).data?.user ??
    (await signUp(A, ADMIN_EMAIL, "Ada Admin", adminPassword));
  assert.equal(admin.role, "admin", "ADMIN_EMAIL is an admin");
  const member = await signUp(U, memberEmail, "Uma", password);
  memberId = member.id;
  assert.equal(member.role, "user");
  const data = assertOk(await A.client.admin.listUsers({ query: { searchValue: `uma.${run}`, searchField: "email", limit: 10 } }), "list-users");
  assert.equal(data.total, 1);
  assert.equal(data.users[0].id, memberId);
  assert.equal(data.limit, 10);
  assertError(await U.client.admin.listUsers({ query: {} }), 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS");
  const perm = assertOk(await A.client.admin.hasPermission({ permissions: { user: ["ban"] } }), "has-permission");
  assert.equal(perm.success, true);
  assert.equal(assertOk(await U.client.admin.hasPermission({ permissions: { user: ["ban"] } }), "has-permission").success, false);
});

await step("admin: get, create and update users; roles; passwords; removal", async () => {
  const got = assertOk(await A.client.admin.getUser({ query: { id: memberId } }), "get-user");
  assert.equal(got.email, memberEmail, "get-user answers the bare user");
  const email = `cy.${run}@example.com`;
  const created = assertOk(await A.client.admin.createUser({ email, password, name: "Cy", role: ["user"] }), "create-user");
  assertUser(created.user, { email });
  assertError(await A.client.admin.createUser({ email, password, name: "Cy" }), 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
  const updated = assertOk(await A.client.admin.updateUser({ userId: created.user.id, data: { name: "Cyril" } }), "update-user");
  assert.equal(updated.name, "Cyril", "update-user answers the bare user");
  const sorted = assertOk(await A.client.admin.listUsers({
    query: { searchValue: run, sortBy: "name", sortDirection: "desc", filterField: "name", filterOperator: "in", filterValue: ["Cyril", "Uma"] },
  }), "list-users");
  assert.deepEqual(sorted.users.map((u) => u.name), ["Uma", "Cyril"]);
  const role = assertOk(await A.client.admin.setRole({ userId: created.user.id, role: ["user", "admin"] }), "set-role");
  assert.equal(role.user.role, "user,admin", "a role list is stored comma-joined");
  assertError(await A.client.admin.impersonateUser({ userId: created.user.id }), 403, "YOU_CANNOT_IMPERSONATE_ADMINS");
  assert.equal(assertOk(await A.client.admin.setUserPassword({ userId: created.user.id, newPassword: `${password}-2` }), "set-user-password").status, true);
  const C = browser("created user");
  assertOk(await C.client.signIn.email({ email, password: `${password}-2` }), "sign-in with the new password");
  assert.equal(assertOk(await A.client.admin.removeUser({ userId: created.user.id }), "remove-user").success, true);
  assertError(await A.client.admin.getUser({ query: { id: created.user.id } }), 404, "USER_NOT_FOUND");
  assertError(await C.client.signIn.email({ email, password: `${password}-2` }), 401, "INVALID_EMAIL_OR_PASSWORD");
});

await step("admin: a banned user cannot sign in until unbanned; their sessions end", async () => {
  const banned = assertOk(await A.client.admin.banUser({ userId: memberId, banReason: "spam" }), "ban-user");
  assert.equal(banned.user.banned, true);
  assert.equal(banned.user.banReason, "spam");
  assert.equal(assertOk(await U.client.getSession(), "get-session"), null, "the member's session ended");
  assertError(await U.client.signIn.email({ email: memberEmail, password }), 403, "BANNED_USER");
  assert.equal(assertOk(await A.client.admin.unbanUser({ userId: memberId }), "unban-user").user.banned, false);
  assertOk(await U.client.signIn.email({ email: memberEmail, password }), "sign-in after the unban");
  const sessions = assertOk(await A.client.admin.listUserSessions({ userId: memberId }), "list-user-sessions").sessions;
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].userId, memberId);
  assert.equal(assertOk(await A.client.admin.revokeUserSession({ sessionToken: sessions[0].token }), "revoke-user-session").success, true);
  assert.equal(assertOk(await U.client.getSession(), "get-session"), null, "that session ended");
  assertOk(await U.client.signIn.email({ email: memberEmail, password }), "sign-in again");
});

await step("admin: impersonate a user, then stop", async () => {
  const adminToken = A.sessionToken();
  const data = assertOk(await A.client.admin.impersonateUser({ userId: memberId }), "impersonate-user");
  assert.equal(data.session.userId, memberId);
  assert.ok(data.session.impersonatedBy, "impersonatedBy");
  assert.ok(A.cookie("better-auth.admin_session"), "the admin_session cookie");
  const s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.user.email, memberEmail, "acting as the member");
  assert.equal(s.session.impersonatedBy, data.session.impersonatedBy);
  const listed = assertOk(await A.client.listSessions(), "list-sessions");
  assert.ok(!listed.some((x) => x.impersonatedBy), "list-sessions hides impersonation sessions");
  const back = assertOk(await A.client.admin.stopImpersonating(), "stop-impersonating");
  assert.equal(back.user.email, ADMIN_EMAIL);
  assert.equal(A.sessionToken(), adminToken, "the admin's own session is back");
  assert.equal(A.cookie("better-auth.admin_session"), undefined, "admin_session cleared");
  assert.equal(assertOk(await A.client.admin.revokeUserSessions({ userId: memberId }), "revoke-user-sessions").success, true);
  assert.equal(assertOk(await U.client.getSession(), "get-session"), null, "the member was signed out");
  assertOk(await U.client.signIn.email({ email: memberEmail, password }), "member signs in again");
});

// ---------------------------------------------------------------------------------------------
// API keys.

await step("api-key: create shows the key once; list, update, and x-api-key sessions", async () => {
  const created = assertOk(await U.client.apiKey.create({ name: "ci", prefix: "gh_" }), "create");
  assert.match(created.key, /^gh_[A-Za-z]{64}$/, "key shape");
  assert.equal(created.start, created.key.slice(0, 6));
  assert.equal(created.referenceId, memberId);
  const list = assertOk(await U.client.apiKey.list(), "list");
  assert.equal(list.total, 1);
  assert.equal(list.apiKeys[0].id, created.id);
  assert.equal(list.apiKeys[0].key, undefined, "the key is not shown again");
  const got = assertOk(await U.client.apiKey.get({ query: { id: created.id } }), "get");
  assert.equal(got.name, "ci");
  const upd = assertOk(await U.client.apiKey.update({ keyId: created.id, name: "deploy" }), "update");
  assert.equal(upd.name, "deploy");
  // A client without cookies, authenticated by the key alone.
  const res = await fetch(`${API}/get-session`, { headers: { "x-api-key": created.key, origin: ORIGIN } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.user.id, memberId, "the key's owner");
  const bad = await fetch(`${API}/get-session`, { headers: { "x-api-key": `gh_${"x".repeat(64)}` } });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).code, "INVALID_API_KEY");
  assert.equal(assertOk(await U.client.apiKey.delete({ keyId: created.id }), "delete").success, true);
  assert.equal(assertOk(await U.client.apiKey.list(), "list").total, 0);
});

// ---------------------------------------------------------------------------------------------
// Organizations.

await step("organization: create (the creator is owner), check-slug, list, set-active, full organization", async () => {
  const slug = `acme-${run}`;
  assert.equal(assertOk(await A.client.organization.checkSlug({ slug }), "check-slug").status, true);
  const org = assertOk(await A.client.organization.create({ name: "Acme", slug }), "create");
  assert.equal(org.slug, slug);
  assert.equal(org.members.length, 1);
  assert.equal(org.members[0].role, "owner");
  assertError(await A.client.organization.checkSlug({ slug }), 400, "ORGANIZATION_SLUG_ALREADY_TAKEN");
  const list = assertOk(await A.client.organization.list(), "list");
  assert.ok(list.some((o) => o.id === org.id), "listed");
  assertOk(await A.client.organization.setActive({ organizationId: org.id }), "set-active");
  const s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.session.activeOrganizationId, org.id);
  const full = assertOk(await A.client.organization.getFullOrganization(), "get-full-organization");
  assert.equal(full.id, org.id);
  assert.equal(full.members[0].user.email, ADMIN_EMAIL);
});

await step("organization: invite by mail, accept, change the role, leave, delete", async () => {
  const s = assertOk(await A.client.getSession(), "get-session");
  const orgId = s.session.activeOrganizationId;
  const mark = mailMark();
  const inv = assertOk(await A.client.organization.inviteMember({ email: memberEmail, role: "member" }), "invite-member");
  assert.equal(inv.email, memberEmail);
  assert.equal(inv.status, "pending");
  const mail = await waitMail(memberEmail, "betterauth-organization-invitation", mark, { link: false });
  assert.equal(mail.data.invitationId, inv.id);
  assert.equal(mail.data.organizationId, orgId);
  const got = assertOk(await U.client.organization.getInvitation({ query: { id: inv.id } }), "get-invitation");
  assert.equal(got.organizationId, orgId);
  const accepted = assertOk(await U.client.organization.acceptInvitation({ invitationId: inv.id }), "accept-invitation");
  assert.equal(accepted.invitation.status, "accepted");
  assert.equal(accepted.member.role, "member");
  const members = assertOk(await A.client.organization.listMembers(), "list-members");
  assert.equal(members.total, 2);
  const updated = assertOk(await A.client.organization.updateMemberRole({ memberId: accepted.member.id, role: "admin" }), "update-member-role");
  assert.equal(updated.role, "admin");
  const active = assertOk(await U.client.organization.getActiveMember(), "get-active-member");
  assert.equal(active.role, "admin");
  assertOk(await U.client.organization.leave({ organizationId: orgId }), "leave");
  assertError(await A.client.organization.leave({ organizationId: orgId }), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER");
  const deleted = assertOk(await A.client.organization.delete({ organizationId: orgId }), "delete");
  assert.equal(deleted.id, orgId);
});

finish();
