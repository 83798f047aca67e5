// Drives the JWT session cookie of @auth/core 0.41.3 (Auth.js v5) and
// next-auth 4.24.15 for authstore's web::authjs_jwt interop tests; no
// database.
//
//   node jwt.mjs '{"secret": "..." | ["...", ...], "secure": false, "maxAge": 2592000, "ops": [...]}'
//
// Each op's first argument is the major, 4 or 5:
// - `encode` [major, claims, maxAge?]: the package's own `encode` (salt: the
//   cookie's name on v5, as the app passes it);
// - `decode` [major, token]: its `decode`, the claims or {"error": "<name>"};
// - `getToken` [major, cookieHeader]: its `getToken` on a request with that
//   Cookie header (v4 with the header parsed as Next.js's API routes parse
//   it), the claims or null;
// - `session` [major, cookieHeader]: the app's session route on the JWT
//   strategy, which reads, renews and re-sets the cookie: {status, body,
//   cookies: [{name, value, maxAge?}]};
// - `chunk` [major, value]: the cookies the package writes for a value.
import { createRequire } from "node:module";
import { Auth } from "@auth/core";
import * as jwt5 from "@auth/core/jwt";
// Loaded by path, as their own glue loads them: the packages export
// neither.
import { SessionStore as SessionStore5 } from "./node_modules/@auth/core/lib/utils/cookie.js";
import ops from "../ops.js";

const require = createRequire(import.meta.url);
const jwt4 = require("next-auth/jwt");
const { AuthHandler } = require("./node_modules/next-auth/core/index.js");
const { SessionStore: SessionStore4 } = require("./node_modules/next-auth/core/lib/cookie.js");
const { parse: parseCookies } = require("cookie");

const quiet = { debug() {}, warn() {}, error() {} };

function cookieName(major, secure) {
  const base = major === 4 ? "next-auth.session-token" : "authjs.session-token";
  return secure ? `__Secure-${base}` : base;
}

async function setup(input) {
  return { ...input, secure: !!input.secure };
}

async function run(app, op, args) {
  const [major, ...rest] = args;
  const name = cookieName(major, app.secure);
  const origin = app.secure ? "https://app.example.test" : "http://localhost:3000";
  switch (op) {
    case "encode": {
      const [token, maxAge = app.maxAge] = rest;
      return major === 4
        ? jwt4.encode({ token, secret: app.secret, maxAge })
        : jwt5.encode({ token, secret: app.secret, maxAge, salt: name });
    }
    case "decode": {
      try {
        return major === 4
          ? await jwt4.decode({ token: rest[0], secret: app.secret })
          : await jwt5.decode({ token: rest[0], secret: app.secret, salt: name });
      } catch (error) {
        return { error: error.code ?? error.name };
      }
    }
    case "getToken": {
      const headers = { cookie: rest[0] };
      return major === 4
        ? jwt4.getToken({ req: { headers, cookies: parseCookies(rest[0]) }, secret: app.secret, secureCookie: app.secure, logger: quiet })
        : jwt5.getToken({ req: { headers }, secret: app.secret, secureCookie: app.secure, logger: quiet });
    }
    case "session":
      return major === 4 ? session4(app, origin, rest[0]) : session5(app, origin, rest[0]);
    case "chunk": {
      const store = major === 4
        ? new SessionStore4({ name, options: {} }, { cookies: {} }, quiet)
        : new SessionStore5({ name, options: {} }, {}, quiet);
      return store.chunk(rest[0], {}).map(({ name, value }) => ({ name, value }));
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
}

// A provider the JWT strategy accepts; nobody signs in through it here.
const credentials = { id: "credentials", type: "credentials", name: "Credentials", credentials: {}, authorize: async () => null };

async function session5(app, origin, cookie) {
  const config = {
    secret: app.secret,
    trustHost: true,
    basePath: "/auth",
    session: { strategy: "jwt", maxAge: app.maxAge },
    providers: [credentials],
    logger: quiet,
  };
  const response = await Auth(new Request(`${origin}/auth/session`, { headers: { cookie } }), config);
  const cookies = response.headers.getSetCookie().map(parseSetCookie);
  return { status: response.status, body: await response.json(), cookies };
}

async function session4(app, origin, cookie) {
  const response = await AuthHandler({
    req: {
      action: "session",
      method: "GET",
      host: origin,
      headers: { host: new URL(origin).host, cookie },
      cookies: parseCookies(cookie),
    },
    options: {
      secret: app.secret,
      session: { strategy: "jwt", maxAge: app.maxAge },
      useSecureCookies: app.secure,
      providers: [credentials],
      logger: quiet,
    },
  });
  const cookies = (response.cookies ?? []).map(({ name, value, options }) => ({ name, value, maxAge: options?.maxAge }));
  return { status: response.status ?? 200, body: response.body ?? null, cookies };
}

/// A Set-Cookie header's name, value and Max-Age.
function parseSetCookie(header) {
  const [pair, ...attributes] = header.split(";");
  const at = pair.indexOf("=");
  const maxAge = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith("max-age="));
  return {
    name: pair.slice(0, at),
    value: decodeURIComponent(pair.slice(at + 1)),
    maxAge: maxAge === undefined ? undefined : Number(maxAge.split("=")[1]),
  };
}

ops.runOps(setup, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
