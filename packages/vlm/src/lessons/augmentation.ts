/**
 * augmentation: random resized crops, measured where they should matter — on a drawing style
 * the model never saw. Trained on OpenMoji's and Fluent's drawings (train split), scored on
 * Noto's test split (unseen emojis in an unseen style) and, for contrast, on OpenMoji's
 * (unseen emojis in a seen style). One held-out style keeps the lesson at one training per
 * point; tools/style-transfer.ts holds out each style in turn.
 * Swept: no augmentation; RandomResizedCrop at open_clip's scale [0.9, 1]; at a wider
 * [0.5, 1]; and the demo recipe's own augmentation (crops with its rotation, shift and
 * backgrounds: image/augment.ts) when it has more than crops. Held: the model, the data, the
 * recipe otherwise, samples seen.
 *
 * Verdict, on the held-out style: the best augmented point against none, on R@5 and on
 * zero-shot top-1: clearly better on both → holds; on one → holds partly; neither → does
 * not hold at this scale.
 */

import { getPreset } from "../train/presets.js";
import type { AugmentSpec } from "../train/options.js";
import { LESSON_SAMPLES, MIN_GAPS, MIN_RECALL_GAP, MIN_ZERO_SHOT_GAP } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { best, describeGap, formatPercentStat, gap, noiseNote, statsByPoint, statusOf } from "./stats.js";
import type { Lesson, LessonPoint } from "./types.js";

const HELD_OUT = "noto:test";
const SEEN = "openmoji:test";
const NONE = "no augmentation";

function augmentPoint(label: string, x: string, augment: false | AugmentSpec): LessonPoint {
  return {
    label,
    x,
    value: augment === false ? null : JSON.stringify(augment),
    apply(spec) {
      spec.training.augment = augment;
      spec.data.styles = ["openmoji", "fluent"];
      spec.eval = [
        { style: "noto", split: "test", limit: spec.data.limit },
        { style: "openmoji", split: "test", limit: spec.data.limit },
      ];
      return spec;
    },
  };
}

/** The demo recipe's augmentation as a spec, when it does more than crop (else null: the crop points cover it). */
function recipeAugment(): AugmentSpec | null {
  const a = getPreset("demo").training.augment;
  if (typeof a !== "object") return null;
  const extras = (a.degrees ?? 0) > 0 || (a.translate ?? 0) > 0 || (a.background ?? 0) > 0;
  return extras ? { scale: [a.scale[0], a.scale[1]], degrees: a.degrees ?? 0, translate: a.translate ?? 0, background: a.background ?? 0 } : null;
}

function points(): LessonPoint[] {
  const list = [augmentPoint(NONE, "none", false), augmentPoint("crops [0.9, 1]", "crops 0.9–1", { scale: [0.9, 1] }), augmentPoint("crops [0.5, 1]", "crops 0.5–1", { scale: [0.5, 1] })];
  const recipe = recipeAugment();
  if (recipe !== null) {
    const s = recipe.scale;
    list.push(augmentPoint(`the recipe's (crops [${s[0]}, ${s[1]}], ±${recipe.degrees}°, shift ${recipe.translate}, background ${recipe.background})`, "recipe", recipe));
  }
  return list;
}

export const augmentationLesson: Lesson = {
  name: "augmentation",
  claim: "Random resized crops are crucial: without them the model learns the drawings' pixels rather than the concepts, and transfers poorly to a style it never saw.",
  changes: "the augmentation: none; RandomResizedCrop at scale [0.9, 1] (open_clip's) or [0.5, 1]; the demo recipe's own (crops, rotation, shift, backgrounds) when it has more than crops",
  holds: "the model, the recipe otherwise, samples seen; trained on OpenMoji + Fluent, scored on Noto's test split (a style never seen) and OpenMoji's",
  points: points(),
  fewest: [NONE, "crops [0.5, 1]"],
  samples: LESSON_SAMPLES,
  metricsOf: standardMetrics,
  plot: {
    xLabel: "augmentation (trained on OpenMoji + Fluent)",
    panels: [
      { metric: `${HELD_OUT} R@5`, label: "R@5 on Noto, a style never seen", percent: true, chance: `${HELD_OUT} chance R@5` },
      { metric: `${HELD_OUT} zero-shot top-1`, label: "zero-shot top-1 on Noto, a style never seen", percent: true, chance: `${HELD_OUT} chance top-1` },
      { metric: `${SEEN} R@5`, label: "R@5 on OpenMoji, a seen style", percent: true, chance: `${SEEN} chance R@5` },
    ],
  },
  verdict(runs, pts) {
    const r5 = statsByPoint(runs, pts, `${HELD_OUT} R@5`);
    const zs = statsByPoint(runs, pts, `${HELD_OUT} zero-shot top-1`);
    const seen = statsByPoint(runs, pts, `${SEEN} R@5`);
    const augmented = (m: typeof r5) => new Map([...m].filter(([label]) => label !== NONE));
    const top = best(augmented(r5));
    const topZs = best(augmented(zs));
    const onRecall = gap(r5.get(top)!, r5.get(NONE)!, MIN_RECALL_GAP);
    const onZeroShot = gap(zs.get(topZs)!, zs.get(NONE)!, MIN_ZERO_SHOT_GAP);
    const reason = [
      `On Noto, never seen in training, ${top} reached R@5 ${formatPercentStat(r5.get(top)!)} against ${formatPercentStat(r5.get(NONE)!)} without augmentation: ` +
        `${onRecall.diff >= 0 ? "a gain of" : "a loss of"} ${describeGap(onRecall)}${onRecall.clear ? "" : ", within the noise"}; ` +
        `zero-shot top-1 ${formatPercentStat(zs.get(topZs)!)} (${topZs}) against ${formatPercentStat(zs.get(NONE)!)}${onZeroShot.clear ? "" : " (within the noise)"}.`,
      `On OpenMoji, a seen style: ${formatPercentStat(seen.get(top)!)} with ${top}, ${formatPercentStat(seen.get(NONE)!)} without.`,
      noiseNote(runs, MIN_GAPS),
    ];
    return { status: statusOf([onRecall.clear, onZeroShot.clear]), reason: reason.join(" ") };
  },
};
