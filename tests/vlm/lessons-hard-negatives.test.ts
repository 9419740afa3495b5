/**
 * The hard-negatives lesson: its points turn `hardNegatives` on and ask for the binding
 * benchmark of every style; its metrics pool the styles by their pairs; its verdict follows
 * the numbers (synthetic runs); and `duet lessons hard-negatives --quick` runs end to end with
 * a tiny training (the first 150 emojis of each style, 2 steps per run, 1 thread).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BINDING, BINDING_ALL, hardNegativesLesson } from "../../packages/vlm/src/lessons/hard-negatives.js";
import { lessonConfigs } from "../../packages/vlm/src/lessons/plan.js";
import type { LessonsFile } from "../../packages/vlm/src/lessons/output.js";
import type { Metrics, RunOutcome } from "../../packages/vlm/src/lessons/types.js";
import { duet } from "./cli-helpers.js";
import { jitter, PLAN_OPTIONS, synthRuns } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const R5 = "openmoji:test R@5";

/** Metrics of a point: its binding score and R@5 (± a seed's jitter), 130 OpenMoji pairs, 290 over the styles. */
function metrics(binding: number, r5: number, seed: number, spread = 0.01): Metrics {
  const b = binding + jitter(seed, spread);
  return { [BINDING]: b, [`${BINDING} n`]: 130, [BINDING_ALL]: b, [`${BINDING_ALL} n`]: 290, [R5]: r5 + jitter(seed, 0.005), [`${BINDING} skin tones`]: b, [`${BINDING} facing`]: b };
}

describe("hard-negatives: the plan and the metrics", () => {
  it("the points differ only in hardNegatives, and both score the binding benchmark of every style's test split", () => {
    const configs = lessonConfigs(hardNegativesLesson, hardNegativesLesson.points!, 1024, 1, PLAN_OPTIONS);
    expect(configs.map((c) => [c.point, c.training.hardNegatives])).toEqual([["without hard negatives", false], ["with hard negatives", true]]);
    for (const c of configs) expect(c.binding).toEqual(["openmoji", "noto", "fluent"].map((style) => ({ style, split: "test", limit: null })));
    const strip = (c: (typeof configs)[number]) => ({ ...c, point: "", training: { ...c.training, hardNegatives: undefined } });
    expect(strip(configs[0]!)).toEqual(strip(configs[1]!));
  });

  it("pools the styles' binding scores by their pairs", () => {
    const [config] = lessonConfigs(hardNegativesLesson, hardNegativesLesson.points!, 1024, 1, PLAN_OPTIONS);
    const record = (binding: number, n: number) => ({ binding, binding_n: n, "binding skin tones": binding, "binding skin tones n": n });
    const outcome: RunOutcome = {
      steps: 8, stopped: "steps", finalLoss: 3, logitScale: 14, maxLogitScale: 14, skippedSteps: 0, parameters: 1, curves: { loss: [], logit_scale: [] }, seconds: 1,
      evals: { "openmoji:test binding": record(0.6, 130), "noto:test binding": record(0.5, 130), "fluent:test binding": record(0.4, 30) },
    };
    const m = hardNegativesLesson.metricsOf(outcome, config!);
    expect(m[BINDING]).toBe(0.6);
    expect(m[`${BINDING} skin tones`]).toBe(0.6);
    expect(m[BINDING_ALL]).toBeCloseTo((0.6 * 130 + 0.5 * 130 + 0.4 * 30) / 290, 12);
    expect(m[`${BINDING_ALL} n`]).toBe(290);
  });
});

describe("hard-negatives: the verdict", () => {
  const verdict = (without: number, withHn: number, r5With = 0.2) =>
    hardNegativesLesson.verdict(synthRuns(hardNegativesLesson, (p, seed) => metrics(p.value ? withHn : without, p.value ? r5With : 0.2, seed)), hardNegativesLesson.points!);

  it("holds when plain training stays at chance and hard negatives clearly raise the score", () => {
    const v = verdict(0.5, 0.66);
    expect(v.status).toBe("holds");
    expect(v.reason).toMatch(/within the noise of chance/);
    expect(v.reason).toMatch(/a gain of 16\.0 points/);
  });

  it("holds partly when plain training already binds above chance and hard negatives add more", () => {
    const v = verdict(0.68, 0.85);
    expect(v.status).toBe("holds partly");
    expect(v.reason).toMatch(/clearly above chance/);
  });

  it("does not hold when plain training binds and hard negatives add nothing clear; the price on R@5 is named", () => {
    const v = verdict(0.7, 0.71, 0.15);
    expect(v.status).toBe("does not hold at this scale");
    expect(v.reason).toMatch(/not a clear gain/);
    expect(v.reason).toMatch(/hard negatives cost 5\.0 points/);
  });
});

describe("duet lessons hard-negatives, for real", () => {
  it("--quick runs both points end to end: binding scores of 130 OpenMoji and 290 pooled test pairs, R@5, a verdict", { timeout: 180_000 }, async () => {
    const out = tempDir("lessons-hard-negatives");
    const result = await duet("lessons", "hard-negatives", "--out", out, "--quick", "--samples", "256", "--limit", "150", "--threads", "1", "--json");
    expect(result.code, result.stderr.join("\n")).toBe(0);
    const [lesson] = (JSON.parse(readFileSync(join(out, "lessons.json"), "utf8")) as LessonsFile).lessons;
    expect(lesson!.runs.map((r) => [r.point, r.config.training.hardNegatives])).toEqual([["without hard negatives", false], ["with hard negatives", true]]);
    for (const run of lesson!.runs) {
      expect(run.metrics[`${BINDING} n`]).toBe(130);
      expect(run.metrics[`${BINDING_ALL} n`]).toBe(290);
      for (const key of [BINDING, BINDING_ALL, R5]) {
        expect(run.metrics[key], key).toBeGreaterThanOrEqual(0);
        expect(run.metrics[key], key).toBeLessThanOrEqual(1);
      }
    }
    expect(["holds", "holds partly", "does not hold at this scale"]).toContain(lesson!.verdict.status);
    expect(lesson!.verdict.reason).toMatch(/of OpenMoji's 130 test pairs/);
  });
});
