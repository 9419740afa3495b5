/**
 * Re-shoots docs/browser.png, the README's picture of the Duet page: `duet serve`'s server,
 * started in this process on a free loopback port with a checkpoint and the default image set
 * (OpenMoji's test split), opened in headless Chromium; a query typed into the Search tab; the
 * top result clicked, so its nearest captions fill the side panel; the viewport saved as a PNG.
 *
 *   npx tsx tools/screenshot-browser.ts [--checkpoint runs/demo/checkpoint] [--query "a cat face"]
 *                                       [--k 18] [--out docs/browser.png] [--no-captions]
 *
 * The browser is found as the end-to-end test (tests/vlm/browser.test.ts) finds it
 * (tests/support/chromium.ts: $DUET_CHROMIUM, else Debian's /usr/bin/chromium or another in the
 * usual places) and driven by playwright-core; tools/ensure-chromium.sh installs Debian's. The picture is taken
 * at 1200 x 800 CSS pixels and a device scale factor of 1, so it stays small (a few hundred KB)
 * and looks the same on any machine; it is written atomically (a temporary file, then rename).
 *
 * Exit status: 0 written; 2 a bad flag, no checkpoint or no Chromium; 1 the page failed.
 */

import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { writeFileAtomic } from "../packages/vlm/src/data/atomic.js";
import { buildBrowserAssets } from "../packages/vlm/src/serve/bundle.js";
import { startServer, type RunningServer } from "../packages/vlm/src/serve/server.js";
import { findChromium } from "../tests/support/chromium.js";

const REPO = resolve(import.meta.dirname, "..");
const LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const VIEWPORT = { width: 1200, height: 800 };
/** Loading the model and embedding the test split: seconds on a laptop, longer on a busy 2-core box. */
const READY_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 60_000;

const USAGE = `usage: npx tsx tools/screenshot-browser.ts [--checkpoint DIR] [--query TEXT] [--k N] [--out FILE] [--no-captions]

Serves the Duet page with a checkpoint, searches OpenMoji's test split in headless Chromium
and saves the page as a PNG (the README's docs/browser.png).

  --checkpoint DIR  the model to serve (default runs/demo/checkpoint, what \`duet demo\` writes)
  --query TEXT      the text typed into the Search tab (default "a cat face")
  --k N             how many results to show (default 18: three rows of six, which fill 1200 x 800)
  --out FILE        where to write the PNG (default docs/browser.png)
  --no-captions     do not click the top result (its nearest captions stay hidden)`;

class ScreenshotUsageError extends Error {}

interface ScreenshotOptions {
  checkpoint: string;
  query: string;
  k: number;
  out: string;
  captions: boolean;
  /** The browser to launch (tests/support/chromium.ts). */
  chromium: string;
}

function parseOptions(argv: string[]): ScreenshotOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        checkpoint: { type: "string", default: "runs/demo/checkpoint" },
        query: { type: "string", default: "a cat face" },
        k: { type: "string", default: "18" },
        out: { type: "string", default: "docs/browser.png" },
        "no-captions": { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new ScreenshotUsageError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return undefined;
  const k = Number(values.k);
  // the page clamps k to [1, 50]; refuse rather than show a different number than asked
  if (!Number.isInteger(k) || k < 1 || k > 50) throw new ScreenshotUsageError(`--k must be an integer in [1, 50], got ${values.k}`);
  if (values.query.trim() === "") throw new ScreenshotUsageError("--query is empty: the page ignores an empty search");
  if (!values.out.toLowerCase().endsWith(".png")) throw new ScreenshotUsageError(`--out must name a .png file, got ${values.out}`);
  const checkpoint = resolve(values.checkpoint);
  if (!existsSync(checkpoint) || !statSync(checkpoint).isDirectory()) {
    throw new ScreenshotUsageError(`no checkpoint folder at ${values.checkpoint}: train one with \`duet demo\` (it writes runs/demo/checkpoint) or pass --checkpoint DIR`);
  }
  const browser = findChromium();
  if (browser.path === null) throw new ScreenshotUsageError(browser.reason);
  return { checkpoint, query: values.query, k, out: resolve(values.out), captions: !values["no-captions"], chromium: browser.path };
}

/** Waits until the page has loaded the model and embedded the image set; fails with the page's own words if it cannot. */
async function waitForModel(page: Page): Promise<void> {
  const handle = await page.waitForFunction(
    () => {
      const header = document.querySelector("#status")!;
      const search = document.querySelector("#search-status")!;
      if (header.getAttribute("data-state") === "error") return `the page: ${header.textContent}`;
      const state = search.getAttribute("data-state");
      if (state === "unavailable" || state === "error") return `the Search tab: ${search.textContent}`;
      return state === "ready" ? "ready" : false;
    },
    undefined,
    { timeout: READY_TIMEOUT_MS, polling: 250 },
  );
  const outcome = (await handle.jsonValue()) as string;
  if (outcome !== "ready") throw new Error(`the model did not load: ${outcome}`);
}

/** Types the query, waits for the result cards, and optionally opens the top result's captions. */
async function search(page: Page, options: ScreenshotOptions): Promise<{ name: string; score: string }[]> {
  await page.click("#tab-search");
  await page.fill("#search-k", String(options.k));
  await page.fill("#search-query", options.query);
  await page.press("#search-query", "Enter");
  await page.waitForSelector("#search-status[data-state=done], #search-status[data-state=error]", { timeout: STEP_TIMEOUT_MS });
  if ((await page.getAttribute("#search-status", "data-state")) === "error") {
    throw new Error(`the search failed: ${await page.textContent("#search-status")}`);
  }
  if (options.captions) {
    await page.click("#search-results li:first-child");
    await page.waitForSelector("#captions-list li span", { timeout: STEP_TIMEOUT_MS });
  }
  // park the pointer off the cards, so no hover outline lands in the picture
  await page.mouse.move(0, 0);
  return page.$$eval("#search-results li", (items) => items.map((li) => ({ name: li.getAttribute("data-name")!, score: Number(li.getAttribute("data-score")).toFixed(4) })));
}

async function screenshot(options: ScreenshotOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`screenshot-browser: ${line}\n`);
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  try {
    server = await startServer({ checkpoint: options.checkpoint, host: "127.0.0.1", port: 0, assets: await buildBrowserAssets(), log });
    log(`serving ${relative(REPO, options.checkpoint) || options.checkpoint} at ${server.url}`);
    browser = await chromium.launch({ executablePath: options.chromium, headless: true, args: LAUNCH_FLAGS });
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    await page.goto(server.url);
    await waitForModel(page);
    log(await page.textContent("#search-status").then((text) => text ?? ""));
    const results = await search(page, options);
    const png = await page.screenshot({ type: "png" });
    writeFileAtomic(options.out, png);
    for (const [rank, result] of results.slice(0, 5).entries()) log(`  ${rank + 1}. ${result.name} (${result.score})`);
    process.stdout.write(`wrote ${relative(REPO, options.out) || options.out}: ${VIEWPORT.width}x${VIEWPORT.height} PNG, ${(png.length / 1024).toFixed(0)} KB, "${options.query}", top ${results.length}\n`);
  } finally {
    await browser?.close();
    await server?.close();
    for (const error of pageErrors) log(`page error: ${error}`);
  }
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof ScreenshotUsageError)) throw error;
    process.stderr.write(`screenshot-browser: ${error.message}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  await screenshot(options);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`screenshot-browser: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
