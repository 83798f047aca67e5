// A better-auth 1.7.25 app for authstore's end-to-end carry-over test: its
// own HTTP API (`/api/auth/*`, e.g. `/api/auth/get-session`) on 127.0.0.1,
// behind the test's TLS proxy.
//
//   PORT=… DATABASE_URL=postgres://… BETTER_AUTH_SECRET=… BETTER_AUTH_URL=https://127.0.0.1:… node server.mjs
//
// BETTER_AUTH_URL is the public URL: https there gives the
// `__Secure-better-auth.session_token` cookie, as the Rust service writes it.
import http from "node:http";
import pg from "pg";
import { betterAuth } from "better-auth";
import { toNodeHandler } from "better-auth/node";

const auth = betterAuth({
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: process.env.BETTER_AUTH_URL,
  trustedOrigins: [process.env.BETTER_AUTH_URL],
  emailAndPassword: { enabled: true },
});

http.createServer(toNodeHandler(auth)).listen(Number(process.env.PORT), "127.0.0.1");
