/**
 * The Duet side of the PyTorch reference run (docs/reference-run.md), step 1 of 3: replays a
 * finished Duet run's training data stream and writes every step's batch — the images exactly
 * as the model received them, and the token ids — so tools/reference_train.py can train
 * open_clip on the very same batches.
 *
 *   npx tsx tools/export-demo-batches.ts [--run runs/demo] [--out DIR]
 *
 * Nothing here re-implements sampling: the batches come from the trainer's own functions
 * (resolveTrainData, TrainData.dataset, trainLoader) with the run's saved settings (seed,
 * batch size, augmentation) and its saved tokenizer.json. A batch is a pure function of
 * (seed, epoch, position), so replaying the loader from the start gives the run's batches.
 *
 * Written to DIR (default: a new temporary folder), streamed one step at a time:
 *
 *   images.f32      float32, little-endian, (steps × accumulation, B, 3, S, S), C order
 *   tokens.i32      int32, little-endian, (steps × accumulation, B, L)
 *   init/           the weights the run started from (createModel with the run's seed, as
 *                   setupRun builds them), a Duet checkpoint folder in open_clip's names
 *   header.json     written last: shapes, the recipe (lr of every step as the run applied it,
 *                   from train_log.jsonl — `duet demo` fits its steps to a time budget, so its
 *                   schedule was re-fitted mid-run), the model config, Duet's loss curve, and
 *                   the first-batch check below
 *
 * The check: the run logged its step-1 loss, computed on batch 1 with the initial weights.
 * The same loss recomputed here from the exported batch and the rebuilt initial weights must
 * agree (up to float32 rounding of a different reduction order when the run was
 * data-parallel); any difference in a pixel, a token, a crop or a weight would show.
 */

import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { noGrad } from "@duet/autograd";
import { Generator, type Tensor } from "@duet/tensor";
import {
  BpeTokenizer,
  createModel,
  isOpenClipCompatible,
  loadCheckpoint,
  loadOpenMoji,
  lossOnFeatures,
  modelConfigToJson,
  readTrainState,
  resolveCheckpointDir,
  resolveTrainData,
  saveCheckpoint,
  trainLoader,
  TRAIN_LOG_FILE,
  type OpenMoji,
  type RunConfig,
  type SplitName,
  type StepLogRecord,
} from "@duet/vlm";
import { writeFileAtomic } from "../packages/vlm/src/data/atomic.js";

export const BATCHES_FORMAT = "duet-batches";

export interface ExportOptions {
  /** The Duet run folder (or its checkpoint folder). */
  runDir: string;
  /** Where to write (created; default a new temporary folder). */
  outDir?: string;
  /** The OpenMoji the run trained on (default: loaded at the model's resolution, as `duet demo` loads it). */
  openMoji?: OpenMoji;
  /** The split the run trained on (default "train"). */
  split?: SplitName | "all";
  /** Export only the first N steps (tests). Default: every step the run did. */
  maxSteps?: number;
  log?: (line: string) => void;
}

/** What header.json holds (see the file comment). */
export interface BatchesHeader {
  format: typeof BATCHES_FORMAT;
  version: 1;
  source: { run_dir: string; checkpoint: string; data: string; model: string };
  steps: number;
  accumulation: number;
  batches: number;
  batch_size: number;
  image_shape: [number, number, number];
  context_length: number;
  vocab_size: number;
  files: { images: string; tokens: string; init: string };
  byte_order: "little";
  seed: number;
  recipe: {
    lr_per_step: number[];
    lr_source: "train_log.jsonl";
    skipped_steps: number[];
    base_lr: number;
    warmup: number;
    planned_steps: number;
    weight_decay: number;
    no_weight_decay: string;
    betas: [number, number];
    eps: number;
    grad_clip_norm: number | null;
    loss: string;
    logit_scale_clamp: [number, number];
    dtype: string;
  };
  /** open_clip's CLIP(**model_cfg): the config without the "duet" block. */
  model_cfg: Record<string, unknown>;
  /** The run's config.json, "duet" block included (tokenizer, preprocessing). */
  duet_config: Record<string, unknown>;
  /** The run's own curve, for the side-by-side. */
  duet_log: { loss: number[]; logit_scale: number[]; grad_norm: number[] };
  first_batch: {
    images_sha256: string;
    tokens_sha256: string;
    captions: string[];
    duet_logged_step1_loss: number;
    recomputed_loss: number;
    abs_diff: number;
    passed: boolean;
  };
}

/** |Δ| allowed between the logged and recomputed step-1 loss: float32 rounding of a ~5.0 loss. */
export const FIRST_BATCH_TOLERANCE = 1e-4;

function readTrainLog(path: string, steps: number): StepLogRecord[] {
  if (!existsSync(path)) throw new Error(`export-demo-batches: ${path} is missing: the run's applied learning rates are read from it`);
  const byStep = new Map<number, StepLogRecord>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as StepLogRecord;
    byStep.set(record.step, record);
  }
  const out: StepLogRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    const record = byStep.get(step);
    if (record === undefined) throw new Error(`export-demo-batches: ${path} has no line for step ${step} of ${steps}`);
    out.push(record);
  }
  return out;
}

function bytesOf(t: Tensor): Uint8Array {
  const data = t.contiguousData();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Replays a run's batches into `outDir` (see the file comment); returns header.json's content. */
export async function exportDemoBatches(options: ExportOptions): Promise<BatchesHeader & { outDir: string }> {
  const log = options.log ?? (() => undefined);
  const runDir = resolve(options.runDir);
  const checkpointDir = resolveCheckpointDir(runDir);
  const state = readTrainState(checkpointDir);
  const run = state.config as unknown as RunConfig;
  if (run.model.startsWith("init:")) {
    throw new Error(`export-demo-batches: the run started from another checkpoint (${run.model}); only runs initialised from their seed can be replayed`);
  }
  const checkpoint = loadCheckpoint(checkpointDir);
  const config = checkpoint.config;
  if (!isOpenClipCompatible(config)) throw new Error(`export-demo-batches: the run's model is not open_clip-loadable (a ViT with linear projections), so PyTorch cannot train it`);
  const tokenizer = checkpoint.tokenizer;
  const steps = Math.min(state.step, options.maxSteps ?? Infinity);
  const logDir = existsSync(join(runDir, TRAIN_LOG_FILE)) ? runDir : join(checkpointDir, "..");
  const trainLog = readTrainLog(join(logDir, TRAIN_LOG_FILE), steps);

  // the data, exactly as setupRun resolves it
  const size = config.vision_cfg.image_size;
  const { mean, std } = config.duet.preprocess;
  const openMoji = options.openMoji ?? (await loadOpenMoji({ resolution: size }));
  const data = await resolveTrainData({ kind: "openmoji", dataset: openMoji, split: options.split ?? "train" }, size, { mean, std });
  if (data.description !== run.data) {
    throw new Error(`export-demo-batches: the run trained on "${run.data}" but the data resolved here is "${data.description}"; pass the same OpenMoji and split`);
  }
  const contextLength = config.text_cfg.context_length;
  const loader = trainLoader(data.dataset(run.augment === null ? null : { scale: run.augment }), tokenizer, contextLength, run.batchSize, run.seed);

  // the initial weights, as setupRun builds them
  const initModel = createModel(config, { dtype: run.dtype, generator: new Generator(run.seed) });
  const outDir = resolve(options.outDir ?? mkdtempSync(join(tmpdir(), "duet-batches-")));
  mkdirSync(outDir, { recursive: true });
  saveCheckpoint(join(outDir, "init"), initModel, { tokenizer: tokenizer instanceof BpeTokenizer && config.duet.tokenizer === "tokenizer.json" ? tokenizer : undefined });

  const imagesFd = openSync(join(outDir, "images.f32"), "w");
  const tokensFd = openSync(join(outDir, "tokens.i32"), "w");
  const batches = steps * run.accumulation;
  let first: BatchesHeader["first_batch"] | null = null;
  try {
    for (let b = 0; b < batches; b++) {
      const batch = await loader.next();
      const images = batch.data.images;
      const tokens = batch.data.tokens;
      if (images.dtype !== "float32" || tokens.dtype !== "int32") throw new Error(`export-demo-batches: expected float32 images and int32 tokens, got ${images.dtype} and ${tokens.dtype}`);
      const imageBytes = bytesOf(images);
      const tokenBytes = bytesOf(tokens);
      writeSync(imagesFd, imageBytes);
      writeSync(tokensFd, tokenBytes);
      if (b === 0) {
        const recomputed = noGrad(() => {
          const out = initModel.forward(images, tokens);
          return lossOnFeatures(initModel, out.imageFeatures, out.textFeatures, run.loss).item();
        });
        const logged = trainLog[0]!.loss;
        const diff = Math.abs(recomputed - logged);
        first = {
          images_sha256: createHash("sha256").update(imageBytes).digest("hex"),
          tokens_sha256: createHash("sha256").update(tokenBytes).digest("hex"),
          captions: [...batch.data.captions],
          duet_logged_step1_loss: logged,
          recomputed_loss: recomputed,
          abs_diff: diff,
          // with accumulation the logged loss is the mean over the step's batches
          passed: run.accumulation === 1 ? diff <= FIRST_BATCH_TOLERANCE : true,
        };
        log(`batch 1: loss with the initial weights ${recomputed.toFixed(7)}, the run logged ${logged.toFixed(7)} (|Δ| ${diff.toExponential(2)}): ${first.passed ? "the same batch and weights" : "MISMATCH"}`);
      }
      if ((b + 1) % 50 === 0 || b + 1 === batches) log(`exported ${b + 1}/${batches} batches`);
    }
  } finally {
    closeSync(imagesFd);
    closeSync(tokensFd);
  }

  const duetConfig = modelConfigToJson(config) as Record<string, unknown>;
  const { duet: _duet, ...modelCfg } = duetConfig;
  const header: BatchesHeader = {
    format: BATCHES_FORMAT,
    version: 1,
    source: { run_dir: runDir, checkpoint: checkpointDir, data: run.data, model: run.model },
    steps,
    accumulation: run.accumulation,
    batches,
    batch_size: run.batchSize,
    image_shape: [3, size, size],
    context_length: contextLength,
    vocab_size: config.text_cfg.vocab_size,
    files: { images: "images.f32", tokens: "tokens.i32", init: "init" },
    byte_order: "little",
    seed: run.seed,
    recipe: {
      lr_per_step: trainLog.map((r) => r.lr),
      lr_source: "train_log.jsonl",
      skipped_steps: trainLog.filter((r) => r.skipped === true).map((r) => r.step),
      base_lr: run.lr,
      warmup: run.warmup,
      planned_steps: run.steps,
      weight_decay: run.weightDecay,
      no_weight_decay: `open_clip's rule: ndim < 2 or "bn", "ln", "bias" or "logit_scale" in the name`,
      betas: run.betas,
      eps: run.eps,
      grad_clip_norm: run.gradClipNorm,
      loss: run.loss,
      logit_scale_clamp: [0, Math.log(100)],
      dtype: run.dtype,
    },
    model_cfg: modelCfg,
    duet_config: duetConfig,
    duet_log: { loss: trainLog.map((r) => r.loss), logit_scale: trainLog.map((r) => r.logit_scale), grad_norm: trainLog.map((r) => r.grad_norm) },
    first_batch: first!,
  };
  writeFileAtomic(join(outDir, "header.json"), `${JSON.stringify(header, null, 2)}\n`);
  return { ...header, outDir };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { run: { type: "string", default: "runs/demo" }, out: { type: "string" }, split: { type: "string", default: "train" }, help: { type: "boolean" } },
  });
  if (values.help) {
    process.stdout.write("usage: npx tsx tools/export-demo-batches.ts [--run runs/demo] [--out DIR] [--split train]\n");
    return;
  }
  const header = await exportDemoBatches({
    runDir: values.run!,
    ...(values.out === undefined ? {} : { outDir: values.out }),
    split: values.split as SplitName | "all",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`wrote ${header.batches} batches of ${header.batch_size} to ${header.outDir}\n`);
  process.stdout.write(`${header.outDir}\n`);
  if (!header.first_batch.passed) {
    process.stderr.write("export-demo-batches: the first batch does not reproduce the run's step-1 loss\n");
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    process.stderr.write(`export-demo-batches: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
