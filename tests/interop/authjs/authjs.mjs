// Drives @auth/core 0.41.3 with @auth/pg-adapter 1.11.3 (node-postgres), or
// with @auth/drizzle-adapter 1.11.3 on drizzle-orm's node-postgres driver
// (setting `adapter: "drizzle"`), for authstore's authjs-* interop tests,
// like nextauth.js does for next-auth.
//
//   node authjs.mjs '{"url": "...", "secret": "...", "ops": [{"op": "getSessionAndUser", "args": ["<token>"]}, ...]}'
//
// An op named after an adapter method calls the adapter. The others go
// through Auth.js itself, as a browser's request to the app would:
// `session` (GET /auth/session with a Cookie header: Auth.js's own
// validation, renewal and deletion), `sendLink` (an email sign-in: GET
// /auth/csrf, then POST /auth/signin/email; answers the link's token) and
// `emailCallback` (GET /auth/callback/email with a link's token and address),
// `readCookie` (the session token Auth.js reads from a Cookie header, ""
// for none), and `session4`: next-auth 4.24's own session route (its `AuthHandler`, as
// `getServerSession` calls it) for a `next-auth.session-token` cookie.
// `drizzleKitSql` answers the SQL drizzle-kit generates for the Drizzle
// adapter's default tables (its `defineTables`), statement by statement.
// Settings: `maxAge` and `updateAge` in seconds, `now` (a fixed Date.now(),
// in milliseconds), `secure` (https cookie names) and `adapter`.
import pg from "pg";
import { Auth } from "@auth/core";
import PostgresAdapter from "@auth/pg-adapter";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { drizzle } from "drizzle-orm/node-postgres";
import { createRequire } from "node:module";
import ops from "../ops.js";

// next-auth 4 exports its core only to its Next.js glue; the file is loaded
// by path, as that glue loads it.
const { AuthHandler } = createRequire(import.meta.url)("./node_modules/next-auth/core/index.js");
// The adapter's default tables, loaded by path: the package exports only
// the adapter.
import { defineTables } from "./node_modules/@auth/drizzle-adapter/lib/pg.js";
const { generateDrizzleJson, generateMigration } = createRequire(import.meta.url)("drizzle-kit/api");
// Auth.js's own cookie reading (its copy of the `cookie` package, then its
// SessionStore joining chunks), loaded by path: the package exports neither.
import { SessionStore } from "./node_modules/@auth/core/lib/utils/cookie.js";
import { parse as parseCookies } from "./node_modules/@auth/core/lib/vendored/cookie.js";

const sent = [];

async function setup(input) {
  if (input.now !== undefined) Date.now = () => input.now;
  const pool = new pg.Pool({ connectionString: input.url });
  const adapter = input.adapter === "drizzle" ? DrizzleAdapter(drizzle(pool)) : PostgresAdapter(pool);
  const origin = input.secure ? "https://app.example.test" : "http://localhost:3000";
  const config = {
    adapter,
    secret: input.secret,
    trustHost: true,
    basePath: "/auth",
    session: { strategy: "database", maxAge: input.maxAge, updateAge: input.updateAge },
    providers: [
      {
        id: "email",
        type: "email",
        name: "Email",
        maxAge: 24 * 60 * 60,
        sendVerificationRequest: async ({ identifier, token }) => {
          sent.push({ identifier, token });
        },
      },
    ],
    logger: { error: () => {}, warn: () => {}, debug: () => {} },
  };
  return { adapter, config, origin, pool };
}

async function request(app, path, init = {}) {
  const response = await Auth(new Request(app.origin + path, init), app.config);
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return {
    status: response.status,
    location: response.headers.get("location"),
    cookies: response.headers.getSetCookie(),
    body,
  };
}

/// The `name=value` pairs of Set-Cookie headers, as a browser would send them back.
function cookieHeader(setCookies) {
  return setCookies.map((cookie) => cookie.split(";")[0]).join("; ");
}

async function run(app, op, args) {
  switch (op) {
    case "session":
      return request(app, "/auth/session", { headers: { cookie: args[0] } });
    case "readCookie": {
      const quiet = { debug() {}, warn() {}, error() {} };
      const option = { name: "authjs.session-token", options: {} };
      return new SessionStore(option, parseCookies(args[0]), quiet).value;
    }
    case "session4": {
      const response = await AuthHandler({
        req: {
          action: "session",
          method: "GET",
          host: app.origin,
          headers: { host: new URL(app.origin).host },
          cookies: { "next-auth.session-token": args[0] },
        },
        options: {
          adapter: app.adapter,
          secret: app.config.secret,
          session: app.config.session,
          providers: [],
          logger: app.config.logger,
        },
      });
      return { status: response.status ?? 200, body: response.body ?? null, cookies: response.cookies ?? [] };
    }
    case "sendLink": {
      const csrf = await request(app, "/auth/csrf");
      const form = new URLSearchParams({ csrfToken: csrf.body.csrfToken, email: args[0] });
      const signIn = await request(app, "/auth/signin/email", {
        method: "POST",
        headers: { cookie: cookieHeader(csrf.cookies), "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
      const link = sent.pop();
      return { status: signIn.status, location: signIn.location, ...link };
    }
    case "emailCallback": {
      const [token, email] = args;
      const query = new URLSearchParams({ token, email, callbackUrl: app.origin });
      return request(app, `/auth/callback/email?${query}`);
    }
    case "drizzleKitSql":
      return generateMigration(generateDrizzleJson({}), generateDrizzleJson(defineTables({})));
    case "query": {
      const result = await app.pool.query(args[0], args.slice(1));
      return result.rows;
    }
    default: {
      const result = await app.adapter[op](...args);
      return result === undefined ? null : result;
    }
  }
}

ops.runOps(setup, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
