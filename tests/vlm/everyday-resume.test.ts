/**
 * Resume is exact or says why not. A resumed run takes every setting of the original run that
 * is not given again (evaluation, checkpoints, held-out data, threads, chunking, its data), and
 * a new length is refused unless `extend` is given, which re-fits the schedule so the learning
 * rate goes on from where it was (options.ts, EXTENSION). Before, `--steps 40` after a 30-step
 * run silently restarted the cosine (lr 2.2e-5 at step 30, 6.9e-4 at step 31), and
 * `--eval-every` was forgotten on resume.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cosineLr } from "../../packages/nn/src/index.js";
import { trainClip, type StepRecord, type TrainClipOptions, type TrainResult } from "../../packages/vlm/src/index.js";
import { cliWorkspace, duet, TINY_MODEL_JSON } from "./cli-helpers.js";
import { tempDir, tinyRun } from "./train-helpers.js";

interface Run {
  lrs: number[];
  losses: number[];
  logs: string[];
  result: TrainResult;
}

async function run(options: TrainClipOptions, stopAt?: number): Promise<Run> {
  const lrs: number[] = [];
  const losses: number[] = [];
  const logs: string[] = [];
  const controller = new AbortController();
  const result = await trainClip({ ...options, signal: controller.signal }, {
    onStep: (r: StepRecord) => {
      lrs.push(r.lr);
      losses.push(r.loss);
      if (r.step === stopAt) controller.abort();
    },
    onLog: (line) => logs.push(line),
  });
  return { lrs, losses, logs, result };
}

/** tinyRun's options without the ones a resumed run should take from its checkpoint. */
async function resumeOnly(dir: string, more: Partial<TrainClipOptions> = {}): Promise<TrainClipOptions> {
  const o = await tinyRun(dir, { resume: dir, ...more }) as unknown as Record<string, unknown>;
  for (const key of ["steps", "checkpointEvery", "threads", "dataParallel", "warmup", "lr", "batchSize"]) if (!(key in more)) delete o[key];
  return o as unknown as TrainClipOptions;
}

const LR = 2e-3; // tinyRun's

describe("resume with a new length", () => {
  it("is refused without extend, for steps and for epochs", async () => {
    const dir = tempDir("length");
    await run(await tinyRun(dir, { steps: 4 }));
    await expect(trainClip(await resumeOnly(dir, { steps: 6 }))).rejects.toThrow(/resume continues a 4-step run, but steps = 6 was given: a new length changes the learning-rate schedule of every step left; give extend \(duet train --extend\) to re-fit the schedule from step 4, or leave the length out/);
    await expect(trainClip(await resumeOnly(dir, { epochs: 9 }))).rejects.toThrow(/resume continues a 4-step run, but epochs = 9 \(9 steps\) was given/);
    await expect(trainClip(await tinyRun(dir, { extend: true }))).rejects.toThrow(/extend lengthens a resumed run: give resume too/);
  });

  it("after a finished run: extend goes on from the last lr along a cosine to the new end (continuous), and says so", async () => {
    const dir = tempDir("extend-finished");
    const first = await run(await tinyRun(dir, { steps: 6, warmup: 1 }));
    const last = first.lrs.at(-1)!;
    expect(last).toBeCloseTo(cosineLr(LR, 1, 6)(5), 12);
    const second = await run(await resumeOnly(dir, { steps: 9, extend: true }));
    expect(second.result.steps).toBe(9);
    expect(second.logs).toContainEqual(
      `extend: the run's length goes from 6 to 9 steps at step 6; the learning rate continues from ${last.toExponential(2)} (step 6) and decays along a cosine to 0 at step 9; the run had finished its decay, so the extension trains at that small lr (for a fresh warmup and peak, start a new run with --init)`,
    );
    // lr(t) = L · ½(1 + cos(π (t − s) / (S − s))), s = 5 (the last step taken), S = 9
    const expected = [6, 7, 8].map((t) => last * 0.5 * (1 + Math.cos((Math.PI * (t - 5)) / 4)));
    second.lrs.forEach((lr, i) => expect(lr, `step ${7 + i}`).toBeCloseTo(expected[i]!, 15));
    // continuous at the hand-over: the first new step's lr is within the old curve's own last ratio
    const oldRatio = first.lrs[5]! / first.lrs[4]!;
    expect(second.lrs[0]! / last).toBeGreaterThan(oldRatio);
    expect(second.lrs[0]! / last).toBeLessThan(1);
    // what the bug did: the cosine over 9 steps evaluated at step 6, a jump to over 3x the last lr
    expect(cosineLr(LR, 1, 9)(6) / last).toBeGreaterThan(3);
  });

  it("mid-run: extend hands over continuously, and the re-fit is saved so a second resume continues it exactly", async () => {
    const whole = tempDir("extend-whole");
    await run(await tinyRun(whole, { steps: 6, warmup: 1 }), 3);
    const uninterrupted = await run(await resumeOnly(whole, { steps: 10, extend: true }));
    const dir = tempDir("extend-stopped");
    const first = await run(await tinyRun(dir, { steps: 6, warmup: 1 }), 3);
    expect(first.lrs).toHaveLength(3);
    const extended = await run(await resumeOnly(dir, { steps: 10, extend: true }), 6);
    const again = await run(await resumeOnly(dir));
    expect([...extended.lrs, ...again.lrs]).toEqual(uninterrupted.lrs);
    expect([...extended.losses, ...again.losses]).toEqual(uninterrupted.losses);
    const L = cosineLr(LR, 1, 6)(2);
    expect(uninterrupted.lrs[0]!).toBeCloseTo(L * 0.5 * (1 + Math.cos(Math.PI / 8)), 15); // s = 2, S = 10
    const state = JSON.parse(readFileSync(join(dir, "checkpoint", "train_state.json"), "utf8")) as { config: { steps: number; refit: unknown } };
    expect(state.config).toMatchObject({ steps: 10, refit: { step: 2, lr: L } });
  });

  it("during the warmup: the warmup stays and the cosine spans the new length (the same curve up to the hand-over)", async () => {
    const dir = tempDir("extend-warmup");
    const first = await run(await tinyRun(dir, { steps: 8, warmup: 4 }), 2);
    const second = await run(await resumeOnly(dir, { steps: 12, extend: true }));
    expect(second.logs).toContainEqual("extend: the run's length goes from 8 to 12 steps at step 2; the warmup stays, then a cosine decay to 0 at step 12 (the same curve up to here)");
    const plain = cosineLr(LR, 4, 12);
    expect([...first.lrs, ...second.lrs]).toEqual(Array.from({ length: 12 }, (_, t) => plain(t)));
  });
});

describe("resume restores every option of the run", () => {
  it("evalEvery, checkpointEvery, valData, chunkSize and threads come back when not given", async () => {
    const dir = tempDir("restore");
    const options = { steps: 6, evalEvery: 2, checkpointEvery: 2, chunkSize: 4, valData: { kind: "openmoji" as const, split: "all" as const } };
    const first = await run(await tinyRun(dir, options), 2);
    const resumeOptions = await resumeOnly(dir);
    expect(resumeOptions).not.toHaveProperty("checkpointEvery");
    const second = await run(resumeOptions);
    expect(second.result.run).toMatchObject({ evalEvery: 2, checkpointEvery: 2, chunkSize: 4, valData: "openmoji:all", threads: 1, dataParallel: false, steps: 6 });
    expect(second.logs).toContainEqual(expect.stringMatching(/^resume: step 2 of 6; the run's settings \(evalEvery 2, checkpointEvery 2, threads 1, chunkSize 4, timeBudgetMinutes null, valData openmoji:all\) unless given again$/));
    const evals = readFileSync(second.result.evalLogPath, "utf8").trim().split("\n").map((line) => (JSON.parse(line) as { step: number }).step);
    expect(evals).toEqual([2, 4, 6]);
    expect(first.result.savedStep).toBe(2);
    // given again, an execution setting changes
    const third = await trainClip(await resumeOnly(dir, { steps: 7, extend: true, evalEvery: 0, checkpointEvery: 0 }));
    expect(third.run).toMatchObject({ evalEvery: 0, checkpointEvery: 0, chunkSize: 4 });
  });

  it("data held in memory must be given again", async () => {
    const dir = tempDir("restore-data");
    await run(await tinyRun(dir, { steps: 2 }));
    const o = await resumeOnly(dir) as unknown as Record<string, unknown>;
    delete o["data"];
    await expect(trainClip(o as unknown as TrainClipOptions)).rejects.toThrow(/resume: .* trained on OpenMoji all \(8 emojis at 16px\), which its train_state\.json cannot load again \(data held in memory, or a run older than this Duet\): give the data again/);
  });

  it("duet train --resume without --data, --val-data, --eval-every: the run's own", async () => {
    const work = cliWorkspace("restore-cli");
    const config = work.write("tiny.json", TINY_MODEL_JSON);
    const out = join(work.dir, "run");
    const first = await duet("train", "--data", work.pairs, "--val-data", work.pairs, "--eval-every", "1", "--checkpoint-every", "1", "--model", config, "--out", out, "--steps", "2", "--warmup", "0", "--batch-size", "3", "--threads", "1", "--json");
    expect(first.code, first.stderr.join("\n")).toBe(0);
    const resumed = await duet("train", "--resume", out, "--out", out, "--steps", "4", "--extend", "--json");
    expect(resumed.code, resumed.stderr.join("\n")).toBe(0);
    const summary = resumed.json<{ steps: number; run: Record<string, unknown> }>();
    expect(summary.steps).toBe(4);
    expect(summary.run).toMatchObject({ data: first.json<{ run: { data: string } }>().run.data, valData: work.pairs, evalEvery: 1, checkpointEvery: 1, threads: 1 });
    const evals = readFileSync(join(out, "eval_log.jsonl"), "utf8").trim().split("\n").map((line) => (JSON.parse(line) as { step: number }).step);
    expect(evals).toEqual([1, 2, 3, 4]);
  });
});
