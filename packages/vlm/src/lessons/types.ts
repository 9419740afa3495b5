/**
 * The shapes of `duet lessons`. A lesson is one claim of the VLM overview turned into a small
 * controlled sweep: a list of points that change one thing, every other setting (data, samples
 * seen, schedule, model) held, each point trained with several seeds; a verdict computed from
 * the numbers. One training is a run: its config (everything that decides its outcome, hashed
 * for the cache), its metrics and its curves.
 */

import type { CaptionDataSpec, CaptionViewStats } from "../data/openmoji/caption-view.js";
import type { EmojiStyle } from "../data/openmoji/styles.js";
import type { LossKind } from "../loss/model-loss.js";
import type { ModelConfigJson } from "../model/config.js";
import type { AugmentSpec } from "../train/options.js";
import type { TemperatureMode } from "../train/recipe.js";

/** The training settings of a run: every option trainClip gets besides model, data and seed. */
export interface LessonTraining {
  /** Samples seen: steps × batch, held equal across a lesson's points. */
  samples: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  gradClipNorm: number | null;
  loss: LossKind;
  augment: boolean | AugmentSpec;
  temperature: TemperatureMode;
  /** Gradient caching: rows per forward pass (a batch larger than fits), or null. */
  chunkSize: number | null;
  /** One swapped-caption hard negative per image (`duet train --hard-negatives`); absent: none. */
  hardNegatives?: boolean;
  /** The contrastive loss within groups of this many pairs (trainClip's lossGroup); absent: the whole batch. */
  lossGroup?: number;
  vocabSize: number;
  contextLength: number | "fit";
}

/** One held-out set a run is scored on: the test split of a style. */
export interface EvalSpec {
  style: EmojiStyle;
  split: "test";
  /** Only the first `limit` emojis of each style were loaded (smoke runs), or null. */
  limit: number | null;
}

/** What a lesson's points change: the model, the training, the data and the evaluation. */
export interface RunSpec {
  model: ModelConfigJson;
  training: LessonTraining;
  /** `captions`: noisy and/or filtered training captions (data/openmoji/caption-view.ts); absent: the clean ones. */
  data: { styles: EmojiStyle[]; split: "train"; limit: number | null; captions?: CaptionDataSpec };
  eval: EvalSpec[];
  /** Attribute-binding benchmarks to score too (eval/binding.ts), as "<style>:<split> binding" in the outcome's evals; absent: none. */
  binding?: EvalSpec[];
}

/** Everything that decides a run's outcome; its hash names the run in the cache. */
export interface LessonRunConfig extends RunSpec {
  lesson: string;
  point: string;
  seed: number;
  /** Threads and data parallelism change the bits of a run (not its expectation). */
  threads: number;
  dataParallel: boolean;
  /** LESSONS_HARNESS: bumped when the way a run is trained or measured changes. */
  harness: number;
}

/** One point of a sweep. */
export interface LessonPoint {
  /** "batch 256", "learned, no clamp": unique within its lesson. */
  label: string;
  /** The plot's category on the x axis: "256". */
  x: string;
  /** A second variable (the loss lesson's InfoNCE / SigLIP): one line per series. */
  series?: string;
  /** The swept value, as lessons.json records it. */
  value: number | string | boolean | null;
  /** The base spec with this point's change (on a copy). */
  apply(spec: RunSpec): RunSpec;
}

/** One panel of a lesson's plot: a metric over the points, mean ± sd. */
export interface PlotPanel {
  metric: string;
  label: string;
  /** Show as a percentage (metrics in [0, 1]). */
  percent?: boolean;
  /** A dashed reference line (a ceiling, a bound), in the metric's units. */
  reference?: { value: number; label: string };
  /** A metric holding the chance level (its mean over the runs is drawn dashed, labelled "chance"). */
  chance?: string;
}

export interface PlotSpec {
  xLabel: string;
  panels: PlotPanel[];
  /** A second figure of a curve over training (the logit scale), one line per point. */
  curve?: { key: keyof RunCurves; label: string; log?: boolean };
}

export type VerdictStatus = "holds" | "holds partly" | "does not hold at this scale" | "incomplete";

export interface Verdict {
  status: VerdictStatus;
  /** A sentence or two built from the measured figures. */
  reason: string;
}

/** Curves over training, downsampled: [step, value]. */
export interface RunCurves {
  loss: [number, number][];
  logit_scale: [number, number][];
}

/** What training and evaluating one run gave (run.ts), before a lesson reads its metrics. */
export interface RunOutcome {
  steps: number;
  /** "steps": ran to the end; "diverged": gave up on NaN losses (metrics are null). */
  stopped: "steps" | "diverged";
  /** Mean training loss over the last 10% of the steps. */
  finalLoss: number | null;
  /** exp(logit_scale) at the end, and its highest value during training. */
  logitScale: number | null;
  maxLogitScale: number | null;
  skippedSteps: number;
  /** The model's parameters (null when the run diverged before it was returned). */
  parameters: number | null;
  /** Held-out records by set name ("openmoji:test"): retrieval and zero-shot (eval/held-out.ts). */
  evals: Record<string, Record<string, number | string | undefined>>;
  /** The counts of the caption view, when the config asked for one. */
  captions?: CaptionViewStats;
  curves: RunCurves;
  seconds: number;
}

export type Metrics = Record<string, number | null>;

/** A finished run, as cached in DIR/runs/<hash>.json and listed in lessons.json. */
export interface LessonRun {
  hash: string;
  lesson: string;
  point: string;
  seed: number;
  config: LessonRunConfig;
  metrics: Metrics;
  curves: RunCurves;
  steps: number;
  stopped: RunOutcome["stopped"];
  seconds: number;
  finished: string;
}

export interface Lesson {
  name: string;
  /** The claim, in a sentence, as the overview makes it. */
  claim: string;
  /** What the sweep changes, and what it holds (docs/lessons.md, the page). */
  changes: string;
  holds: string;
  /** null: registered with its claim, not built yet. */
  points: readonly LessonPoint[] | null;
  /** Labels of the fewest points that still test the claim (--quick, or a tight --minutes). */
  fewest: readonly string[];
  /** The base of every point (data, model, recipe, samples seen), before the point's change; default base.ts baseSpec. */
  base?(samples: number, limit: number | null): RunSpec;
  /** Samples seen per run in the full plan. */
  samples: number;
  /** The run's metrics from its outcome (run.ts standardMetrics plus the lesson's own). */
  metricsOf(outcome: RunOutcome, config: LessonRunConfig): Metrics;
  plot: PlotSpec;
  /** The verdict from the runs of every point (all seeds). */
  verdict(runs: readonly LessonRun[], points: readonly LessonPoint[]): Verdict;
}

/**
 * A request the lessons cannot serve: an unknown or unbuilt lesson, a budget too small for
 * the sweep. The CLI turns it into a usage error (exit 2); the lessons know nothing of the CLI.
 */
export class LessonRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LessonRequestError";
  }
}
