// Drives better-auth 1.7.25 for authstore's better-auth interop tests, like
// ../lucia3.mjs does for Lucia: its server API (`auth.api.*`), with the
// session cookie passed in and out as a browser would.
//
//   node better-auth.mjs '{"url": "...", "secret": "...", "ops": [{"op": "signInEmail", "args": [{...}]}, ...]}'
//
// `url` is a postgres://, mysql:// or sqlite:// URL. `baseURL` (optional) decides the
// cookie's name (`__Secure-` over https). Each op answers JSON; those that
// take a cookie take the value of `better-auth.session_token`.
import pg from "pg";
import mysql from "mysql2/promise";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import ops from "../ops.js";

// A pool, or for SQLite the file: `sqlite:///tmp/x.sqlite?mode=rwc` is
// authstore's URL of /tmp/x.sqlite.
function database(url) {
  if (url.startsWith("sqlite:")) return new Database(url.replace(/^sqlite:\/\//, "").replace(/\?.*$/, ""));
  return url.startsWith("mysql:") ? mysql.createPool(url) : new pg.Pool({ connectionString: url });
}

async function adapter(input) {
  const options = {
    database: database(input.url),
    secret: input.secret,
    baseURL: input.baseURL ?? "http://127.0.0.1:3000",
    emailAndPassword: { enabled: true },
    logger: { disabled: true },
  };
  const auth = betterAuth(options);
  return { auth, options, cookieName: (await auth.$context).authCookies.sessionToken.name };
}

// The session cookie's value in a response's Set-Cookie headers, if set.
function sessionCookie(headers, name) {
  for (const line of headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair.indexOf("=");
    if (pair.slice(0, at) === name) return pair.slice(at + 1);
  }
  return null;
}

function cookieHeaders(ctx, cookie) {
  return new Headers({ cookie: `${ctx.cookieName}=${cookie}` });
}

async function run(ctx, op, args) {
  const { auth } = ctx;
  switch (op) {
    case "migrate": {
      const { runMigrations } = await getMigrations(ctx.options);
      await runMigrations();
      return null;
    }
    case "signUpEmail":
    case "signInEmail": {
      const { headers, response } = await auth.api[op]({ body: args[0], returnHeaders: true });
      return { token: response.token, user: response.user, cookie: sessionCookie(headers, ctx.cookieName) };
    }
    case "signInEmailError": {
      try {
        await auth.api.signInEmail({ body: args[0] });
        return { error: null };
      } catch (error) {
        return { error: error.body?.code ?? String(error) };
      }
    }
    case "getSession": {
      const { headers, response } = await auth.api.getSession({ headers: cookieHeaders(ctx, args[0]), returnHeaders: true });
      return { session: response, cookie: sessionCookie(headers, ctx.cookieName) };
    }
    case "listSessions":
      return auth.api.listSessions({ headers: cookieHeaders(ctx, args[0]) });
    case "signOut":
      return auth.api.signOut({ headers: cookieHeaders(ctx, args[0]) });
    case "findUserByEmail": {
      const context = await auth.$context;
      return context.internalAdapter.findUserByEmail(args[0], { includeAccounts: true });
    }
    case "linkAccount": {
      const context = await auth.$context;
      return context.internalAdapter.linkAccount(args[0]);
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
}

ops.runOps(adapter, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
