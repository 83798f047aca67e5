// The browser's side of the end-to-end carry-over test, in two runs that
// share the browser's cookies through a state file (the Rust test carries
// the users over in between):
//
//   node carry-over-e2e.mjs '{"phase": "before", "next": "https://…", "links": "…", "email": "…", "state": "/tmp/…/state.json"}'
//   node carry-over-e2e.mjs '{"phase": "after", "rust": "https://…", "betterAuth": "https://…", "state": "…"}'
//
// "before": sign in on the Next.js + next-auth 3 app through its own page.
// "after": one request to the Rust service (the cookie bridge), then
// better-auth's own getSession, then the Next.js app's cookie is gone.
// Prints what it saw as one JSON object.
import { existsSync, readFileSync } from "fs";
import { httpsPage, launchChromium, visitJson } from "../chromium.mjs";

const input = JSON.parse(process.argv[2]);
const seen = {};
const cookies = async (context) =>
  (await context.cookies()).map((c) => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, value: c.value }));

const browser = await launchChromium();
try {
  const { context, page } = await httpsPage(browser, input.phase === "after" ? input.state : undefined);
  if (input.phase === "before") {
    const linksSent = () => (existsSync(input.links) ? readFileSync(input.links, "utf8").trim().split("\n").filter(Boolean) : []);
    await page.goto(`${input.next}/api/auth/signin`);
    await page.fill('input[name="email"]', input.email);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    for (let i = 0; i < 200 && linksSent().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = linksSent();
    if (sent.length === 0) throw new Error("next-auth sent no link");
    await page.goto(JSON.parse(sent[sent.length - 1]).url);
    seen.nextSignedInAs = (await page.textContent("#who")).trim();
    seen.cookies = await cookies(context);
    await context.storageState({ path: input.state });
  } else {
    seen.cookiesBefore = await cookies(context);
    seen.rust = await visitJson(page, `${input.rust}/auth/session`);
    seen.cookiesAfterRust = await cookies(context);
    seen.betterAuth = await visitJson(page, `${input.betterAuth}/api/auth/get-session`);
  }
  console.log(JSON.stringify(seen));
} finally {
  await browser.close();
}
