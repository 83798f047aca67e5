// The app's Auth.js setup, chosen by AUTH_STRATEGY when it starts:
// - unset: JWT sessions (no adapter), one Credentials provider that signs
//   anybody in whose password is "pw";
// - "database": database sessions through @auth/drizzle-adapter on
//   PostgreSQL (DATABASE_URL; the tables are the ones authstore's
//   `authjs-drizzle` migration lays down), and an email sign-in whose links
//   are "sent" by appending them to LINKS_FILE, for the test to follow.
// The secret (AUTH_SECRET) and the public URL (AUTH_URL) come from the
// environment the end-to-end test starts it with.
import { appendFileSync } from "node:fs";
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";

const credentials = Credentials({
  credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
  authorize: async ({ email, password }) =>
    password === "pw" ? { id: "42", name: "Ada", email: String(email) } : null,
});

const emailLinks = {
  id: "email",
  type: "email",
  name: "Email",
  from: "app@example.test",
  maxAge: 24 * 60 * 60,
  options: {},
  sendVerificationRequest: async ({ identifier, url }) => {
    appendFileSync(process.env.LINKS_FILE, JSON.stringify({ identifier, url }) + "\n");
  },
};

const config =
  process.env.AUTH_STRATEGY === "database"
    ? {
        adapter: DrizzleAdapter(drizzle(new pg.Pool({ connectionString: process.env.DATABASE_URL }))),
        providers: [emailLinks],
        session: { strategy: "database" },
      }
    : { providers: [credentials], session: { strategy: "jwt" } };

export const { handlers, auth } = NextAuth({ ...config, trustHost: true });
