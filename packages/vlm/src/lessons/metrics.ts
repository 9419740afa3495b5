/**
 * The metrics every run records (a lesson's metricsOf adds its own): per held-out set
 * "<set> R@5" (the mean of text→image and image→text: one number a plot can carry), each
 * direction, "<set> zero-shot top-1", and their chance levels; the final training loss, the
 * logit scale at the end and at its highest, skipped (NaN) steps, whether the run diverged, and the model's size.
 */

import type { EvalSpec, LessonRunConfig, Metrics, RunOutcome } from "./types.js";

/** The name of a held-out set in the metrics: "openmoji:test". */
export function evalName(spec: EvalSpec): string {
  return `${spec.style}:${spec.split}`;
}

/** A number from a held-out record, or null. */
function num(record: Record<string, number | string | undefined> | undefined, key: string): number | null {
  const v = record?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The metrics of the file comment. */
export function standardMetrics(outcome: RunOutcome, config: LessonRunConfig): Metrics {
  const metrics: Metrics = {
    final_loss: outcome.finalLoss,
    logit_scale: outcome.logitScale,
    max_logit_scale: outcome.maxLogitScale,
    skipped_steps: outcome.skippedSteps,
    diverged: outcome.stopped === "diverged" ? 1 : 0,
    parameters: outcome.parameters,
  };
  for (const spec of config.eval) {
    const name = evalName(spec);
    const r = outcome.evals[name];
    const t2i = num(r, "text_to_image_R@5");
    const i2t = num(r, "image_to_text_R@5");
    metrics[`${name} R@5`] = t2i !== null && i2t !== null ? (t2i + i2t) / 2 : null;
    metrics[`${name} t2i R@5`] = t2i;
    metrics[`${name} i2t R@5`] = i2t;
    metrics[`${name} chance R@5`] = num(r, "chance_R@5");
    metrics[`${name} zero-shot top-1`] = num(r, "zeroshot_top1");
    metrics[`${name} chance top-1`] = num(r, "zeroshot_chance_top1");
  }
  return metrics;
}
