// The app's next-auth 4 setup: JWT sessions (no adapter), one Credentials
// provider that signs anybody in whose password is "pw". NEXTAUTH_SECRET
// and NEXTAUTH_URL come from the environment the end-to-end test starts it
// with; the Rust service reads the cookie with the same secret.
import NextAuth from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";

export const authOptions = {
  providers: [
    CredentialsProvider({
      credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
      authorize: async (credentials) =>
        credentials?.password === "pw" ? { id: "42", name: "Ada", email: String(credentials.email) } : null,
    }),
  ],
  session: { strategy: "jwt" },
};

export default NextAuth(authOptions);
