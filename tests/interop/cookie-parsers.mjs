// Which session cookie each JS system reads from a Cookie header, through
// the package's own parsing code, for authstore's test of its cookie reader:
//
//   node cookie-parsers.mjs '{"headers": ["a=1; next-auth.session-token=x", …]}'
//
// prints, per header, the value each system reads (null for none):
// {"next-auth": …, "lucia-v3": …, "lucia-v1": …, "better-auth": …}, each
// under the cookie name that system uses over http.
// - next-auth 3.29.10 reads `req.cookies`, which Next.js 12.3.7 fills with
//   its API routes' `getCookieParser`;
// - lucia 3.2.2: `Lucia#readSessionCookie` (no database is touched);
// - lucia-auth 1.8.0: `Auth#parseRequestHeaders` of a GET request;
// - better-auth 1.7.25: better-call 1.4.5's `parseCookies`, the map its
//   `getSignedCookie` reads the session token from.
import { createRequire } from "node:module";
import { Lucia } from "lucia";
import luciaV1 from "lucia-auth";
import { parseCookies } from "./better-auth/node_modules/better-call/dist/index.mjs";

const require = createRequire(import.meta.url);
const { getCookieParser } = require("next/dist/server/api-utils/index.js");

const lucia3 = new Lucia({});
const lucia1 = luciaV1({ adapter: () => ({}), env: "DEV" });

// A parser that throws (lucia v3 on a malformed escape) reads nothing.
function reading(read) {
  try {
    return read() ?? null;
  } catch {
    return null;
  }
}

function readAll(header) {
  return {
    "next-auth": reading(() => getCookieParser({ cookie: header })()["next-auth.session-token"]),
    "lucia-v3": reading(() => lucia3.readSessionCookie(header)),
    "lucia-v1": reading(() =>
      lucia1.parseRequestHeaders({ method: "GET", url: "http://localhost/", headers: { cookie: header } }),
    ),
    "better-auth": reading(() => parseCookies(header).get("better-auth.session_token")),
  };
}

const input = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(input.headers.map(readAll)));
