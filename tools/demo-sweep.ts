/**
 * The demo preset against variants of it, as `duet demo` trains: all three drawing styles'
 * train split, the steps fitted to the demo's training budget on this machine (5 minutes less
 * the demo's evaluation reserve), then the test split of every style. Runs are interleaved
 * by seed (seed 0 of every variant, then seed 1, ...), so a host that slows down slows all
 * variants alike. Appends every run to bench/results/demo-sweep.json and prints mean ± sd.
 *
 *   npx tsx tools/demo-sweep.ts --variants base,lr4e-3 [--seeds 0,1,2] [--minutes 5 | --steps N] [--threads N]
 *
 * --steps N trains exactly N steps instead of fitting them to the budget: on a busy machine
 * a budget buys fewer steps, so compare variants there at the steps the quiet machine fits
 * (457 for the demo preset, seed 0, on 2026-12-07). --threads (default: all cores) lets two
 * sweeps share the machine at one thread each.
 *
 * Variants: "base" (the preset), "lrX" (peak learning rate X), "wdX" (weight decay X),
 * "warmupN", "batchN"; joined with "+" for several changes ("lr3e-3+warmupN30").
 * Each run takes the demo's budget: 3 seeds of 2 variants are ~30 minutes on 2 cores.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../packages/vlm/src/data/atomic.js";
import { EMOJI_STYLES, loadEmojiCollection } from "../packages/vlm/src/data/index.js";
import { evaluateHeldOut, modelEncoder, openMojiEvalSet } from "../packages/vlm/src/eval/index.js";
import { getPreset, trainClip } from "../packages/vlm/src/train/index.js";
import { EVALUATION_RESERVE_S, repoRoot } from "../packages/vlm/src/cli/demo-run.js";

const { values } = parseArgs({ options: { variants: { type: "string" }, seeds: { type: "string" }, minutes: { type: "string" }, steps: { type: "string" }, threads: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
if (values.help || values.variants === undefined) {
  process.stdout.write("usage: npx tsx tools/demo-sweep.ts --variants base,lr4e-3[,...] [--seeds 0,1,2] [--minutes 5 | --steps N] [--threads N] [--out bench/results/demo-sweep.json]\n");
  process.exit(values.help ? 0 : 2);
}
const seeds = (values.seeds ?? "0,1,2").split(",").map(Number);
const minutes = Number(values.minutes ?? 5);
const fixedSteps = values.steps === undefined ? null : Number(values.steps);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const out = resolve(repoRoot(), values.out ?? "bench/results/demo-sweep.json");
const preset = getPreset("demo");
const resolution = (preset.model.vision_cfg as { image_size: number }).image_size;

interface Overrides {
  lr?: number;
  weightDecay?: number;
  warmup?: number;
  batchSize?: number;
}

/** "lr4e-3+wd0.05" -> { lr: 0.004, weightDecay: 0.05 }; "base" -> {}. */
function parseVariant(name: string): Overrides {
  if (name === "base") return {};
  const o: Overrides = {};
  for (const part of name.split("+")) {
    const m = /^(lr|wd|warmup|batch)(.+)$/.exec(part);
    const value = Number(m?.[2]);
    if (!m || !Number.isFinite(value) || value <= 0) throw new Error(`demo-sweep: a variant is base or lrX, wdX, warmupN, batchN joined by "+", got ${JSON.stringify(part)}`);
    if (m[1] === "lr") o.lr = value;
    else if (m[1] === "wd") o.weightDecay = value;
    else if (m[1] === "warmup") o.warmup = value;
    else o.batchSize = value;
  }
  return o;
}

const variants = values.variants.split(",").map((name) => ({ name, overrides: parseVariant(name) }));
if (seeds.some((s) => !Number.isInteger(s)) || !(minutes > 0) || (fixedSteps !== null && !(Number.isInteger(fixedSteps) && fixedSteps >= 2)) || (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))) {
  process.stderr.write("demo-sweep: --seeds takes integers, --minutes a positive number, --steps an integer >= 2 and --threads a positive integer\n");
  process.exit(2);
}

const collection = await loadEmojiCollection({ resolution });
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as { runs: unknown[] }).runs : [];
const runs: Record<string, unknown>[] = [];
for (const seed of seeds) {
  for (const { name, overrides } of variants) {
    const dir = mkdtempSync(join(tmpdir(), "duet-demo-sweep-"));
    try {
      const load = loadavg()[0]!;
      const t0 = performance.now();
      const result = await trainClip({
        outDir: dir, model: "demo", data: { kind: "emoji", dataset: collection, split: "train" }, seed, checkpointEvery: 0,
        ...(fixedSteps === null ? { timeBudgetMinutes: minutes - EVALUATION_RESERVE_S / 60, fitStepsToBudget: true } : { steps: fixedSteps }),
        ...(threads === undefined ? {} : { threads }),
        ...overrides,
      });
      const trainS = (performance.now() - t0) / 1000;
      const styles: Record<string, Record<string, number>> = {};
      for (const style of EMOJI_STYLES) {
        const set = await openMojiEvalSet(resolution, "test", { style, openMoji: collection.part(style)! });
        const { record } = await evaluateHeldOut(modelEncoder(result.model, result.tokenizer), set);
        styles[style] = {
          "text_to_image_R@5": record["text_to_image_R@5"]!, "image_to_text_R@5": record["image_to_text_R@5"]!,
          "text_to_image_R@10": record["text_to_image_R@10"]!, "image_to_text_R@10": record["image_to_text_R@10"]!,
          zeroshot_top1: record.zeroshot_top1!,
        };
      }
      const run = { variant: name, overrides, seed, steps: result.steps, fitted_to_budget: fixedSteps === null, threads: threads ?? null, train_s: Number(trainS.toFixed(1)), load_at_start: Number(load.toFixed(2)), styles };
      runs.push(run);
      writeFileAtomic(out, `${JSON.stringify({ description: "tools/demo-sweep.ts: the demo preset and variants, trained as duet demo trains (three styles, steps fitted to the budget), test split of each style", runs: [...previous, ...runs] }, null, 2)}\n`);
      const o = styles["openmoji"]!;
      process.stderr.write(`${name} seed ${seed}: ${result.steps} steps in ${trainS.toFixed(0)} s (load ${load.toFixed(1)}); openmoji R@5 t2i ${(100 * o["text_to_image_R@5"]!).toFixed(1)} i2t ${(100 * o["image_to_text_R@5"]!).toFixed(1)}, zero-shot ${(100 * o.zeroshot_top1!).toFixed(1)}%\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const stat = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(100 * mean).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
};
for (const { name } of variants) {
  const these = runs.filter((r) => r["variant"] === name) as unknown as { steps: number; styles: Record<string, Record<string, number>> }[];
  process.stdout.write(`${name} (${these.length} seeds, ${these.map((r) => r.steps).join("/")} steps)\n`);
  for (const style of EMOJI_STYLES) {
    const pick = (k: string) => these.map((r) => r.styles[style]![k]!);
    process.stdout.write(`  ${style}: R@5 t2i ${stat(pick("text_to_image_R@5"))} i2t ${stat(pick("image_to_text_R@5"))}; R@10 t2i ${stat(pick("text_to_image_R@10"))} i2t ${stat(pick("image_to_text_R@10"))}; zero-shot top-1 ${stat(pick("zeroshot_top1"))}\n`);
  }
}
