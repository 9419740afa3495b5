/**
 * `duet index` and `duet search` as a user meets them: --out never replaces what Duet did not
 * write; paths are relative to the index, so an index moved with its images keeps working and
 * a moved checkpoint needs only --checkpoint; the weights' fingerprint catches a retrained or
 * wrong model; --skip-errors leaves out unreadable images; the .npy + CSV export reads back;
 * several --text / --image queries are all answered.
 */

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { readNpy } from "../../packages/vlm/src/cli/npy.js";
import { parseTable } from "../../packages/vlm/src/data/table.js";
import { loadCheckpoint, saveCheckpoint } from "../../packages/vlm/src/model/index.js";
import { cliWorkspace, duet, IMAGES, VIT_GELU, VIT_QUICKGELU } from "./cli-helpers.js";

const work = cliWorkspace("index-folder");

interface SearchJson {
  queries: { query: { text?: string; image?: string }; results: { rank: number; score: number; path: string; captions: string[] }[] }[];
}

/** A folder holding copies of the three fixture images (and, when asked, a checkpoint). */
function album(name: string, withCheckpoint = false): string {
  const dir = join(work.dir, name);
  mkdirSync(join(dir, "photos"), { recursive: true });
  for (const image of IMAGES) cpSync(image, join(dir, "photos", image.slice(image.lastIndexOf("/") + 1)));
  if (withCheckpoint) cpSync(work.duetCheckpoint, join(dir, "model"), { recursive: true });
  return dir;
}

describe("duet index --out refuses what Duet did not write", () => {
  it("at a photo folder: exit 2, and the photos remain", async () => {
    const dir = album("refuse-photos");
    const before = readdirSync(join(dir, "photos")).sort();
    const run = await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", join(dir, "photos"));
    expect(run.code).toBe(2);
    expect(run.stderr.join("\n")).toMatch(/--out .*photos: holds 3 files Duet did not write .*nothing was changed/);
    expect(readdirSync(join(dir, "photos")).sort()).toEqual(before);
    for (const name of before) expect(readFileSync(join(dir, "photos", name))).toEqual(readFileSync(IMAGES.find((p) => p.endsWith(name))!));
  });

  it("at the checkpoint itself: exit 2, and the checkpoint still loads", async () => {
    const dir = album("refuse-checkpoint", true);
    const checkpoint = join(dir, "model");
    const before = readdirSync(checkpoint).sort();
    const run = await duet("index", "--checkpoint", checkpoint, "--images", join(dir, "photos"), "--out", checkpoint);
    expect(run.code).toBe(2);
    expect(run.stderr.join("\n")).toMatch(/nothing was changed/);
    expect(readdirSync(checkpoint).sort()).toEqual(before);
    expect(loadCheckpoint(checkpoint).layout).toBe("duet");
  });

  it("replaces an index it wrote, and a failed run leaves no folder behind", async () => {
    const dir = album("replace");
    const out = join(dir, "index");
    expect((await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", out)).code).toBe(0);
    expect((await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", out)).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".duet-out.json", "embeddings.npy", "features.safetensors", "index.json", "metadata.csv"]);
    writeFileSync(join(dir, "photos", "broken.png"), "not a png");
    const failed = await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", join(dir, "never"));
    expect(failed.code).toBe(2);
    expect(existsSync(join(dir, "never"))).toBe(false);
  });
});

describe("an index's paths and model", () => {
  it("stores paths relative to the index: moved together with its images (and model), search still works", async () => {
    const dir = album("move-together", true);
    const index = join(dir, "index");
    expect((await duet("index", "--checkpoint", join(dir, "model"), "--images", join(dir, "photos"), "--out", index)).code).toBe(0);
    const stored = JSON.parse(readFileSync(join(index, "index.json"), "utf8")) as { version: number; checkpoint: { path: string; fingerprint: string }; items: { path: string }[] };
    expect(stored.version).toBe(2);
    expect(stored.items.map((i) => i.path)).toEqual(["../photos/astronaut.png", "../photos/chelsea.png", "../photos/coffee.png"]);
    expect(stored.checkpoint.path).toBe("../model");
    expect(stored.checkpoint.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const moved = join(work.dir, "moved-elsewhere");
    renameSync(dir, moved);
    const found = await duet("search", "--index", join(moved, "index"), "--image", join(moved, "photos", "coffee.png"), "--k", "1", "--json");
    expect(found.code, found.stderr.join("\n")).toBe(0);
    const hit = found.json<SearchJson>().queries[0]!.results[0]!;
    expect(hit.path).toBe(join(moved, "photos", "coffee.png"));
    expect(existsSync(hit.path)).toBe(true);
    expect(hit.score).toBeCloseTo(1, 5);
  });

  it("a moved checkpoint: search says where it looked (naming no flag the user did not pass); --checkpoint at its new place works", async () => {
    const dir = album("move-checkpoint", true);
    const index = join(dir, "index");
    expect((await duet("index", "--checkpoint", join(dir, "model"), "--images", join(dir, "photos"), "--out", index)).code).toBe(0);
    const elsewhere = join(work.dir, "model-moved");
    renameSync(join(dir, "model"), elsewhere);
    const lost = await duet("search", "--index", index, "--text", "a cat");
    expect(lost.code).toBe(2);
    expect(lost.stderr).toHaveLength(1);
    expect(lost.stderr[0]).toMatch(/the index's checkpoint .*model \(recorded in .*index\.json\) is not there any more; give --checkpoint C/);
    expect(lost.stderr[0]).not.toMatch(/--checkpoint \S*model: no such folder/);
    const found = await duet("search", "--index", index, "--text", "a cat", "--checkpoint", elsewhere, "--json");
    expect(found.code, found.stderr.join("\n")).toBe(0);
    expect(found.json<SearchJson>().queries[0]!.results).toHaveLength(3);
  });

  it("a retrained checkpoint or another model is an error naming both fingerprints; --ignore-fingerprint searches anyway", async () => {
    const dir = album("fingerprint", true);
    const index = join(dir, "index");
    const checkpoint = join(dir, "model");
    expect((await duet("index", "--checkpoint", checkpoint, "--images", join(dir, "photos"), "--out", index)).code).toBe(0);
    const fingerprint = (JSON.parse(readFileSync(join(index, "index.json"), "utf8")) as { checkpoint: { fingerprint: string } }).checkpoint.fingerprint;
    // the same weights in open_clip's layout have the same fingerprint
    expect((await duet("search", "--index", index, "--text", "a cat", "--checkpoint", VIT_GELU)).code).toBe(0);
    // "retrained" in place: one weight moved
    const model = loadCheckpoint(checkpoint).model;
    model.logitScale.value.data[0] = model.logitScale.value.data[0]! + 0.25;
    saveCheckpoint(checkpoint, model);
    const stale = await duet("search", "--index", index, "--text", "a cat");
    expect(stale.code).toBe(2);
    expect(stale.stderr[0]).toMatch(/now holds other weights/);
    expect(stale.stderr[0]).toContain(fingerprint);
    expect(stale.stderr[0]).toMatch(new RegExp(`the checkpoint's sha256:(?!${fingerprint.slice(7)})[0-9a-f]{64}`));
    const other = await duet("search", "--index", index, "--text", "a cat", "--checkpoint", VIT_QUICKGELU);
    expect(other.code).toBe(2);
    expect(other.stderr[0]).toMatch(/--checkpoint .*vit-quickgelu holds other weights than the index was built with/);
    expect((await duet("search", "--index", index, "--text", "a cat", "--ignore-fingerprint")).code).toBe(0);
  });
});

describe("duet index --skip-errors", () => {
  it("without it one unreadable image is exit 2 naming the file; with it the image is left out, counted and listed", async () => {
    const dir = album("skip");
    writeFileSync(join(dir, "photos", "broken.png"), "not a png");
    const manifest = join(dir, "pairs.csv");
    writeFileSync(manifest, "filepath,title\nphotos/coffee.png,a cup of coffee\nphotos/gone.png,a lost photo\nphotos/chelsea.png,a cat\n");
    const stopped = await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", join(dir, "index"));
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toHaveLength(1);
    expect(stopped.stderr[0]).toMatch(/duet index: image .*broken\.png: .* \(give --skip-errors/);
    const skipped = await duet("index", "--checkpoint", VIT_GELU, "--images", join(dir, "photos"), "--out", join(dir, "index"), "--skip-errors", "--json");
    expect(skipped.code, skipped.stderr.join("\n")).toBe(0);
    expect(skipped.json()).toEqual({ index: join(dir, "index"), count: 3, embed_dim: 32, skipped: 1 });
    expect(skipped.stderr.join("\n")).toMatch(/skipped 1 image that could not be read .*broken\.png/);
    const stored = JSON.parse(readFileSync(join(dir, "index", "index.json"), "utf8")) as { items: { path: string }[]; skipped: { path: string; error: string }[] };
    expect(stored.items.map((i) => i.path)).not.toContain("../photos/broken.png");
    expect(stored.skipped).toEqual([{ path: "../photos/broken.png", error: expect.stringMatching(/broken\.png/) }]);
    // a manifest naming a missing file: the manifest's line without the flag, skipped with it
    const missing = await duet("index", "--checkpoint", VIT_GELU, "--data", manifest, "--out", join(dir, "index-csv"));
    expect(missing.code).toBe(2);
    expect(missing.stderr[0]).toMatch(/gone\.png/);
    const kept = await duet("index", "--checkpoint", VIT_GELU, "--data", manifest, "--out", join(dir, "index-csv"), "--skip-errors", "--json");
    expect(kept.code, kept.stderr.join("\n")).toBe(0);
    expect(kept.json()).toMatchObject({ count: 2, skipped: 1 });
  });
});

describe("the export clip-retrieval reads", () => {
  it("embeddings.npy holds the index's features, metadata.csv one row per image in their order", async () => {
    const index = join(work.dir, "export-index");
    expect((await duet("index", "--checkpoint", work.duetCheckpoint, "--data", work.pairs, "--out", index)).code).toBe(0);
    const npy = readNpy(readFileSync(join(index, "embeddings.npy")));
    const features = readSafetensors(join(index, "features.safetensors")).tensors.get("features")!;
    expect(npy.shape).toEqual([3, 32]);
    expect([...npy.data]).toEqual([...features.contiguousData()]);
    // read back by csv-parse (through the manifests' table reader)
    const table = parseTable(readFileSync(join(index, "metadata.csv"), "utf8"), ",", "test", "metadata.csv");
    expect(table.header).toEqual(["image_path", "caption", "captions"]);
    const rows = table.rows.map(({ fields }) => ({ image_path: fields[0]!, caption: fields[1]!, captions: fields[2]! }));
    const stored = JSON.parse(readFileSync(join(index, "index.json"), "utf8")) as { items: { path: string; captions: string[] }[] };
    expect(rows.map((r) => r.image_path)).toEqual(stored.items.map((i) => i.path));
    expect(rows.map((r) => JSON.parse(r.captions) as string[])).toEqual(stored.items.map((i) => i.captions));
    expect(rows[2]).toMatchObject({ image_path: "../images/chelsea.png", caption: "a tabby cat" });
  });
});

describe("duet search with several queries", () => {
  it("answers every --text and --image, each as it would alone, texts first", async () => {
    const index = join(work.dir, "multi-index");
    expect((await duet("index", "--checkpoint", VIT_GELU, "--images", join(work.dir, "images"), "--out", index)).code).toBe(0);
    const both = await duet("search", "--index", index, "--text", "a cat", "--text", "a cup of coffee", "--image", IMAGES[0]!, "--k", "3", "--json");
    expect(both.code, both.stderr.join("\n")).toBe(0);
    const { queries } = both.json<SearchJson>();
    expect(queries.map((q) => q.query)).toEqual([{ text: "a cat" }, { text: "a cup of coffee" }, { image: IMAGES[0] }]);
    for (const [flag, value] of [["--text", "a cat"], ["--text", "a cup of coffee"], ["--image", IMAGES[0]!]] as const) {
      const alone = (await duet("search", "--index", index, flag, value, "--k", "3", "--json")).json<SearchJson>().queries[0]!;
      const inBatch = queries.find((q) => (q.query.text ?? q.query.image) === value)!;
      expect(inBatch.results.map((r) => r.path)).toEqual(alone.results.map((r) => r.path));
      inBatch.results.forEach((r, i) => expect(r.score).toBeCloseTo(alone.results[i]!.score, 5));
    }
    const human = await duet("search", "--index", index, "--text", "a cat", "--text", "a dog", "--k", "2");
    expect(human.stdout.split("\n")).toEqual([`text "a cat":`, expect.stringMatching(/^ 1\. /), expect.stringMatching(/^ 2\. /), `text "a dog":`, expect.stringMatching(/^ 1\. /), expect.stringMatching(/^ 2\. /)]);
  });
});
