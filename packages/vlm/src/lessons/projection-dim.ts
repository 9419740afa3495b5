/**
 * projection-dim: the shared embedding's width. Swept: embed_dim, 2 … 512, the two towers
 * unchanged (only the projections' output width moves). Held: the towers, the data, the
 * recipe, samples seen.
 *
 * The claim has two halves, tested on R@5:
 *   bottleneck      the smallest dimension is clearly worse than the best one
 *   saturates       the largest dimension is not clearly better than every smaller one
 *                   (some smaller width is within the noise of it, or beats it)
 * bottleneck and saturates → holds; a bottleneck but the largest still clearly best → holds
 * partly; no bottleneck → does not hold at this scale (no width made a clear difference, so
 * "higher is not better" says nothing either).
 */

import { LESSON_SAMPLES, MIN_R5_GAP, MIN_RECALL_GAP, R5, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { best, describeGap, formatPercentStat, gap, noiseNote, statsByPoint } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";

// factors of 8 from 2 to 128, then the largest: four points keep the lesson within its half-hour
const DIMS = [2, 16, 128, 512];

function dimPoint(dim: number): LessonPoint {
  return {
    label: `embed ${dim}`,
    x: String(dim),
    value: dim,
    apply(spec) {
      spec.model["embed_dim"] = dim;
      return spec;
    },
  };
}

export const projectionDimLesson: Lesson = {
  name: "projection-dim",
  claim: "The projection dimension: higher is not always better, and low dimensions (64–128 and below) cause an information bottleneck.",
  changes: `embed_dim, the width of the shared embedding space: ${DIMS.join(", ")}`,
  holds: "both towers (the demo's: width 64), the data, the recipe and samples seen",
  points: DIMS.map(dimPoint),
  fewest: ["embed 2", "embed 16", "embed 512"],
  samples: LESSON_SAMPLES,
  metricsOf: standardMetrics,
  plot: {
    xLabel: "embed_dim (towers fixed)",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
    ],
  },
  verdict(runs, points) {
    const r5 = statsByPoint(runs, points, R5);
    const smallest = points[0]!.label;
    const largest = points.at(-1)!.label;
    const top = best(r5);
    const bottleneck = gap(r5.get(top)!, r5.get(smallest)!, MIN_RECALL_GAP);
    // the largest beats every smaller width clearly: then higher *was* better here
    const smaller = points.slice(0, -1).map((p) => p.label);
    const rival = smaller.reduce((a, b) => (r5.get(b)!.mean > r5.get(a)!.mean ? b : a));
    const largestWins = gap(r5.get(largest)!, r5.get(rival)!, MIN_RECALL_GAP);
    const status = !bottleneck.clear ? "does not hold at this scale" : largestWins.clear ? "holds partly" : "holds";
    const reason = [
      top === smallest
        ? `${smallest}, the smallest width, was also the best (R@5 ${formatPercentStat(r5.get(smallest)!)}): no bottleneck.`
        : `${smallest} reached R@5 ${formatPercentStat(r5.get(smallest)!)} against ${formatPercentStat(r5.get(top)!)} at ${top} (the best): ` +
          `${bottleneck.clear ? "a bottleneck" : "no clear bottleneck"}, a gap of ${describeGap(bottleneck)}.`,
      !bottleneck.clear
        ? `No width was clearly better than the smallest: the dimension made no clear difference at this scale.`
        : largestWins.clear
          ? `The largest, ${largest}, beat every smaller width (${formatPercentStat(r5.get(largest)!)} against ${formatPercentStat(r5.get(rival)!)} at ${rival}): here higher was better.`
          : `The largest, ${largest} (${formatPercentStat(r5.get(largest)!)}), was no clear gain over ${rival} (${formatPercentStat(r5.get(rival)!)}): higher was not better.`,
      noiseNote(runs, MIN_R5_GAP),
    ];
    return { status, reason: reason.join(" ") };
  },
};
