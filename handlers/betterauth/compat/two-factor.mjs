// Two-factor compatibility suite: drives a Better Auth server through the real better-auth
// client with its twoFactorClient plugin (better-auth/client/plugins) the way an application
// does: set up TOTP, sign in through the two-factor redirect with a TOTP code, a mailed code
// and a backup code, trust a device, regenerate backup codes, and turn it off.
//
// Environment: BA_BASE_URL (the server's origin; the API is at $BA_BASE_URL/api/auth) and
// MAIL_FILE (the server's mail file, one JSON object per line {to, template, data: {otp}, ...}).
// The target must not rate-limit.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

import { createAuthClient } from "better-auth/client";
import { twoFactorClient, usernameClient } from "better-auth/client/plugins";

const BASE = (process.env.BA_BASE_URL || "").replace(/\/+$/, "");
const MAIL_FILE = process.env.MAIL_FILE || "";
if (!BASE || !MAIL_FILE) {
  console.error("BA_BASE_URL and MAIL_FILE are required");
  process.exit(2);
}
const ORIGIN = new URL(BASE).origin;

// A browser: a cookie jar in front of fetch, and a client with the two-factor plugin whose
// onTwoFactorRedirect records the methods offered.
class Browser {
  constructor() {
    this.cookies = new Map();
    this.redirects = [];
    this.client = createAuthClient({
      baseURL: BASE,
      plugins: [usernameClient(), twoFactorClient({ onTwoFactorRedirect: (ctx) => this.redirects.push(ctx.twoFactorMethods) })],
      fetchOptions: { customFetchImpl: (input, init) => this.fetch(input, init) },
    });
  }

  async fetch(input, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("origin", ORIGIN);
    const cookie = [...this.cookies].map(([n, v]) => `${n}=${v}`).join("; ");
    if (cookie) headers.set("cookie", cookie);
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const name = pair.slice(0, pair.indexOf("=")).trim();
      const value = pair.slice(pair.indexOf("=") + 1).trim();
      const maxAge = attrs.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith("max-age="));
      if (maxAge && Number(maxAge.slice(8)) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

// totp is the RFC 6238 code an authenticator app shows for the otpauth URI, steps from now.
function totp(uri, steps = 0) {
  const secret = new URL(uri).searchParams.get("secret");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secret) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + steps));
  const mac = createHmac("sha1", key).update(counter).digest();
  const o = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, "0");
}

// awayFromStepEnd waits for the next 30-second step when the current one ends within 3 s.
async function awayFromStepEnd() {
  const into = Date.now() % 30000;
  if (into > 27000) await new Promise((r) => setTimeout(r, 30100 - into));
}

async function newestOTP(to) {
  const deadline = Date.now() + 5000;
  for (;;) {
    let lines = [];
    try {
      lines = readFileSync(MAIL_FILE, "utf8").split("\n").filter((l) => l.trim());
    } catch (e) {
      if (e.code !== "ENOENT") throw e;
    }
    const mails = lines.map((l) => JSON.parse(l)).filter((m) => m.to === to && m.template === "betterauth-two-factor-otp");
    if (mails.length > 0) {
      mails.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      const otp = mails[mails.length - 1].data?.otp;
      assert.match(otp, /^[0-9]{6}$/, "mail data.otp");
      return otp;
    }
    if (Date.now() > deadline) assert.fail(`no two-factor mail to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ok(res, what) {
  assert.equal(res.error, null, `${what}: ${JSON.stringify(res.error)}`);
  return res.data;
}

let failed = false;
async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed = true;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
    throw e;
  }
}

const run = randomBytes(4).toString("hex");
const email = `tf.${run}@example.com`;
const password = "correct horse battery";
const A = new Browser();
let uri;
let backupCodes;

try {
  await step("sign up and enable TOTP", async () => {
    ok(await A.client.signUp.email({ email, password, name: "Tia", username: `tf_${run}` }), "sign-up");
    const data = ok(await A.client.twoFactor.enable({ password }), "two-factor/enable");
    assert.equal(data.method, "totp");
    assert.match(data.totpURI, /^otpauth:\/\/totp\//);
    assert.equal(data.backupCodes.length, 10);
    ({ totpURI: uri, backupCodes } = data);
    await awayFromStepEnd();
    const v = ok(await A.client.twoFactor.verifyTotp({ code: totp(uri, -1) }), "two-factor/verify-totp");
    assert.equal(typeof v.token, "string");
    const s = ok(await A.client.getSession(), "get-session");
    assert.equal(s.user.twoFactorEnabled, true, "twoFactorEnabled after the first code");
  });

  await step("sign in through the two-factor redirect with a TOTP code, trusting the device", async () => {
    const B = new Browser();
    const data = ok(await B.client.signIn.email({ email, password }), "sign-in/email");
    assert.equal(data.twoFactorRedirect, true);
    assert.deepEqual(B.redirects, [["totp", "otp"]], "onTwoFactorRedirect");
    assert.equal(ok(await B.client.getSession(), "get-session"), null, "no session before the second factor");
    await awayFromStepEnd();
    const v = ok(await B.client.twoFactor.verifyTotp({ code: totp(uri), trustDevice: true }), "verify-totp");
    const s = ok(await B.client.getSession(), "get-session");
    assert.equal(s.session.token, v.token);
    assert.equal(s.user.email, email);
    ok(await B.client.signOut(), "sign-out");
    const again = ok(await B.client.signIn.username({ username: `tf_${run}`, password }), "sign-in/username on the trusted device");
    assert.equal(typeof again.token, "string", "a trusted device signs in without a second factor");
    assert.equal(B.redirects.length, 1);
  });

  await step("sign in with a mailed code", async () => {
    const C = new Browser();
    ok(await C.client.signIn.email({ email, password }), "sign-in/email");
    assert.equal(C.redirects.length, 1);
    ok(await C.client.twoFactor.sendOtp(), "send-otp");
    const v = ok(await C.client.twoFactor.verifyOtp({ code: await newestOTP(email) }), "verify-otp");
    assert.equal(ok(await C.client.getSession(), "get-session").session.token, v.token);
  });

  await step("sign in with a backup code, once", async () => {
    const D = new Browser();
    ok(await D.client.signIn.email({ email, password }), "sign-in/email");
    const v = ok(await D.client.twoFactor.verifyBackupCode({ code: backupCodes[0] }), "verify-backup-code");
    assert.equal(ok(await D.client.getSession(), "get-session").session.token, v.token);
    const E = new Browser();
    ok(await E.client.signIn.email({ email, password }), "sign-in/email");
    const res = await E.client.twoFactor.verifyBackupCode({ code: backupCodes[0] });
    assert.equal(res.error?.status, 401);
    assert.equal(res.error?.code, "INVALID_BACKUP_CODE");
  });

  await step("regenerate backup codes, show the URI, turn two-factor authentication off", async () => {
    const g = ok(await A.client.twoFactor.generateBackupCodes({ password }), "generate-backup-codes");
    assert.equal(g.backupCodes.length, 10);
    assert.equal(ok(await A.client.twoFactor.getTotpUri({ password }), "get-totp-uri").totpURI, uri);
    const wrong = await A.client.twoFactor.disable({ password: "wrong password" });
    assert.equal(wrong.error?.code, "INVALID_PASSWORD");
    ok(await A.client.twoFactor.disable({ password }), "disable");
    const F = new Browser();
    const data = ok(await F.client.signIn.email({ email, password }), "sign-in/email");
    assert.equal(typeof data.token, "string");
    assert.equal(F.redirects.length, 0);
  });
} catch {
  // reported by step
}
process.exit(failed ? 1 : 0);
