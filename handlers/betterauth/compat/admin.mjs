// Admin plugin compatibility: drives the admin endpoints through the real better-auth client
// with adminClient() (better-auth/client/plugins, the version in package.json), as an admin
// dashboard would, and asserts what it would see.
//
// Environment:
//   BA_BASE_URL   the server's origin (the API is at $BA_BASE_URL/api/auth)
//   ADMIN_EMAIL   an address the server creates with the role "admin"
import assert from "node:assert/strict";

import { createAuthClient } from "better-auth/client";
import { adminClient } from "better-auth/client/plugins";

const BASE = (process.env.BA_BASE_URL || "").replace(/\/+$/, "");
const ADMIN_EMAIL = process.env.ADMIN_EMAIL || "";
if (!BASE || !ADMIN_EMAIL) {
  console.error("BA_BASE_URL and ADMIN_EMAIL are required");
  process.exit(2);
}
const ORIGIN = new URL(BASE).origin;

// A browser: one cookie jar in front of fetch, and a client using it.
class Browser {
  constructor() {
    this.jar = new Map();
    this.client = createAuthClient({
      baseURL: BASE,
      plugins: [adminClient()],
      fetchOptions: { customFetchImpl: (input, init) => this.fetch(input, init) },
    });
  }

  async fetch(input, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("origin", ORIGIN);
    if (this.jar.size) headers.set("cookie", [...this.jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === "" || attrs.some((a) => /^max-age=0$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }
}

let step = 0;
async function check(name, fn) {
  step++;
  try {
    await fn();
    console.log(`ok ${step} - ${name}`);
  } catch (e) {
    console.log(`not ok ${step} - ${name}`);
    console.log(e);
    process.exitCode = 1;
  }
}

const admin = new Browser();
const ann = new Browser();
let adminId, annId, bobId;

await check("sign-up of an admin and a user", async () => {
  const a = await admin.client.signUp.email({ email: ADMIN_EMAIL, password: "correct horse", name: "Root" });
  assert.equal(a.error, null);
  assert.equal(a.data.user.role, "admin");
  adminId = a.data.user.id;
  const b = await ann.client.signUp.email({ email: "ann@example.com", password: "correct horse", name: "Ann" });
  assert.equal(b.error, null);
  assert.equal(b.data.user.role, "user");
  annId = b.data.user.id;
});

await check("listUsers with search, filter, sort and paging", async () => {
  const { data, error } = await admin.client.admin.listUsers({
    query: { searchValue: "example.com", limit: 10, offset: 0, sortBy: "name", sortDirection: "desc", filterField: "banned", filterValue: false },
  });
  assert.equal(error, null);
  assert.deepEqual(data.users.map((u) => u.name), ["Root", "Ann"]);
  assert.equal(data.total, 2);
  assert.equal(data.limit, 10);
  assert.equal("offset" in data, false);
  const page = await admin.client.admin.listUsers({ query: { filterField: "name", filterOperator: "in", filterValue: ["Ann", "Zed"] } });
  assert.deepEqual(page.data.users.map((u) => u.id), [annId]);
});

await check("a plain user is refused, and no session is 401", async () => {
  const { error } = await ann.client.admin.listUsers({ query: {} });
  assert.equal(error.status, 403);
  assert.equal(error.code, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS");
  const anon = new Browser();
  const r = await anon.client.admin.listUsers({ query: {} });
  assert.equal(r.error.status, 401);
});

await check("getUser, createUser, updateUser, setRole", async () => {
  const got = await admin.client.admin.getUser({ query: { id: annId } });
  assert.equal(got.error, null);
  assert.equal(got.data.email, "ann@example.com");
  const created = await admin.client.admin.createUser({ email: "bob@example.com", password: "bob's horse", name: "Bob", role: ["user"] });
  assert.equal(created.error, null);
  bobId = created.data.user.id;
  const updated = await admin.client.admin.updateUser({ userId: bobId, data: { name: "Bobby" } });
  assert.equal(updated.error, null);
  assert.equal(updated.data.name, "Bobby");
  const role = await admin.client.admin.setRole({ userId: bobId, role: ["user", "admin"] });
  assert.equal(role.data.user.role, "user,admin");
  const dup = await admin.client.admin.createUser({ email: "bob@example.com", password: "x".repeat(8), name: "Bob" });
  assert.equal(dup.error.status, 400);
  assert.equal(dup.error.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
});

await check("banUser refuses the sign-in; unbanUser allows it", async () => {
  const banned = await admin.client.admin.banUser({ userId: annId, banReason: "spam", banExpiresIn: 60 });
  assert.equal(banned.data.user.banned, true);
  assert.equal(banned.data.user.banReason, "spam");
  const s = await ann.client.getSession();
  assert.equal(s.data, null);
  const r = await ann.client.signIn.email({ email: "ann@example.com", password: "correct horse" });
  assert.equal(r.error.status, 403);
  assert.equal(r.error.code, "BANNED_USER");
  assert.equal(r.error.message, "You have been banned from this application. Please contact support if you believe this is an error.");
  const unbanned = await admin.client.admin.unbanUser({ userId: annId });
  assert.equal(unbanned.data.user.banned, false);
  const again = await ann.client.signIn.email({ email: "ann@example.com", password: "correct horse" });
  assert.equal(again.error, null);
});

await check("listUserSessions, revokeUserSession, revokeUserSessions", async () => {
  const list = await admin.client.admin.listUserSessions({ userId: annId });
  assert.equal(list.data.sessions.length, 1);
  const revoked = await admin.client.admin.revokeUserSession({ sessionToken: list.data.sessions[0].token });
  assert.equal(revoked.data.success, true);
  assert.equal((await ann.client.getSession()).data, null);
  await ann.client.signIn.email({ email: "ann@example.com", password: "correct horse" });
  const all = await admin.client.admin.revokeUserSessions({ userId: annId });
  assert.equal(all.data.success, true);
  assert.equal((await ann.client.getSession()).data, null);
});

await check("setUserPassword and hasPermission", async () => {
  const r = await admin.client.admin.setUserPassword({ userId: annId, newPassword: "new horse 1" });
  assert.equal(r.data.status, true);
  assert.equal((await ann.client.signIn.email({ email: "ann@example.com", password: "new horse 1" })).error, null);
  const yes = await admin.client.admin.hasPermission({ permissions: { user: ["ban"], session: ["revoke"] } });
  assert.deepEqual(yes.data, { error: null, success: true });
  const no = await ann.client.admin.hasPermission({ permissions: { user: ["ban"] } });
  assert.equal(no.data.success, false);
});

await check("impersonateUser and stopImpersonating", async () => {
  const imp = await admin.client.admin.impersonateUser({ userId: annId });
  assert.equal(imp.error, null);
  assert.equal(imp.data.session.impersonatedBy, adminId);
  const as = await admin.client.getSession();
  assert.equal(as.data.user.id, annId);
  assert.equal(as.data.session.impersonatedBy, adminId);
  const sessions = await admin.client.listSessions();
  assert.equal(sessions.data.some((s) => s.impersonatedBy), false);
  const back = await admin.client.admin.stopImpersonating();
  assert.equal(back.error, null);
  assert.equal(back.data.user.id, adminId);
  assert.equal((await admin.client.getSession()).data.user.id, adminId);
  const refused = await admin.client.admin.impersonateUser({ userId: bobId });
  assert.equal(refused.error.code, "YOU_CANNOT_IMPERSONATE_ADMINS");
});

await check("removeUser", async () => {
  const r = await admin.client.admin.removeUser({ userId: bobId });
  assert.equal(r.data.success, true);
  const gone = await admin.client.admin.getUser({ query: { id: bobId } });
  assert.equal(gone.error.status, 404);
  assert.equal(gone.error.code, "USER_NOT_FOUND");
});

console.log(process.exitCode ? "admin suite failed" : "admin suite done");
