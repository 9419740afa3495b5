/**
 * The filtering lesson: its configs (the caption spec on the noisy points only, so every other
 * lesson's run hashes stay as they were), its metrics from the caption view's counts, its
 * verdict from synthetic runs, and `duet lessons filtering --quick` end to end on a tiny
 * training (the first 150 emojis of each style, 256 samples: 2 steps a run, 1 thread).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CaptionViewStats } from "../../packages/vlm/src/data/openmoji/caption-view.js";
import { R5, ZERO_SHOT } from "../../packages/vlm/src/lessons/base.js";
import { batchSizeLesson } from "../../packages/vlm/src/lessons/batch-size.js";
import { selectLessons } from "../../packages/vlm/src/lessons/catalog.js";
import { CLEAN_REMOVED, filteringLesson, KEPT, NOISE_REMOVED, NOISED, NOISY_TRAINED, removedOf } from "../../packages/vlm/src/lessons/filtering.js";
import type { LessonsFile } from "../../packages/vlm/src/lessons/output.js";
import { lessonConfigs } from "../../packages/vlm/src/lessons/plan.js";
import type { LessonPoint, Metrics, RunOutcome } from "../../packages/vlm/src/lessons/types.js";
import { duet } from "./cli-helpers.js";
import { jitter, PLAN_OPTIONS, synthRuns } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const [CLEAN, NOISY, FILTERED] = filteringLesson.points!.map((p) => p.label) as [string, string, string];

describe("filtering: configs and metrics", () => {
  it("is built and selectable; only its noisy points carry a caption spec, no other lesson's configs do", () => {
    expect(selectLessons(["filtering"])).toEqual([filteringLesson]);
    const configs = lessonConfigs(filteringLesson, filteringLesson.points!, 4096, 1, PLAN_OPTIONS);
    expect(configs.map((c) => [c.point, c.data.captions ?? null])).toEqual([
      [CLEAN, null],
      [NOISY, { noise: { rate: 0.5, mix: { boilerplate: 1, "too-short": 1, "other-language": 1, mismatched: 1 } }, filter: false }],
      [FILTERED, { noise: { rate: 0.5, mix: { boilerplate: 1, "too-short": 1, "other-language": 1, mismatched: 1 } }, filter: true }],
    ]);
    // same model, recipe and samples: only the captions differ
    const { data: _d0, point: _p0, ...clean } = configs[0]!;
    const { data: _d2, point: _p2, ...filtered } = configs[2]!;
    expect(filtered).toEqual(clean);
    for (const c of lessonConfigs(batchSizeLesson, batchSizeLesson.points!, 4096, 1, PLAN_OPTIONS)) expect("captions" in c.data).toBe(false);
  });

  it("reads the shares noised, kept and removed (by kind) from the run's caption counts", () => {
    const [clean, , filtered] = lessonConfigs(filteringLesson, filteringLesson.points!, 4096, 1, PLAN_OPTIONS);
    const base: RunOutcome = { steps: 2, stopped: "steps", finalLoss: 3, logitScale: 14, maxLogitScale: 14, skippedSteps: 0, parameters: 10, evals: {}, curves: { loss: [], logit_scale: [] }, seconds: 1 };
    const captions: CaptionViewStats = {
      records: 1000, noised: 500, noisedByKind: { boilerplate: 125, "too-short": 125, "other-language": 125, mismatched: 125 },
      kept: 650, removedByKind: { boilerplate: 120, "too-short": 125, "other-language": 75, mismatched: 5 }, removedClean: 25, filterCounts: { input: 800, tooShort: 125, nonEnglish: 80, duplicate: 145, kept: 450 },
    };
    const m = filteringLesson.metricsOf({ ...base, captions }, filtered!);
    expect(m[NOISED]).toBe(0.5);
    expect(m[KEPT]).toBe(0.65);
    expect(m[NOISE_REMOVED]).toBe(325 / 500);
    expect(m[CLEAN_REMOVED]).toBe(25 / 500);
    expect(m[NOISY_TRAINED]).toBe(175 / 650);
    expect([removedOf("boilerplate"), removedOf("too-short"), removedOf("other-language"), removedOf("mismatched")].map((k) => m[k])).toEqual([0.96, 1, 0.6, 0.04]);
    const unfiltered = filteringLesson.metricsOf({ ...base, captions: { ...captions, kept: 1000, removedByKind: { boilerplate: 0, "too-short": 0, "other-language": 0, mismatched: 0 }, removedClean: 0, filterCounts: null } }, filtered!);
    expect([unfiltered[KEPT], unfiltered[NOISY_TRAINED], unfiltered[NOISE_REMOVED], unfiltered[removedOf("mismatched")]]).toEqual([1, 0.5, null, null]);
    const none = filteringLesson.metricsOf(base, clean!);
    expect([none[NOISED], none[KEPT], none[NOISY_TRAINED]]).toEqual([0, 1, 0]);
  });
});

/** The verdict when the points (clean, noisy, filtered) have these R@5 and zero-shot means, ± a spread over 3 seeds. */
function verdictOf(r5: number[], zs: number[], points: readonly LessonPoint[] = filteringLesson.points!) {
  const all = filteringLesson.points!;
  const runs = synthRuns(
    filteringLesson,
    (point, seed): Metrics => {
      const i = all.indexOf(point);
      const filtered = point.label === FILTERED;
      return {
        [R5]: r5[i]! + jitter(seed, 0.004), [ZERO_SHOT]: zs[i]! + jitter(seed, 0.002),
        [KEPT]: filtered ? 0.66 : 1, [NOISY_TRAINED]: filtered ? 0.28 : i === 0 ? 0 : 0.5, [CLEAN_REMOVED]: filtered ? 0.01 : null,
        [removedOf("boilerplate")]: filtered ? 0.98 : null, [removedOf("too-short")]: filtered ? 1 : null, [removedOf("other-language")]: filtered ? 0.62 : null, [removedOf("mismatched")]: filtered ? 0.07 : null,
      };
    },
    3,
    points,
  );
  return filteringLesson.verdict(runs, points);
}

describe("filtering: verdict", () => {
  it("holds when the filter clearly beats the noise on both metrics, and says how much of the noise's cost it won back", () => {
    const v = verdictOf([0.3, 0.2, 0.26], [0.05, 0.02, 0.04]);
    expect(v.status).toBe("holds");
    expect(v.reason).toContain("R@5 was 20.0 ± 0.4%; filtered first, 26.0 ± 0.4%: a gain of 6.0 points");
    expect(v.reason).toContain("Clean captions reached 30.0 ± 0.4%: the noise cost 10.0 points");
    expect(v.reason).toContain("the filter won back 60% of it");
    expect(v.reason).toContain("The filter kept 66% of the records: it took 98% of the boilerplate, 100% of the too-short, 62% of the other-language, 7% of the mismatched captions");
    expect(v.reason).toMatch(/CLIP-score filtering/);
  });

  it("holds partly on one metric; not at all when the filter wins nothing, and says when the noise cost nothing", () => {
    expect(verdictOf([0.3, 0.2, 0.26], [0.03, 0.03, 0.03]).status).toBe("holds partly");
    const none = verdictOf([0.3, 0.2, 0.2], [0.03, 0.02, 0.02]);
    expect(none.status).toBe("does not hold at this scale");
    expect(none.reason).toMatch(/within the noise/);
    expect(verdictOf([0.3, 0.2, 0.18], [0.03, 0.02, 0.02]).reason).toContain("the filter won back none of it");
    const harmless = verdictOf([0.2, 0.2, 0.2], [0.02, 0.02, 0.02]);
    expect(harmless.status).toBe("does not hold at this scale");
    expect(harmless.reason).toContain("the noise itself cost nothing clear at this scale");
  });

  it("decides on the fewest points (--quick: no clean run) without the clean comparison", () => {
    const fewest = filteringLesson.points!.filter((p) => filteringLesson.fewest.includes(p.label));
    expect(fewest.map((p) => p.label)).toEqual([NOISY, FILTERED]);
    const v = verdictOf([0.3, 0.2, 0.26], [0.05, 0.02, 0.04], fewest);
    expect(v.status).toBe("holds");
    expect(v.reason).not.toContain("Clean captions");
  });
});

describe("duet lessons filtering, for real", () => {
  it("trains the noisy and filtered points end to end and records what was noised and filtered", { timeout: 120_000 }, async () => {
    const out = tempDir("lessons-filtering");
    const result = await duet("lessons", "filtering", "--out", out, "--quick", "--samples", "256", "--limit", "150", "--threads", "1", "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    expect(result.stderr.join("\n")).toContain(`filtering: 2 points × 1 seed = 2 runs, 256 samples seen each (${NOISY}; ${FILTERED})`);
    const file = JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")) as LessonsFile;
    const [lesson] = file.lessons;
    expect(lesson!.runs.map((r) => r.point)).toEqual([NOISY, FILTERED]);
    const [noisy, filtered] = lesson!.runs;
    for (const run of [noisy!, filtered!]) {
      expect(run.steps).toBe(2);
      expect(run.metrics[NOISED]).toBeCloseTo(0.5, 2);
      expect(run.metrics[R5]).toBeGreaterThanOrEqual(0);
    }
    expect(noisy!.metrics[KEPT]).toBe(1);
    expect(noisy!.metrics[NOISE_REMOVED]).toBeNull();
    expect(filtered!.metrics[KEPT]).toBeLessThan(0.8);
    expect(filtered!.metrics[removedOf("too-short")]).toBe(1);
    expect(filtered!.metrics[NOISY_TRAINED]).toBeLessThan(0.35);
    expect(["holds", "holds partly", "does not hold at this scale"]).toContain(lesson!.verdict.status);
    expect(lesson!.verdict.reason).toContain(`The filter kept ${(100 * filtered!.metrics[KEPT]!).toFixed(0)}% of the records`);
    expect(readFileSync(join(out, "filtering.svg"), "utf8")).toMatch(/^<svg/);
  });
});
