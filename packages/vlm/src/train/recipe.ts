/**
 * The training recipe — open_clip's, in one place. Everything that trains a CLIP model (the
 * CLI's trainClip, its data-parallel workers through the StepEngine, the browser page's Train
 * tab, `pnpm bench:train`) builds its optimiser, schedule and guards here and takes its steps
 * through step.ts, so the recipe cannot drift between them.
 *
 *   optimiser    AdamW, β = (0.9, 0.98), ε = 1e-6 (open_clip's for ViTs); decoupled weight
 *                decay only for parameters with ≥ 2 dims (no decay for gains, biases,
 *                logit_scale, logit_bias, positional and class embeddings' ndim ≤ 1 kin)
 *   schedule     linear warmup for `warmup` steps, then cosine decay to 0 at `steps`
 *   clipping     the global gradient norm clipped to `gradClipNorm` (null: off). open_clip
 *                does not clip by default, but a small ViT here collapses to one constant
 *                embedding (loss stuck at ln B) when its first updates are large; clipping at
 *                1 keeps them small (measured: a tiny model overfits 8 emojis in 40 steps with
 *                it; without it, at lr 2e-3 it is still at ln 8 after 80 steps)
 *   clamp        logit_scale ≤ ln 100 after every update (CLIP.clampLogitScale: the paper's
 *                bound, without which the temperature runs away and training diverges);
 *                `temperature` can lift the clamp or hold the scale fixed, for the lesson
 *                that measures what the clamp and the learning buy (lessons/temperature.ts)
 *   NaN guard    a step whose loss or gradient norm is not finite changes nothing; after
 *                `nanPatience` such steps in a row the run gives up
 *   loss         "clip" (symmetric InfoNCE) or "siglip" (sigmoid), with the model's own
 *                logit scale (and bias)
 */

import { AdamW, cosineLr, paramGroupsNoDecayForNdimLe1, type AdamWHyper, type LrSchedule } from "@duet/nn";
import { SIGLIP_INIT_LOGIT_BIAS, SIGLIP_INIT_LOGIT_SCALE } from "../loss/siglip-loss.js";
import type { CLIP } from "../model/clip.js";
import type { ModelConfigJson } from "../model/config.js";
import type { LossKind } from "../loss/model-loss.js";
import type { PresetTraining } from "./presets.js";

/**
 * How the temperature trains: "learned" (logit_scale is a parameter, clamped to ln 100 after
 * every update: CLIP's), "learned-unclamped" (a parameter, never clamped: what the clamp
 * prevents), "fixed" (held at the model's init_logit_scale: no update reaches it).
 */
export type TemperatureMode = "learned" | "learned-unclamped" | "fixed";

export const TEMPERATURE_MODES: readonly TemperatureMode[] = ["learned", "learned-unclamped", "fixed"];

/** The hyperparameters of one optimisation. */
export interface Recipe {
  /** Optimiser steps: the length of the cosine schedule. */
  steps: number;
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup steps. */
  warmup: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** Clip the global gradient norm to this; null: no clipping. */
  gradClipNorm: number | null;
  loss: LossKind;
  /** Contrastive batches per optimiser step, their gradients averaged. */
  accumulation: number;
  /** Non-finite steps in a row before the run gives up. */
  nanPatience: number;
  /** How the temperature trains; absent (runs saved before it existed): "learned". */
  temperature?: TemperatureMode;
  /**
   * A resumed run extended to a new length (options.ts, EXTENSION): after step `step`, whose
   * learning rate was `lr`, a cosine from `lr` to 0 at `steps`. Absent or null: the plain schedule.
   */
  refit?: { step: number; lr: number } | null;
}

/** The defaults where neither the caller nor a preset says otherwise (steps, warmup: see recipeDefaults). */
export const RECIPE_DEFAULTS = {
  lr: 5e-4,
  weightDecay: 0.1,
  betas: [0.9, 0.98] as [number, number],
  eps: 1e-6,
  gradClipNorm: 1 as number | null,
  loss: "clip" as LossKind,
  accumulation: 1,
  nanPatience: 5,
  temperature: "learned" as TemperatureMode,
} as const;

/** A model's run with no preset: this many steps. */
export const DEFAULT_STEPS = 1000;

/** The recipe a preset's training block gives (or the defaults, with no preset), before any option. */
export function recipeDefaults(training: PresetTraining | null, steps?: number): Recipe {
  const length = steps ?? training?.steps ?? DEFAULT_STEPS;
  return {
    steps: length,
    lr: training?.lr ?? RECIPE_DEFAULTS.lr,
    warmup: training?.warmup ?? Math.round(length / 10),
    weightDecay: training?.weightDecay ?? RECIPE_DEFAULTS.weightDecay,
    betas: [...RECIPE_DEFAULTS.betas],
    eps: RECIPE_DEFAULTS.eps,
    gradClipNorm: training === null ? RECIPE_DEFAULTS.gradClipNorm : training.gradClipNorm,
    loss: RECIPE_DEFAULTS.loss,
    accumulation: RECIPE_DEFAULTS.accumulation,
    nanPatience: RECIPE_DEFAULTS.nanPatience,
    temperature: RECIPE_DEFAULTS.temperature,
  };
}

/**
 * A preset's model JSON made ready for `loss`: SigLIP starts from its own logit scale and
 * bias (10 and -10, loss/siglip-loss.ts), or its sigmoid loss begins saturated; InfoNCE keeps
 * the config's. Changes `json` in place.
 */
export function applyLossInit(json: ModelConfigJson, loss: LossKind): ModelConfigJson {
  if (loss !== "siglip") return json;
  json["init_logit_scale"] = SIGLIP_INIT_LOGIT_SCALE;
  json["init_logit_bias"] = SIGLIP_INIT_LOGIT_BIAS;
  const duet = (json["duet"] ??= {}) as Record<string, unknown>;
  duet["loss"] = "siglip";
  return json;
}

/** AdamW over the model's parameters: weight decay for ndim ≥ 2 only (open_clip's exclusion rule). */
export function buildOptimizer(model: CLIP, recipe: Recipe): AdamW {
  const groups = paramGroupsNoDecayForNdimLe1<AdamWHyper>(model.namedParameters(), recipe.weightDecay);
  return new AdamW(groups, { lr: recipe.lr, betas: recipe.betas, eps: recipe.eps });
}

/** Linear warmup, then cosine decay to 0 at recipe.steps (re-fitted after `refit.step` when extended). */
export function buildSchedule(recipe: Recipe): LrSchedule {
  const plain = cosineLr(recipe.lr, recipe.warmup, recipe.steps);
  const refit = recipe.refit;
  if (refit === undefined || refit === null) return plain;
  // lr(t) = L · ½ (1 + cos(π (t − s) / (S − s))) after the hand-over s; the steps before it were taken already
  const { step: s, lr: L } = refit;
  const S = recipe.steps;
  return (step) => (step <= s ? plain(step) : 0.5 * (1 + Math.cos((Math.PI * (step - s)) / (S - s))) * L);
}
