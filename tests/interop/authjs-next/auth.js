// The app's Auth.js setup: JWT sessions (no adapter), one Credentials
// provider that signs anybody in whose password is "pw". The secret
// (AUTH_SECRET) and the public URL (AUTH_URL) come from the environment the
// end-to-end test starts it with; the Rust service reads the cookie with
// the same secret.
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";

export const { handlers, auth } = NextAuth({
  providers: [
    Credentials({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      authorize: async ({ email, password }) =>
        password === "pw" ? { id: "42", name: "Ada", email: String(email) } : null,
    }),
  ],
  session: { strategy: "jwt" },
  trustHost: true,
});
