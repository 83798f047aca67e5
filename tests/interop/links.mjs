// The sign-in links a test app "mails" by appending a JSON line to a file
// (`{"identifier", "url"}`): how many it has sent, and the newest one once
// there are more than `count`.
import { existsSync, readFileSync } from "fs";

export function linksSent(file) {
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).length : 0;
}

export async function linkAfter(file, count) {
  for (let i = 0; i < 200; i++) {
    const lines = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
    if (lines.length > count) return JSON.parse(lines[lines.length - 1]).url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the app sent no link");
}
