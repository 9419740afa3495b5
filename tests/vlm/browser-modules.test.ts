/**
 * The browser build's pieces, checked in Node against the Node code they stand in for:
 * CLIP's vocabulary read with DecompressionStream gives the very merges node:zlib does; a
 * checkpoint built from fetched bytes embeds exactly as loadCheckpoint's; the page's
 * training loop writes a folder every `duet` command reads; and the bundle holds no Node-only
 * module, which its build refuses anywhere a browser entry reaches. (tests/vlm/browser.test.ts
 * then runs the page itself in Chromium.)
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { stack } from "@duet/tensor";
import { checkpointFromFiles, type CheckpointFiles } from "../../packages/vlm/src/browser/checkpoint.js";
import { clipTokenizerFromGzip, gunzip, parseClipMergeText } from "../../packages/vlm/src/browser/clip-vocab.js";
import { BrowserTrainer, defaultTrainSettings, type ServedEmoji } from "../../packages/vlm/src/browser/engine/train-loop.js";
import { UsageError } from "../../packages/vlm/src/cli/args.js";
import { serveCommand } from "../../packages/vlm/src/cli/commands/serve.js";
import { captureIo } from "../../packages/vlm/src/cli/io.js";
import { buildBrowserAssets, bundleForBrowser, BundleError } from "../../packages/vlm/src/serve/bundle.js";
import { embedImages, embedTexts, loadCheckpoint, loadOpenMoji, openMojiItems, readImage, splitOfBase } from "../../packages/vlm/src/index.js";
import { CLIP_BPE_PATH, parseClipMerges } from "../../packages/vlm/src/tokenizer/index.js";
import { IMAGES, VIT_GELU } from "./cli-helpers.js";

const folders: string[] = [];
afterAll(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe("browser modules against their Node counterparts", () => {
  it("reads CLIP's vocabulary with DecompressionStream into the same merges as node:zlib", async () => {
    const gz = readFileSync(CLIP_BPE_PATH);
    const text = new TextDecoder().decode(await gunzip(gz));
    expect(parseClipMergeText(text, "vocab")).toEqual(parseClipMerges(gz, "vocab"));
    const tokenizer = await clipTokenizerFromGzip(gz, "vocab");
    expect(tokenizer.encode("a photo of a cat")).toEqual([320, 1125, 539, 320, 2368]);
  });

  it("builds an open_clip checkpoint from bytes that embeds exactly as loadCheckpoint's", async () => {
    const files: CheckpointFiles = {
      config: JSON.parse(readFileSync(join(VIT_GELU, "open_clip_config.json"), "utf8")),
      layout: "open_clip",
      weights: readFileSync(join(VIT_GELU, "open_clip_model.safetensors")),
      clipVocabGzip: readFileSync(CLIP_BPE_PATH),
      source: "vit-gelu/",
    };
    const browser = await checkpointFromFiles(files);
    const node = loadCheckpoint(VIT_GELU);
    const texts = ["a photo of an astronaut", "a cup of coffee", "a cat"];
    expect(embedTexts(browser.model, browser.tokenize(texts)).contiguousData()).toEqual(embedTexts(node.model, node.tokenize(texts)).contiguousData());
    const images = (c: typeof browser) => stack(IMAGES.map((path) => c.preprocessImage(readImage(path))));
    expect(embedImages(browser.model, images(browser)).contiguousData()).toEqual(embedImages(node.model, images(node)).contiguousData());
  });

  it("refuses weights that do not fit the config, naming the field", async () => {
    const config = JSON.parse(readFileSync(join(VIT_GELU, "open_clip_config.json"), "utf8")) as { model_cfg: { embed_dim: number } };
    config.model_cfg.embed_dim += 1;
    const files: CheckpointFiles = { config, layout: "open_clip", weights: readFileSync(join(VIT_GELU, "open_clip_model.safetensors")), clipVocabGzip: readFileSync(CLIP_BPE_PATH), source: "bad/" };
    await expect(checkpointFromFiles(files)).rejects.toThrow(/embed_dim/);
  });

  it("trains the default model a step and downloads a checkpoint the CLI loads", async () => {
    const openMoji = await loadOpenMoji({ resolution: 32 });
    const items: ServedEmoji[] = openMojiItems().map((item) => ({ ...item, split: splitOfBase(item.baseHexcode) }));
    const trainer = new BrowserTrainer(items, openMoji.pixels, 32, { ...defaultTrainSettings(), batchSize: 8, heatmapSize: 4 });
    const before = trainer.heatmap();
    const report = await trainer.runStep();
    expect(report.step).toBe(1);
    expect(Number.isFinite(report.loss)).toBe(true);
    expect(report.logitScale).toBeGreaterThan(1);
    expect(report.logitScale).toBeLessThanOrEqual(100);
    expect(before.values).toHaveLength(16);
    const dir = mkdtempSync(join(tmpdir(), "duet-browser-ckpt-"));
    folders.push(dir);
    for (const [name, bytes] of trainer.files()) writeFileSync(join(dir, name), bytes);
    const loaded = loadCheckpoint(dir);
    expect(loaded.config.text_cfg.vocab_size).toBe(trainer.tokenizer.vocabSize);
    const texts = ["grinning face", "red apple"];
    const trained = trainer.model;
    trained.eval();
    const expected = embedTexts(trained, trainer.tokenizer.tokenize(texts, trained.config.text_cfg.context_length)).contiguousData();
    expect(maxAbsDiff(embedTexts(loaded.model, loaded.tokenize(texts)).contiguousData(), expected)).toBe(0);
  });
});

describe("the browser bundle", () => {
  /** An import or require of a Node built-in, in ES module or CommonJS form, minified or not. */
  const NODE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'`]node:/;

  it("builds the page and both workers without a Node-only module, and no node: import", async () => {
    const assets = await buildBrowserAssets();
    expect([...assets.keys()].sort()).toEqual(["duet.js", "engine.js", "index.html", "page.js", "pool.js", "style.css"]);
    for (const name of ["duet.js", "engine.js", "page.js", "pool.js"]) {
      const code = new TextDecoder().decode(assets.get(name)!.body);
      expect(code, name).not.toMatch(NODE_IMPORT);
      expect(code, name).not.toMatch(/^import .* from ?"(fs"|path")/m);
      expect(code, name).not.toContain("Buffer.from(");
    }
  });

  it("bundles @duet/tensor, @duet/autograd and @duet/nn whole, with no Node-only import anywhere in them", async () => {
    const packages = { tensor: "../../packages/tensor/src/index.ts", autograd: "../../packages/autograd/src/index.ts", nn: "../../packages/nn/src/index.ts" };
    const entries = Object.fromEntries(Object.entries(packages).map(([name, path]) => [name, fileURLToPath(new URL(path, import.meta.url))]));
    const files = await bundleForBrowser(entries, { minify: false });
    expect(files.map((f) => f.path.slice(f.path.lastIndexOf("/") + 1)).sort()).toEqual(["autograd.js", "nn.js", "tensor.js"]);
    for (const file of files) expect(file.text, file.path).not.toMatch(NODE_IMPORT);
  });

  it("refuses a Node-only import even where tree-shaking would drop it, naming the importer and its line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-bundle-"));
    folders.push(dir);
    writeFileSync(join(dir, "entry.ts"), 'import { pure } from "./mixed.js";\nconsole.log(pure());\n');
    writeFileSync(join(dir, "mixed.ts"), '// a pure function beside Node I/O\nimport { readFileSync } from "node:fs";\nexport const pure = () => 1;\nexport const load = (p: string) => readFileSync(p);\n');
    writeFileSync(join(dir, "csv.ts"), 'import { parse } from "csv-parse/sync";\nconsole.log(parse);\n');
    const build = bundleForBrowser({ entry: join(dir, "entry.ts") });
    await expect(build).rejects.toThrow(BundleError);
    await expect(build).rejects.toThrow(/mixed\.ts:2: .*mixed\.ts imports the Node-only module "node:fs", and a browser entry reaches it/);
    await expect(bundleForBrowser({ csv: join(dir, "csv.ts") })).rejects.toThrow(/csv\.ts imports the Node-only module "csv-parse\/sync"/);
  });
});

describe("duet serve's arguments", () => {
  it("prints its usage on --help", async () => {
    const io = captureIo();
    expect(await serveCommand.run(["--help"], io)).toBe(0);
    expect(io.stdout.join("\n")).toMatch(/^usage: duet serve/);
  });

  it.each([
    [["--port", "abc"], /--port/],
    [["--port", "70000"], /--port/],
    [["--checkpoint", "/no/such/folder"], /no such folder/],
    [["--images", "/no/such/folder"], /no such folder/],
    [["--bogus"], /bogus/],
  ])("refuses %j as a usage error", async (args, message) => {
    await expect(serveCommand.run(args, captureIo())).rejects.toThrow(UsageError);
    await expect(serveCommand.run(args, captureIo())).rejects.toThrow(message);
  });
});
