// Drives lucia 3.2.2 with @lucia-auth/adapter-postgresql 3.1.2 (node-postgres)
// for authstore's interop tests, like nextauth.js does for next-auth.
//
//   node lucia3.mjs '{"url": "...", "ops": [{"op": "validateSession", "args": ["<id>"]}, ...]}'
//
// The tables are authstore's lucia-v3 names, `auth_user` and `user_session`;
// the attribute columns `auth_user.username` and `user_session.country` are
// passed through when a test adds them. Optional settings: `expiresInMs`,
// Lucia's sessionExpiresIn in milliseconds (default 30 days), and `now`, a
// fixed Date.now() in milliseconds, so a test can put Lucia at an exact
// instant (Lucia reads the time only through Date.now()).
import pg from "pg";
import { Lucia, TimeSpan } from "lucia";
import { NodePostgresAdapter } from "@lucia-auth/adapter-postgresql";
import ops from "./ops.js";

async function adapter(input) {
  if (input.now !== undefined) Date.now = () => input.now;
  const pool = new pg.Pool({ connectionString: input.url });
  const tables = { user: "auth_user", session: "user_session" };
  const expiresIn = input.expiresInMs === undefined ? new TimeSpan(30, "d") : new TimeSpan(input.expiresInMs, "ms");
  return new Lucia(new NodePostgresAdapter(pool, tables), {
    sessionExpiresIn: expiresIn,
    getSessionAttributes: (attributes) => ({ country: attributes.country }),
    getUserAttributes: (attributes) => ({ username: attributes.username }),
  });
}

async function run(lucia, op, args) {
  switch (op) {
    case "createSession": {
      const [userId, attributes = {}] = args;
      return lucia.createSession(userId, attributes);
    }
    case "validateSession":
      return lucia.validateSession(args[0]);
    case "getUserSessions":
      return lucia.getUserSessions(args[0]);
    case "invalidateSession":
    case "invalidateUserSessions":
    case "deleteExpiredSessions":
      await lucia[op](...args);
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
}

ops.runOps(adapter, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
