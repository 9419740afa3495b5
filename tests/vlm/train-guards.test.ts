/**
 * The guards: a step whose loss or gradient is NaN or Inf is skipped with a warning; after
 * `nanPatience` such steps in a row the run gives up, leaving the last good checkpoint; a
 * checkpoint of NaN weights is never written. A time budget and an abort signal stop a run
 * cleanly, with a final checkpoint it can resume from.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../packages/nn/src/node.js";
import { full, type Tensor } from "../../packages/tensor/src/index.js";
import { fitSteps, loadCheckpoint, trainClip, TrainAbortedError, type StepRecord } from "../../packages/vlm/src/index.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

/**
 * The eight emojis as in-memory pairs; pair 0's image turns NaN from its `badFrom`-th read on
 * (read 1 is the trainer's check of the data, read k + 1 is step k's batch), until `badUntil`.
 */
async function pairsWithABadImage(badFrom: number, badUntil = Infinity) {
  const openMoji = await handfulOfOpenMoji();
  const pairs = openMoji.items.map((item, i) => ({ image: openMoji.imageTensor(i), caption: item.annotation }));
  const good = pairs[0]!.image;
  const bad = full(good.shape, Number.NaN);
  let reads = 0;
  Object.defineProperty(pairs[0], "image", {
    get: (): Tensor => {
      reads++;
      return reads >= badFrom && reads < badUntil ? bad : good;
    },
  });
  return { kind: "pairs" as const, pairs };
}

function finite(dir: string): boolean {
  return [...readSafetensors(join(dir, "model.safetensors")).tensors.values()].every((t) => Array.from(t.contiguousData()).every(Number.isFinite));
}

// One thread, and data-parallel over two: there the batch is split between the main thread and a
// worker, the loss is taken over the gathered features, and the worker's gradients are added to
// the main thread's before the norm is checked, so a NaN in either shard must stop the step.
const MODES = [
  { mode: "one thread", threads: 1, dataParallel: false },
  { mode: "data-parallel over 2 threads", threads: 2, dataParallel: true },
];

describe.each(MODES)("the NaN / Inf guard ($mode)", ({ threads, dataParallel }) => {
  it("skips a step whose batch holds a NaN, warns, and trains on", async () => {
    const records: StepRecord[] = [];
    const warnings: string[] = [];
    const dir = tempDir("nan-once");
    const result = await trainClip(await tinyRun(dir, { data: await pairsWithABadImage(3, 4), steps: 4, threads, dataParallel }), {
      onStep: (r) => records.push(r),
      onLog: (line, level) => level === "warn" && warnings.push(line),
    });
    expect(result.run).toMatchObject({ threads, dataParallel });
    expect(records.map((r) => r.skipped ?? false)).toEqual([false, true, false, false]);
    expect(records[1]!.loss).toBeNaN();
    expect(warnings).toEqual([expect.stringMatching(/^step 2: loss NaN, gradient norm NaN: not finite, the step was skipped \(1 in a row; giving up at 5\)$/)]);
    expect(Number.isFinite(records[2]!.loss)).toBe(true);
    expect(result.steps).toBe(4);
    expect(finite(result.checkpointDir)).toBe(true);
    const logged = readFileSync(result.logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { skipped?: boolean; loss: unknown });
    expect(logged[1]).toMatchObject({ skipped: true, loss: null }); // JSON has no NaN
  });

  it("gives up after nanPatience bad steps in a row, keeping the last good checkpoint", async () => {
    const dir = tempDir("nan-abort");
    const run = trainClip(await tinyRun(dir, { data: await pairsWithABadImage(3), steps: 10, checkpointEvery: 1, nanPatience: 3, threads, dataParallel }));
    await expect(run).rejects.toThrow(TrainAbortedError);
    await expect(run).rejects.toThrow(/3 steps in a row had a NaN or Inf loss or gradient \(the last at step 4\); training stopped/);
    // steps 2 and 3 were skipped but left the weights as they were (finite), so they were saved; step 4 gave up
    const state = JSON.parse(readFileSync(join(dir, "checkpoint", "train_state.json"), "utf8")) as { step: number; nan_streak: number };
    expect(state).toMatchObject({ step: 3, nan_streak: 2 });
    expect(finite(join(dir, "checkpoint"))).toBe(true);
  });

  it("never writes a checkpoint of NaN weights", async () => {
    // an update that overflows float32: step 1's loss and gradients are finite, but lr 1e39
    // turns the weights into ±Inf (a NaN checkpoint cannot be the start: loading refuses it)
    const warnings: string[] = [];
    const dir = tempDir("poisoned");
    const result = await trainClip(await tinyRun(dir, { lr: 1e39, steps: 2, checkpointEvery: 1, threads, dataParallel }), { onLog: (line, level) => level === "warn" && warnings.push(line) });
    expect(result.steps).toBe(2);
    expect(existsSync(result.checkpointDir)).toBe(false);
    expect(warnings.filter((w) => /the weights hold NaN or Inf; the checkpoint was not saved/.test(w))).toHaveLength(3); // steps 1, 2 and the final save
  });
});

describe("clean stops", () => {
  it("a time budget stops the run before it runs out, with a final checkpoint to resume from", async () => {
    const dir = tempDir("budget");
    const result = await trainClip(await tinyRun(dir, { steps: 1000, timeBudgetMinutes: 1e-4 }));
    expect(result.stoppedBy).toBe("time");
    expect(result.steps).toBeLessThan(1000);
    const state = JSON.parse(readFileSync(join(result.checkpointDir, "train_state.json"), "utf8")) as { step: number };
    expect(state.step).toBe(result.steps);
    const resumed = await trainClip(await tinyRun(dir, { steps: 1000, resume: dir, timeBudgetMinutes: null, extend: true }).then((o) => ({ ...o, steps: result.steps + 2 })));
    expect(resumed.steps).toBe(result.steps + 2);
    expect(loadCheckpoint(resumed.checkpointDir).config.text_cfg.context_length).toBe(16);
  });

  it("an aborted signal stops after the current step, with a final checkpoint", async () => {
    const controller = new AbortController();
    const result = await trainClip(await tinyRun(tempDir("signal"), { steps: 50, signal: controller.signal }), { onStep: (r) => r.step === 2 && controller.abort() });
    expect(result.stoppedBy).toBe("signal");
    expect(result.steps).toBe(2);
    expect(existsSync(join(result.checkpointDir, "train_state.json"))).toBe(true);
  });

  it("fitStepsToBudget sets the run's length from the first steps' timing, so the schedule ends within the budget", async () => {
    // 4 steps done at 0.5 s each, 100 s left: 95% of it minus 2 steps' worth, at 0.5 s a step
    expect(fitSteps(4, 0.5, 100, undefined)).toBe(4 + 188);
    expect(fitSteps(4, 0.5, 100, 50)).toBe(50);
    expect(fitSteps(4, 0.5, 0, undefined)).toBe(5);
    const lrs: number[] = [];
    const result = await trainClip(await tinyRun(tempDir("fit"), { steps: undefined, timeBudgetMinutes: 0.05, fitStepsToBudget: true }), { onStep: (r) => lrs.push(r.lr) });
    expect(result.run.steps).toBeGreaterThan(4);
    expect(["steps", "time"]).toContain(result.stoppedBy); // "time" only if the machine slowed down a lot
    const state = JSON.parse(readFileSync(join(result.checkpointDir, "train_state.json"), "utf8")) as { config: { steps: number } };
    expect(state.config.steps).toBe(result.run.steps);
    if (result.stoppedBy === "steps") expect(lrs.at(-1)!).toBeLessThan(lrs[1]! / 10); // the cosine ran to its end
  });
});
