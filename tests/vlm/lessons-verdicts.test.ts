/**
 * The lessons' verdicts, from synthetic runs (no training): each lesson's sweep made to show
 * the claim, half of it, or none of it, three seeds each with a small spread. The status must
 * follow the numbers, and the reason must quote them — so changing the numbers changes the
 * sentence (nothing is hard-coded).
 */

import { describe, expect, it } from "vitest";
import { augmentationLesson } from "../../packages/vlm/src/lessons/augmentation.js";
import { R5, R5_CHANCE, ZERO_SHOT } from "../../packages/vlm/src/lessons/base.js";
import { batchSizeLesson } from "../../packages/vlm/src/lessons/batch-size.js";
import { LESSONS, selectLessons } from "../../packages/vlm/src/lessons/catalog.js";
import { lossLesson } from "../../packages/vlm/src/lessons/loss.js";
import { projectionDimLesson } from "../../packages/vlm/src/lessons/projection-dim.js";
import { gap, stat } from "../../packages/vlm/src/lessons/stats.js";
import { temperatureLesson } from "../../packages/vlm/src/lessons/temperature.js";
import { towersLesson } from "../../packages/vlm/src/lessons/towers.js";
import type { Lesson, LessonPoint, Metrics, RunOutcome } from "../../packages/vlm/src/lessons/types.js";
import { lessonConfigs } from "../../packages/vlm/src/lessons/plan.js";
import { jitter, PLAN_OPTIONS, synthRuns } from "./lessons-helpers.js";

/** The verdict of `lesson` when its point i (in order) has R@5 = r5[i] and zero-shot = zs[i], ± a spread over 3 seeds. */
function verdictOf(lesson: Lesson, metrics: (point: LessonPoint, index: number) => Metrics, spread = 0.004) {
  const points = lesson.points!;
  const runs = synthRuns(lesson, (point, seed) => {
    const m = metrics(point, points.indexOf(point));
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === null ? null : v + jitter(seed, spread)]));
  });
  return lesson.verdict(runs, points);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

describe("stats", () => {
  it("mean ± sample sd; a gap is clear past 2 standard errors and the smallest effect", () => {
    expect(stat([1, 2, 3, null, NaN])).toEqual({ mean: 2, sd: 1, n: 3 });
    expect(stat([5])).toEqual({ mean: 5, sd: 0, n: 1 });
    const a = stat([0.3, 0.31, 0.29]);
    expect(gap(a, stat([0.2, 0.21, 0.19]), 0.01).clear).toBe(true);
    expect(gap(a, stat([0.29, 0.3, 0.28]), 0.01).clear).toBe(false); // 1 point, but 1.2 se
    expect(gap(stat([0.3]), stat([0.295]), 0.01).clear).toBe(false); // one seed: the smallest effect decides
  });
});

describe("batch-size", () => {
  const BATCHES = ["batch 16", "batch 64", "batch 256", "batch 2048"];
  /** The sweep's i-th batch gets sweep(i); the two batch-128 points get `grouped` and `whole` (by default alike: no effect). */
  const byPoint =
    (sweep: (i: number) => Metrics, control: { grouped: Metrics; whole: Metrics } = { grouped: sweep(1), whole: sweep(1) }) =>
    (p: LessonPoint) =>
      BATCHES.includes(p.label) ? sweep(BATCHES.indexOf(p.label)) : p.label.includes("groups of") ? control.grouped : control.whole;
  const rising = (i: number) => 0.1 + 0.05 * i;
  const clearControl = { grouped: { [R5]: 0.08, [ZERO_SHOT]: 0.02, "loss / ln N": 0.5 }, whole: { [R5]: 0.2, [ZERO_SHOT]: 0.02, "loss / ln N": 0.5 } };
  it("holds when the smallest batch is clearly worse on both metrics and fewer negatives at equal steps too, and quotes the figures", () => {
    const v = verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: rising(i), [ZERO_SHOT]: 0.02 + 0.01 * i, "loss / ln N": 0.6 + 0.05 * i }), clearControl));
    expect(v.status).toBe("holds");
    expect(v.reason).toContain(`batch 16 reached R@5 ${pct(0.1)} ± 0.4%`);
    expect(v.reason).toContain(`${pct(0.25)} ± 0.4% at batch 2048 (the best)`);
    expect(v.reason).toMatch(/0\.60 ± 0\.00 of its ln N ceiling at batch 16 and 0\.75 ± 0\.00 at batch 2048/);
    expect(v.reason).toMatch(/negatives from groups of 4 \(3 a pair\) reached R@5 8\.0 ± 0\.4% against 20\.0 ± 0\.4% from the whole batch \(127 a pair\): fewer negatives cost 12\.0 points/);
    const other = verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: 0.2 + 0.03 * i, [ZERO_SHOT]: 0.02 + 0.01 * i, "loss / ln N": 0.5 })));
    expect(other.reason).not.toBe(v.reason);
    expect(other.reason).toContain(`batch 16 reached R@5 ${pct(0.2)}`);
  });
  it("holds partly on some parts, and not when nothing moves; a peak in the middle is named", () => {
    expect(verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: rising(i), [ZERO_SHOT]: 0.02, "loss / ln N": 0.7 }))).status).toBe("holds partly");
    const flat = verdictOf(batchSizeLesson, byPoint(() => ({ [R5]: 0.2, [ZERO_SHOT]: 0.02, "loss / ln N": 0.7 })));
    expect(flat.status).toBe("does not hold at this scale");
    expect(flat.reason).toMatch(/within the noise/);
    // the batch sweep flat, the negatives clear at equal steps: the claim holds in part
    const controlOnly = verdictOf(batchSizeLesson, byPoint(() => ({ [R5]: 0.2, [ZERO_SHOT]: 0.02, "loss / ln N": 0.7 }), clearControl));
    expect(controlOnly.status).toBe("holds partly");
    const peak = verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: [0.1, 0.2, 0.3, 0.15][i]!, [ZERO_SHOT]: [0.01, 0.02, 0.03, 0.02][i]!, "loss / ln N": 0.7 }), clearControl));
    expect(peak.status).toBe("holds");
    expect(peak.reason).toMatch(/Past batch 256 it fell again \(batch 2048: 15\.0 ± 0\.4%\)/);
  });
  it("names a largest batch that stayed at chance", () => {
    const r5 = [0.15, 0.12, 0.05, 0.01];
    const v = verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: r5[i]!, [R5_CHANCE]: 0.009, [ZERO_SHOT]: 0.02, "loss / ln N": 0.5 + 0.15 * i })));
    expect(v.reason).toMatch(/Past batch 16 it fell again \(batch 2048: 1\.0 ± 0\.4%, at chance \(0\.9%\): \d+ steps taught it nothing measurable\)/);
    const learned = verdictOf(batchSizeLesson, byPoint((i) => ({ [R5]: [0.15, 0.12, 0.08, 0.05][i]!, [R5_CHANCE]: 0.009, [ZERO_SHOT]: 0.02, "loss / ln N": 0.5 })));
    expect(learned.reason).toMatch(/batch 2048: 5\.0 ± 0\.4%\)/);
  });
  it("says so when one seed gives no spread", () => {
    const runs = synthRuns(batchSizeLesson, (_p) => ({ [R5]: 0.2, [ZERO_SHOT]: 0.02 }), 1);
    expect(batchSizeLesson.verdict(runs, batchSizeLesson.points!).reason).toMatch(/One seed: no spread was measured/);
  });
  it("the two batch-128 points differ only in the loss's groups, take the batch sweep's samples, and read the loss against ln of the group", () => {
    const configs = lessonConfigs(batchSizeLesson, batchSizeLesson.points!, 2048, 1, PLAN_OPTIONS);
    const grouped = configs.find((c) => c.point.includes("groups of"))!;
    const whole = configs.find((c) => c.point.includes("whole batch"))!;
    expect(grouped.training.lossGroup).toBe(4);
    expect(whole.training.lossGroup).toBeUndefined();
    expect({ ...grouped.training, lossGroup: undefined }).toEqual({ ...whole.training, lossGroup: undefined });
    expect(grouped.training.batchSize * grouped.training.steps).toBe(2048);
    const outcome = { finalLoss: Math.log(4) / 2, evals: {}, steps: 16, stopped: "steps", logitScale: 14, maxLogitScale: 14, skippedSteps: 0, parameters: 1 } as unknown as RunOutcome;
    expect(batchSizeLesson.metricsOf(outcome, grouped)["loss / ln N"]).toBeCloseTo(0.5, 12);
    expect(batchSizeLesson.metricsOf(outcome, whole)["loss / ln N"]).toBeCloseTo(Math.log(4) / 2 / Math.log(128), 12);
  });
});

describe("projection-dim", () => {
  it("holds with a bottleneck and a plateau; partly when higher keeps winning; not when nothing moves", () => {
    const plateau = verdictOf(projectionDimLesson, (_p, i) => ({ [R5]: [0.05, 0.3, 0.31, 0.3][i]! }));
    expect(plateau.status).toBe("holds");
    expect(plateau.reason).toContain(`embed 2 reached R@5 ${pct(0.05)} ± 0.4% against ${pct(0.31)} ± 0.4% at embed 128`);
    expect(verdictOf(projectionDimLesson, (_p, i) => ({ [R5]: 0.05 + 0.08 * i })).status).toBe("holds partly");
    const flat = verdictOf(projectionDimLesson, () => ({ [R5]: 0.25 }));
    expect(flat.status).toBe("does not hold at this scale");
    expect(flat.reason).toMatch(/made no clear difference/);
  });
});

describe("temperature", () => {
  const at = (label: string, values: Record<string, number>) => values[label]!;
  const r5 = { "learned, clamped": 0.3, "learned, no clamp": 0.2, "fixed 1/τ = 1": 0.05, "fixed 1/τ = 10": 0.28, "fixed 1/τ = 100": 0.25 };
  it("holds when learning loses nothing and the unclamped scale ran past 100 and hurt", () => {
    const v = verdictOf(temperatureLesson, (p) => ({ [R5]: at(p.label, r5), logit_scale: 40, max_logit_scale: p.label === "learned, no clamp" ? 250 : 60, skipped_steps: 0 }));
    expect(v.status).toBe("holds");
    expect(v.reason).toMatch(/went past 100 \(peak 250\.0 ± 0\.0\)/);
    expect(v.reason).toContain(`the best fixed value, fixed 1/τ = 10, reached ${pct(0.28)}`);
  });
  it("holds partly when the clamp never acted; not when learning is also clearly worse", () => {
    const tame = verdictOf(temperatureLesson, (p) => ({ [R5]: at(p.label, r5), logit_scale: 30, max_logit_scale: 38, skipped_steps: 0 }));
    expect(tame.status).toBe("holds partly");
    expect(tame.reason).toMatch(/peaked at 38\.0 ± 0\.0, under the clamp's 100: the clamp never acted/);
    const worse = verdictOf(temperatureLesson, (p) => ({ [R5]: at(p.label, { ...r5, "learned, clamped": 0.15 }), logit_scale: 30, max_logit_scale: 38, skipped_steps: 0 }));
    expect(worse.status).toBe("does not hold at this scale");
    expect(worse.reason).toMatch(/learning it lost 13\.0 points/);
  });
});

describe("loss", () => {
  const metrics = (siglipSmall: number, siglipLarge: number) => (p: LessonPoint) => {
    const batch = Number(p.x);
    const clip = batch === 32 ? 0.15 : batch === 128 ? 0.22 : 0.28;
    return { [R5]: p.series === "SigLIP" ? clip + (batch === 32 ? siglipSmall : batch === 512 ? siglipLarge : (siglipSmall + siglipLarge) / 2) : clip };
  };
  it("holds when SigLIP leads at the small batch and the lead shrinks; partly or not otherwise", () => {
    const v = verdictOf(lossLesson, metrics(0.08, 0.0));
    expect(v.status).toBe("holds");
    expect(v.reason).toContain(`At batch 32, SigLIP reached R@5 ${pct(0.23)} ± 0.4% and InfoNCE ${pct(0.15)} ± 0.4%`);
    expect(v.reason).toMatch(/lead shrank by 8\.0 points/);
    expect(verdictOf(lossLesson, metrics(0.08, 0.08)).status).toBe("holds partly");
    expect(verdictOf(lossLesson, metrics(-0.05, -0.05)).status).toBe("does not hold at this scale");
  });
  it("does not count the two meeting at chance as the gap closing", () => {
    // InfoNCE at chance at batch 512 and SigLIP within a point of it: "meeting" there is no finding
    const chance = 0.009;
    const atChance = (p: LessonPoint) => {
      const batch = Number(p.x);
      const r5 = batch === 32 ? (p.series === "SigLIP" ? 0.23 : 0.15) : p.series === "SigLIP" ? 0.011 : chance;
      return { [R5]: r5, [R5_CHANCE]: chance };
    };
    const v = verdictOf(lossLesson, atChance);
    expect(v.status).toBe("holds partly");
    expect(v.reason).toMatch(/At batch 512 both stayed at chance \(R@5 0\.9%; SigLIP 1\.1 ± 0\.4%, InfoNCE 0\.9 ± 0\.4%\): its \d+ steps taught neither anything measurable/);
    expect(v.reason).toMatch(/SigLIP's lead went from \+8\.0 points at batch 32 to \+0\.2 at batch 512: not a shrinking that counts/);
    // the same numbers without a recorded chance level: the lead shrank clearly
    expect(verdictOf(lossLesson, (p) => ({ [R5]: atChance(p)[R5] })).status).toBe("holds");
  });
});

describe("augmentation", () => {
  const m = (noto: number[], zs: number[]) => (_p: LessonPoint, i: number) => ({ "noto:test R@5": noto[i]!, "noto:test zero-shot top-1": zs[i]!, "openmoji:test R@5": 0.3 });
  it("reads the held-out style: holds on both metrics, partly on one, not on none", () => {
    const n = augmentationLesson.points!.length;
    const v = verdictOf(augmentationLesson, m([0.08, ...Array(n - 1).fill(0.16)], [0.01, ...Array(n - 1).fill(0.03)]));
    expect(v.status).toBe("holds");
    expect(v.reason).toMatch(/On Noto, never seen in training, crops \[0\.9, 1\] reached R@5 16\.0 ± 0\.4% against 8\.0 ± 0\.4% without augmentation: a gain of 8\.0 points/);
    expect(verdictOf(augmentationLesson, m([0.08, ...Array(n - 1).fill(0.16)], Array(n).fill(0.01))).status).toBe("holds partly");
    expect(verdictOf(augmentationLesson, m(Array(n).fill(0.1), Array(n).fill(0.01))).status).toBe("does not hold at this scale");
  });
});

describe("towers", () => {
  it("holds when neither alternative is clearly worse than CLIP's pair; partly with one; not with both", () => {
    const r = (values: number[]) => (_p: LessonPoint, i: number) => ({ [R5]: values[i]!, parameters: [100000, 100000, 30000][i]! });
    const v = verdictOf(towersLesson, r([0.3, 0.3, 0.295]));
    expect(v.status).toBe("holds");
    expect(v.reason).toMatch(/CNN \+ causal text \(EOS\) \(30K parameters\) 29\.5 ± 0\.4%, within the noise of it/);
    expect(verdictOf(towersLesson, r([0.3, 0.3, 0.2])).status).toBe("holds partly");
    expect(verdictOf(towersLesson, r([0.3, 0.2, 0.2])).status).toBe("does not hold at this scale");
  });
});

describe("the catalog", () => {
  it("lists all eight lessons of the issue in order, all built", () => {
    expect(LESSONS.map((l) => l.name)).toEqual(["batch-size", "projection-dim", "temperature", "hard-negatives", "filtering", "augmentation", "loss", "towers"]);
    expect(selectLessons([]).map((l) => l.name)).toEqual(["batch-size", "projection-dim", "temperature", "hard-negatives", "filtering", "augmentation", "loss", "towers"]);
    expect(selectLessons(["loss", "batch-size"]).map((l) => l.name)).toEqual(["batch-size", "loss"]);
    expect(() => selectLessons(["batch"])).toThrow(/no lesson "batch"; the lessons are batch-size, /);
    for (const lesson of LESSONS.filter((l) => l.points !== null)) {
      expect(new Set(lesson.points!.map((p) => p.label)).size, lesson.name).toBe(lesson.points!.length);
      for (const label of lesson.fewest) expect(lesson.points!.map((p) => p.label), lesson.name).toContain(label);
    }
  });
});
