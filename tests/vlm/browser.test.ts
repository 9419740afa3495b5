/**
 * The page, end to end, in a real Chromium (Debian's /usr/bin/chromium or another, driven by
 * playwright-core): `duet serve` runs as its own process on a free loopback port with a small
 * checkpoint (`duet train`, a few steps) and a folder of PNGs, and the page must
 *
 *   1. start its engine worker cross-origin isolated, with the worker pool on;
 *   2. embed images and texts exactly as `duet embed` does (same checkpoint, float tolerance);
 *   3. answer a typed query with the top 5 of `duet search` over `duet index` of the same folder,
 *      every result's name shown whole;
 *   4. show an image's nearest captions, and classify a chosen file as `duet classify` does;
 *   5. train the default model 20 steps in the Train tab (paused and resumed on the way, what
 *      each button does said beside them), the loss falling, and offer the checkpoint's three
 *      files for download;
 *   6. in the Describe tab, say that the served CLIP cannot write captions; and, served a CoCa
 *      (tests/fixtures/export/coca/checkpoint, by a second `duet serve`), caption a chosen
 *      image as `duet caption` does, greedy and with beam search, token for token.
 *
 * Screenshots of the tabs go to .cache/test-artifacts/browser/ (gitignored).
 * The browser is found by tests/support/chromium.ts ($DUET_CHROMIUM, else /usr/bin/chromium and
 * the other usual places). Under CI (CI=true) a missing browser is a failure: CI must run this
 * test, and tools/ensure-chromium.sh installs Debian's chromium before the tests. Elsewhere the
 * test is skipped, and its title says how to install one.
 */

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOpenMoji, openMojiItems, splitOfBase, ZERO_SHOT_TEMPLATES } from "../../packages/vlm/src/index.js";
import { pngBytes } from "../../packages/vlm/src/report/png.js";
import { findChromium, isCi } from "../support/chromium.js";
import { duet } from "./cli-helpers.js";

const browser = findChromium();
// a missing browser fails under CI (beforeAll throws); elsewhere the whole test is skipped, visibly
const SKIP = browser.path === null && !isCi();
const SKIP_NOTE = browser.path === null ? ` (skipped: ${browser.reason})` : "";
if (SKIP) console.warn(`tests/vlm/browser.test.ts${SKIP_NOTE}`);
const REPO = resolve(import.meta.dirname, "../..");
const ARTIFACTS = join(REPO, ".cache", "test-artifacts", "browser");
const LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const QUERY = "a red heart";
const LABELS = ["smiling face", "animal", "heart", "flag", "vehicle"];
const COCA_CHECKPOINT = join(REPO, "tests/fixtures/export/coca/checkpoint");

let work: string;
let checkpoint: string;
let images: string;
let serve: ChildProcess | undefined;
let cocaServe: ChildProcess | undefined;
const pageErrors: string[] = [];
let context: BrowserContext | undefined;
let page: Page;
let url: string;

/** A small checkpoint trained by `duet train` (tiny settings), and 40 test-split emojis as PNG files. */
async function makeFixtures(): Promise<void> {
  const run = join(work, "run");
  const trained = await duet("train", "--out", run, "--steps", "4", "--warmup", "1", "--batch-size", "16", "--threads", "1", "--checkpoint-every", "0");
  expect(trained.code, trained.stderr.join("\n")).toBe(0);
  checkpoint = join(run, "checkpoint");
  const openMoji = await loadOpenMoji({ resolution: 32 });
  const items = openMojiItems().map((item, row) => ({ item, row })).filter(({ item }) => splitOfBase(item.baseHexcode) === "test" && item.skintone === "");
  mkdirSync(join(images, "more"), { recursive: true });
  const step = Math.floor(items.length / 40);
  for (let k = 0; k < 40; k++) {
    const { item, row } = items[k * step]!;
    const name = `${item.annotation.replace(/[^a-z0-9]+/gi, "-")}.png`;
    writeFileSync(join(images, k % 4 === 0 ? "more" : "", name), pngBytes(openMoji.image(row)));
  }
}

/** Starts `duet serve --port 0 --json` on a checkpoint as a process (kept by `keep`) and returns the URL it prints. */
function startServe(served: string, keep: (child: ChildProcess) => void): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "packages/vlm/src/cli/main.ts"), "serve", "--checkpoint", served, "--images", images, "--port", "0", "--json"], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    keep(child);
    // each server's own output: the URL is the first JSON line of it
    let log = "";
    const hear = (chunk: Buffer) => (log += chunk.toString());
    const timer = setTimeout(() => reject(new Error(`duet serve did not start within 60 s:\n${log}`)), 60_000);
    child.stderr!.on("data", hear);
    child.stdout!.on("data", (chunk: Buffer) => {
      hear(chunk);
      const line = log.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolvePromise((JSON.parse(line) as { url: string }).url);
      }
    });
    child.on("exit", (code) => reject(new Error(`duet serve exited with ${code}:\n${log}`)));
  });
}

/** Resident memory (MB) of the renderer processes of the Chromium whose profile is `profile`. */
function rendererRssMb(profile: string): number {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
    });
  const root = rows.find((r) => r.args.includes(`--user-data-dir=${profile}`) && !r.args.includes("--type="));
  if (!root) return 0;
  const tree = new Set([root.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (tree.has(r.ppid) && !tree.has(r.pid)) (tree.add(r.pid), (grew = true));
  }
  let kb = 0;
  for (const r of rows) {
    if (!tree.has(r.pid) || !r.args.includes("--type=renderer")) continue;
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${r.pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // the process ended between ps and the read
    }
  }
  return kb / 1024;
}

describe.skipIf(SKIP)(`the Duet page in Chromium${SKIP ? SKIP_NOTE : ""}`, () => {
  beforeAll(async () => {
    if (browser.path === null) throw new Error(`CI=${process.env["CI"]}: the browser test must run under CI, but ${browser.reason}`);
    work = mkdtempSync(join(tmpdir(), "duet-browser-"));
    images = join(work, "images");
    mkdirSync(ARTIFACTS, { recursive: true });
    await makeFixtures();
    url = await startServe(checkpoint, (child) => (serve = child));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    context = await chromium.launchPersistentContext(join(work, "profile"), { executablePath: browser.path, headless: true, args: LAUNCH_FLAGS, viewport: { width: 1200, height: 860 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    await page.goto(url);
    await page.waitForSelector("#search-status[data-state=ready]", { timeout: 60_000 });
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    serve?.kill("SIGTERM");
    cocaServe?.kill("SIGTERM");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("runs cross-origin isolated, with the engine's worker pool", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const status = await page.textContent("#status");
    if (cores > 1) {
      expect(status).toMatch(/engine: \d+ threads \(Web Workers sharing memory\)/);
      // embedding the image set split its large kernels over the pool's Web Workers
      const stats = await page.evaluate(() => (window as unknown as { duet: { call(m: string, p: unknown): Promise<{ parallelJobs: number; workers: number; threads: number }> } }).duet.call("poolStats", {}));
      expect(stats.threads).toBe(Math.min(cores, 64));
      expect(stats.workers).toBe(stats.threads - 1);
      expect(stats.parallelJobs).toBeGreaterThan(0);
    }
    expect(status).toContain("its own 2048-token vocabulary");
  });

  it("embeds images and texts as duet embed does", async () => {
    const files = [join(images, "more"), images].map((dir) => join(dir, firstPng(dir)));
    const texts = ["a red heart", "grinning face", "a train"];
    const browser = await page.evaluate(
      ([imageUrls, queries]) => (window as unknown as { duet: { call(m: string, p: unknown): Promise<{ image_features: number[][]; text_features: number[][]; logit_scale: number }> } }).duet.call("embed", { texts: queries, images: imageUrls }),
      [files.map((f) => `/images/file/${relative(images, f).split("/").map(encodeURIComponent).join("/")}`), texts] as const,
    );
    const node = (await duet("embed", "--checkpoint", checkpoint, ...files.flatMap((f) => ["--image", f]), ...texts.flatMap((t) => ["--text", t]), "--json")).json<typeof browser>();
    const close = (a: number[][], b: number[][]) => a.every((row, i) => row.every((v, j) => Math.abs(v - b[i]![j]!) <= 1e-5));
    expect(browser.image_features).toHaveLength(2);
    expect(close(browser.image_features, node.image_features)).toBe(true);
    expect(close(browser.text_features, node.text_features)).toBe(true);
    expect(browser.logit_scale).toBeCloseTo(node.logit_scale, 5);
  });

  it("answers a typed query with duet search's top 5", async () => {
    const index = join(work, "index");
    expect((await duet("index", "--checkpoint", checkpoint, "--images", images, "--out", index)).code).toBe(0);
    const cli = (await duet("search", "--index", index, "--text", QUERY, "--k", "5", "--json")).json<{ queries: { results: { path: string; score: number }[] }[] }>().queries[0]!;
    await page.click("#tab-search");
    await page.fill("#search-k", "5");
    await page.fill("#search-query", QUERY);
    await page.press("#search-query", "Enter");
    await page.waitForSelector("#search-status[data-state=done]");
    const shown = await page.$$eval("#search-results li", (items) => items.map((li) => ({ name: li.getAttribute("data-name")!, score: Number(li.getAttribute("data-score")) })));
    expect(shown.map((r) => r.name)).toEqual(cli.results.map((r) => relative(images, r.path).split("\\").join("/")));
    shown.forEach((r, i) => expect(Math.abs(r.score - cli.results[i]!.score)).toBeLessThanOrEqual(1e-5));
    // every result's name is shown whole (wrapped, never cut off with an ellipsis)
    const cut = await page.$$eval("#search-results .name", (names) => names.filter((n) => n.scrollWidth > n.clientWidth + 1 || n.scrollHeight > n.clientHeight + 1).map((n) => n.textContent));
    expect(cut).toEqual([]);
    await page.click("#search-results li:first-child");
    await page.waitForSelector("#captions-list li span");
    expect(await page.$$eval("#captions-list li", (items) => items.length)).toBe(8);
    await page.screenshot({ path: join(ARTIFACTS, "search.png") });
  });

  it("classifies a chosen image as duet classify does", async () => {
    const file = join(images, firstPng(images));
    const templates = join(work, "templates.txt");
    writeFileSync(templates, `${ZERO_SHOT_TEMPLATES.join("\n")}\n`);
    const cli = (await duet("classify", "--checkpoint", checkpoint, "--image", file, "--labels", LABELS.join(","), "--templates", templates, "--json")).json<{ labels: { label: string; probability: number }[] }>();
    await page.click("#tab-classify");
    await page.fill("#labels", LABELS.join("\n"));
    await page.setInputFiles("#classify-file", file);
    await page.waitForSelector("#classify-status[data-state=done]");
    const shown = await page.$$eval("#classify-results li", (items) => items.map((li) => ({ label: li.getAttribute("data-label")!, probability: Number(li.getAttribute("data-probability")) })));
    expect(shown.map((r) => r.label)).toEqual(cli.labels.map((r) => r.label));
    shown.forEach((r, i) => expect(Math.abs(r.probability - cli.labels[i]!.probability)).toBeLessThanOrEqual(1e-4));
    await page.screenshot({ path: join(ARTIFACTS, "classify.png") });
  });

  it("says in the Describe tab that the served CLIP has no decoder, and the engine refuses to describe with it", async () => {
    await page.click("#tab-describe");
    await page.waitForSelector("#describe-status[data-state=unavailable]");
    expect(await page.textContent("#describe-status")).toMatch(/^The loaded model is a CLIP: .*no text decoder.*CoCa checkpoint/);
    expect(await page.isDisabled("#describe-go")).toBe(true);
    // a chosen image does not change that: the message stays, no caption appears
    await page.setInputFiles("#describe-file", join(images, firstPng(images)));
    await page.waitForSelector("#describe-preview img");
    expect(await page.getAttribute("#describe-status", "data-state")).toBe("unavailable");
    expect(await page.textContent("#describe-caption")).toBe("");
    const refused = await page.evaluate((image) =>
      (window as unknown as { duet: { call(m: string, p: unknown): Promise<unknown> } }).duet.call("describe", { image }).then(() => "described", (error: Error) => error.message),
      `/images/file/${encodeURIComponent(firstPng(images))}`,
    );
    expect(refused).toMatch(/the loaded model is a CLIP: it has no text decoder/);
  });

  it("trains 20 steps in the Train tab, pausing and resuming, and the loss falls", async () => {
    await page.click("#tab-train");
    await page.fill("#train-batch", "32");
    await page.fill("#train-steps", "20");
    await page.click("#train-start");
    // pause after a few steps: the run holds still; resume: it goes on to its 20 steps
    await page.waitForFunction(() => Number(document.querySelector("#train-status")!.getAttribute("data-step")) >= 3, undefined, { timeout: 60_000 });
    await page.click("#train-pause");
    await page.waitForSelector("#train-status[data-state=paused]");
    const pausedAt = Number(await page.getAttribute("#train-status", "data-step"));
    await page.waitForTimeout(1500);
    expect(Number(await page.getAttribute("#train-status", "data-step"))).toBe(pausedAt);
    expect(await page.textContent("#train-pause")).toBe("Resume");
    // what Resume and "Start new run" each do is said beside them
    expect(await page.textContent("#train-explain")).toMatch(new RegExp(`^Paused at step ${pausedAt} of 20\\. Resume continues this run .*“Start new run” discards this run`));
    await page.click("#train-pause");
    await page.waitForSelector("#train-status[data-state=finished]", { timeout: 100_000 });
    const losses = await page.evaluate(() => [...(window as unknown as { duet: { losses: number[] } }).duet.losses]);
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5)), `losses: ${losses.map((l) => l.toFixed(3)).join(", ")}`).toBeLessThan(mean(losses.slice(0, 5)));
    expect(await page.getAttribute("#train-status", "data-step")).toBe("20");
    expect(await page.textContent("#train-pause")).toBe("Train 20 more");
    await page.click("#train-download");
    await page.waitForSelector("#train-downloads a");
    expect(await page.$$eval("#train-downloads a", (links) => links.map((a) => a.getAttribute("download")))).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    await page.screenshot({ path: join(ARTIFACTS, "train.png") });
  }, 120_000);

  it("keeps the page's memory bounded while it trains (shared buffers are reported to V8)", async () => {
    // Chromium's V8 does not count SharedArrayBuffers toward its collections: before
    // shared-memory.ts reported them, training here grew the renderer by ~97 MB a step at
    // batch 64 (to 10.5 GB) before V8 collected. 80 steps would be ~8 GB; bounded, ~1 GB.
    await page.click("#tab-train");
    await page.fill("#train-batch", "64");
    await page.fill("#train-steps", "80");
    await page.click("#train-start");
    let peak = 0;
    for (;;) {
      peak = Math.max(peak, rendererRssMb(join(work, "profile")));
      if ((await page.getAttribute("#train-status", "data-state")) === "finished") break;
      await page.waitForTimeout(500);
    }
    expect(await page.getAttribute("#train-status", "data-step")).toBe("80");
    expect(peak).toBeGreaterThan(0);
    expect(peak, `renderer resident memory peaked at ${peak.toFixed(0)} MB`).toBeLessThan(2500);
  }, 180_000);

  it("describes a chosen image with a served CoCa as duet caption does, greedy and with 3 beams", async () => {
    const cocaUrl = await startServe(COCA_CHECKPOINT, (child) => (cocaServe = child));
    const cocaPage = await context!.newPage();
    cocaPage.on("pageerror", (error) => pageErrors.push(error.message));
    cocaPage.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    try {
      await cocaPage.goto(cocaUrl);
      await cocaPage.waitForSelector("#search-status[data-state=ready]", { timeout: 60_000 });
      expect(await cocaPage.textContent("#status")).toContain("a CoCa (it can describe images)");
      await cocaPage.click("#tab-describe");
      await cocaPage.waitForSelector("#describe-status[data-state=idle]");
      const file = join(images, "more", firstPng(join(images, "more")));
      await cocaPage.setInputFiles("#describe-file", file);
      await cocaPage.waitForSelector("#describe-status[data-state=done]", { timeout: 30_000 });
      for (const beams of [1, 3]) {
        if (beams > 1) {
          await cocaPage.fill("#describe-beams", String(beams));
          await cocaPage.click("#describe-go");
          await cocaPage.waitForSelector("#describe-status[data-state=done]", { timeout: 30_000 });
        }
        const shown = { text: await cocaPage.getAttribute("#describe-caption", "data-text"), tokens: await cocaPage.getAttribute("#describe-caption", "data-tokens") };
        const cli = await duet("caption", "--checkpoint", COCA_CHECKPOINT, "--image", file, "--beams", String(beams), "--json");
        expect(cli.code, cli.stderr.join("\n")).toBe(0);
        const [caption] = cli.json<{ captions: { text: string; tokens: number[] }[] }>().captions;
        expect(shown, `beams ${beams}`).toEqual({ text: caption!.text, tokens: caption!.tokens.join(",") });
        expect(await cocaPage.textContent("#describe-status")).toMatch(beams > 1 ? /beam search \(3 beams\)/ : /greedy$/);
      }
      await cocaPage.screenshot({ path: join(ARTIFACTS, "describe.png") });
    } finally {
      await cocaPage.close();
    }
  }, 120_000);

  it("raised no error in the page", () => {
    expect(pageErrors).toEqual([]);
  });
});

/** The first PNG directly in a folder (sorted). */
function firstPng(dir: string): string {
  return readdirSync(dir).filter((name) => name.endsWith(".png")).sort()[0]!;
}
