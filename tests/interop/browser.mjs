// A real browser for authstore's tests: Debian's Chromium, headless, driven
// by playwright-core (no browser download: the system's /usr/bin/chromium).
//
//   node browser.mjs '{"ops": [{"op": "goto", "args": ["http://…"]}, {"op": "click", "args": ["#confirm"]}, …]}'
//
// Ops run in order on one page: goto(url) → {status, url}; text(selector) →
// its text; click(selector) → {status, url} of the page it leads to;
// cookies() → the names of the page's cookies. A browser that cannot start
// is an error (exit 1), never a skip.
import { launchChromium } from "./chromium.mjs";
import ops from "./ops.js";

async function page() {
  const browser = await launchChromium();
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

async function run(page, op, args) {
  switch (op) {
    case "goto": {
      const response = await page.goto(args[0]);
      return { status: response.status(), url: page.url() };
    }
    case "text":
      return (await page.textContent(args[0])).trim();
    case "click": {
      const [response] = await Promise.all([page.waitForNavigation(), page.click(args[0])]);
      return { status: response ? response.status() : null, url: page.url() };
    }
    case "cookies":
      return (await page.context().cookies()).map((cookie) => cookie.name);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

ops.runOps(page, run).catch((error) => {
  console.error(error);
  process.exit(1);
});
