// One browser, two apps sharing one database: a Lucia 3.2.2 app
// (lucia-app.mjs) and the authstore example server on lucia-v3, both over
// https on 127.0.0.1. Prints what each side saw as one JSON object; the Rust
// test (api-examples/tests/end_to_end.rs) asserts.
//
//   node lucia-e2e.mjs '{"lucia": "https://127.0.0.1:…", "rust": "https://127.0.0.1:…", "db": "postgres://…"}'
import pg from "pg";
import { httpsPage, launchChromium, visitJson } from "./chromium.mjs";

const input = JSON.parse(process.argv[2]);
const seen = {};
const browser = await launchChromium();
try {
  const { context, page } = await httpsPage(browser);
  // A same-origin fetch from a page of `origin`: status, JSON body, Set-Cookie.
  const call = async (origin, method, path) => {
    await page.goto(`${origin}/nothing-here`);
    return page.evaluate(async ([method, path]) => {
      const response = await fetch(path, { method });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    }, [method, path]);
  };
  const rustSession = () => visitJson(page, `${input.rust}/auth/session`);
  const luciaCookie = async () =>
    (await context.cookies()).filter((c) => c.name === "auth_session").map((c) => ({ secure: c.secure, httpOnly: c.httpOnly, expires: c.expires, empty: c.value === "" }));

  // 1. Signed up (and in) on the Lucia app, recognised by the Rust service.
  seen.signUp = await call(input.lucia, "POST", "/signup");
  seen.cookieAfterSignUp = await luciaCookie();
  seen.rustAfterSignUp = await rustSession();

  // 2. A renewal by the Rust side is what Lucia then validates.
  const db = new pg.Client({ connectionString: input.db });
  await db.connect();
  await db.query("UPDATE user_session SET expires_at = now() + interval '10 days'"); // its second half
  seen.rustRenewal = await rustSession();
  seen.cookieAfterRenewal = await luciaCookie();
  seen.luciaAfterRenewal = await call(input.lucia, "GET", "/me");
  await db.end();

  // 3. Signing out in the Lucia app signs the Rust service out too.
  seen.luciaSignOut = await call(input.lucia, "POST", "/signout");
  seen.rustAfterLuciaSignOut = await rustSession();

  // 4. Signing out through the Rust service signs the browser out of Lucia.
  seen.signUpAgain = await call(input.lucia, "POST", "/signup");
  seen.rustBeforeRustSignOut = await rustSession();
  seen.rustSignOut = await call(input.rust, "POST", "/auth/signout");
  seen.luciaAfterRustSignOut = await call(input.lucia, "GET", "/me");
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
