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
 *                 (not when both stayed at chance at the largest: meeting there says nothing)
 * both → holds; one → holds partly; neither → does not hold at this scale.
 */

import { applyLossInit } from "../train/recipe.js";
import { LESSON_SAMPLES, MIN_R5_GAP, MIN_RECALL_GAP, R5, R5_CHANCE, scaledLr, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { chanceOf, describeGap, formatPercentStat, gap, noiseNote, pointStat, statusOf, type Stat } from "./stats.js";
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
    // at the large batch both losses may have learned nothing (few steps at equal samples
    // seen): then the two "meet" at chance, which says nothing of the loss, and the part fails
    const largeChance = (["siglip", "clip"] as const).map((loss) => chanceOf(runs, `${NAMES[loss]}, batch ${large}`, R5, R5_CHANCE, MIN_RECALL_GAP));
    const bothAtChance = largeChance.every((c) => c?.atChance === true);
    const closes = !bothAtChance && closing > Math.max(2 * closingSe, MIN_RECALL_GAP);
    const lead = (g: typeof smallGap) => (g.diff >= 0 ? `SigLIP led by ${describeGap(g)}` : `InfoNCE led by ${describeGap(g)}`);
    const signed = (diff: number) => `${diff >= 0 ? "+" : "−"}${Math.abs(100 * diff).toFixed(1)}`;
    const steps = runs.find((r) => r.point === `InfoNCE, batch ${large}`)?.steps;
    const reason = [
      `At batch ${small}, SigLIP reached R@5 ${formatPercentStat(at("siglip", small))} and InfoNCE ${formatPercentStat(at("clip", small))}: ${lead(smallGap)}${smallGap.clear ? "" : smallGap.diff > 0 ? ", within the noise" : ""}.`,
      bothAtChance
        ? `At batch ${large} both stayed at chance (R@5 ${(100 * largeChance[0]!.chance).toFixed(1)}%; SigLIP ${formatPercentStat(at("siglip", large))}, InfoNCE ${formatPercentStat(at("clip", large))}): ${steps === undefined ? "its" : `its ${steps}`} steps taught neither anything measurable, so this batch cannot show the two meeting.`
        : `At batch ${large}: SigLIP ${formatPercentStat(at("siglip", large))}, InfoNCE ${formatPercentStat(at("clip", large))}; ${lead(largeGap)}.`,
      closes
        ? `SigLIP's lead shrank by ${(100 * closing).toFixed(1)} points as the batch grew.`
        : `SigLIP's lead went from ${signed(smallGap.diff)} points at batch ${small} to ${signed(largeGap.diff)} at batch ${large}: ${bothAtChance ? "not a shrinking that counts" : `no clear shrinking (noise ±${(200 * closingSe).toFixed(1)})`}.`,
      noiseNote(runs, MIN_R5_GAP),
    ];
    return { status: statusOf([smallGap.clear, closes]), reason: reason.join(" ") };
  },
};
