/**
 * `duet demo`, the main job: on a fresh clone, train the default model on OpenMoji and show
 * what it learned, on emojis it never saw.
 *
 *   1. prepare   OpenMoji 17 rasterised at the model's resolution (cached after the first run);
 *                the split by base emoji -> DIR/split.json
 *   2. train     the "demo" preset (trainClip), or with --model coca the "coca" preset (the
 *                same towers with a text decoder), evaluating on the val split as it goes;
 *                DIR/checkpoint/, DIR/train_log.jsonl, DIR/eval_log.jsonl
 *   3. evaluate  the saved checkpoint, loaded back as any user would load it, on the TEST split:
 *                zero-shot over OpenMoji's subgroups, retrieval against the annotations;
 *                a CoCa also captions OpenMoji's test emojis (demo-captioning.ts)
 *   4. report    DIR/metrics.json and DIR/report.html (self-contained)
 */

import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { writeFileAtomic } from "../data/atomic.js";
import { readFileSync } from "node:fs";
import { EMOJI_STYLES, loadEmojiCollection, openMojiItems, openMojiVersion, stylesAttributionHtml, styleHas, writeSplitJson, ZERO_SHOT_TEMPLATES, type EmojiStyle } from "../data/index.js";
import type { StyleMetrics, TransferTable } from "../report/styles-section.js";
import { loadCheckpoint, modelConfigToJson } from "../model/index.js";
import { readReferenceRun } from "../report/reference.js";
import { renderReport, type HeadlineMetrics } from "../report/report.js";
import { readRunFolder } from "../report/run-folder.js";
import { getPreset } from "../train/index.js";
import { evaluateDemoCaptioning, type DemoCaptioning } from "./demo-captioning.js";
import { buildExamples } from "./demo-examples.js";
import { chanceRecall, checkedEncoder, evaluateHeldOut, openMojiEvalSet, retrievalSummary, zeroShotSummary } from "../eval/index.js";
import type { Io } from "./io.js";
import { formatSeconds, progressFor, startProgress } from "./progress.js";
import { claimRunDir, describeInterrupt, exitCodeOf, trainWithProgress } from "./training.js";

/** What `duet demo --model` trains: a CLIP (the "demo" preset) or a CoCa (the "coca" preset). */
export type DemoModel = "clip" | "coca";
export const DEMO_MODELS: readonly DemoModel[] = ["clip", "coca"];
const PRESET_OF = { clip: "demo", coca: "coca" } as const;

export interface DemoOptions {
  outDir: string;
  /** Default "clip". */
  model?: DemoModel;
  /** Replace a run already in outDir (training.ts claimRunDir). */
  overwrite?: boolean;
  /** Training time budget in minutes: without `steps`, training runs as many steps as fit in it. */
  minutes: number;
  /** Fewer steps than the preset's (smoke runs); the warmup shrinks in proportion. */
  steps?: number;
  /** Only the first N emojis of each style (smoke runs and tests). */
  limit?: number;
  /** The drawing styles to train on (default all three: the `emoji` dataset). */
  styles?: readonly EmojiStyle[];
  /** The committed leave-one-style-out results the report shows (default bench/results/style-transfer.json). */
  transferPath?: string;
  batchSize?: number;
  threads?: number;
  seed: number;
  /** The PyTorch reference run's metrics (JSON), shown beside Duet's when the file exists. */
  referencePath: string;
  json: boolean;
}

/** The repository root (the folder with pnpm-workspace.yaml) above `start`, else `start`. */
export function repoRoot(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}

export const DEFAULT_REFERENCE = "bench/results/reference-train.json";
export const DEFAULT_TRANSFER = "bench/results/style-transfer.json";

/**
 * Seconds of the demo's budget kept from training for the test-split evaluation of three
 * styles and the report: they took 5–6 s here after training (and Node's start about 2 s),
 * so the whole command ended 294–310 s after it began with the full 5 minutes given to training.
 */
export const EVALUATION_RESERVE_S = 15;

/**
 * Seconds more a CoCa keeps (CAPTIONING_RESERVE_S on top of EVALUATION_RESERVE_S): it also
 * captions OpenMoji's test split (546 emojis, greedy) and embeds its train split (3,564) for
 * the retrieval baseline before scoring three caption sets against ~100 references an emoji:
 * 16.6 s here on 2 shared cores (load 2) for a barely trained CoCa that never stops early
 * (every caption 14 tokens long, the most it reads).
 */
export const CAPTIONING_RESERVE_S = 20;

/** The seconds of the budget that training leaves for evaluating and reporting. */
export function evaluationReserveSeconds(model: DemoModel): number {
  return EVALUATION_RESERVE_S + (model === "coca" ? CAPTIONING_RESERVE_S : 0);
}

/** The committed leave-one-style-out table, if the file is there and reads as one. */
function readTransferTable(path: string): TransferTable | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const table = JSON.parse(readFileSync(path, "utf8")) as TransferTable;
    return Array.isArray(table.rows) ? table : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the demo (see the file comment); returns the exit status (130 / 143 when interrupted during training). */
export async function runDemo(options: DemoOptions, io: Io): Promise<number> {
  claimRunDir("demo", options.outDir, { overwrite: options.overwrite }, io);
  const started = performance.now();
  const wall: Record<string, number> = {};
  const phase = (name: string, since: number) => (wall[name] = (performance.now() - since) / 1000);
  const say = (line: string) => io.err(line);
  const model = options.model ?? "clip";
  const preset = getPreset(PRESET_OF[model]);
  const resolution = (preset.model.vision_cfg as { image_size: number }).image_size;
  const loadAtStart = loadavg()[0]!;

  // 1. prepare: every style's drawings (cached after the first run); the one split by base emoji
  let t = performance.now();
  const styles = options.styles ?? EMOJI_STYLES;
  const drawings = styles.reduce((sum, style) => sum + Math.min(options.limit ?? Infinity, openMojiItems().filter((item) => styleHas(style, item.hexcode)).length), 0);
  const rasterProgress = startProgress(io, `rasterising ${styles.join(", ")} at ${resolution}px`, drawings);
  const collection = await loadEmojiCollection({ styles, resolution, limit: options.limit, onProgress: (done) => rasterProgress.update(done) });
  rasterProgress.stop();
  const openMoji = collection.part("openmoji") ?? collection.parts[0]!;
  const split = { train: openMoji.split.train.length, val: openMoji.split.val.length, test: openMoji.split.test.length };
  writeSplitJson(join(options.outDir, "split.json"), openMoji.split);
  phase("prepare", t);
  say(`OpenMoji ${openMojiVersion()}'s emojis at ${resolution}px in ${collection.parts.map((p) => `${p.style} (${p.length}, ${p.cache.status === "hit" ? "cached" : "rasterised"})`).join(", ")}; split by base emoji: ${split.train} train, ${split.val} val, ${split.test} test in ${openMoji.style}`);

  // 2. train
  t = performance.now();
  const steps = options.steps ?? preset.training.steps;
  const warmup = options.steps === undefined ? undefined : Math.min(steps - 1, Math.round((steps * preset.training.warmup) / preset.training.steps));
  const batchSize = Math.min(options.batchSize ?? preset.training.batchSize, split.train);
  const trained = await trainWithProgress(
    {
      outDir: options.outDir,
      model: preset.name,
      data: { kind: "emoji", dataset: collection, split: "train" },
      seed: options.seed,
      // without --steps: the preset's length to start, then as many steps as the budget holds
      ...(options.steps === undefined ? {} : { steps }),
      ...(warmup === undefined ? {} : { warmup }),
      batchSize,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      timeBudgetMinutes: Math.max(options.minutes / 2, options.minutes - evaluationReserveSeconds(model) / 60),
      // the steps are fitted to the budget on this machine (timed after a few steps, refitted
      // at 30% and 60%), so the cosine schedule ends on time; a smoke run's --steps is kept as given
      fitStepsToBudget: options.steps === undefined,
      evalEvery: Math.max(1, Math.ceil(steps / 8)),
      checkpointEvery: 100,
    },
    io,
  );
  const { result, steps: stepLog } = trained;
  phase("train", t);
  if (trained.interrupted !== null) {
    io.err(describeInterrupt(trained, null));
    return exitCodeOf(trained.interrupted);
  }

  // 3. evaluate the checkpoint as saved, on the test split
  t = performance.now();
  const checkpoint = loadCheckpoint(result.checkpointDir);
  const set = await openMojiEvalSet(checkpoint.preprocess.size, "test", { openMoji, style: openMoji.style, onProgress: progressFor(io) });
  // the same evaluator as the validation curve's (eval/held-out.ts), on the test split
  const evaluation = await evaluateHeldOut(checkedEncoder(checkpoint), set, { onProgress: progressFor(io) });
  // and the test split in every other style trained on
  const styleMetrics: StyleMetrics[] = [];
  for (const part of collection.parts) {
    const record = part === openMoji ? evaluation.record : (await evaluateHeldOut(checkedEncoder(checkpoint), await openMojiEvalSet(checkpoint.preprocess.size, "test", { openMoji: part, style: part.style }), { onProgress: progressFor(io) })).record;
    styleMetrics.push({
      style: part.style, images: record.images, zeroshot_top1: record.zeroshot_top1!, zeroshot_top5: record.zeroshot_top5!,
      "text_to_image_R@1": record["text_to_image_R@1"]!, "text_to_image_R@5": record["text_to_image_R@5"]!, "text_to_image_R@10": record["text_to_image_R@10"]!,
      "image_to_text_R@1": record["image_to_text_R@1"]!, "image_to_text_R@5": record["image_to_text_R@5"]!, "image_to_text_R@10": record["image_to_text_R@10"]!,
      "chance_R@10": record["chance_R@10"]!,
    });
  }
  const trainIndices = openMoji.indicesOf("train");
  const meanDistinct = trainIndices.reduce((sum, i) => sum + openMoji.distinctCaptions(i), 0) / Math.max(1, trainIndices.length);
  const transferPath = options.transferPath ?? DEFAULT_TRANSFER;
  const transfer = readTransferTable(resolve(repoRoot(), transferPath));
  phase("evaluate", t);

  // 3b. a CoCa writes captions: the test emojis', scored beside the two baselines
  let captioning: DemoCaptioning | undefined;
  if (model === "coca") {
    t = performance.now();
    captioning = await evaluateDemoCaptioning(checkpoint, openMoji, { onProgress: progressFor(io) });
    phase("caption", t);
  }

  // 4. report
  t = performance.now();
  const z = zeroShotSummary(evaluation.record);
  const r = retrievalSummary(evaluation.record);
  const n = r.n_images;
  const headline: HeadlineMetrics = { zeroshot: z, retrieval: r };
  const examples = await buildExamples(set, { imageFeatures: evaluation.imageFeatures, textFeatures: evaluation.textFeatures!, zeroShotLogits: evaluation.zeroShotLogits! });
  const referencePath = resolve(repoRoot(), options.referencePath);
  const reference = readReferenceRun(referencePath);
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load_average_at_start: Number(loadAtStart.toFixed(2)),
  };
  const trainConfig = { ...result.run, steps_done: result.steps, stopped_by: result.stoppedBy, final_loss: result.finalLoss ?? NaN, samples_per_s: Number(result.samplesPerSecond.toFixed(1)) };
  const modelConfig = modelConfigToJson(checkpoint.config);
  const metrics = {
    dataset: `OpenMoji ${openMojiVersion()}'s emojis drawn in ${collection.styles.join(", ")}`,
    split: "test",
    n_items: z.n,
    classes: z.classes,
    zeroshot: { ...headline.zeroshot, templates: [...ZERO_SHOT_TEMPLATES] },
    retrieval: {
      "text_to_image_R@1": r["text_to_image_R@1"], "text_to_image_R@5": r["text_to_image_R@5"], "text_to_image_R@10": r["text_to_image_R@10"],
      "image_to_text_R@1": r["image_to_text_R@1"], "image_to_text_R@5": r["image_to_text_R@5"], "image_to_text_R@10": r["image_to_text_R@10"],
      "chance_R@1": headline.retrieval["chance_R@1"], "chance_R@5": headline.retrieval["chance_R@5"], "chance_R@10": headline.retrieval["chance_R@10"],
      text_to_image_mean_rank: r.text_to_image_mean_rank, text_to_image_median_rank: r.text_to_image_median_rank,
      image_to_text_mean_rank: r.image_to_text_mean_rank, image_to_text_median_rank: r.image_to_text_median_rank,
      n_images: r.n_images, n_texts: r.n_texts,
    },
    split_sizes: split,
    styles: Object.fromEntries(styleMetrics.map(({ style, ...m }) => [style, m])),
    captions: { mean_distinct_per_training_emoji: Number(meanDistinct.toFixed(1)) },
    ...(captioning === undefined ? {} : { captioning: captioning.metrics }),
    transfer: transfer === undefined ? null : { source: transferPath, rows: transfer.rows },
    train: {
      preset: preset.name, steps: result.steps, planned_steps: result.run.steps, stopped_by: result.stoppedBy, epochs: stepLog.at(-1)?.epoch ?? 0,
      batch_size: result.run.batchSize, final_loss: result.finalLoss, samples_per_s: result.samplesPerSecond, seed: result.run.seed, threads: result.run.threads,
      last_val: result.lastEval,
    },
    wall_time_s: wall,
    config: { model: modelConfig, train: result.run },
    machine,
    reference: reference === undefined ? null : { path: reference.path, metrics: reference.metrics, wall_time_s: reference.wallTimeSeconds ?? null },
  };
  // the report of any run folder (report/run-folder.ts, as duet report reads it), plus the test split
  const html = renderReport({
    ...readRunFolder(options.outDir),
    title: `Duet demo: a ${model === "coca" ? "CoCa (CLIP with a caption decoder)" : "CLIP-style model"} trained on ${collection.styles.length === 1 ? `${collection.styles[0]} emojis` : `emojis in ${collection.styles.length} drawing styles`}`,
    generatedAt: new Date().toISOString(),
    generator: "duet demo",
    dataset: `OpenMoji ${openMojiVersion()}'s emojis drawn in ${collection.styles.join(", ")}`,
    wallTime: { ...wall, total: (performance.now() - started) / 1000 }, // the report's own writing is not counted in it
    trainConfig,
    machine,
    test: {
      split, metrics: headline, reference, referencePath: options.referencePath, zeroShotTemplates: ZERO_SHOT_TEMPLATES, ...examples,
      styles: styleMetrics, captions: { meanDistinct }, transfer: { table: transfer, path: transferPath },
      run: { data: result.run.data, steps: result.steps, batchSize: result.run.batchSize, seed: result.run.seed },
      ...(captioning === undefined ? {} : { captioning: captioning.report }),
    },
    attributionHtml: `Emojis: ${stylesAttributionHtml(collection.styles)}. Captions use Unicode CLDR keywords from emojibase-data (MIT).`,
  });
  writeFileAtomic(join(options.outDir, "report.html"), html);
  phase("report", t);
  wall["total"] = (performance.now() - started) / 1000;
  writeFileAtomic(join(options.outDir, "metrics.json"), `${JSON.stringify(metrics, null, 2)}\n`);

  if (options.json) io.out(JSON.stringify(metrics));
  else {
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    const recall = (way: "text_to_image" | "image_to_text") => [1, 5, 10].map((k) => pct(r[`${way}_R@${k}` as "text_to_image_R@1"])).join(" / ");
    const chance = [1, 5, 10].map((k) => pct(chanceRecall(n, k))).join(" / ");
    io.out(`Duet demo: trained the ${preset.name} model (${(checkpoint.model.numParameters() / 1e6).toFixed(2)}M parameters) on ${split.train} training emojis in ${collection.styles.length === 1 ? `the ${collection.styles[0]} style` : `${collection.styles.length} drawing styles (${collection.styles.join(", ")})`}, ${result.steps} steps in ${formatSeconds(wall["train"]!)}${result.stoppedBy === "steps" ? "" : ` (stopped by the ${result.stoppedBy === "time" ? `${options.minutes}-minute budget` : "interrupt"})`}`);
    io.out(`test split (${z.n} emojis never seen in training):`);
    io.out(`  zero-shot over ${z.classes} subgroups  top-1 ${pct(z.top1)} (chance ${pct(z.chance_top1)}), top-5 ${pct(z.top5)} (chance ${pct(z.chance_top5)})`);
    io.out(`  text→image R@1/5/10  ${recall("text_to_image")}  (chance ${chance})`);
    io.out(`  image→text R@1/5/10  ${recall("image_to_text")}  (chance ${chance})`);
    if (captioning !== undefined) {
      const c = captioning.metrics;
      io.out(`  captions (greedy)    CIDEr-D ${c.model.ciderD.toFixed(3)}, BLEU-4 ${c.model.bleu4.toFixed(3)}; baselines: retrieval ${c.baselines.retrieval.ciderD.toFixed(3)} / ${c.baselines.retrieval.bleu4.toFixed(3)}, most frequent ${c.baselines.most_frequent.ciderD.toFixed(3)} / ${c.baselines.most_frequent.bleu4.toFixed(3)}`);
    }
    io.out(`wrote ${join(options.outDir, "report.html")}, metrics.json, split.json and checkpoint/ in ${formatSeconds(wall["total"]!)}`);
  }
  return 0;
}
