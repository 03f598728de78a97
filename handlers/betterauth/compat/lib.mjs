// The compatibility suites' toolkit: a browser (cookie jar + the real better-auth client), the
// mail file, shape assertions and the step runner. Configured by the environment variables the
// suites document (BA_BASE_URL, BA_ORIGIN, MAIL_FILE, BA_TIMEOUT_MS, BA_TRACE, ...).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { createAuthClient } from "better-auth/client";
import { usernameClient } from "better-auth/client/plugins";

export const BASE = (process.env.BA_BASE_URL || "").replace(/\/+$/, "");
if (!BASE) {
  console.error("BA_BASE_URL is required (e.g. http://127.0.0.1:3911)");
  process.exit(2);
}
export const MAIL_FILE = process.env.MAIL_FILE || "";
if (!MAIL_FILE) {
  console.error("MAIL_FILE is required (the file the server appends its mails to)");
  process.exit(2);
}
export const API = `${BASE}/api/auth`;
export const ORIGIN = process.env.BA_ORIGIN || new URL(BASE).origin;
export const OIDC_PROVIDER = process.env.OIDC_PROVIDER || "";
export const OIDC_EMAIL = process.env.OIDC_EMAIL || "";
export const TIMEOUT_MS = Number(process.env.BA_TIMEOUT_MS || 30000);
export const TRACE = process.env.BA_TRACE === "1";

export const SESSION_COOKIE = "better-auth.session_token";
export const DONT_REMEMBER_COOKIE = "better-auth.dont_remember";
export const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/; // base64 HMAC-SHA256
export const ID = /^[A-Za-z0-9]{32}$/;
export const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---------------------------------------------------------------------------------------------
// A browser: a cookie jar (per host) in front of Node's fetch, and a better-auth client using it.

export class Browser {
  constructor(name, plugins = [usernameClient()]) {
    this.name = name;
    this.jars = new Map(); // host -> Map(name -> {value, attrs})
    this.last = null; // the last response: {method, url, status, headers, setCookies, text}
    this.client = createAuthClient({
      baseURL: BASE,
      plugins,
      fetchOptions: { customFetchImpl: (input, init) => this.fetch(input, init) },
    });
  }

  jar(host = new URL(BASE).host) {
    if (!this.jars.has(host)) this.jars.set(host, new Map());
    return this.jars.get(host);
  }

  // cookie returns the jar's entry for a better-auth cookie name, with or without __Secure-.
  cookie(name) {
    const jar = this.jar();
    return jar.get(name) ?? jar.get(`__Secure-${name}`);
  }

  // sessionToken is the token inside the signed session cookie (undefined when there is none).
  sessionToken() {
    const c = this.cookie(SESSION_COOKIE);
    return c ? splitSigned(c.value).payload : undefined;
  }

  // fetch is the client's customFetchImpl: it sends the jar's cookies and an Origin header,
  // and stores what Set-Cookie answers (including Max-Age=0 deletions).
  fetch(input, init = {}) {
    return this.request(input, init, true);
  }

  async request(input, init, withOrigin) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    if (withOrigin && !headers.has("origin")) headers.set("origin", ORIGIN);
    const cookieHeader = [...this.jar(url.host)].map(([n, c]) => `${n}=${c.value}`).join("; ");
    if (cookieHeader) headers.set("cookie", cookieHeader);
    const res = await fetch(url, {
      method,
      headers,
      body: init.body ?? (input instanceof Request ? input.body : undefined),
      redirect: init.redirect ?? "follow",
      signal: init.signal,
      ...(input instanceof Request && input.body ? { duplex: "half" } : {}),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) this.store(url.host, line);
    const text = await res.clone().text();
    this.last = { method, url: url.href, status: res.status, headers: res.headers, setCookies, text };
    if (TRACE) {
      console.error(`# ${this.name}: ${method} ${url.pathname}${url.search} -> ${res.status} ${res.headers.get("location") ?? ""}`);
      for (const line of setCookies) console.error(`#   set-cookie: ${line}`);
      if (text) console.error(`#   ${text.slice(0, 600)}`);
    }
    if (res.status === 429) {
      console.error(`# ${method} ${url.pathname} answered 429: the target rate-limits; run it with rate limiting off`);
    }
    return res;
  }

  // navigate is a top-level GET of a link (from a mail or a redirect): cookies, no Origin,
  // redirects not followed.
  navigate(url) {
    return this.request(new URL(url, BASE), { method: "GET", redirect: "manual" }, false);
  }

  store(host, line) {
    const c = parseSetCookie(line);
    const jar = this.jar(host);
    const maxAge = c.attrs["max-age"];
    const expires = c.attrs.expires ? Date.parse(c.attrs.expires) : NaN;
    if ((maxAge !== undefined && Number(maxAge) <= 0) || expires < Date.now()) {
      jar.delete(c.name);
    } else {
      jar.set(c.name, c);
    }
  }
}

export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(";");
  const eq = pair.indexOf("=");
  const attrs = {};
  for (const part of rest) {
    const i = part.indexOf("=");
    const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    if (key) attrs[key] = i < 0 ? true : part.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs, line };
}

// splitSigned splits a signed cookie value (URL-encoded "payload.signature") at the last dot.
export function splitSigned(value) {
  const raw = decodeURIComponent(value);
  const i = raw.lastIndexOf(".");
  return { payload: raw.slice(0, i), signature: raw.slice(i + 1) };
}

// ---------------------------------------------------------------------------------------------
// Mail: the server appends one JSON object per line to MAIL_FILE.

export function mailLines() {
  let text;
  try {
    text = readFileSync(MAIL_FILE, "utf8");
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
  return text.split("\n").filter((l) => l.trim() !== "");
}

// mailMark remembers how many mails the file holds, so that waitMail sees only newer ones.
export function mailMark() {
  return mailLines().length;
}

// waitMail polls (up to 5 s; mail may be sent asynchronously) for the newest mail to an address
// written after mark, and checks the file transport's format.
export async function waitMail(to, template, mark, { link = true } = {}) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mails = mailLines()
      .slice(mark)
      .map((l) => JSON.parse(l))
      .filter((m) => String(m.to).toLowerCase() === to.toLowerCase());
    if (mails.length > 0) {
      const m = mails[mails.length - 1];
      assert.equal(m.template, template, `newest mail to ${to}: template`);
      for (const k of ["id", "subject", "text", "html", "createdAt"]) assert.equal(typeof m[k], "string", `mail.${k}`);
      assert.ok(!Number.isNaN(Date.parse(m.createdAt)), `mail.createdAt ${m.createdAt} parses`);
      if (link) {
        assert.equal(typeof m.data?.url, "string", "mail.data.url");
        assert.equal(typeof m.data?.token, "string", "mail.data.token");
        assert.ok(m.data.token.length > 0, "mail.data.token is not empty");
      }
      return m;
    }
    if (Date.now() > deadline) assert.fail(`no ${template} mail to ${to} within 5 s in ${MAIL_FILE}`);
    await sleep(50);
  }
}

// noMail checks that nothing was mailed to an address after mark (waiting a little first).
export async function noMail(to, mark, ms = 300) {
  await sleep(ms);
  const mails = mailLines()
    .slice(mark)
    .map((l) => JSON.parse(l))
    .filter((m) => String(m.to).toLowerCase() === to.toLowerCase());
  assert.equal(mails.length, 0, `no mail to ${to}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Assertions on shapes.

export function assertDate(v, what) {
  assert.ok(v instanceof Date && !Number.isNaN(v.getTime()), `${what} is a date (got ${JSON.stringify(v)})`);
}

export function assertUser(u, { email, name, username, displayUsername } = {}) {
  assert.equal(typeof u, "object", "user is an object");
  assert.notEqual(u, null, "user is not null");
  for (const k of ["id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "username", "displayUsername"]) {
    assert.ok(k in u, `user.${k} is present (explicit null when empty); user keys: ${Object.keys(u).join(",")}`);
  }
  assert.match(u.id, ID, "user.id");
  assert.equal(typeof u.name, "string", "user.name");
  assert.equal(typeof u.emailVerified, "boolean", "user.emailVerified");
  assert.ok(u.image === null || typeof u.image === "string", "user.image is a string or null");
  assertDate(u.createdAt, "user.createdAt");
  assertDate(u.updatedAt, "user.updatedAt");
  if (email !== undefined) assert.equal(u.email, email, "user.email");
  if (name !== undefined) assert.equal(u.name, name, "user.name");
  if (username !== undefined) assert.equal(u.username, username, "user.username");
  if (displayUsername !== undefined) assert.equal(u.displayUsername, displayUsername, "user.displayUsername");
}

export function assertSession(s, { token, userId } = {}) {
  for (const k of ["id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent"]) {
    assert.ok(k in s, `session.${k} is present; session keys: ${Object.keys(s).join(",")}`);
  }
  assert.match(s.id, ID, "session.id");
  assert.match(s.token, ID, "session.token");
  assertDate(s.expiresAt, "session.expiresAt");
  assertDate(s.createdAt, "session.createdAt");
  assertDate(s.updatedAt, "session.updatedAt");
  assert.ok(s.expiresAt.getTime() > Date.now(), "session.expiresAt is in the future");
  assert.ok(s.ipAddress === null || typeof s.ipAddress === "string", "session.ipAddress");
  assert.ok(s.userAgent === null || typeof s.userAgent === "string", "session.userAgent");
  if (token !== undefined) assert.equal(s.token, token, "session.token");
  if (userId !== undefined) assert.equal(s.userId, userId, "session.userId");
}

// assertError checks a client result for an error answer {status, code, message}.
export function assertError(res, status, code) {
  assert.equal(res.data, null, `data is null on error (got ${JSON.stringify(res.data)})`);
  assert.ok(res.error, `an error (got data ${JSON.stringify(res.data)})`);
  assert.equal(res.error.status, status, `error.status (error ${JSON.stringify(res.error)})`);
  if (code !== undefined) assert.equal(res.error.code, code, `error.code (error ${JSON.stringify(res.error)})`);
  assert.equal(typeof res.error.message, "string", "error.message");
}

export function assertOk(res, what) {
  assert.equal(res.error, null, `${what}: no error (got ${JSON.stringify(res.error)})`);
  return res.data;
}

// assertSessionCookie checks the signed session cookie a browser holds and returns its token.
export function assertSessionCookie(b, { token, remember = true } = {}) {
  const c = b.cookie(SESSION_COOKIE);
  assert.ok(c, `${b.name} holds ${SESSION_COOKIE} (jar: ${[...b.jar().keys()].join(",")})`);
  const { payload, signature } = splitSigned(c.value);
  assert.match(payload, ID, "session cookie token");
  assert.match(signature, SIGNATURE, "session cookie signature");
  assert.equal(c.attrs.httponly, true, "session cookie is HttpOnly");
  assert.equal(c.attrs.path, "/", "session cookie Path=/");
  assert.equal(String(c.attrs.samesite).toLowerCase(), "lax", "session cookie SameSite=Lax");
  if (remember) assert.ok(Number(c.attrs["max-age"]) > 0, `session cookie has a Max-Age (${c.line})`);
  else assert.equal(c.attrs["max-age"], undefined, `session cookie has no Max-Age (${c.line})`);
  if (token !== undefined) assert.equal(payload, token, "session cookie carries the session token");
  return payload;
}

// location resolves a redirect's Location header against the server.
export function location(res) {
  const loc = res.headers.get("location");
  assert.ok(loc, `a Location header (status ${res.status})`);
  return new URL(loc, BASE);
}

// ---------------------------------------------------------------------------------------------
// Steps.

let passed = 0;
let current = "";
let started = 0;
let watchdog;
export async function step(name, fn) {
  current = name;
  try {
    await fn();
  } catch (e) {
    console.log(`not ok - ${name}`);
    console.error(e?.stack || e);
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  }
  passed++;
  console.log(`ok - ${name}`);
}

// startSuite arms the whole-suite time limit (BA_TIMEOUT_MS).
export function startSuite() {
  started = Date.now();
  watchdog = setTimeout(() => {
    console.log(`not ok - ${current} (the suite took longer than ${TIMEOUT_MS} ms)`);
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  }, TIMEOUT_MS);
  watchdog.unref();
}

// finish prints the summary of a suite whose steps all passed, and exits 0.
export function finish() {
  clearTimeout(watchdog);
  console.log(`# ${BASE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, 0 failed`);
  process.exit(0);
}
