/**
 * Leave-one-style-out: how much a drawing style the model never saw costs. For each of the
 * three training styles S, the demo preset trains on the other two (train split, seeds as
 * given, a fixed number of steps so every run does the same work) and is tested on S's test
 * split — emojis it never saw, in a style it never saw — and on the test split of the styles it
 * trained on, for comparison. Writes bench/results/style-transfer.json (the table the demo's
 * report shows, mean ± sd over seeds, plus every run).
 *
 *   npx tsx tools/style-transfer.ts [--steps N] [--seeds 0,1,2] [--threads N] [--out bench/results/style-transfer.json]
 *
 * Each run takes about as long as `duet demo --steps N` (about 1 s per step on 2 cores for
 * the demo preset at batch 128).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../packages/vlm/src/data/atomic.js";
import { EMOJI_STYLES, loadEmojiCollection, type EmojiStyle } from "../packages/vlm/src/data/index.js";
import { evaluateHeldOut, modelEncoder, openMojiEvalSet } from "../packages/vlm/src/eval/index.js";
import { getPreset, trainClip } from "../packages/vlm/src/train/index.js";
import { repoRoot } from "../packages/vlm/src/cli/demo-run.js";

const { values } = parseArgs({ options: { steps: { type: "string" }, seeds: { type: "string" }, threads: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  process.stdout.write("usage: npx tsx tools/style-transfer.ts [--steps N] [--seeds 0,1,2] [--threads N] [--out bench/results/style-transfer.json]\n");
  process.exit(0);
}
const steps = Number(values.steps ?? 250);
const seeds = (values.seeds ?? "0,1,2").split(",").map(Number);
const threads = values.threads === undefined ? undefined : Number(values.threads);
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
  process.stderr.write("style-transfer: --threads takes a positive integer\n");
  process.exit(2);
}
if (!Number.isInteger(steps) || steps < 2 || seeds.some((s) => !Number.isInteger(s))) {
  process.stderr.write("style-transfer: --steps must be an integer >= 2 and --seeds integers\n");
  process.exit(2);
}
const out = resolve(repoRoot(), values.out ?? "bench/results/style-transfer.json");
const preset = getPreset("demo");
const resolution = (preset.model.vision_cfg as { image_size: number }).image_size;
const all = await loadEmojiCollection({ resolution });

interface Run {
  trained: EmojiStyle[];
  tested: EmojiStyle;
  seed: number;
  held_out_style: boolean;
  "text_to_image_R@10": number;
  "image_to_text_R@10": number;
  "text_to_image_R@5": number;
  "image_to_text_R@5": number;
  zeroshot_top1: number;
}
const runs: Run[] = [];

const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean: Number(mean.toFixed(4)), sd: Number(sd.toFixed(4)) };
};
/** The table of the runs so far (written after every run, so a stopped sweep keeps what it finished). */
function writeTable(): void {
  const rows = EMOJI_STYLES.flatMap((heldOut) =>
    EMOJI_STYLES.map((tested) => {
      const trained = EMOJI_STYLES.filter((s) => s !== heldOut);
      const these = runs.filter((r) => r.trained.join() === trained.join() && r.tested === tested);
      return {
        trained, tested, seeds: these.length, held_out_style: tested === heldOut,
        "text_to_image_R@10": stat(these.map((r) => r["text_to_image_R@10"])),
        "image_to_text_R@10": stat(these.map((r) => r["image_to_text_R@10"])),
        zeroshot_top1: stat(these.map((r) => r.zeroshot_top1)),
      };
    }),
  ).filter((row) => row.seeds > 0);
  const table = {
    source: "bench/results/style-transfer.json",
    description: `The demo preset, ${steps} steps of batch ${preset.training.batchSize} on the train split of two styles (every drawing once an epoch, the preset's augmentation), seeds ${seeds.join(", ")}; tested on the test split of each style (${rows.filter((r) => r.held_out_style).length} rows where the style was held out). Made by tools/style-transfer.ts in ${((performance.now() - started) / 60000).toFixed(0)} min.`,
    rows,
    runs,
  };
  writeFileAtomic(out, `${JSON.stringify(table, null, 2)}\n`);
}

const started = performance.now();
for (const heldOut of EMOJI_STYLES) {
  const trained = EMOJI_STYLES.filter((s) => s !== heldOut);
  const collection = await loadEmojiCollection({ styles: trained, resolution });
  for (const seed of seeds) {
    const dir = mkdtempSync(join(tmpdir(), "duet-style-transfer-"));
    try {
      const t0 = performance.now();
      const result = await trainClip({ outDir: dir, model: "demo", data: { kind: "emoji", dataset: collection, split: "train" }, steps, seed, checkpointEvery: 0, ...(threads === undefined ? {} : { threads }) });
      for (const tested of EMOJI_STYLES) {
        const set = await openMojiEvalSet(resolution, "test", { style: tested, openMoji: all.part(tested)! });
        const { record } = await evaluateHeldOut(modelEncoder(result.model, result.tokenizer), set);
        runs.push({
          trained, tested, seed, held_out_style: tested === heldOut,
          "text_to_image_R@10": record["text_to_image_R@10"]!, "image_to_text_R@10": record["image_to_text_R@10"]!,
          "text_to_image_R@5": record["text_to_image_R@5"]!, "image_to_text_R@5": record["image_to_text_R@5"]!,
          zeroshot_top1: record.zeroshot_top1!,
        });
      }
      const last = runs.filter((r) => r.seed === seed && r.trained.join() === trained.join());
      process.stderr.write(`trained on ${trained.join(" + ")}, seed ${seed}, ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${last.map((r) => `${r.tested} t2i R@10 ${(100 * r["text_to_image_R@10"]).toFixed(1)}%`).join(", ")}\n`);
      writeTable();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
writeTable();
process.stderr.write(`wrote ${out}\n`);
