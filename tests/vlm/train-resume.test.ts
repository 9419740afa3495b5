/**
 * Resume: a run stopped (cleanly, or by a crash after a periodic checkpoint) and resumed from
 * its checkpoint continues exactly: with one thread its loss curve and final weights equal the
 * uninterrupted run's bit for bit; with two data-parallel threads, within float tolerance
 * (and in practice bit for bit too: the reduction order is fixed). The log reads as one run.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { trainClip, TrainError, type StepRecord, type TrainClipOptions, type TrainResult } from "../../packages/vlm/src/index.js";
import { tempDir, tinyRun } from "./train-helpers.js";

async function run(options: TrainClipOptions, stopAt?: { step: number; how: "signal" | "crash" }): Promise<{ losses: number[]; result: TrainResult | null }> {
  const losses: number[] = [];
  const controller = new AbortController();
  const onStep = (r: StepRecord) => {
    losses.push(r.loss);
    if (stopAt?.step === r.step) {
      if (stopAt.how === "crash") throw new Error("simulated crash");
      controller.abort();
    }
  };
  try {
    const result = await trainClip({ ...options, signal: controller.signal }, { onStep });
    return { losses, result };
  } catch (error) {
    if ((error as Error).message !== "simulated crash") throw error;
    return { losses, result: null };
  }
}

function weights(result: TrainResult): Record<string, number[]> {
  return Object.fromEntries([...result.model.stateDict()].map(([k, t]) => [k, Array.from(t.contiguousData())]));
}

/** The log without its timing fields. */
function logOf(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8").trim().split("\n").map((line) => {
    const { time: _time, samples_per_s: _speed, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  });
}

describe("resume", () => {
  it("a one-thread run stopped at step 3 and resumed equals the uninterrupted run bit for bit: losses, weights, log", async () => {
    const steps = 6;
    const whole = await run(await tinyRun(tempDir("whole"), { steps, warmup: 2 }));
    const dir = tempDir("stopped");
    const first = await run(await tinyRun(dir, { steps, warmup: 2 }), { step: 3, how: "signal" });
    expect(first.result!.stoppedBy).toBe("signal");
    expect(first.losses).toHaveLength(3);
    const second = await run(await tinyRun(dir, { steps, warmup: 2, resume: dir }));
    expect(second.result!.steps).toBe(steps);
    expect([...first.losses, ...second.losses]).toEqual(whole.losses);
    expect(weights(second.result!)).toEqual(weights(whole.result!));
    expect(logOf(second.result!.logPath)).toEqual(logOf(whole.result!.logPath));
  });

  it("after a crash, resumes from the last periodic checkpoint and drops the log lines past it", async () => {
    const steps = 6;
    const whole = await run(await tinyRun(tempDir("whole"), { steps, warmup: 2 }));
    const dir = tempDir("crashed");
    const crashed = await run(await tinyRun(dir, { steps, warmup: 2, checkpointEvery: 2 }), { step: 5, how: "crash" });
    expect(crashed.result).toBeNull();
    expect(logOf(`${dir}/train_log.jsonl`)).toHaveLength(5); // steps 1-5 logged, the checkpoint holds step 4
    const resumed = await run(await tinyRun(dir, { steps, warmup: 2, resume: `${dir}/checkpoint` }));
    expect(resumed.losses).toEqual(whole.losses.slice(4));
    expect(logOf(resumed.result!.logPath)).toEqual(logOf(whole.result!.logPath));
    expect(weights(resumed.result!)).toEqual(weights(whole.result!));
  });

  it("with two data-parallel threads, continues within float tolerance", async () => {
    const options = { steps: 5, warmup: 1, threads: 2, dataParallel: true, chunkSize: 3 };
    const whole = await run(await tinyRun(tempDir("dp-whole"), options));
    const dir = tempDir("dp-stopped");
    const first = await run(await tinyRun(dir, options), { step: 2, how: "signal" });
    const second = await run(await tinyRun(dir, { ...options, resume: dir }));
    const losses = [...first.losses, ...second.losses];
    expect(losses).toHaveLength(5);
    losses.forEach((loss, i) => expect(Math.abs(loss - whole.losses[i]!), `step ${i + 1}`).toBeLessThan(1e-5 * Math.abs(whole.losses[i]!)));
  });

  it("refuses to change a training hyperparameter (start a new run with init for that) or the length (unless extended); execution settings may change", async () => {
    const dir = tempDir("mismatch");
    await run(await tinyRun(dir, { steps: 3 }));
    await expect(trainClip(await tinyRun(dir, { resume: dir, lr: 1e-2 }))).rejects.toThrow(/resume continues a run started with lr = 0.002, but lr = 0.01 was given; start a new run from its weights with init instead/);
    await expect(trainClip(await tinyRun(dir, { resume: dir, steps: 2 }))).rejects.toThrow(/the checkpoint is at step 3, past the run's 2 steps/);
    await expect(trainClip(await tinyRun(dir, { resume: dir, steps: 4 }))).rejects.toThrow(/resume continues a 3-step run, but steps = 4 was given: a new length changes the learning-rate schedule .*give extend/);
    await expect(trainClip(await tinyRun(dir, { resume: tempDir("empty") }))).rejects.toThrow(TrainError);
    const longer = await trainClip(await tinyRun(dir, { resume: dir, steps: 4, chunkSize: 4, extend: true }));
    expect(longer.steps).toBe(4);
  });
});
