/**
 * temperature: the softmax's sharpness, exp(logit_scale) = 1/τ. Swept: how it trains —
 * learned and clamped to 100 (CLIP's, the default), learned without the clamp, and fixed at
 * 1/τ = 1, 10, 100 (trainClip's `temperature` option; the fixed ones start and stay at the
 * value). Held: the model, the data, the recipe, samples seen. The learned ones start where
 * CLIP starts, 1/τ = 1/0.07 ≈ 14.3.
 *
 * The claim has two halves, tested apart:
 *   learned   the learned temperature is not clearly worse than the best fixed one
 *   clamped   the clamp prevents something: without it the scale passed 100 during
 *             training, and the run was clearly worse or skipped NaN steps
 * both → holds; one → holds partly; neither → does not hold at this scale. R@5 decides.
 */

import { MAX_LOGIT_SCALE } from "../model/clip.js";
import { LESSON_SAMPLES, MIN_R5_GAP, MIN_RECALL_GAP, R5, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { best, describeGap, formatPercentStat, formatStat, gap, noiseNote, stat, statsByPoint, statusOf } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";
import type { TemperatureMode } from "../train/recipe.js";

const CLAMP = Math.round(Math.exp(MAX_LOGIT_SCALE));
const FIXED = [1, 10, 100];
const LEARNED = "learned, clamped";
const UNCLAMPED = "learned, no clamp";

function learnedPoint(label: string, mode: TemperatureMode): LessonPoint {
  return {
    label,
    x: mode === "learned" ? "learned" : "no clamp",
    value: mode,
    apply(spec) {
      spec.training.temperature = mode;
      return spec;
    },
  };
}

function fixedPoint(inverse: number): LessonPoint {
  return {
    label: `fixed 1/τ = ${inverse}`,
    x: `fixed ${inverse}`,
    value: inverse,
    apply(spec) {
      spec.training.temperature = "fixed";
      spec.model["init_logit_scale"] = Math.log(inverse);
      return spec;
    },
  };
}

export const temperatureLesson: Lesson = {
  name: "temperature",
  claim: `The temperature is learned, and clamped (logit scale at most ${CLAMP}) to prevent instability.`,
  changes: `how the temperature trains: learned and clamped at 1/τ ≤ ${CLAMP} (CLIP's), learned without the clamp, fixed at 1/τ = ${FIXED.join(", ")}`,
  holds: "the model, the data, the recipe and samples seen; the learned ones start at CLIP's 1/τ = 1/0.07",
  points: [learnedPoint(LEARNED, "learned"), learnedPoint(UNCLAMPED, "learned-unclamped"), ...FIXED.map(fixedPoint)],
  fewest: [LEARNED, UNCLAMPED, "fixed 1/τ = 10"],
  samples: LESSON_SAMPLES,
  metricsOf: standardMetrics,
  plot: {
    xLabel: "temperature",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
      { metric: "max_logit_scale", label: "highest 1/τ during training", reference: { value: CLAMP, label: `the clamp, ${CLAMP}` } },
    ],
    curve: { key: "logit_scale", label: "1/τ = exp(logit_scale) over training", log: true },
  },
  verdict(runs, points) {
    const r5 = statsByPoint(runs, points, R5);
    const fixed = points.filter((p) => p.label.startsWith("fixed")).map((p) => p.label);
    const bestFixed = best(new Map(fixed.map((label) => [label, r5.get(label)!])));
    const learnedGap = gap(r5.get(bestFixed)!, r5.get(LEARNED)!, MIN_RECALL_GAP);
    const learnedOk = !learnedGap.clear;
    const free = runs.filter((r) => r.point === UNCLAMPED);
    const peak = stat(free.map((r) => r.metrics["max_logit_scale"]));
    const highest = Math.max(...free.map((r) => r.metrics["max_logit_scale"] ?? -Infinity));
    const troubled = free.filter((r) => (r.metrics["skipped_steps"] ?? 0) > 0 || r.stopped === "diverged").length;
    const clampGap = gap(r5.get(LEARNED)!, r5.get(UNCLAMPED)!, MIN_RECALL_GAP);
    const passed = highest > CLAMP;
    const clampMatters = passed && (clampGap.clear || troubled > 0);
    const learnedScale = stat(runs.filter((r) => r.point === LEARNED).map((r) => r.metrics["logit_scale"]));
    const reason = [
      `Learned and clamped, 1/τ ended at ${formatStat(learnedScale, 1)} with R@5 ${formatPercentStat(r5.get(LEARNED)!)}; the best fixed value, ${bestFixed}, reached ${formatPercentStat(r5.get(bestFixed)!)}` +
        `${learnedOk ? ": learning it lost nothing clear" : `: learning it lost ${describeGap(learnedGap)}`}.`,
      passed
        ? `Without the clamp 1/τ went past ${CLAMP} (peak ${formatStat(peak, 1)}), with R@5 ${formatPercentStat(r5.get(UNCLAMPED)!)}${troubled > 0 ? ` and ${troubled} run${troubled === 1 ? "" : "s"} skipping NaN steps or diverging` : ""}` +
          `${clampMatters ? ": the clamp prevented that." : ", no clear harm at this scale."}`
        : `Without the clamp 1/τ peaked at ${formatStat(peak, 1)}, under the clamp's ${CLAMP}: the clamp never acted, so it had nothing to prevent at this scale (R@5 ${formatPercentStat(r5.get(UNCLAMPED)!)}).`,
      noiseNote(runs, MIN_R5_GAP),
    ];
    return { status: statusOf([learnedOk, clampMatters]), reason: reason.join(" ") };
  },
};
