// A test double of GitLab's OAuth endpoints, for the compatibility suite's social sign-in part:
// every authorization is approved at once (302 back to redirect_uri with code and state), the
// code is exchanged once for an access token, and the user endpoint answers one fixed user.
//
//   PORT=3913 OAUTH_EMAIL=oidc.user@example.com node oauth-double.mjs
//   GITLAB_ISSUER=http://127.0.0.1:3913 PORT=3911 RATE_LIMIT=off MAIL_FILE=... node server.mjs
//   OIDC_PROVIDER=gitlab OIDC_EMAIL=oidc.user@example.com BA_BASE_URL=... node suite.mjs
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

const port = Number(process.env.PORT || 3913);
const email = process.env.OAUTH_EMAIL || "oidc.user@example.com";
const codes = new Set();
const tokens = new Set();

const json = (res, status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

const server = createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  let body = "";
  for await (const chunk of req) body += chunk;
  if (req.method === "GET" && url.pathname === "/oauth/authorize") {
    const redirectURI = url.searchParams.get("redirect_uri");
    if (!redirectURI || url.searchParams.get("response_type") !== "code") return json(res, 400, { error: "invalid_request" });
    const code = randomBytes(16).toString("hex");
    codes.add(code);
    const back = new URL(redirectURI);
    back.searchParams.set("code", code);
    if (url.searchParams.has("state")) back.searchParams.set("state", url.searchParams.get("state"));
    return res.writeHead(302, { location: back.href }).end();
  }
  if (req.method === "POST" && url.pathname === "/oauth/token") {
    const code = new URLSearchParams(body).get("code");
    if (!codes.delete(code)) return json(res, 400, { error: "invalid_grant" });
    const token = randomBytes(16).toString("hex");
    tokens.add(token);
    return json(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3600, scope: "read_user" });
  }
  if (req.method === "GET" && url.pathname === "/api/v4/user") {
    const token = (req.headers.authorization || "").replace(/^Bearer /i, "");
    if (!tokens.has(token)) return json(res, 401, { message: "401 Unauthorized" });
    return json(res, 200, { id: 4242, username: "oidcuser", name: "OIDC User", email, email_verified: true, state: "active", avatar_url: null });
  }
  res.writeHead(404).end();
});
server.listen(port, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${port}`));
const stop = () => server.close() && server.closeAllConnections();
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
