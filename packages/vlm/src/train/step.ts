/**
 * One optimiser step of the recipe (recipe.ts) — the only place a step is written. The CLI's
 * trainClip, the browser's Train tab and `pnpm bench:train` all run this code:
 *
 *   grads = Σ_b (1/k) d loss(b) / dθ     for the k = accumulation batches; the StepEngine
 *                                        computes each (plain, gradient caching or data parallel)
 *   ‖g‖ = global L2 norm                 then clipped to gradClipNorm when set
 *   if loss and ‖g‖ are finite:          AdamW at this step's learning rate, then
 *                                        logit_scale ← clamp(0, ln 100) (recipe.temperature
 *                                        "learned"; "fixed" drops its gradient before the norm,
 *                                        "learned-unclamped" skips the clamp)
 *   else:                                the gradients are dropped, nothing changes, and the
 *                                        streak of non-finite steps grows
 *
 * A CoCa's loss is its contrastive and captioning parts (step-engine.ts), reported apart too.
 * `TrainingStep` holds what lives across steps: the optimiser, the schedule, the streak.
 */

import type { Variable } from "@duet/autograd";
import { assignLearningRate, clipGradNorm, type AdamW, type LrSchedule } from "@duet/nn";
import type { Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { TrainError } from "./errors.js";
import { buildOptimizer, buildSchedule, type Recipe, type TemperatureMode } from "./recipe.js";
import type { StepEngine } from "./step-engine.js";

/** What one optimiser step works with (see trainStep). */
export interface StepParts {
  model: CLIP;
  engine: StepEngine;
  optimizer: AdamW;
  params: Variable[];
  gradClipNorm: number | null;
  /** Default "learned" (recipe.ts TemperatureMode). */
  temperature?: TemperatureMode;
}

/** One contrastive batch of a step: its images and tokens, its size, and the seed of its chunking. */
export interface StepBatch {
  images: Tensor;
  tokens: Tensor;
  /** K hard-negative captions per row as tokens (B·K, L) (`duet train --hard-negatives`); absent: none. */
  negatives?: Tensor;
  samples: number;
  seed: number;
}

/** The global L2 norm of the gradients (what clipGradNorm reports), without changing them. */
function gradNorm(params: readonly Variable[]): number {
  let acc = 0;
  for (const p of params) if (p.grad !== null) for (const v of p.grad.contiguousData()) acc += v * v;
  return Math.sqrt(acc);
}

/**
 * One optimiser step (see the file comment). The caller sets the learning rate; TrainingStep
 * does it from the schedule.
 */
export async function trainStep(
  parts: StepParts,
  accumulation: number,
  nextBatch: (micro: number) => Promise<StepBatch> | StepBatch,
): Promise<{ loss: number; norm: number; finite: boolean; samples: number; lossParts: LossParts | null }> {
  const { model, engine, optimizer, params } = parts;
  model.zeroGrad();
  let lossSum = 0;
  let contrastiveSum = 0;
  let captionSum = 0;
  let hasParts = false;
  let samples = 0;
  for (let micro = 0; micro < accumulation; micro++) {
    const batch = await nextBatch(micro);
    const batchLoss = await engine.accumulateParts(batch.images, batch.tokens, 1 / accumulation, batch.seed, batch.negatives ?? null);
    lossSum += batchLoss.loss;
    if (batchLoss.contrastive !== null && batchLoss.caption !== null) {
      hasParts = true;
      contrastiveSum += batchLoss.contrastive;
      captionSum += batchLoss.caption;
    }
    samples += batch.samples;
  }
  const loss = lossSum / accumulation;
  const lossParts = hasParts ? { contrastive: contrastiveSum / accumulation, caption: captionSum / accumulation } : null;
  const temperature = parts.temperature ?? "learned";
  // a fixed temperature takes no update and no share of the norm that clipping divides by
  if (temperature === "fixed") model.logitScale.grad = null;
  // the global norm before clipping (clipGradNorm computes it once and returns it); a
  // non-finite one leaves the gradients non-finite or zero, and they are dropped below
  const norm = parts.gradClipNorm !== null ? clipGradNorm(params, parts.gradClipNorm) : gradNorm(params);
  const finite = Number.isFinite(loss) && Number.isFinite(norm);
  if (finite) {
    optimizer.step();
    if (temperature === "learned") model.clampLogitScale();
  } else {
    model.zeroGrad();
  }
  return { loss, norm, finite, samples, lossParts };
}

/** A CoCa's loss in its two weighted parts (mean over the accumulated batches); they add up to the loss. */
export interface LossParts {
  contrastive: number;
  caption: number;
}

/** What a TrainingStep reports after each step. */
export interface StepOutcome {
  /** The learning rate the step used. */
  lr: number;
  loss: number;
  /** The global gradient norm before clipping. */
  norm: number;
  /** false: the loss or the norm was NaN or Inf and the step was skipped. */
  finite: boolean;
  samples: number;
  /** A CoCa's contrastive and captioning parts of `loss`; null for a CLIP. */
  lossParts: LossParts | null;
  /** Non-finite steps in a row, this one included (0 after a good step). */
  nanStreak: number;
  /** The streak reached the recipe's nanPatience: the run should stop. */
  gaveUp: boolean;
}

/** The recipe applied to one model on one StepEngine: optimiser, schedule and NaN streak across steps. */
export class TrainingStep {
  readonly optimizer: AdamW;
  private schedule: LrSchedule;
  private readonly params: Variable[];
  nanStreak = 0;

  constructor(
    readonly model: CLIP,
    readonly engine: StepEngine,
    readonly recipe: Recipe,
  ) {
    if (recipe.loss === "siglip" && isCoCa(model)) {
      throw new TrainError("trainClip", `loss "siglip" is not a CoCa's: CoCa trains with InfoNCE plus the captioning loss (open_clip's CoCaLoss); use loss "clip"`);
    }
    if (recipe.loss === "siglip" && model.logitBias === null) {
      throw new TrainError("trainClip", `loss "siglip" needs a model with a logit_bias: set init_logit_bias (SigLIP: -10) and init_logit_scale (ln 10) in its config`);
    }
    this.optimizer = buildOptimizer(model, recipe);
    this.schedule = buildSchedule(recipe);
    this.params = model.parameters();
  }

  /** The learning rate at `step` (0-based). */
  lrAt(step: number): number {
    return this.schedule(step);
  }

  /** A new length for the schedule (the time budget's refits); the warmup shrinks to 10% if it no longer fits. */
  reschedule(steps: number): void {
    this.recipe.steps = steps;
    if (this.recipe.warmup >= steps) this.recipe.warmup = Math.floor(steps / 10);
    this.schedule = buildSchedule(this.recipe);
  }

  /** Step number `step` (0-based): the learning rate from the schedule, then trainStep. */
  async run(step: number, nextBatch: (micro: number) => Promise<StepBatch> | StepBatch): Promise<StepOutcome> {
    const lr = this.schedule(step);
    assignLearningRate(this.optimizer, lr);
    const { model, engine, optimizer, params } = this;
    const result = await trainStep({ model, engine, optimizer, params, gradClipNorm: this.recipe.gradClipNorm, temperature: this.recipe.temperature }, this.recipe.accumulation, nextBatch);
    this.nanStreak = result.finite ? 0 : this.nanStreak + 1;
    return { lr, ...result, nanStreak: this.nanStreak, gaveUp: this.nanStreak >= this.recipe.nanPatience };
  }
}
