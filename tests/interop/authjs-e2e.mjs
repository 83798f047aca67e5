// One browser, two services, no database: a Next.js app on JWT sessions
// (next-auth 5.0.0-beta.32 in `tests/interop/authjs-next`, next-auth
// 4.24.15 in `tests/interop/nextauth4-next`) and the authstore example
// server with AUTHSTORE_SESSION_STRATEGY=jwt, both over https on one host
// (cookies ignore ports). Drives Debian's Chromium and
// prints what each side saw, as one JSON object; the Rust test
// (api-examples/tests/end_to_end.rs) asserts.
//
//   node authjs-e2e.mjs '{"next": "https://localhost:…", "rust": "https://localhost:…", "email": "…",
//                         "cookie": "__Secure-authjs.session-token"}'
import { httpsPage, launchChromium, visitJson } from "./chromium.mjs";

const input = JSON.parse(process.argv[2]);
const seen = {};
const cookieName = input.cookie;

const browser = await launchChromium();
try {
  const { context, page } = await httpsPage(browser);

  // Signs in through next-auth's own sign-in page (Credentials).
  const signInOnNext = async () => {
    await page.goto(`${input.next}/api/auth/signin`);
    await page.fill('input[name="email"]', input.email);
    await page.fill('input[name="password"]', "pw");
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await page.goto(`${input.next}/`);
    return (await page.textContent("#who")).trim();
  };
  const rustSession = () => visitJson(page, `${input.rust}/auth/session`);
  const nextSession = async () => {
    await page.goto(`${input.next}/api/auth/session`);
    return JSON.parse(await page.textContent("body"));
  };
  const sessionCookies = async () =>
    (await context.cookies())
      .filter((c) => c.name.startsWith(cookieName))
      .map((c) => ({ name: c.name, value: c.value, secure: c.secure, httpOnly: c.httpOnly, expires: c.expires }));

  // 1. Signed in on Next.js, recognised by the Rust service, which renews
  //    the cookie with a token of its own.
  seen.nextSignedInAs = await signInOnNext();
  seen.cookiesAfterSignIn = await sessionCookies();
  seen.rustAfterSignIn = await rustSession();
  seen.cookiesAfterRustRenewal = await sessionCookies();

  // 2. The app reads the Rust service's token (and renews it in turn).
  seen.nextAfterRustRenewal = await nextSession();
  await page.goto(`${input.next}/`);
  seen.nextHomeAfterRustRenewal = (await page.textContent("#who")).trim();

  // 3. Signing out through the Rust service signs the browser out of the app.
  await page.goto(`${input.rust}/auth/session`);
  seen.rustSignOut = await page.evaluate(async () => (await fetch("/auth/signout", { method: "POST" })).status);
  seen.cookiesAfterRustSignOut = await sessionCookies();
  seen.nextAfterRustSignOut = await nextSession();
  await page.goto(`${input.next}/`);
  seen.nextHomeAfterRustSignOut = (await page.textContent("#who")).trim();

  // 4. Signing out in the app signs the Rust service out.
  seen.nextSignedInAgainAs = await signInOnNext();
  seen.rustBeforeNextSignOut = await rustSession();
  await page.goto(`${input.next}/api/auth/signout`);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  seen.cookiesAfterNextSignOut = await sessionCookies();
  seen.rustAfterNextSignOut = await rustSession();
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
