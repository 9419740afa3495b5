/**
 * The options of `trainClip`, their defaults, and their checks.
 *
 * Where a value comes from, first match wins:
 *   1. the option, when given
 *   2. resuming: the value the run was started with (train_state.json's "config")
 *   3. the preset's training defaults (presets.ts), for a preset model
 *   4. the defaults below
 *
 * A resumed run continues the same run: every setting not given again is the saved one — the
 * recipe, and also how the run is executed (threads, data parallelism, chunk size, checkpoint
 * and eval cadence, held-out data, time budget) and its data. A training hyperparameter given
 * again must equal the saved one (start a new run from the weights with `init` to change it);
 * the execution settings may be given anew.
 *
 * The run's length (`steps` / `epochs`) shapes the learning rate at every step, so a resumed run
 * keeps it, and a different one is refused unless `extend` is given. Extending re-fits the
 * schedule from where the run is (EXTENSION below): the learning rate stays continuous.
 */

import { availableParallelism } from "node:os";
import type { ProgressFactory } from "../eval/embed.js";
import { isEmojiStyle } from "../data/openmoji/styles.js";
import type { ModelConfig, ModelConfigJson } from "../model/config.js";
import { TrainError } from "./errors.js";
import type { LossKind } from "../loss/model-loss.js";
import type { PresetName, TrainPreset } from "./presets.js";
import { buildSchedule, recipeDefaults, TEMPERATURE_MODES, type Recipe, type TemperatureMode } from "./recipe.js";
import type { StepLogRecord } from "./train-log.js";
import type { DataSpec, TrainDataOption } from "./train-data.js";
import type { EvalRecord, ValDataOption } from "./validation.js";

/**
 * Data parallelism is the default. Measured on the 2-core machine (the demo model, batch 128,
 * three alternating rounds of 10 steps, load ~1.3): 155 samples/s data-parallel, 146 with each
 * kernel split over 2 threads, 99 on one thread. Each shard runs every op of its rows — the
 * serial glue between kernels included — on its own core, and the workers' kernels need no
 * wake-ups; what stays serial is the data loader, the loss over the gathered features and the
 * gradient reduction on the main thread.
 */
export const DEFAULT_DATA_PARALLEL = true;

export interface TrainClipOptions {
  /** A preset ("demo", the default; "reference"), a ModelConfig, or its JSON. Ignored with `resume` / `init` (their checkpoint's). */
  model?: PresetName | ModelConfig | ModelConfigJson;
  /** Default: OpenMoji's train split at the model's resolution. */
  data?: TrainDataOption;
  /** The run folder: checkpoint/, train_log.jsonl, eval_log.jsonl. */
  outDir: string;
  /** Seeds the initial weights, the data order, captions and augmentation. Default 0. */
  seed?: number;
  /** Optimiser steps (default: the preset's; 1000 for a custom model). */
  steps?: number;
  /** Or epochs over the training pairs (steps = ceil(epochs × pairs / (batchSize × accumulation))). */
  epochs?: number;
  /** Pairs per contrastive batch: each image's negatives are the batch's other texts (default: the preset's; 128). */
  batchSize?: number;
  /** Peak learning rate of AdamW (default: the preset's; 5e-4). */
  lr?: number;
  /** Linear warmup steps before the cosine decay (default: the preset's; 10% of the steps). */
  warmup?: number;
  /** AdamW's decoupled weight decay, for parameters with ≥ 2 dims only, as open_clip (default: the preset's; 0.1). */
  weightDecay?: number;
  /** AdamW's betas (default [0.9, 0.98], open_clip's for ViTs). */
  betas?: [number, number];
  /** AdamW's eps (default 1e-6, open_clip's for ViTs). */
  eps?: number;
  /** "clip" (InfoNCE) or "siglip" (default: the model config's duet.loss). */
  loss?: LossKind;
  /** Threads (default: the machine's cores). */
  threads?: number;
  /** true: each thread runs a shard of the batch (workers); false: one shard, kernels split over the threads. Default DEFAULT_DATA_PARALLEL. */
  dataParallel?: boolean;
  /** Gradient caching: rows per forward pass, so a batch larger than memory trains exactly (default null: no caching). */
  chunkSize?: number | null;
  /** Contrastive batches per optimiser step, their gradients averaged; each batch keeps its own negatives (default 1). */
  accumulation?: number;
  /**
   * Clip the global gradient norm to this (default: the preset's; 1). open_clip does not clip
   * by default, but a small ViT here collapses to one constant embedding (loss stuck at ln B)
   * when its first updates are large; clipping at 1 keeps them small (measured: a tiny model
   * overfits 8 emojis in 40 steps with it; without it, at lr 2e-3 it is still at ln 8 after
   * 80 steps, and at 5e-3 it stays there). null: no clipping.
   */
  gradClipNorm?: number | null;
  /** Save a checkpoint every N steps (and always at the end); 0: only at the end. Default 100. */
  checkpointEvery?: number;
  /** Evaluate on the held-out data every N steps (and at the end); 0: never. Default 0. */
  evalEvery?: number;
  /**
   * Held-out data for evalEvery (validation.ts): a caption manifest or an OpenMoji split.
   * Default: OpenMoji's val split when training on its train split; else none.
   */
  valData?: ValDataOption;
  /** Continue a run: its folder or its checkpoint folder. Options left out are the run's own. */
  resume?: string;
  /** With resume: accept a new length (steps or epochs) and re-fit the schedule to it (EXTENSION). Default false. */
  extend?: boolean;
  /** Start from a checkpoint's weights, config and tokenizer (a new run: fresh optimiser, step 0). */
  init?: string;
  /** Stop cleanly (with a final checkpoint) before this many minutes of training pass. Default: none. */
  timeBudgetMinutes?: number | null;
  /**
   * With a time budget: time steps 3-6, then set the run's length to the steps that fit in
   * the budget (at most `steps` when given), and again at 30% and 60% of the way with more
   * steps timed, so the cosine schedule ends on time on a slow or busy machine too. The length chosen is
   * saved, and a resumed run keeps it. Default false (a fixed step count, deterministic).
   */
  fitStepsToBudget?: boolean;
  /**
   * How the temperature trains (recipe.ts TemperatureMode): "learned" (the default: clamped to
   * ln 100), "learned-unclamped", or "fixed" at the model config's init_logit_scale.
   */
  temperature?: TemperatureMode;
  /**
   * One swapped twin per caption as a hard negative (NegCLIP's; data/caption-swap.ts): the
   * emojis' tones or facing swapped where the annotation binds them, the order of phrases or
   * words otherwise. Each image then also has to rank its caption above the twin. Default false.
   */
  hardNegatives?: boolean;
  /**
   * The contrastive loss within groups of this many consecutive pairs (loss/model-loss.ts): each
   * pair's negatives are the other lossGroup − 1 of its group, at the same batch, steps and
   * samples — the batch-size lesson's control for the number of negatives. Default null: the batch.
   */
  lossGroup?: number | null;
  /** Give up after this many steps in a row with a NaN or Inf loss or gradient (each is skipped). Default 5. */
  nanPatience?: number;
  /**
   * Augmentation during training: true (the preset's, else RandomResizedCrop at open_clip's
   * scale [0.9, 1]), false, or { scale, degrees?, translate?, background? } — the last three
   * for drawings only (image/augment.ts). Default: the preset's; false.
   */
  augment?: boolean | AugmentSpec;
  /**
   * A learned BPE's size, for models whose config names tokenizer.json (default: the preset's;
   * the config's vocab_size; 2048 when the config gives none).
   */
  vocabSize?: number;
  /**
   * Text context: a number, or "fit" to the training captions (default: the preset's; the
   * config's context_length; "fit" for a learned BPE when the config gives none).
   */
  contextLength?: number | "fit";
  /** Parameters' dtype (default float32; float64 for precise tests). */
  dtype?: "float32" | "float64";
  /** Stops the run cleanly after the current step (with a final checkpoint) when aborted. */
  signal?: AbortSignal;
}

/** What the CLI's progress bar gets after every step. */
export interface StepRecord extends StepLogRecord {
  /** The run's total steps. */
  total_steps: number;
  /** Estimated seconds to the end, from the mean step time so far. */
  eta_s: number;
}

export type { EvalRecord };

export interface TrainHooks {
  onStep?(record: StepRecord): void;
  onEval?(metrics: EvalRecord): void;
  /** Progress lines ("info") and warnings ("warn": a skipped NaN step, a checkpoint not saved). */
  onLog?(line: string, level: "info" | "warn"): void;
  /** Progress of long preparations (checking a manifest's images). */
  onProgress?: ProgressFactory;
}

/** The run's settings as saved in train_state.json ("config"): the recipe (recipe.ts) and how the run is executed. */
export interface RunConfig extends Recipe {
  model: string;
  data: string;
  /** The data option, to load it again on resume (a manifest by its absolute path); null for data in memory. */
  dataSpec: DataSpec | null;
  /** The held-out data's description ("openmoji:val", a manifest path), or null. */
  valData: string | null;
  /** The valData option, to evaluate on it again on resume; null when none was given. */
  valDataSpec: ValDataOption | null;
  /** The schedule's re-fit by an extension (EXTENSION), or null. */
  refit: { step: number; lr: number } | null;
  seed: number;
  batchSize: number;
  /** RandomResizedCrop's scale, or null: no augmentation. */
  augment: [number, number] | null;
  /** For drawings, with augment: rotation (degrees), shift (fraction) and coloured-background probability; absent in runs saved before it existed. */
  drawing?: DrawingExtras;
  dtype: "float32" | "float64";
  vocabSize: number;
  contextLength: number;
  threads: number;
  dataParallel: boolean;
  chunkSize: number | null;
  /** Swapped-caption hard negatives (K = 1); absent in runs saved before it existed: false. */
  hardNegatives?: boolean;
  /** Negatives from groups of this many pairs; absent in runs saved before it existed: null (the batch). */
  lossGroup?: number | null;
  checkpointEvery: number;
  evalEvery: number;
  timeBudgetMinutes: number | null;
}

/** Settings a resumed run takes from its checkpoint (and must not be given differently). */
export const RUN_KEYS_FIXED_ON_RESUME = ["seed", "batchSize", "lr", "warmup", "weightDecay", "betas", "eps", "loss", "accumulation", "gradClipNorm", "augment", "drawing", "dtype", "temperature", "hardNegatives", "lossGroup"] as const;

/** The augmentation asked for: RandomResizedCrop's scale and, for drawings, the extras. */
export interface AugmentSpec {
  scale: [number, number];
  degrees?: number;
  translate?: number;
  background?: number;
}

export interface DrawingExtras {
  degrees: number;
  translate: number;
  background: number;
}

const NO_DRAWING: DrawingExtras = { degrees: 0, translate: 0, background: 0 };

/** An augment option or a preset's as the run config keeps it. */
function resolveAugment(a: boolean | AugmentSpec): { scale: [number, number] | null; drawing: DrawingExtras } {
  if (a === false) return { scale: null, drawing: NO_DRAWING };
  if (a === true) return { scale: [0.9, 1], drawing: NO_DRAWING };
  return { scale: [a.scale[0], a.scale[1]], drawing: { degrees: a.degrees ?? 0, translate: a.translate ?? 0, background: a.background ?? 0 } };
}

const OP = "trainClip";

function fail(detail: string): never {
  throw new TrainError(OP, detail);
}

const isPositiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const isNonNegativeInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isPositive = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;
const isNonNegative = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** Checks the types and ranges of the options given (before anything is loaded). */
export function checkOptions(o: TrainClipOptions): void {
  if (o === null || typeof o !== "object") fail("options must be an object with at least { outDir }");
  if (typeof o.outDir !== "string" || o.outDir === "") fail(`outDir must be a folder path, got ${JSON.stringify(o.outDir)}`);
  const check = (name: keyof TrainClipOptions, ok: (v: unknown) => boolean, what: string) => {
    const v = o[name];
    if (v !== undefined && !ok(v)) fail(`${name} must be ${what}, got ${JSON.stringify(v)}`);
  };
  check("seed", (v) => Number.isInteger(v), "an integer");
  check("steps", isPositiveInt, "a positive integer");
  check("epochs", isPositive, "a positive number");
  check("batchSize", isPositiveInt, "a positive integer");
  check("lr", isNonNegative, "a number >= 0");
  check("warmup", isNonNegativeInt, "an integer >= 0");
  check("weightDecay", isNonNegative, "a number >= 0");
  check("betas", (v) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === "number" && b >= 0 && b < 1), "two numbers in [0, 1)");
  check("eps", isNonNegative, "a number >= 0");
  check("loss", (v) => v === "clip" || v === "siglip", `"clip" or "siglip"`);
  check("threads", isPositiveInt, "a positive integer");
  check("dataParallel", (v) => typeof v === "boolean", "true or false");
  check("chunkSize", (v) => v === null || isPositiveInt(v), "a positive integer or null");
  check("accumulation", isPositiveInt, "a positive integer");
  check("gradClipNorm", (v) => v === null || isPositive(v), "a positive number or null");
  check("checkpointEvery", isNonNegativeInt, "an integer >= 0");
  check("evalEvery", isNonNegativeInt, "an integer >= 0");
  check("valData", isValData, `{ kind: "captions", manifest } or { kind: "openmoji", split }`);
  check("resume", (v) => typeof v === "string" && v !== "", "a folder path");
  check("extend", (v) => typeof v === "boolean", "true or false");
  if (o.extend === true && o.resume === undefined) fail("extend lengthens a resumed run: give resume too");
  check("init", (v) => typeof v === "string" && v !== "", "a checkpoint folder path");
  check("timeBudgetMinutes", (v) => v === null || isPositive(v), "a positive number of minutes or null");
  check("nanPatience", isPositiveInt, "a positive integer");
  check("temperature", (v) => (TEMPERATURE_MODES as readonly unknown[]).includes(v), `"learned", "learned-unclamped" or "fixed"`);
  check("hardNegatives", (v) => typeof v === "boolean", "true or false");
  check("lossGroup", (v) => v === null || (Number.isInteger(v) && (v as number) >= 2), "an integer >= 2 (a pair and at least one negative) or null");
  check("fitStepsToBudget", (v) => typeof v === "boolean", "true or false");
  if (o.fitStepsToBudget === true && (o.timeBudgetMinutes === undefined || o.timeBudgetMinutes === null)) fail("fitStepsToBudget needs timeBudgetMinutes");
  check("augment", (v) => typeof v === "boolean" || (typeof v === "object" && v !== null && isScale((v as { scale: unknown }).scale) && isDrawing(v)), "true, false or { scale: [low, high], degrees?, translate?, background? } with 0 < low <= high <= 1, degrees in [0, 180], translate and background in [0, 1]");
  check("vocabSize", (v) => Number.isInteger(v) && (v as number) >= 514, "an integer >= 514 (512 byte symbols + 2 special tokens)");
  check("contextLength", (v) => v === "fit" || (Number.isInteger(v) && (v as number) >= 3 && (v as number) <= 77), `an integer in [3, 77] or "fit"`);
  check("dtype", (v) => v === "float32" || v === "float64", `"float32" or "float64"`);
  if (o.steps !== undefined && o.epochs !== undefined) fail("give steps or epochs, not both");
  if (o.resume !== undefined && o.init !== undefined) fail("give resume (continue a run) or init (start a new run from weights), not both");
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail("signal must be an AbortSignal");
}

/** How train_state.json names the held-out data. */
export function describeValData(v: ValDataOption): string {
  return v.kind === "openmoji" ? `${v.style ?? "openmoji"}:${v.split ?? "val"}` : v.manifest;
}

function isValData(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const o = v as { kind?: unknown; manifest?: unknown; split?: unknown; style?: unknown };
  if (o.kind === "captions") return typeof o.manifest === "string" && o.manifest !== "";
  return o.kind === "openmoji" && (o.split === undefined || ["train", "val", "test", "all"].includes(o.split as string)) && (o.style === undefined || isEmojiStyle(o.style));
}

function isDrawing(v: object): boolean {
  const { degrees = 0, translate = 0, background = 0 } = v as Partial<DrawingExtras>;
  const inRange = (x: unknown, hi: number) => typeof x === "number" && x >= 0 && x <= hi;
  return inRange(degrees, 180) && inRange(translate, 1) && inRange(background, 1);
}

function isScale(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number" && x > 0 && x <= 1) && v[0] <= v[1];
}

export interface ResolveContext {
  /** "demo", "reference", "custom" or "init:<path>". */
  modelName: string;
  preset: TrainPreset | null;
  /** The config of the run being resumed. */
  saved: RunConfig | null;
  /** Resuming: the steps the run has done. */
  resumedStep?: number;
  dataDescription: string;
  /** The data option in its saved form (train-data.ts dataSpec). */
  dataSpec?: DataSpec | null;
  /** The held-out data in its saved form, when given (else a resumed run's). */
  valDataSpec?: ValDataOption | null;
  dataLength: number;
  loss: LossKind;
  vocabSize: number;
  contextLength: number;
}

/** The run's settings, from the options, a resumed run, the preset and the defaults. */
export function resolveRunConfig(o: TrainClipOptions, ctx: ResolveContext): RunConfig {
  const { preset, saved } = ctx;
  const training = preset?.training;
  // the option, else the resumed run's value, else the default (from the preset, when there is one)
  const pick = <K extends keyof RunConfig>(key: K, fallback: RunConfig[K]): RunConfig[K] => {
    const given = (o as unknown as Record<string, unknown>)[key] as RunConfig[K] | undefined;
    if (given !== undefined) return given;
    if (saved !== null) return saved[key];
    return fallback;
  };
  const presetAugment = resolveAugment(training?.augment ?? false);
  const givenAugment = o.augment === undefined ? undefined : o.augment === true ? (training?.augment ? presetAugment : resolveAugment(true)) : resolveAugment(o.augment);
  const batchSize = pick("batchSize", training?.batchSize ?? 128);
  const base = recipeDefaults(training ?? null);
  const accumulation = pick("accumulation", base.accumulation);
  let steps: number;
  if (o.epochs !== undefined) steps = Math.max(1, Math.ceil((o.epochs * ctx.dataLength) / (batchSize * accumulation)));
  else steps = pick("steps", base.steps);
  // with no preset, the warmup is 10% of the run's own length
  const recipe = recipeDefaults(training ?? null, steps);
  const cores = availableParallelism();
  const valDataSpec = ctx.valDataSpec !== undefined && ctx.valDataSpec !== null ? ctx.valDataSpec : (saved?.valDataSpec ?? null);
  const run: RunConfig = {
    model: saved?.model ?? ctx.modelName,
    data: ctx.dataDescription,
    dataSpec: ctx.dataSpec !== undefined ? ctx.dataSpec : (saved?.dataSpec ?? null),
    valData: o.valData !== undefined ? describeValData(o.valData) : (saved?.valData ?? null),
    valDataSpec,
    seed: pick("seed", 0),
    steps,
    batchSize,
    lr: pick("lr", recipe.lr),
    warmup: pick("warmup", recipe.warmup),
    weightDecay: pick("weightDecay", recipe.weightDecay),
    betas: pick("betas", recipe.betas),
    eps: pick("eps", recipe.eps),
    loss: o.loss ?? saved?.loss ?? ctx.loss,
    accumulation,
    gradClipNorm: pick("gradClipNorm", recipe.gradClipNorm),
    augment: givenAugment !== undefined ? givenAugment.scale : saved !== null ? saved.augment : presetAugment.scale,
    drawing: givenAugment !== undefined ? givenAugment.drawing : saved !== null ? (saved.drawing ?? NO_DRAWING) : presetAugment.drawing,
    dtype: pick("dtype", "float32"),
    vocabSize: ctx.vocabSize,
    contextLength: ctx.contextLength,
    // a resumed run's own thread count (bit-exact data parallelism needs it), at most this machine's cores
    threads: o.threads ?? (saved !== null ? Math.min(saved.threads, cores) : cores),
    dataParallel: pick("dataParallel", DEFAULT_DATA_PARALLEL),
    chunkSize: pick("chunkSize", null),
    hardNegatives: o.hardNegatives ?? saved?.hardNegatives ?? false,
    lossGroup: o.lossGroup !== undefined ? o.lossGroup : (saved?.lossGroup ?? null),
    checkpointEvery: pick("checkpointEvery", 100),
    evalEvery: pick("evalEvery", 0),
    timeBudgetMinutes: pick("timeBudgetMinutes", null),
    nanPatience: o.nanPatience ?? saved?.nanPatience ?? recipe.nanPatience,
    temperature: o.temperature ?? (saved !== null ? (saved.temperature ?? "learned") : recipe.temperature),
    refit: saved?.refit ?? null,
  };
  if (run.lossGroup !== null && run.lossGroup !== undefined && run.batchSize % run.lossGroup !== 0) {
    fail(`lossGroup ${run.lossGroup} must divide batchSize ${run.batchSize}, or a last group would have fewer negatives than the others`);
  }
  if (saved !== null) {
    // a run saved before `drawing`, `temperature`, `hardNegatives` or `lossGroup` existed had none, a learned temperature, no hard negatives, the whole batch
    const before = { ...saved, drawing: saved.drawing ?? NO_DRAWING, temperature: saved.temperature ?? "learned", hardNegatives: saved.hardNegatives ?? false, lossGroup: saved.lossGroup ?? null };
    for (const key of RUN_KEYS_FIXED_ON_RESUME) {
      if (JSON.stringify(run[key]) !== JSON.stringify(before[key])) {
        fail(`resume continues a run started with ${key} = ${JSON.stringify(before[key])}, but ${key} = ${JSON.stringify(run[key])} was given; start a new run from its weights with init instead`);
      }
    }
    checkLength(o, saved, steps, ctx.resumedStep ?? 0);
    if (steps !== saved.steps) run.refit = extensionRefit(saved, ctx.resumedStep ?? 0);
  }
  if (run.warmup >= run.steps) fail(`warmup (${run.warmup}) must be smaller than steps (${run.steps}): the cosine decay needs at least one step`);
  return run;
}

/**
 * EXTENSION: a resumed run given a new length with `extend`. The cosine's shape depends on its
 * length, so evaluating the old schedule's formula at the new length would jump (a 30-step run
 * extended to 40 steps: lr 2.2e-5 at step 30, then 6.9e-4 at step 31). Instead the schedule is
 * re-fitted from the hand-over: the last step taken, s, keeps its lr, L, and the remaining steps
 * follow a cosine from L down to 0 at the new end S:
 *
 *   lr(t) = L · ½ (1 + cos(π (t − s) / (S − s)))     for t > s
 *
 * so lr(s) = L and the curve decays smoothly, as the original did. Its trade-off: a run that had
 * already finished its decay hands over a small L, and its extension trains gently — the
 * price of not shocking weights that settled at a low learning rate; for a fresh warmup and
 * peak on those weights, start a new run with `init`. A run stopped while still in its warmup
 * (s < warmup) keeps its warmup and gets the standard cosine over the new length instead, which
 * is the same curve up to s. The re-fit is saved (RunConfig.refit), so resuming again continues it.
 */
function extensionRefit(saved: RunConfig, resumedStep: number): { step: number; lr: number } | null {
  if (resumedStep <= saved.warmup) return null;
  const last = resumedStep - 1;
  return { step: last, lr: buildSchedule(saved)(last) };
}

/** Resuming: the run's length may change only with `extend`, and never to before the steps done. */
function checkLength(o: TrainClipOptions, saved: RunConfig, steps: number, resumedStep: number): void {
  if (steps < resumedStep) fail(`resume: the checkpoint is at step ${resumedStep}, past the run's ${steps} steps`);
  if (steps === saved.steps || o.extend === true) return;
  const given = o.epochs !== undefined ? `epochs = ${o.epochs} (${steps} steps)` : `steps = ${steps}`;
  fail(
    `resume continues a ${saved.steps}-step run, but ${given} was given: a new length changes the learning-rate schedule of every step left; ` +
      `give extend (duet train --extend) to re-fit the schedule from step ${resumedStep}, or leave the length out`,
  );
}

/** The log line of an extension: the old and new length and what the learning rate does. */
export function describeExtension(saved: RunConfig, run: RunConfig, resumedStep: number): string | null {
  if (run.steps === saved.steps) return null;
  const head = `extend: the run's length goes from ${saved.steps} to ${run.steps} steps at step ${resumedStep}`;
  if (run.refit === null) return `${head}; the warmup stays, then a cosine decay to 0 at step ${run.steps} (the same curve up to here)`;
  const finished = resumedStep >= saved.steps ? `; the run had finished its decay, so the extension trains at that small lr (for a fresh warmup and peak, start a new run with --init)` : "";
  return `${head}; the learning rate continues from ${run.refit.lr.toExponential(2)} (step ${run.refit.step + 1}) and decays along a cosine to 0 at step ${run.steps}${finished}`;
}
