// next-auth 3.29.10 in a real Next.js app, with database sessions on the
// PostgreSQL database authstore's migration laid down. The Email provider
// "sends" each sign-in link by appending it to LINKS_FILE, for the test.
import { appendFileSync } from "fs";
import NextAuth from "next-auth";
import Providers from "next-auth/providers";

const options = {
  providers: [
    Providers.Email({
      server: "smtp://localhost:1", // never used: sendVerificationRequest replaces the mail
      from: "app@example.com",
      sendVerificationRequest: async ({ identifier, url }) => {
        appendFileSync(process.env.LINKS_FILE, JSON.stringify({ identifier, url }) + "\n");
      },
    }),
  ],
  database: { type: "postgres", url: process.env.DATABASE_URL, synchronize: false },
  secret: process.env.NEXTAUTH_SECRET,
  session: { jwt: false },
};

export default (req, res) => NextAuth(req, res, options);
