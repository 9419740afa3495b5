/**
 * The run cache of `duet lessons`, its plan and its runner, with a fake trainer (no training):
 * the hash of a config is stable and changes with every field; finished runs are written
 * atomically and read back; a resumed call trains only what is missing; the plan follows
 * --quick and fits --minutes, or refuses a budget too small.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchSizeLesson } from "../../packages/vlm/src/lessons/batch-size.js";
import { canonicalJson, configHash, listCachedRuns, readCachedRun, runPath, writeRun } from "../../packages/vlm/src/lessons/cache.js";
import { COST, lessonConfigs, makePlan, QUICK_FRACTION, QUICK_LIMIT, runCost } from "../../packages/vlm/src/lessons/plan.js";
import { projectionDimLesson } from "../../packages/vlm/src/lessons/projection-dim.js";
import { runPlan } from "../../packages/vlm/src/lessons/runner.js";
import type { LessonRunConfig } from "../../packages/vlm/src/lessons/types.js";
import { fakeTrainer, PLAN_OPTIONS, synthRuns } from "./lessons-helpers.js";
import { tempDir } from "./train-helpers.js";

const aConfig = (): LessonRunConfig => lessonConfigs(batchSizeLesson, batchSizeLesson.points!.slice(0, 1), 1024, 1, PLAN_OPTIONS)[0]!;

/** Every leaf of a JSON value, as a path of keys and indices. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [path];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

/** A copy of `config` with the leaf at `path` changed to another value of its kind. */
function changed(config: LessonRunConfig, path: (string | number)[]): LessonRunConfig {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const v = at[last];
  at[last] = typeof v === "number" ? v + 1 : typeof v === "string" ? `${v}x` : typeof v === "boolean" ? !v : v === null ? 7 : fail(path);
  return copy as unknown as LessonRunConfig;
}
const fail = (path: unknown): never => {
  throw new Error(`no change for ${JSON.stringify(path)}`);
};

describe("the cache key", () => {
  it("is stable: the same config built in another key order, or copied, has the same hash", () => {
    const config = aConfig();
    const reversed = JSON.parse(JSON.stringify(config, (_k, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v))) as LessonRunConfig;
    expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(config));
    expect(canonicalJson(reversed)).toBe(canonicalJson(config));
    expect(configHash(reversed)).toBe(configHash(config));
    expect(configHash(aConfig())).toBe(configHash(config));
    expect(configHash(config)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("changes with every field of the config, at any depth", () => {
    const config = aConfig();
    const paths = leaves(config);
    // the fields that decide a run are all there: seed, threads, harness, model, recipe, data, evaluation
    for (const needed of ["seed", "threads", "dataParallel", "harness", "lesson", "point", "model.embed_dim", "model.vision_cfg.width", "training.lr", "training.samples", "training.augment", "training.temperature", "data.limit", "data.styles.0", "eval.0.style"]) {
      expect(paths.map((p) => p.join(".")), needed).toContain(needed);
    }
    const base = configHash(config);
    const hashes = new Set([base]);
    for (const path of paths) {
      const h = configHash(changed(config, path));
      expect(h, path.join(".")).not.toBe(base);
      hashes.add(h);
    }
    expect(hashes.size).toBe(paths.length + 1);
  });
});

describe("cached runs", () => {
  it("are written atomically and read back; a damaged file or another config counts as absent", () => {
    const dir = tempDir("lessons-cache");
    const [run] = synthRuns(projectionDimLesson, () => ({ "openmoji:test R@5": 0.25, final_loss: NaN }), 1);
    writeRun(dir, run!);
    expect(readdirSync(join(dir, "runs"))).toEqual([`${run!.hash}.json`]); // no temporary file left
    const back = readCachedRun(dir, run!.config);
    expect(back?.metrics["openmoji:test R@5"]).toBe(0.25);
    expect(back?.metrics["final_loss"]).toBeNull(); // JSON has no NaN
    expect(readCachedRun(dir, { ...run!.config, seed: 99 })).toBeNull();
    writeFileSync(runPath(dir, run!.hash), "{ half a fi");
    expect(readCachedRun(dir, run!.config)).toBeNull();
    expect(listCachedRuns(dir)).toEqual([]);
  });
});

describe("runPlan", () => {
  it("resumes: a call stopped after two runs keeps them, and the next call trains only the rest", async () => {
    const dir = tempDir("lessons-resume");
    const plan = makePlan([projectionDimLesson], { ...PLAN_OPTIONS, seeds: 2, samples: 256 }, (h) => existsSync(runPath(dir, h)));
    const total = plan.lessons[0]!.configs.length;
    expect(total).toBe(projectionDimLesson.points!.length * 2);
    const first = fakeTrainer();
    let finished = 0;
    const stopped = await runPlan(plan, { dir, execute: first.execute, shouldStop: () => finished >= 2, onRun: () => void finished++ });
    expect(first.calls).toHaveLength(2);
    expect(stopped).toMatchObject({ trained: 2, cached: 0, left: total - 2 });
    // seeds interleaved: seed 0 of the first two points ran first
    expect(first.calls).toEqual([`projection-dim/embed 2/0`, `projection-dim/embed 16/0`]);

    const again = makePlan([projectionDimLesson], { ...PLAN_OPTIONS, seeds: 2, samples: 256 }, (h) => existsSync(runPath(dir, h)), listCachedRuns(dir));
    expect(again.notes.join("\n")).toMatch(/\(2 cached\)/);
    const second = fakeTrainer();
    const done = await runPlan(again, { dir, execute: second.execute });
    expect(second.calls).toHaveLength(total - 2);
    expect(second.calls).not.toContain(`projection-dim/embed 2/0`);
    expect(done).toMatchObject({ trained: total - 2, cached: 2, left: 0 });
    expect(done.runs.get("projection-dim")).toHaveLength(total);

    const third = fakeTrainer();
    await runPlan(again, { dir, execute: third.execute });
    expect(third.calls).toEqual([]);
  });

  it("discards a run its signal stopped, and reads back the cached runs after it", async () => {
    const dir = tempDir("lessons-signal");
    const plan = makePlan([projectionDimLesson], { ...PLAN_OPTIONS, seeds: 1, samples: 256 }, () => false);
    const fake = fakeTrainer();
    // the second run is "stopped" (a second Ctrl-C): nothing of it is cached
    let n = 0;
    const result = await runPlan(plan, { dir, execute: async (c, ctx) => (++n === 2 ? "stopped" : fake.execute(c, ctx)) });
    expect(result.trained).toBe(1);
    expect(listCachedRuns(dir)).toHaveLength(1);
    expect(JSON.parse(readFileSync(runPath(dir, result.runs.get("projection-dim")![0]!.hash), "utf8")).point).toBe("embed 2");
  });
});

describe("makePlan", () => {
  it("--quick: the fewest points, one seed, 1/32 of the samples, the first QUICK_LIMIT emojis of each style", () => {
    const plan = makePlan([batchSizeLesson], { ...PLAN_OPTIONS, limit: null, quick: true }, () => false);
    const [lesson] = plan.lessons;
    expect(lesson!.points.map((p) => p.label)).toEqual([...batchSizeLesson.fewest]);
    expect(plan.seeds).toBe(1);
    expect(lesson!.samples).toBe(batchSizeLesson.samples * QUICK_FRACTION);
    for (const c of lesson!.configs) expect([c.data.limit, ...c.eval.map((e) => e.limit)]).toEqual([QUICK_LIMIT, QUICK_LIMIT]);
    // a limit given wins over the quick default
    const limited = makePlan([batchSizeLesson], { ...PLAN_OPTIONS, quick: true, limit: 150 }, () => false);
    expect(limited.lessons[0]!.configs[0]!.data.limit).toBe(150);
    // equal samples seen: steps × batch is the same at every point
    for (const c of lesson!.configs) expect(c.training.steps * c.training.batchSize).toBe(lesson!.samples);
  });

  it("--minutes: fewer samples, then fewer points, said up front; a budget too small is refused with the minutes it needs", () => {
    const full = makePlan([batchSizeLesson], { ...PLAN_OPTIONS }, () => false);
    const minutes = full.seconds / 60;
    const half = makePlan([batchSizeLesson], { ...PLAN_OPTIONS, minutes: minutes / 2 }, () => false);
    expect(half.seconds).toBeLessThanOrEqual((minutes / 2) * 60);
    expect(half.lessons[0]!.points).toHaveLength(batchSizeLesson.points!.length);
    expect(half.lessons[0]!.samples).toBeLessThan(batchSizeLesson.samples);
    expect(half.notes[0]).toMatch(/^--minutes [\d.]+: the plan needs about .*; running every point with \d+% of the samples instead/);
    const tight = makePlan([batchSizeLesson], { ...PLAN_OPTIONS, minutes: minutes / 6 }, () => false);
    expect(tight.lessons[0]!.points.map((p) => p.label)).toEqual([...batchSizeLesson.fewest]);
    expect(tight.notes[0]).toMatch(/running the fewest points with/);
    expect(() => makePlan([batchSizeLesson], { ...PLAN_OPTIONS, minutes: 0.5 }, () => false)).toThrow(/--minutes 0.5 cannot hold batch-size: .* give --minutes \d+ or more, or --quick/);
    // finished runs rescale the estimate: on a machine twice as slow as the default, twice the time
    const [run] = synthRuns(batchSizeLesson, () => ({}), 1);
    const slow = makePlan([batchSizeLesson], { ...PLAN_OPTIONS }, () => false, [{ ...run!, seconds: 2 * runCost(run!.config) }]);
    expect(slow.seconds).toBeCloseTo(2 * full.seconds, 6);
    expect(slow.notes.at(-1)).toMatch(/1 run finished here \(×2\.00 the default estimate\)/);
  });

  it("a run on the first emojis of each style is estimated cheaper: its setup and scoring shrink with the data, its training does not", () => {
    const [config] = makePlan([batchSizeLesson], { ...PLAN_OPTIONS, limit: null }, () => false).lessons[0]!.configs;
    const whole = runCost(config!);
    const limited = runCost({ ...config!, data: { ...config!.data, limit: 800 } });
    const tiny = runCost({ ...config!, data: { ...config!.data, limit: 10 } });
    expect(limited).toBeLessThan(whole);
    expect(tiny).toBeLessThan(limited);
    // the training term stays: even ten emojis cost their steps and samples
    const training = config!.training.samples / COST.samplesPerSecond + config!.training.steps * COST.stepSeconds;
    expect(tiny).toBeGreaterThan(training);
    expect(runCost({ ...config!, data: { ...config!.data, limit: 1_000_000 } })).toBeCloseTo(whole, 9);
  });
});
