// One browser, two apps sharing one database: a Next.js app on database
// sessions with email sign-in (next-auth 3.29.10 in `nextjs`, or Auth.js v5
// with @auth/drizzle-adapter in `authjs-next`) and the authstore example
// server, both over https (cookies ignore ports). Drives Debian's Chromium
// and prints what each side saw, as one JSON object; the Rust test
// (api-examples/tests/end_to_end.rs) asserts.
//
//   node nextjs-e2e.mjs '{"next": "https://127.0.0.1:…", "rust": "https://127.0.0.1:…",
//                          "links": "/tmp/…/links.jsonl", "db": "postgres://…", "email": "…",
//                          "cookie": "next-auth.session-token",
//                          "makeDue": "UPDATE sessions SET …", "storedExpires": "SELECT … AS expires …"}'
//
// `cookie` is the session cookie's name without `__Secure-`; `makeDue` is
// the SQL that moves the session to where a renewal is due, and
// `storedExpires` the SQL that reads its expiry back as ISO-8601 text (the
// schemas keep times differently).
import pg from "pg";
import { httpsPage, launchChromium, visitJson } from "./chromium.mjs";
import { linkAfter, linksSent } from "./links.mjs";

const input = JSON.parse(process.argv[2]);
const seen = {};

const browser = await launchChromium();
try {
  const { context, page } = await httpsPage(browser);

  // Signs in on the Next.js app through next-auth's own sign-in page.
  const signInOnNext = async () => {
    const before = linksSent(input.links);
    await page.goto(`${input.next}/api/auth/signin`);
    await page.fill('input[name="email"]', input.email);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await page.goto(await linkAfter(input.links, before));
    return (await page.textContent("#who")).trim();
  };
  const rustSession = () => visitJson(page, `${input.rust}/auth/session`);
  const nextSession = async () => {
    await page.goto(`${input.next}/api/auth/session`);
    return JSON.parse(await page.textContent("body"));
  };
  const sessionCookie = async () =>
    (await context.cookies()).filter((c) => c.name.includes(input.cookie)).map((c) => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, expires: c.expires }));

  // 1. Signed in on Next.js, recognised by the Rust service.
  seen.nextSignedInAs = await signInOnNext();
  seen.cookiesAfterSignIn = await sessionCookie();
  seen.rustAfterSignIn = await rustSession();

  // 2. A renewal made by the Rust side is what next-auth then reports.
  const db = new pg.Client({ connectionString: input.db });
  await db.connect();
  await db.query(input.makeDue);
  seen.rustRenewal = await rustSession();
  seen.cookiesAfterRenewal = await sessionCookie();
  seen.nextAfterRenewal = await nextSession();
  const rows = await db.query(input.storedExpires);
  seen.storedExpires = rows.rows.map((row) => row.expires);
  await db.end();

  // 3. Signing out in the Next.js app signs the Rust service out too.
  await page.goto(`${input.next}/api/auth/signout`);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  seen.rustAfterNextSignOut = await rustSession();

  // 4. Signing out through the Rust service signs the browser out of Next.js.
  seen.nextSignedInAgainAs = await signInOnNext();
  seen.rustBeforeRustSignOut = await rustSession();
  seen.rustSignOut = await page.evaluate(async () => {
    const response = await fetch("/auth/signout", { method: "POST" });
    return response.status;
  });
  seen.nextAfterRustSignOut = await nextSession();
  await page.goto(`${input.next}/`);
  seen.nextHomeAfterRustSignOut = (await page.textContent("#who")).trim();
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
