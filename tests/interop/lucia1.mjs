// Drives lucia-auth 1.8.0 with @lucia-auth/adapter-postgresql 1.0.1
// (node-postgres) for authstore's interop tests, like lucia3.mjs does for
// Lucia v3.
//
//   node lucia1.mjs '{"url": "...", "ops": [{"op": "useKey", "args": ["email", "ada@example.com", "pw"]}, ...]}'
//
// The tables are lucia-auth v1's own names (`auth_user`, `auth_key`,
// `auth_session`), which are also authstore's lucia-v1 names. A LuciaError
// is returned as {"error": "AUTH_…"} so a test can assert on it.
import pg from "pg";
import lucia, { LuciaError } from "lucia-auth";
import { pg as pgAdapter } from "lucia-auth-adapter-postgresql-v1";
import ops from "./ops.js";

async function auth(input) {
  // The adapter's createUser takes a pool client it never releases: give
  // the pool room for every op of a run.
  const pool = new pg.Pool({ connectionString: input.url, max: 50 });
  return lucia({ adapter: pgAdapter(pool), env: "DEV" });
}

const SIMPLE = [
  "createUser",
  "getUser",
  "useKey",
  "getKey",
  "createKey",
  "updateKeyPassword",
  "createSession",
  "getSession",
  "validateSession",
  "validateSessionUser",
  "invalidateSession",
  "getAllUserSessions",
];

async function run(auth, op, args) {
  if (!SIMPLE.includes(op)) throw new Error(`unknown op ${op}`);
  try {
    const result = await auth[op](...args);
    return result === undefined ? null : result;
  } catch (error) {
    if (error instanceof LuciaError) {
      return { error: error.message };
    }
    throw error;
  }
}

ops.runOps(auth, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
