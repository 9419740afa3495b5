/**
 * towers: the two ways of each tower. Text: CLIP's causal attention pooled at the end-of-text
 * token (the first position that has read the whole caption), or bidirectional attention
 * pooled at the first token, which then plays BERT's [CLS] (ALIGN's choice; open_clip's
 * `no_causal_mask` with `pool_type: "first"`). Image: the demo's ViT, or the small CNN
 * (model/cnn-tower.ts: conv–ReLU–pool blocks of 32 and 64 channels, global average pooling).
 * Swept: one tower at a time against CLIP's pair. Held: the other tower, the embedding width,
 * the data, the recipe, samples seen.
 *
 * The overview says the designs differ, not that one wins, so the claim tested is that each
 * is a working alternative: an alternative "works" when it is not clearly worse than CLIP's
 * ViT + causal EOS pair on R@5. Both work → holds; one → holds partly; neither → does not
 * hold at this scale. Their sizes are recorded ("parameters"): the CNN is far smaller.
 */

import { LESSON_SAMPLES, MIN_R5_GAP, MIN_RECALL_GAP, R5, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { describeGap, formatPercentStat, gap, noiseNote, pointStat, statusOf } from "./stats.js";
import type { Lesson, LessonPoint, RunSpec } from "./types.js";

const CLIP_PAIR = "ViT + causal text (EOS)";
const CLS_TEXT = "ViT + bidirectional text (CLS)";
const CNN_IMAGE = "CNN + causal text (EOS)";

function section(spec: RunSpec, key: string): Record<string, unknown> {
  return (spec.model[key] ??= {}) as Record<string, unknown>;
}

function towerPoint(label: string, x: string, change: (spec: RunSpec) => void): LessonPoint {
  return {
    label,
    x,
    value: x,
    apply(spec) {
      change(spec);
      return spec;
    },
  };
}

export const towersLesson: Lesson = {
  name: "towers",
  claim: "Text towers differ in masking (causal with the EOS token, as CLIP, or bidirectional with a CLS token, as ALIGN and BERT); image towers are ViTs or CNNs.",
  changes: "one tower at a time: the text tower bidirectional and pooled at its first token (CLS) instead of causal at end-of-text; the image tower a small CNN (32, 64 channels) instead of the ViT",
  holds: "the other tower, the embedding width, the data, the recipe and samples seen",
  points: [
    towerPoint(CLIP_PAIR, "CLIP: ViT + EOS", () => undefined),
    towerPoint(CLS_TEXT, "ViT + CLS", (spec) => {
      const text = section(spec, "text_cfg");
      text["no_causal_mask"] = true;
      text["pool_type"] = "first";
    }),
    towerPoint(CNN_IMAGE, "CNN + EOS", (spec) => {
      const duet = section(spec, "duet");
      duet["image_tower"] = "cnn";
      duet["cnn_channels"] = [32, 64];
    }),
  ],
  fewest: [CLIP_PAIR, CLS_TEXT, CNN_IMAGE],
  samples: LESSON_SAMPLES,
  metricsOf: standardMetrics,
  plot: {
    xLabel: "towers",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
    ],
  },
  verdict(runs) {
    const r5 = (label: string) => pointStat(runs, label, R5);
    const params = (label: string) => runs.find((r) => r.point === label)?.metrics["parameters"] ?? null;
    const size = (label: string) => (params(label) === null ? "" : ` (${(params(label)! / 1000).toFixed(0)}K parameters)`);
    const judge = (label: string) => {
      const worse = gap(r5(CLIP_PAIR), r5(label), MIN_RECALL_GAP);
      const better = gap(r5(label), r5(CLIP_PAIR), MIN_RECALL_GAP);
      const how = worse.clear ? `clearly worse by ${describeGap(worse)}` : better.clear ? `clearly better by ${describeGap(better)}` : "within the noise of it";
      return { works: !worse.clear, text: `${label}${size(label)} ${formatPercentStat(r5(label))}, ${how}` };
    };
    const cls = judge(CLS_TEXT);
    const cnn = judge(CNN_IMAGE);
    const reason = [`R@5: CLIP's ${CLIP_PAIR}${size(CLIP_PAIR)} ${formatPercentStat(r5(CLIP_PAIR))}; ${cls.text}; ${cnn.text}.`, noiseNote(runs, MIN_R5_GAP)];
    return { status: statusOf([cls.works, cnn.works]), reason: reason.join(" ") };
  },
};
