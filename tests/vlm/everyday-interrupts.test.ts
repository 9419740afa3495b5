/**
 * Interrupts (cli/training.ts): one SIGINT — however many processes of the group see it — or
 * SIGTERM finishes the step, saves and exits 130 / 143 with a line saying where; a second
 * SIGINT later quits at once. Before, Ctrl-C under `pnpm duet train` saved nothing: the script
 * ran through tsx's CLI, which relays the signal to its child, sends it again when the child
 * does not answer within 30 ms (a step takes longer) and then SIGKILLs it; and SIGTERM exited
 * 143 without saving. `pnpm duet` now execs node on bin/duet.mjs: pnpm 12 forwards a signal to
 * its direct child and waits for it (through `sh -c`, the shell died on SIGTERM and orphaned
 * the trainer unsignalled).
 *
 * The runs are real processes, spawned detached so each test owns their process group, and
 * signalled as a terminal (the whole group) or as `timeout` does (the first process only).
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TrainAbortedError, trainClip } from "../../packages/vlm/src/index.js";
import { describeInterrupt, exitCodeOf, Interrupts, SAME_INTERRUPT_MS, type TrainingRun } from "../../packages/vlm/src/cli/training.js";
import { loadCheckpoint } from "../../packages/vlm/src/model/index.js";
import { full } from "../../packages/tensor/src/index.js";
import { cliWorkspace } from "./cli-helpers.js";
import { handfulOfOpenMoji, tempDir, tinyRun } from "./train-helpers.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

describe("the interrupt policy", () => {
  it("a first signal aborts; the same again within SAME_INTERRUPT_MS is that one seen twice; a later one quits at once", () => {
    let now = 1000;
    const said: string[] = [];
    const quits: number[] = [];
    const interrupts = new Interrupts((line) => said.push(line), (code) => quits.push(code), () => now);
    expect(interrupts.signal).toBeNull();
    interrupts.receive("SIGINT");
    expect(interrupts.controller.signal.aborted).toBe(true);
    expect(interrupts.signal).toBe("SIGINT");
    expect(said).toEqual(["interrupted (Ctrl-C): stopping after this step and saving a checkpoint (Ctrl-C again to quit now, without saving)"]);
    now += 5; // the terminal's SIGINT and a parent's relay of it
    interrupts.receive("SIGINT");
    now += SAME_INTERRUPT_MS - 10;
    interrupts.receive("SIGINT");
    expect(quits).toEqual([]);
    now += 10;
    interrupts.receive("SIGINT");
    expect(quits).toEqual([130]);
    expect(said.at(-1)).toBe("SIGINT again: quitting now, without saving");
  });

  it("SIGTERM stops the same way, exit 143", () => {
    const quits: number[] = [];
    let now = 0;
    const interrupts = new Interrupts(() => undefined, (code) => quits.push(code), () => now);
    interrupts.receive("SIGTERM");
    expect(interrupts.signal).toBe("SIGTERM");
    now = 5000;
    interrupts.receive("SIGTERM");
    expect(quits).toEqual([143]);
    expect([exitCodeOf("SIGINT"), exitCodeOf("SIGTERM")]).toEqual([130, 143]);
  });

  it("never says a checkpoint is somewhere when none was written", async () => {
    const line = describeInterrupt({ interrupted: "SIGINT", result: { savedStep: null, steps: 0, checkpointDir: "/nowhere/checkpoint" } } as unknown as TrainingRun, "duet train --resume x");
    expect(line).toBe("stopped by SIGINT after step 0: no checkpoint was written");
    // a run that diverges before its first checkpoint
    const openMoji = await handfulOfOpenMoji();
    const pairs = openMoji.items.map((item, i) => ({ image: i === 0 ? full(openMoji.imageTensor(0).shape, Number.NaN) : openMoji.imageTensor(i), caption: item.annotation }));
    const run = trainClip(await tinyRun(tempDir("diverged"), { data: { kind: "pairs", pairs }, nanPatience: 2, steps: 5 }));
    await expect(run).rejects.toThrow(TrainAbortedError);
    await expect(run).rejects.toThrow(/training stopped\. No checkpoint was written;/);
    await expect(run).rejects.not.toThrow(/last good checkpoint/);
  });
});

// --- real processes -------------------------------------------------------------------------

const work = cliWorkspace("interrupts");
// a step of about 0.1 s: longer than the 30 ms tsx's CLI waited before signalling again
const config = work.write("model.json", JSON.stringify({
  embed_dim: 32,
  vision_cfg: { image_size: 32, patch_size: 4, width: 96, layers: 2, head_width: 32 },
  text_cfg: { context_length: 12, vocab_size: 600, width: 96, heads: 3, layers: 2 },
  duet: { tokenizer: "tokenizer.json" },
}));

/**
 * pnpm on the PATH, else the pinned one npx has installed (never downloaded here), run directly:
 * npm exec would be one more process in the group, with its own way with signals.
 */
function findPnpm(): string[] | null {
  if (spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0) return ["pnpm"];
  const found = spawnSync("npx", ["--no", "-p", "pnpm@12.4.2", "-c", "command -v pnpm"], { encoding: "utf8", timeout: 60_000 });
  const path = found.status === 0 ? found.stdout.trim() : "";
  return path !== "" && existsSync(path) ? [path] : null;
}
const pnpm = findPnpm();
const bin = join(REPO, "node_modules", ".bin", "duet");

interface Outcome {
  code: number;
  stderr: string;
  out: string;
}

async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `duet train` through `launcher` in a process group of its own, waits for its first
 * logged step, sends `signal` to the whole group (as a terminal does) or to the first process
 * only (as `timeout` does), and waits for the exit.
 */
async function interruptTraining(name: string, launcher: string[], signal: "SIGINT" | "SIGTERM", target: "group" | "first"): Promise<Outcome> {
  const out = join(work.dir, name);
  const argv = [...launcher, "train", "--data", work.pairs, "--model", config, "--out", out, "--steps", "100000", "--warmup", "0", "--batch-size", "4", "--threads", "1", "--checkpoint-every", "0"];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close": the launcher has exited and every process holding its output too (npx, when it is the
  // launcher, may exit before the trainer it started has finished saving)
  const exited = new Promise<number>((done) => child.on("close", (code, sig) => done(code ?? 128 + (sig === "SIGKILL" ? 9 : sig === "SIGTERM" ? 15 : 2))));
  const log = join(out, "train_log.jsonl");
  try {
    await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes("\n"), 120_000, `the first step of ${name}`);
    process.kill(target === "group" ? -child.pid! : child.pid!, signal);
    const code = await Promise.race([exited, new Promise<number>((_, fail) => setTimeout(() => fail(new Error(`${name} did not exit within 60 s`)), 60_000))]);
    return { code, stderr, out };
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL"); // whatever is left of the group
    } catch {
      // gone already
    }
  }
}

function expectSaved(outcome: Outcome, signal: "SIGINT" | "SIGTERM"): void {
  const match = new RegExp(`stopped by ${signal} after step (\\d+): the checkpoint of step (\\d+) is in (\\S+); continue with duet train --resume`).exec(outcome.stderr);
  expect(match, outcome.stderr).not.toBeNull();
  expect(match![1]).toBe(match![2]);
  const state = JSON.parse(readFileSync(join(outcome.out, "checkpoint", "train_state.json"), "utf8")) as { step: number };
  expect(state.step).toBe(Number(match![1]));
  expect(loadCheckpoint(join(outcome.out, "checkpoint")).config.embed_dim).toBe(32);
}

describe("interrupting duet train", () => {
  it("node_modules/.bin/duet: SIGINT to the group saves and exits 130", async () => {
    const outcome = await interruptTraining("bin-int", [bin], "SIGINT", "group");
    expect(outcome.code, outcome.stderr).toBe(130);
    expectSaved(outcome, "SIGINT");
  }, 180_000);

  it("node_modules/.bin/duet: SIGTERM saves and exits 143", async () => {
    const outcome = await interruptTraining("bin-term", [bin], "SIGTERM", "first");
    expect(outcome.code, outcome.stderr).toBe(143);
    expectSaved(outcome, "SIGTERM");
  }, 180_000);

  it.skipIf(pnpm === null)(`pnpm duet: SIGINT to the group (Ctrl-C in a terminal) saves and exits 130${pnpm === null ? " (skipped: no pnpm on the PATH and pnpm@12.4.2 not installed for npx)" : ""}`, async () => {
    const outcome = await interruptTraining("pnpm-int", [...pnpm!, "duet"], "SIGINT", "group");
    expect(outcome.code, outcome.stderr).toBe(130);
    expectSaved(outcome, "SIGINT");
  }, 180_000);

  it.skipIf(pnpm === null)(`pnpm duet: SIGTERM to the group saves and exits 143${pnpm === null ? " (skipped: no pnpm)" : ""}`, async () => {
    const outcome = await interruptTraining("pnpm-term", [...pnpm!, "duet"], "SIGTERM", "group");
    expect(outcome.code, outcome.stderr).toBe(143);
    expectSaved(outcome, "SIGTERM");
  }, 180_000);

  it.skipIf(pnpm === null)(`pnpm duet: SIGTERM to pnpm alone (timeout, docker stop) saves and exits 143${pnpm === null ? " (skipped: no pnpm)" : ""}`, async () => {
    const outcome = await interruptTraining("pnpm-term-first", [...pnpm!, "duet"], "SIGTERM", "first");
    expect(outcome.code, outcome.stderr).toBe(143);
    expectSaved(outcome, "SIGTERM");
  }, 180_000);
});
