// Compatibility suite: drives a Better Auth server through the real better-auth client
// (better-auth/client, exact version in package.json) the way an application's users would,
// and asserts what they would notice. Proven against the real Better Auth server
// (cmd/bench/betterauth-node); pointed at gatehouse's /api/auth it checks our compatibility.
//
// Environment:
//   BA_BASE_URL    the server's origin, e.g. http://127.0.0.1:3911 (the API is at $BA_BASE_URL/api/auth)
//   BA_ORIGIN      the Origin header to send (default: BA_BASE_URL's origin)
//   MAIL_FILE      the server's mail file: one JSON object per line {id,to,subject,template,data:{url,token},...}
//   OIDC_PROVIDER  optional: a social provider id configured on the server; runs the social sign-in part
//   OIDC_EMAIL     optional: the email the provider signs in as (checked when set)
//   BA_TIMEOUT_MS  optional: the whole-suite time limit (default 30000)
//   BA_TRACE=1     optional: print every request, Set-Cookie and body to stderr
//
// The target must not rate-limit (Better Auth allows 3 sign-ins per 10 s per client by default).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import {
  API, BASE, Browser, DONT_REMEMBER_COOKIE, ID, ISO_MS_Z, OIDC_EMAIL, OIDC_PROVIDER, SESSION_COOKIE, SIGNATURE,
  assertError, assertOk, assertSession, assertSessionCookie, assertUser, finish, location, mailMark, noMail,
  splitSigned, startSuite, step, waitMail,
} from "./lib.mjs";

startSuite();
const run = randomBytes(4).toString("hex");
const email = `ann.${run}@example.com`;
const usernameShown = `Ann_${run}`;
const username = usernameShown.toLowerCase();
let password = `first-password-${run}`;

const A = new Browser("device A");
const B = new Browser("device B");
const C = new Browser("device C");
const fresh = (name = "fresh browser") => new Browser(name);

let userId = "";
let tokenA = "";
let tokenB = "";
let tokenC = "";

await step("sign-up with email and username returns a token and the user, and sets the session cookie", async () => {
  const res = await A.client.signUp.email({ email, password, name: "Ann Example", username: usernameShown });
  const data = assertOk(res, "sign-up");
  assert.deepEqual(Object.keys(data).sort(), ["token", "user"], "sign-up answers {token, user}");
  assert.match(data.token, ID, "token");
  assertUser(data.user, { email, name: "Ann Example", username, displayUsername: usernameShown });
  assert.equal(data.user.emailVerified, false, "emailVerified");
  assert.equal(data.user.image, null, "image is an explicit null");
  const raw = JSON.parse(A.last.text);
  assert.match(raw.user.createdAt, ISO_MS_Z, "createdAt on the wire is ISO-8601 with ms and Z");
  assert.equal(raw.user.image, null, "image is null on the wire");
  assert.equal(A.last.headers.get("content-type")?.split(";")[0], "application/json", "content-type");
  userId = data.user.id;
  tokenA = assertSessionCookie(A, { token: data.token });
  assert.equal(Number(A.cookie(SESSION_COOKIE).attrs["max-age"]), 604800, "session cookie Max-Age is 7 days");
});

await step("get-session returns the session and the user", async () => {
  const data = assertOk(await A.client.getSession(), "get-session");
  assert.equal(A.last.method, "GET", "getSession is a GET");
  assert.equal(A.last.headers.get("cache-control"), "no-store", "get-session cache-control");
  assertSession(data.session, { token: tokenA, userId });
  assertUser(data.user, { email, username, displayUsername: usernameShown });
  assert.equal(data.user.id, userId);
  const days = (data.session.expiresAt.getTime() - Date.now()) / 86400e3;
  assert.ok(days > 6.9 && days <= 7.01, `session lasts 7 days (${days.toFixed(3)})`);
});

await step("sign-out ends the session and clears the cookie", async () => {
  const data = assertOk(await A.client.signOut(), "sign-out");
  assert.deepEqual(data, { success: true });
  assert.equal(A.cookie(SESSION_COOKIE), undefined, "session cookie removed");
  const after = await A.client.getSession();
  assert.equal(after.error, null);
  assert.equal(after.data, null, "get-session is null after sign-out");
  const again = fresh();
  assert.deepEqual(assertOk(await again.client.signOut(), "sign-out without a cookie"), { success: true });
});

await step("sign-in with email", async () => {
  const data = assertOk(await A.client.signIn.email({ email, password }), "sign-in/email");
  assert.equal(data.redirect, false, "redirect");
  assert.match(data.token, ID);
  assertUser(data.user, { email, username });
  assert.equal(data.user.id, userId);
  tokenA = assertSessionCookie(A, { token: data.token });
  const s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.session.token, tokenA);
});

await step("sign-in with username on a second device", async () => {
  const data = assertOk(await B.client.signIn.username({ username: usernameShown, password }), "sign-in/username");
  assert.equal(data.redirect, false, "redirect");
  assertUser(data.user, { email, username });
  assert.equal(data.user.id, userId);
  tokenB = assertSessionCookie(B, { token: data.token });
  assert.notEqual(tokenB, tokenA, "each device has its own session");
  const s = assertOk(await B.client.getSession(), "get-session");
  assert.equal(s.session.token, tokenB);
});

await step("a wrong password or unknown account is rejected with 401", async () => {
  const X = fresh();
  assertError(await X.client.signIn.email({ email, password: "wrong-password-123" }), 401, "INVALID_EMAIL_OR_PASSWORD");
  assertError(await X.client.signIn.email({ email: `nobody.${run}@example.com`, password }), 401, "INVALID_EMAIL_OR_PASSWORD");
  assertError(await X.client.signIn.username({ username, password: "wrong-password-123" }), 401, "INVALID_USERNAME_OR_PASSWORD");
  assertError(await X.client.signIn.username({ username: `nobody_${run}`, password }), 401, "INVALID_USERNAME_OR_PASSWORD");
  assert.equal(X.cookie(SESSION_COOKIE), undefined, "no session cookie");
});

await step("signing up again with a taken email or username is rejected", async () => {
  const X = fresh();
  assertError(
    await X.client.signUp.email({ email, password, name: "Someone Else" }),
    422,
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
  );
  assertError(
    await X.client.signUp.email({ email: `other.${run}@example.com`, password, name: "Someone Else", username: usernameShown.toUpperCase() }),
    400,
    "USERNAME_IS_ALREADY_TAKEN",
  );
  assertError(await X.client.signUp.email({ email: "not-an-email", password, name: "X" }), 400, "VALIDATION_ERROR");
  assert.equal(X.cookie(SESSION_COOKIE), undefined, "no session cookie");
});

await step("isUsernameAvailable tells taken from free usernames", async () => {
  assert.equal(typeof A.client.isUsernameAvailable, "function", "the 1.7 client exposes isUsernameAvailable");
  const taken = assertOk(await A.client.isUsernameAvailable({ username: usernameShown }), "is-username-available");
  assert.deepEqual(taken, { available: false });
  const free = assertOk(await A.client.isUsernameAvailable({ username: `free_${run}` }), "is-username-available");
  assert.deepEqual(free, { available: true });
});

await step("rememberMe:false gives a browser-session cookie and a signed dont_remember cookie", async () => {
  const data = assertOk(await C.client.signIn.email({ email, password, rememberMe: false }), "sign-in/email");
  tokenC = assertSessionCookie(C, { token: data.token, remember: false });
  const dr = C.cookie(DONT_REMEMBER_COOKIE);
  assert.ok(dr, `${DONT_REMEMBER_COOKIE} is set (jar: ${[...C.jar().keys()].join(",")})`);
  const { payload, signature } = splitSigned(dr.value);
  assert.equal(payload, "true", "dont_remember value");
  assert.match(signature, SIGNATURE, "dont_remember signature");
  assert.equal(dr.attrs.httponly, true, "dont_remember is HttpOnly");
  const s = assertOk(await C.client.getSession(), "get-session");
  assert.equal(s.session.token, tokenC);
  const days = (s.session.expiresAt.getTime() - Date.now()) / 86400e3;
  assert.ok(days > 0.9 && days <= 1.01, `a session not remembered lasts 1 day (${days.toFixed(3)})`);
});

await step("updateUser changes name and image, seen on every device", async () => {
  const image = `https://example.com/avatars/${run}.png`;
  const data = assertOk(await A.client.updateUser({ name: "Ann Updated", image }), "update-user");
  assert.deepEqual(data, { status: true });
  for (const b of [A, B]) {
    const s = assertOk(await b.client.getSession(), `get-session on ${b.name}`);
    assert.equal(s.user.name, "Ann Updated", `name on ${b.name}`);
    assert.equal(s.user.image, image, `image on ${b.name}`);
    assert.ok(s.user.updatedAt.getTime() >= s.user.createdAt.getTime(), "updatedAt >= createdAt");
  }
});

await step("a request with the session cookie but a foreign or missing Origin is refused", async () => {
  const cookie = [...A.jar()].map(([n, c]) => `${n}=${c.value}`).join("; ");
  const post = (headers) =>
    fetch(`${API}/update-user`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, ...headers },
      body: JSON.stringify({ name: "Mallory" }),
    });
  let res = await post({ origin: "http://evil.example" });
  assert.equal(res.status, 403, "foreign Origin");
  assert.equal((await res.json()).code, "INVALID_ORIGIN");
  res = await post({});
  assert.equal(res.status, 403, "missing Origin");
  assert.equal((await res.json()).code, "MISSING_OR_NULL_ORIGIN");
  const s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.user.name, "Ann Updated", "name unchanged");
});

await step("listSessions shows every signed-in device", async () => {
  const list = assertOk(await A.client.listSessions(), "list-sessions");
  assert.ok(Array.isArray(list), "an array");
  // Every device's session is listed (by id). Better Auth also shows every session's bearer
  // token; gatehouse shows only the caller's own and a revocation handle for the others, so
  // the suite asks for no more than the caller's own token.
  const ids = list.map((s) => s.id);
  for (const [name, b] of [["A", A], ["B", B], ["C", C]]) {
    const s = assertOk(await b.client.getSession(), `get-session ${name}`);
    assert.ok(ids.includes(s.session.id), `session of device ${name} listed`);
  }
  assert.ok(list.some((s) => s.token === tokenA), "this device's own token is listed");
  for (const s of list) {
    assertSession(s, { userId });
  }
});

await step("revokeSession signs out another device", async () => {
  assert.deepEqual(assertOk(await A.client.revokeSession({ token: tokenC }), "revoke-session"), { status: true });
  const c = await C.client.getSession();
  assert.equal(c.error, null);
  assert.equal(c.data, null, "the revoked device is signed out");
  assert.equal(C.cookie(SESSION_COOKIE), undefined, "the revoked device's stale cookie is expired");
  const list = assertOk(await A.client.listSessions(), "list-sessions");
  assert.ok(!list.some((s) => s.token === tokenC), "revoked session no longer listed");
  assert.ok(assertOk(await A.client.getSession(), "get-session"), "this device is still signed in");
});

await step("changePassword with a wrong current password is rejected", async () => {
  assertError(
    await A.client.changePassword({ currentPassword: "not-the-password", newPassword: `second-password-${run}` }),
    400,
    "INVALID_PASSWORD",
  );
  assert.ok(assertOk(await A.client.getSession(), "get-session"), "still signed in");
});

await step("changePassword with revokeOtherSessions signs out the other device and renews this one", async () => {
  const newPassword = `second-password-${run}`;
  const data = assertOk(
    await A.client.changePassword({ currentPassword: password, newPassword, revokeOtherSessions: true }),
    "change-password",
  );
  assert.match(data.token, ID, "change-password returns a new token");
  assert.notEqual(data.token, tokenA, "the token is new");
  assertUser(data.user, { email });
  tokenA = assertSessionCookie(A, { token: data.token });
  const b = await B.client.getSession();
  assert.equal(b.data, null, "the other device is signed out");
  const a = assertOk(await A.client.getSession(), "get-session");
  assert.equal(a.session.token, tokenA, "this device goes on with the new session");
  const X = fresh();
  assertError(await X.client.signIn.email({ email, password }), 401, "INVALID_EMAIL_OR_PASSWORD");
  password = newPassword;
  assertOk(await X.client.signIn.email({ email, password }), "sign-in with the new password");
});

await step("revokeOtherSessions keeps only this device", async () => {
  tokenB = assertOk(await B.client.signIn.email({ email, password }), "sign-in on B").token;
  assert.deepEqual(assertOk(await A.client.revokeOtherSessions(), "revoke-other-sessions"), { status: true });
  assert.equal((await B.client.getSession()).data, null, "device B is signed out");
  const a = assertOk(await A.client.getSession(), "get-session");
  assert.equal(a.session.token, tokenA, "device A keeps its session");
  const list = assertOk(await A.client.listSessions(), "list-sessions");
  assert.deepEqual(list.map((s) => s.token), [tokenA], "only this device's session is left");
});

await step("revokeSessions signs out every device", async () => {
  tokenB = assertOk(await B.client.signIn.email({ email, password }), "sign-in on B").token;
  assert.deepEqual(assertOk(await A.client.revokeSessions(), "revoke-sessions"), { status: true });
  assert.equal((await A.client.getSession()).data, null, "device A is signed out");
  assert.equal((await B.client.getSession()).data, null, "device B is signed out");
  tokenA = assertOk(await A.client.signIn.email({ email, password }), "sign-in again").token;
});

await step("sendVerificationEmail mails a link that verifies the address", async () => {
  const mark = mailMark();
  const data = assertOk(await A.client.sendVerificationEmail({ email, callbackURL: "/verified" }), "send-verification-email");
  assert.deepEqual(data, { status: true });
  const mail = await waitMail(email, "betterauth-verify-email", mark);
  const link = new URL(mail.data.url);
  assert.equal(link.origin + link.pathname, `${API}/verify-email`, "link path");
  assert.equal(link.searchParams.get("token"), mail.data.token, "link carries the token");
  const res = await A.navigate(mail.data.url);
  assert.equal(res.status, 302, "the link redirects");
  assert.equal(location(res).pathname, "/verified", "to the callbackURL");
  const s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.user.emailVerified, true, "emailVerified");
  const again = await A.client.sendVerificationEmail({ email });
  assertError(again, 400, "EMAIL_ALREADY_VERIFIED");
});

await step("requestPasswordReset mails a link; resetPassword sets the new password", async () => {
  const X = fresh();
  const mark = mailMark();
  const data = assertOk(await X.client.requestPasswordReset({ email, redirectTo: "/reset" }), "request-password-reset");
  assert.equal(data.status, true);
  assert.equal(typeof data.message, "string");
  const mail = await waitMail(email, "betterauth-reset-password", mark);
  const link = new URL(mail.data.url);
  assert.equal(link.origin + link.pathname, `${API}/reset-password/${mail.data.token}`, "link path");
  const res = await X.navigate(mail.data.url);
  assert.equal(res.status, 302, "the link redirects to the app");
  const to = location(res);
  assert.equal(to.pathname, "/reset", "to redirectTo");
  assert.equal(to.searchParams.get("token"), mail.data.token, "with the token");
  const newPassword = `third-password-${run}`;
  assert.deepEqual(assertOk(await X.client.resetPassword({ newPassword, token: mail.data.token }), "reset-password"), { status: true });
  assertError(await X.client.resetPassword({ newPassword: `fourth-password-${run}`, token: mail.data.token }), 400, "INVALID_TOKEN");
  assertError(await X.client.signIn.email({ email, password }), 401, "INVALID_EMAIL_OR_PASSWORD");
  password = newPassword;
  assertOk(await X.client.signIn.email({ email, password }), "sign-in with the reset password");

  const nobody = `nobody.${run}@example.com`;
  const mark2 = mailMark();
  const unknown = assertOk(await X.client.requestPasswordReset({ email: nobody, redirectTo: "/reset" }), "request-password-reset (unknown)");
  assert.deepEqual(unknown, data, "an unknown address gets the same answer");
  await noMail(nobody, mark2);
});

const newEmail = `ann.new.${run}@example.com`;
await step("changeEmail of a verified user mails the current address, then the new one", async () => {
  let mark = mailMark();
  assert.deepEqual(assertOk(await A.client.changeEmail({ newEmail, callbackURL: "/email-changed" }), "change-email"), { status: true });
  const confirm = await waitMail(email, "betterauth-change-email", mark);
  let s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.user.email, email, "the email is unchanged until confirmed");
  mark = mailMark();
  let res = await A.navigate(confirm.data.url);
  assert.equal(res.status, 302, "the confirmation link redirects");
  assert.equal(location(res).pathname, "/email-changed");
  const verify = await waitMail(newEmail, "betterauth-verify-email", mark);
  res = await A.navigate(verify.data.url);
  assert.equal(res.status, 302, "the verification link redirects");
  assert.equal(location(res).pathname, "/email-changed");
  s = assertOk(await A.client.getSession(), "get-session");
  assert.equal(s.user.email, newEmail, "the email is changed");
  assert.equal(s.user.emailVerified, true, "and still verified");
  const X = fresh();
  assertOk(await X.client.signIn.email({ email: newEmail, password }), "sign-in with the new email");
  assertError(await X.client.signIn.email({ email, password }), 401, "INVALID_EMAIL_OR_PASSWORD");
});

await step("deleteUser with the password deletes the account", async () => {
  assertError(await A.client.deleteUser({ password: "not-the-password" }), 400, "INVALID_PASSWORD");
  const mark = mailMark();
  const data = assertOk(await A.client.deleteUser({ password, callbackURL: "/goodbye" }), "delete-user");
  assert.equal(data.success, true);
  if (data.message === "Verification email sent") {
    const mail = await waitMail(newEmail, "betterauth-delete-account", mark);
    assert.equal(assertOk(await A.client.getSession(), "get-session").user.id, userId, "not deleted before the link");
    const res = await A.navigate(mail.data.url);
    assert.equal(res.status, 302, "the link redirects");
    assert.equal(location(res).pathname, "/goodbye");
  } else {
    assert.equal(data.message, "User deleted");
  }
  assert.equal((await A.client.getSession()).data, null, "signed out");
  const X = fresh();
  assertError(await X.client.signIn.email({ email: newEmail, password }), 401, "INVALID_EMAIL_OR_PASSWORD");
  assertError(await X.client.signIn.username({ username, password }), 401, "INVALID_USERNAME_OR_PASSWORD");
  const free = assertOk(await X.client.isUsernameAvailable({ username }), "is-username-available");
  assert.deepEqual(free, { available: true }, "the username is free again");
});

if (OIDC_PROVIDER) {
  await step(`social sign-in through ${OIDC_PROVIDER}`, async () => {
    const S = fresh("social browser");
    const data = assertOk(
      await S.client.signIn.social({ provider: OIDC_PROVIDER, callbackURL: "/dashboard" }),
      "sign-in/social",
    );
    assert.equal(typeof data.url, "string", "sign-in/social answers the provider's url");
    assert.equal(data.redirect, true, "and asks the browser to go there");
    assert.equal(S.cookie(SESSION_COOKIE), undefined, "no session yet");
    const callback = `${API}/callback/${OIDC_PROVIDER}`;
    let url = new URL(data.url);
    for (let hops = 0; !url.href.startsWith(callback); hops++) {
      assert.ok(hops < 10, "the provider comes back to the callback within 10 redirects");
      const res = await S.navigate(url);
      assert.ok(res.status >= 300 && res.status < 400, `${url.origin}${url.pathname} redirects (got ${res.status})`);
      url = new URL(res.headers.get("location"), url);
    }
    assert.ok(url.searchParams.get("code"), "callback has a code");
    assert.ok(url.searchParams.get("state"), "callback has a state");
    const res = await S.navigate(url);
    assert.equal(res.status, 302, `the callback redirects (body ${S.last.text.slice(0, 200)})`);
    const to = location(res);
    assert.equal(to.pathname, "/dashboard", `to the callbackURL (got ${to.href})`);
    assertSessionCookie(S);
    const s = assertOk(await S.client.getSession(), "get-session");
    assert.ok(s, "signed in");
    assertUser(s.user);
    assert.match(s.user.email, /^[^@\s]+@[^@\s]+$/, "the provider's email");
    if (OIDC_EMAIL) assert.equal(s.user.email, OIDC_EMAIL.toLowerCase(), "the provider's user email");
  });
} else {
  console.log("# social sign-in: OIDC_PROVIDER is not configured for this target; skipped");
}

finish();
