/**
 * batch-size: in-batch negatives are the only negatives, so a small batch gives each image
 * few texts to be told apart from. Two sweeps, on one axis — the pairs each softmax compares:
 *
 *   the batch     16 … 2048 at equal samples seen (so a batch of 2048 takes 128× fewer steps
 *                 than one of 16), the learning rate by the square-root rule (base.ts), batches
 *                 above 512 by gradient caching
 *   the negatives at batch 128 and 128 steps (equal samples *and* steps), the loss taken within
 *                 groups of 4 pairs (3 negatives each; trainClip's lossGroup) or over the whole
 *                 batch (127): the number of negatives alone, the steps and the gradient noise held
 *
 * Held: the model, the data, the schedule's shape, samples seen. The first sweep is the one a
 * practitioner runs, and at a small budget it mixes two things (fewer steps, more negatives); the
 * second takes the steps out.
 *
 * The loss is read against its ceiling: InfoNCE over N candidates starts at ln N (every caption
 * equally likely), so final loss / ln N says how far below chance the model got, on a scale every
 * point shares (N: the batch, or the group).
 *
 * Verdict, three parts: the smallest batch is clearly worse than the best one on R@5; and on
 * zero-shot top-1; at equal steps, the groups of 4 are clearly worse than the whole batch on R@5.
 * All → holds; some → holds partly; none → does not hold at this scale.
 */

import { CHUNK_ABOVE, LESSON_SAMPLES, lrRule, MIN_GAPS, MIN_RECALL_GAP, MIN_ZERO_SHOT_GAP, R5, R5_CHANCE, scaledLr, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { best, chanceOf, describeGap, formatPercentStat, formatStat, gap, noiseNote, pointStat, statsByPoint, statusOf } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";

const BATCHES = [16, 64, 256, 2048];
const SWEEP = "whole batch, equal samples seen";
const CONTROL = "batch 128, equal samples and steps";
/** The control's batch, and the group whose 3 negatives a pair gets against the batch's 127. */
const CONTROL_BATCH = 128;
const SMALL_GROUP = 4;
const GROUPED = `batch ${CONTROL_BATCH}, negatives from groups of ${SMALL_GROUP}`;
const UNGROUPED = `batch ${CONTROL_BATCH}, negatives from the whole batch`;

function batchPoint(batch: number): LessonPoint {
  return {
    label: `batch ${batch}`,
    x: String(batch),
    series: SWEEP,
    value: batch,
    apply(spec) {
      spec.training.batchSize = batch;
      spec.training.lr = scaledLr(batch);
      return spec;
    },
  };
}

/** The control: batch 128, the loss within groups of `group` pairs (null: the whole batch). */
function groupPoint(group: number | null): LessonPoint {
  return {
    label: group === null ? UNGROUPED : GROUPED,
    x: String(group ?? CONTROL_BATCH),
    series: CONTROL,
    value: group ?? CONTROL_BATCH,
    apply(spec) {
      spec.training.batchSize = CONTROL_BATCH;
      spec.training.lr = scaledLr(CONTROL_BATCH);
      if (group !== null) spec.training.lossGroup = group;
      return spec;
    },
  };
}

/** In the order of the x axis (the pairs each softmax compares), so the plot's categories ascend. */
const POINTS = [groupPoint(SMALL_GROUP), batchPoint(16), batchPoint(64), groupPoint(null), batchPoint(256), batchPoint(2048)];

export const batchSizeLesson: Lesson = {
  name: "batch-size",
  claim: "In-batch negatives are the only negatives, so batch size is crucial: with too small a batch the model does not learn robust features.",
  changes: `the batch: ${BATCHES.join(", ")}, with ${lrRule()}; batches above ${CHUNK_ABOVE} run with gradient caching (chunks of ${CHUNK_ABOVE}). And, at batch ${CONTROL_BATCH} and equal steps, the negatives alone: the loss within groups of ${SMALL_GROUP} pairs (${SMALL_GROUP - 1} negatives each) or over the whole batch (${CONTROL_BATCH - 1})`,
  holds: "samples seen (so a larger batch takes fewer steps; the two batch-128 points take the same), the model, the data (three styles, train split), the schedule's shape (warmup fraction, cosine to 0)",
  points: POINTS,
  fewest: [GROUPED, "batch 16", UNGROUPED, "batch 256"],
  samples: LESSON_SAMPLES,
  metricsOf(outcome, config) {
    const metrics = standardMetrics(outcome, config);
    // InfoNCE's ceiling is ln of the candidates each softmax sees: the group's, else the batch's
    const ceiling = Math.log(config.training.lossGroup ?? config.training.batchSize);
    metrics["loss_ceiling"] = ceiling;
    metrics["loss / ln N"] = outcome.finalLoss === null ? null : outcome.finalLoss / ceiling;
    return metrics;
  },
  plot: {
    xLabel: "pairs each softmax compares: the batch, or the group within batch 128",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
      { metric: "loss / ln N", label: "final training loss / ln N (1 = chance)", reference: { value: 1, label: "ln N: chance" } },
    ],
  },
  verdict(runs, points) {
    const batches = points.filter((p) => p.series === SWEEP);
    const r5 = statsByPoint(runs, batches, R5);
    const zs = statsByPoint(runs, batches, ZERO_SHOT);
    const ratio = statsByPoint(runs, points, "loss / ln N");
    const smallest = batches[0]!.label;
    const largest = batches.at(-1)!.label;
    const top = best(r5);
    const topZs = best(zs);
    const onRecall = gap(r5.get(top)!, r5.get(smallest)!, MIN_RECALL_GAP);
    const onZeroShot = gap(zs.get(topZs)!, zs.get(smallest)!, MIN_ZERO_SHOT_GAP);
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
    const tested = [onRecall.clear, onZeroShot.clear];
    if (points.some((p) => p.label === GROUPED) && points.some((p) => p.label === UNGROUPED)) {
      // the control: the same batch, steps and samples; only the negatives each pair is scored against differ
      const grouped = pointStat(runs, GROUPED, R5);
      const whole = pointStat(runs, UNGROUPED, R5);
      const control = gap(whole, grouped, MIN_RECALL_GAP);
      const steps = runs.find((r) => r.point === UNGROUPED)?.steps;
      tested.push(control.clear);
      parts.push(
        `With the steps held too (batch ${CONTROL_BATCH}${steps === undefined ? "" : `, ${steps} steps`}), negatives from groups of ${SMALL_GROUP} (${SMALL_GROUP - 1} a pair) reached R@5 ${formatPercentStat(grouped)} ` +
          `against ${formatPercentStat(whole)} from the whole batch (${CONTROL_BATCH - 1} a pair): ` +
          (control.clear ? `fewer negatives cost ${describeGap(control)}.` : control.diff > 0 ? `${describeGap(control)} less, within the noise.` : `no loss (${describeGap(control)} the other way).`),
      );
    }
    parts.push(noiseNote(runs, MIN_GAPS));
    return { status: statusOf(tested), reason: parts.join(" ") };
  },
};
