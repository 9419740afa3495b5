/**
 * Where a Chromium (or Chrome) to drive with playwright-core is: $DUET_CHROMIUM when it is set,
 * else the first of the usual places that holds an executable — Debian's and Ubuntu's packages,
 * Google's, a snap, Playwright's own download cache. Used by the browser test
 * (tests/vlm/browser.test.ts) and by tools/screenshot-browser.ts.
 *
 * When none is found the answer says how to get one; what to do then is the caller's choice
 * (the browser test fails under CI, which must have one, and skips elsewhere).
 */

import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Installed browsers, most likely first. */
export const SYSTEM_CHROMIUMS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

export const INSTALL_HINT = "install one with `apt-get install chromium` (tools/ensure-chromium.sh does it, as root), or point DUET_CHROMIUM at a Chromium or Chrome executable";

export type ChromiumLookup = { path: string; from: string } | { path: null; reason: string };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Browsers Playwright downloaded (`npx playwright install chromium`), newest build first. */
function playwrightChromiums(env: NodeJS.ProcessEnv): string[] {
  const cache = env["PLAYWRIGHT_BROWSERS_PATH"] || join(homedir(), ".cache", "ms-playwright");
  if (!existsSync(cache)) return [];
  const builds = readdirSync(cache)
    .filter((name) => /^chromium(_headless_shell)?-\d+$/.test(name))
    .sort((a, b) => Number(b.slice(b.lastIndexOf("-") + 1)) - Number(a.slice(a.lastIndexOf("-") + 1)));
  return builds.flatMap((build) =>
    ["chrome-linux/chrome", "chrome-linux64/chrome", "chrome-linux/headless_shell", "chrome-headless-shell-linux64/chrome-headless-shell"].map((file) => join(cache, build, file)),
  );
}

/** The browser to launch, or why there is none (with how to get one). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  const chosen = env["DUET_CHROMIUM"];
  if (chosen) {
    // an explicit choice is never silently replaced by another browser
    return isExecutable(chosen) ? { path: chosen, from: "DUET_CHROMIUM" } : { path: null, reason: `DUET_CHROMIUM=${chosen} is not an executable file; ${INSTALL_HINT}` };
  }
  for (const path of [...SYSTEM_CHROMIUMS, ...playwrightChromiums(env)]) if (isExecutable(path)) return { path, from: "the usual places" };
  return { path: null, reason: `no Chromium or Chrome found (looked in ${SYSTEM_CHROMIUMS.slice(0, 4).join(", ")}, … and Playwright's cache); ${INSTALL_HINT}` };
}

/** CI=true (or any value but "", "0" and "false"): the environment promises every tool the tests need. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}
