// A plain Node HTTP app on lucia 3.2.2 with its PostgreSQL adapter, for the
// end-to-end test: the cookie is the one Lucia's createSessionCookie writes.
//
//   DATABASE_URL=postgres://… PORT=… node lucia-app.mjs
//
// POST /signup: a new user, signed in (201). GET /me: the session Lucia
// validates (re-sending the cookie when it is fresh), or 401 with a blank
// cookie. POST /signout: ends the session, blanks the cookie (204).
import http from "http";
import pg from "pg";
import { Lucia, generateIdFromEntropySize } from "lucia";
import { NodePostgresAdapter } from "@lucia-auth/adapter-postgresql";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const lucia = new Lucia(new NodePostgresAdapter(pool, { user: "auth_user", session: "user_session" }));

const answer = (res, status, body, cookie) => {
  const headers = { "content-type": "application/json" };
  if (cookie) headers["set-cookie"] = cookie.serialize();
  res.writeHead(status, headers);
  res.end(body === undefined ? "" : JSON.stringify(body));
};

http
  .createServer(async (req, res) => {
    try {
      const id = lucia.readSessionCookie(req.headers.cookie ?? "");
      if (req.method === "POST" && req.url === "/signup") {
        const userId = generateIdFromEntropySize(10);
        await pool.query("INSERT INTO auth_user (id) VALUES ($1)", [userId]);
        const session = await lucia.createSession(userId, {});
        return answer(res, 201, { userId }, lucia.createSessionCookie(session.id));
      }
      const { session, user } = id ? await lucia.validateSession(id) : { session: null, user: null };
      if (!session) return answer(res, 401, { error: "unauthorized" }, lucia.createBlankSessionCookie());
      if (req.method === "GET" && req.url === "/me") {
        const cookie = session.fresh ? lucia.createSessionCookie(session.id) : undefined;
        return answer(res, 200, { userId: user.id, expiresAt: session.expiresAt.toISOString() }, cookie);
      }
      if (req.method === "POST" && req.url === "/signout") {
        await lucia.invalidateSession(session.id);
        return answer(res, 204, undefined, lucia.createBlankSessionCookie());
      }
      answer(res, 404, { error: "not_found" });
    } catch (error) {
      console.error(error);
      answer(res, 500, { error: String(error) });
    }
  })
  .listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`lucia app on ${process.env.PORT}`));
