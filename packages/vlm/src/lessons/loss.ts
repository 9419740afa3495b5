/**
 * loss: InfoNCE against the sigmoid loss (SigLIP) across batch sizes. InfoNCE takes a softmax
 * over the batch, so each pair is scored against the batch's other captions; SigLIP scores
 * every (image, caption) pair on its own as a binary match, with a learned bias (Zhai et al.,
 * 2023: better than softmax at small batches, the two meeting as the batch grows).
 * Swept: the loss × the batch (32, 512; the learning rate by base.ts's square-root rule;
 * SigLIP starts from its own logit scale 10 and bias −10, recipe.ts applyLossInit). Held:
 * the model, the data, the schedule's shape, samples seen.
 *
 * The claim has two halves, tested apart on R@5:
 *   small batch   SigLIP is clearly better than InfoNCE at the smallest batch
 *   gap closes    SigLIP's lead at the smallest batch is clearly larger than at the largest
 * both → holds; one → holds partly; neither → does not hold at this scale.
 */

import { applyLossInit } from "../train/recipe.js";
import { LESSON_SAMPLES, MIN_R5_GAP, MIN_RECALL_GAP, R5, scaledLr, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { describeGap, formatPercentStat, gap, noiseNote, pointStat, statusOf, type Stat } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";
import type { LossKind } from "../loss/model-loss.js";

// two batches, small and large, are what the verdict reads; a middle one would cost six more
// runs (13 minutes) and put the lesson over its half-hour
const BATCHES = [32, 512];
const NAMES: Record<LossKind, string> = { clip: "InfoNCE", siglip: "SigLIP" };

function lossPoint(loss: LossKind, batch: number): LessonPoint {
  return {
    label: `${NAMES[loss]}, batch ${batch}`,
    x: String(batch),
    series: NAMES[loss],
    value: loss,
    apply(spec) {
      spec.training.loss = loss;
      spec.training.batchSize = batch;
      spec.training.lr = scaledLr(batch);
      applyLossInit(spec.model, loss);
      return spec;
    },
  };
}

/** The standard error of a mean (0 for one seed). */
const seOf = (s: Stat) => (s.n > 0 ? s.sd / Math.sqrt(s.n) : 0);

export const lossLesson: Lesson = {
  name: "loss",
  claim: "The sigmoid loss (SigLIP) scores each pair on its own, so it holds up at small batches where InfoNCE's softmax over the batch has few negatives; as the batch grows, the two meet.",
  changes: `the loss (InfoNCE, SigLIP) × the batch (${BATCHES.join(", ")}), the learning rate by the square-root rule; SigLIP with its own initial logit scale (10) and bias (−10)`,
  holds: "the model, the data, the schedule's shape and samples seen",
  points: (["clip", "siglip"] as const).flatMap((loss) => BATCHES.map((batch) => lossPoint(loss, batch))),
  fewest: [`InfoNCE, batch ${BATCHES[0]}`, `SigLIP, batch ${BATCHES[0]}`, `InfoNCE, batch ${BATCHES.at(-1)}`, `SigLIP, batch ${BATCHES.at(-1)}`],
  samples: LESSON_SAMPLES,
  metricsOf: standardMetrics,
  plot: {
    xLabel: "batch size (equal samples seen)",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
    ],
  },
  verdict(runs, points) {
    const batches = [...new Set(points.map((p) => Number(p.x)))].sort((a, b) => a - b);
    const [small, large] = [batches[0]!, batches.at(-1)!];
    const at = (loss: LossKind, batch: number) => pointStat(runs, `${NAMES[loss]}, batch ${batch}`, R5);
    const smallGap = gap(at("siglip", small), at("clip", small), MIN_RECALL_GAP);
    const largeGap = gap(at("siglip", large), at("clip", large), MIN_RECALL_GAP);
    // (SigLIP − InfoNCE) at the small batch minus the same at the large one, with the four means' noise
    const closing = smallGap.diff - largeGap.diff;
    const closingSe = Math.sqrt([at("siglip", small), at("clip", small), at("siglip", large), at("clip", large)].reduce((a, s) => a + seOf(s) ** 2, 0));
    const closes = closing > Math.max(2 * closingSe, MIN_RECALL_GAP);
    const lead = (g: typeof smallGap) => (g.diff >= 0 ? `SigLIP led by ${describeGap(g)}` : `InfoNCE led by ${describeGap(g)}`);
    const reason = [
      `At batch ${small}, SigLIP reached R@5 ${formatPercentStat(at("siglip", small))} and InfoNCE ${formatPercentStat(at("clip", small))}: ${lead(smallGap)}${smallGap.clear ? "" : smallGap.diff > 0 ? ", within the noise" : ""}.`,
      `At batch ${large}: SigLIP ${formatPercentStat(at("siglip", large))}, InfoNCE ${formatPercentStat(at("clip", large))}; ${lead(largeGap)}.`,
      closes ? `SigLIP's lead shrank by ${(100 * closing).toFixed(1)} points as the batch grew.` : `SigLIP's lead did not clearly shrink as the batch grew (${(100 * closing).toFixed(1)} points, noise ±${(200 * closingSe).toFixed(1)}).`,
      noiseNote(runs, MIN_R5_GAP),
    ];
    return { status: statusOf([smallGap.clear, closes]), reason: reason.join(" ") };
  },
};
