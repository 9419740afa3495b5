/**
 * batch-size: in-batch negatives are the only negatives, so a small batch gives each image
 * few texts to be told apart from. Swept: the batch, 16 … 2048, at equal samples seen (so a
 * batch of 2048 takes 128× fewer steps than one of 16), the learning rate by the square-root
 * rule (base.ts), batches above 512 by gradient caching. Held: the model, the data, the
 * schedule's shape, samples seen.
 *
 * The loss is read against its ceiling: InfoNCE over a batch of N starts at ln N (every
 * caption equally likely), so final loss / ln N says how far below chance the model got, on a
 * scale every batch shares.
 *
 * Verdict: the smallest batch against the best one, on R@5 and on zero-shot top-1: clearly
 * worse on both → holds; on one → holds partly; on neither → does not hold at this scale.
 */

import { CHUNK_ABOVE, LESSON_SAMPLES, lrRule, MIN_GAPS, MIN_RECALL_GAP, MIN_ZERO_SHOT_GAP, R5, R5_CHANCE, scaledLr, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { best, chanceOf, describeGap, formatPercentStat, formatStat, gap, noiseNote, statsByPoint, statusOf } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";

const BATCHES = [16, 64, 256, 2048];

function batchPoint(batch: number): LessonPoint {
  return {
    label: `batch ${batch}`,
    x: String(batch),
    value: batch,
    apply(spec) {
      spec.training.batchSize = batch;
      spec.training.lr = scaledLr(batch);
      return spec;
    },
  };
}

export const batchSizeLesson: Lesson = {
  name: "batch-size",
  claim: "In-batch negatives are the only negatives, so batch size is crucial: with too small a batch the model does not learn robust features.",
  changes: `the batch: ${BATCHES.join(", ")}, with ${lrRule()}; batches above ${CHUNK_ABOVE} run with gradient caching (chunks of ${CHUNK_ABOVE})`,
  holds: "samples seen (so a larger batch takes fewer steps), the model, the data (three styles, train split), the schedule's shape (warmup fraction, cosine to 0)",
  points: BATCHES.map(batchPoint),
  fewest: ["batch 16", "batch 256"],
  samples: LESSON_SAMPLES,
  metricsOf(outcome, config) {
    const metrics = standardMetrics(outcome, config);
    const ceiling = Math.log(config.training.batchSize);
    metrics["loss_ceiling"] = ceiling;
    metrics["loss / ln N"] = outcome.finalLoss === null ? null : outcome.finalLoss / ceiling;
    return metrics;
  },
  plot: {
    xLabel: "batch size (equal samples seen)",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
      { metric: "loss / ln N", label: "final training loss / ln N (1 = chance)", reference: { value: 1, label: "ln N: chance" } },
    ],
  },
  verdict(runs, points) {
    const r5 = statsByPoint(runs, points, R5);
    const zs = statsByPoint(runs, points, ZERO_SHOT);
    const ratio = statsByPoint(runs, points, "loss / ln N");
    const smallest = points[0]!.label;
    const largest = points.at(-1)!.label;
    const top = best(r5);
    const topZs = best(zs);
    const onRecall = gap(r5.get(top)!, r5.get(smallest)!, MIN_RECALL_GAP);
    const onZeroShot = gap(zs.get(topZs)!, zs.get(smallest)!, MIN_ZERO_SHOT_GAP);
    const status = statusOf([onRecall.clear, onZeroShot.clear]);
    const samples = runs[0]?.config.training.samples ?? 0;
    const recall =
      top === smallest
        ? `At ${samples.toLocaleString("en-US")} samples seen, ${smallest}, the smallest batch, had the best R@5 (${formatPercentStat(r5.get(smallest)!)}); `
        : `At ${samples.toLocaleString("en-US")} samples seen, ${smallest} reached R@5 ${formatPercentStat(r5.get(smallest)!)} against ${formatPercentStat(r5.get(top)!)} at ${top} (the best), ` +
          `a gap of ${describeGap(onRecall)}${onRecall.clear ? "" : ", within the noise"}; `;
    const parts = [
      recall +
        `zero-shot top-1 ${formatPercentStat(zs.get(smallest)!)} at ${smallest}` +
        (topZs === smallest ? ", the best." : ` against ${formatPercentStat(zs.get(topZs)!)} at ${topZs}${onZeroShot.clear ? "" : " (within the noise)"}.`),
      `The final loss was ${formatStat(ratio.get(smallest)!)} of its ln N ceiling at ${smallest} and ${formatStat(ratio.get(largest)!)} at ${largest}.`,
    ];
    if (top !== largest) {
      const past = gap(r5.get(top)!, r5.get(largest)!, MIN_RECALL_GAP);
      const chance = chanceOf(runs, largest, R5, R5_CHANCE, MIN_RECALL_GAP);
      const steps = runs.find((r) => r.point === largest)?.steps;
      const atChance = chance?.atChance ? `, at chance (${(100 * chance.chance).toFixed(1)}%)${steps === undefined ? "" : `: ${steps} steps taught it nothing measurable`}` : "";
      parts.push(
        past.clear
          ? `Past ${top} it fell again (${largest}: ${formatPercentStat(r5.get(largest)!)}${atChance}): at equal samples seen a larger batch takes fewer steps, which cost more than its extra negatives bought.`
          : `Larger batches than ${top} were within the noise of it.`,
      );
    }
    parts.push(noiseNote(runs, MIN_GAPS));
    return { status, reason: parts.join(" ") };
  },
};
