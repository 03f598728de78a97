// The real Better Auth server (npm better-auth, exact version in package.json), configured like
// gatehouse's Better Auth-compatible API at /api/auth. It is the reference the compatibility
// suite (handlers/betterauth/compat) is proven against, and the Node peer of the benchmark.
//
// Environment:
//   PORT                listen on 127.0.0.1:PORT (default 3911)
//   DATABASE_URL        PostgreSQL (pg Pool; the schema is migrated on start); unset: in-memory
//   BETTER_AUTH_SECRET  signing secret (a fixed development secret when unset)
//   BASE_URL            public origin (default http://127.0.0.1:$PORT); the API is at $BASE_URL/api/auth
//   MAIL_FILE           append each mail as one JSON line (gatehouse's file transport format)
//   RATE_LIMIT          "off" disables Better Auth's rate limiter and API keys' per-key limits (on by default here)
//   TRUSTED_ORIGINS     extra trusted origins, comma-separated (BASE_URL's origin always is)
//   ADMIN_EMAILS        accounts created with these addresses get the admin role (comma-separated)
//   GITLAB_ISSUER       optional: enables the social provider "gitlab" with this issuer (a test
//                       double of GitLab's OAuth endpoints); GITLAB_CLIENT_ID, GITLAB_CLIENT_SECRET
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { admin, organization, twoFactor, username } from "better-auth/plugins";
import { apiKey } from "@better-auth/api-key";
import { passkey } from "@better-auth/passkey";

const port = Number(process.env.PORT || 3911);
const baseURL = (process.env.BASE_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, "");
const mailFile = process.env.MAIL_FILE || "";
const rateLimitOff = (process.env.RATE_LIMIT || "").toLowerCase() === "off";
let secret = process.env.BETTER_AUTH_SECRET;
if (!secret) {
  secret = "gatehouse-betterauth-node-peer-development-secret";
  console.error("BETTER_AUTH_SECRET is unset: using a fixed development secret");
}

let pool = null;
let database;
if (process.env.DATABASE_URL) {
  const { default: pg } = await import("pg");
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  database = pool;
} else {
  database = memoryAdapter({
    user: [], session: [], account: [], verification: [], rateLimit: [],
    twoFactor: [], passkey: [], apikey: [], organization: [], member: [], invitation: [],
  });
}

const subjects = {
  "betterauth-verify-email": "Verify your email address",
  "betterauth-reset-password": "Reset your password",
  "betterauth-change-email": "Confirm your new email address",
  "betterauth-delete-account": "Confirm deleting your account",
  "betterauth-two-factor-otp": "Your sign-in code",
  "betterauth-organization-invitation": "You are invited to join an organization",
};

// sendMail writes one mail the way gatehouse's MAIL_TRANSPORT=file:PATH does.
function sendMail(template, to, data) {
  const subject = subjects[template];
  const text = `${subject}: ${data.url ?? data.otp ?? data.invitationId}\n`;
  const html = `<p>${escapeHTML(text.trim())}</p>\n`;
  const mail = { id: randomUUID(), to, subject, template, data, text, html, createdAt: new Date().toISOString() };
  if (mailFile) {
    appendFileSync(mailFile, JSON.stringify(mail) + "\n");
  } else {
    console.log(`mail ${template} to ${to}: ${url}`);
  }
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// The SQL adapters answer a column that holds no value with an explicit null ("image": null);
// the memory adapter leaves such a field out. Filling the optional user fields with null on
// create makes the memory mode answer like PostgreSQL (and like gatehouse). ADMIN_EMAILS get the
// admin role, as gatehouse's BETTERAUTH_ADMIN_EMAILS gives it.
const adminEmails = new Set((process.env.ADMIN_EMAILS || "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean));
const userHooks = {
  user: {
    create: {
      before: async (user) => {
        const data = { ...user };
        if (!pool) {
          for (const k of ["image", "username", "displayUsername", "banReason", "banExpires"]) data[k] = data[k] ?? null;
        }
        if (adminEmails.has(String(user.email).toLowerCase())) data.role = "admin";
        return { data };
      },
    },
  },
};

const options = {
  baseURL,
  databaseHooks: userHooks,
  secret,
  database,
  trustedOrigins: (process.env.TRUSTED_ORIGINS || "").split(",").map((s) => s.trim()).filter(Boolean),
  telemetry: { enabled: false },
  rateLimit: { enabled: !rateLimitOff },
  emailAndPassword: {
    enabled: true,
    requireEmailVerification: false,
    sendResetPassword: async ({ user, url, token }) => sendMail("betterauth-reset-password", user.email, { url, token }),
  },
  emailVerification: {
    sendVerificationEmail: async ({ user, url, token }) => sendMail("betterauth-verify-email", user.email, { url, token }),
  },
  user: {
    changeEmail: {
      enabled: true,
      // 1.7's name for the mail to the current address of a verified user (older releases
      // called it sendChangeEmailVerification). Following its link mails the new address a
      // verify-email link; following that one changes the email.
      sendChangeEmailConfirmation: async ({ user, url, token }) => sendMail("betterauth-change-email", user.email, { url, token }),
    },
    deleteUser: {
      enabled: true,
      sendDeleteAccountVerification: async ({ user, url, token }) => sendMail("betterauth-delete-account", user.email, { url, token }),
    },
  },
  // The plugins of gatehouse's issue 4, as its compatibility suite and benchmark expect them.
  plugins: [
    username(),
    twoFactor({ otpOptions: { sendOTP: async ({ user, otp }) => sendMail("betterauth-two-factor-otp", user.email, { otp }) } }),
    passkey(),
    admin(),
    // RATE_LIMIT=off also lifts the per-key limits (gatehouse: BETTERAUTH_API_KEY_RATE_LIMIT=off).
    apiKey({ enableSessionForAPIKeys: true, ...(rateLimitOff ? { rateLimit: { enabled: false } } : {}) }),
    organization({
      sendInvitationEmail: async ({ id, email, role, organization: org }) =>
        sendMail("betterauth-organization-invitation", email, { invitationId: id, organizationId: org.id, role }),
    }),
  ],
  // An optional social provider for the suite's social sign-in part: Better Auth's GitLab
  // provider pointed at any server that speaks GitLab's OAuth endpoints (a test double).
  ...(process.env.GITLAB_ISSUER
    ? {
        socialProviders: {
          gitlab: {
            issuer: process.env.GITLAB_ISSUER,
            clientId: process.env.GITLAB_CLIENT_ID || "betterauth-node-peer",
            clientSecret: process.env.GITLAB_CLIENT_SECRET || "betterauth-node-peer-secret",
          },
        },
      }
    : {}),
};

if (pool) {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
}

const auth = betterAuth(options);
const server = createServer(toNodeHandler(auth));
server.listen(port, "127.0.0.1", () => console.log(`listening ${baseURL}`));

function shutdown() {
  server.close(() => {
    if (pool) pool.end().finally(() => process.exit(0));
    else process.exit(0);
  });
  server.closeAllConnections();
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
