// Debian's Chromium for the browser tests, headless, through playwright-core
// (no browser download): the one place that says how it is started
// (`extraArgs`: a test's own switches, such as host resolver rules).
import { chromium } from "playwright-core";

export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", ...extraArgs],
  });
}

// A page in a fresh context that accepts the end-to-end tests' self-signed
// certificates; with `storageState`, a file an earlier run saved, the
// context starts with that run's cookies.
export async function httpsPage(browser, storageState) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, storageState });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  return { context, page };
}

// Opens `url` in `page`: its status, its body as JSON and the cookies it set.
export async function visitJson(page, url) {
  const response = await page.goto(url);
  const setCookie = (await response.headersArray())
    .filter((header) => header.name.toLowerCase() === "set-cookie")
    .map((header) => header.value);
  return { status: response.status(), body: JSON.parse(await page.textContent("body")), setCookie };
}
