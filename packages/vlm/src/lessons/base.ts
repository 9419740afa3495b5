/**
 * What every lesson holds unless it sweeps it: the demo's model and recipe (train/presets.ts
 * "demo", read when the plan is made, so the lessons follow the preset as it is re-tuned), the
 * train split of all three drawing styles, and OpenMoji's test split for scoring. Each run
 * sees the same number of samples (steps × batch), and its schedule is the preset's shape:
 * a warmup of the same fraction of the run, then the cosine decay to 0.
 *
 * The learning rate follows the batch by the square-root rule, lr(B) = lr₀ · √(B / B₀), with
 * lr₀ and B₀ the preset's (2e-3 at 128): for Adam-type optimisers the gradient noise scales
 * as 1/√B, and the rule keeps an update's signal-to-noise in step with it (Malladi et al.,
 * "On the SDEs and scaling rules for adaptive gradient algorithms", 2022). The linear rule of
 * SGD would give batch 2048 a learning rate of 0.032, which a ViT this small does not survive.
 */

import { EMOJI_STYLES } from "../data/openmoji/styles.js";
import type { ModelConfigJson } from "../model/config.js";
import { getPreset } from "../train/presets.js";
import type { EvalSpec, RunSpec } from "./types.js";

/**
 * Samples seen by a run of the full plan: about 1.8 epochs of the three styles' train split
 * (~9,000 drawings), ~110 s of the demo model on 2 cores at 150 samples/s.
 */
export const LESSON_SAMPLES = 16384;

/** The warmup's share of a run: the preset's 15 of 250 steps. */
export function warmupFraction(): number {
  const { warmup, steps } = getPreset("demo").training;
  return warmup / steps;
}

/** lr(B) = lr₀ · √(B / B₀) (see the file comment). */
export function scaledLr(batchSize: number): number {
  const { lr, batchSize: base } = getPreset("demo").training;
  return Number((lr * Math.sqrt(batchSize / base)).toPrecision(6));
}

/** The rule as a sentence, for the page and the docs. */
export function lrRule(): string {
  const { lr, batchSize } = getPreset("demo").training;
  return `lr = ${lr} · √(batch / ${batchSize}) (the square-root rule for Adam)`;
}

/** Batches above this are computed in chunks of it (gradient caching: the same gradient, less memory). */
export const CHUNK_ABOVE = 512;

/** The metrics most verdicts read (run.ts standardMetrics names them "<set> R@5", ...). */
export const R5 = "openmoji:test R@5";
export const ZERO_SHOT = "openmoji:test zero-shot top-1";
/** R@5's chance level on the same set (k / the number of test items). */
export const R5_CHANCE = "openmoji:test chance R@5";
/** The smallest gaps that count, in the metric's units (stats.ts). */
export const MIN_RECALL_GAP = 0.01;
export const MIN_ZERO_SHOT_GAP = 0.005;
export const MIN_GAPS = "1 point of R@5 (0.5 of zero-shot top-1)";
export const MIN_R5_GAP = "1 point of R@5";

/** The held-out set of most lessons: OpenMoji's test split. */
export function openMojiTest(limit: number | null): EvalSpec {
  return { style: "openmoji", split: "test", limit };
}

/** The shared base (see the file comment); `limit` keeps the first emojis of each style (smoke runs). */
export function baseSpec(samples: number, limit: number | null): RunSpec {
  const preset = getPreset("demo");
  const t = preset.training;
  return {
    model: JSON.parse(JSON.stringify(preset.model)) as ModelConfigJson,
    training: {
      samples,
      steps: 0, // set by finalizeSpec from samples and batch
      batchSize: t.batchSize,
      lr: t.lr,
      warmup: 0,
      weightDecay: t.weightDecay,
      gradClipNorm: t.gradClipNorm,
      loss: "clip",
      augment: JSON.parse(JSON.stringify(t.augment)) as RunSpec["training"]["augment"],
      temperature: "learned",
      chunkSize: null,
      vocabSize: preset.tokenizer.vocabSize,
      contextLength: preset.tokenizer.contextLength,
    },
    data: { styles: [...EMOJI_STYLES], split: "train", limit },
    eval: [openMojiTest(limit)],
  };
}

/**
 * The run's length from its samples and batch (at least 2 steps: a warmup and a decay), the
 * warmup as the preset's fraction of it, and gradient caching for batches above CHUNK_ABOVE.
 */
export function finalizeSpec(spec: RunSpec): RunSpec {
  const t = spec.training;
  const steps = Math.max(2, Math.round(t.samples / t.batchSize));
  const warmup = Math.min(steps - 1, Math.max(1, Math.round(steps * warmupFraction())));
  return { ...spec, training: { ...t, steps, warmup, chunkSize: t.batchSize > CHUNK_ABOVE ? CHUNK_ABOVE : t.chunkSize } };
}

/** A deep copy, for a point to change. */
export function copySpec(spec: RunSpec): RunSpec {
  return JSON.parse(JSON.stringify(spec)) as RunSpec;
}
