/**
 * `pnpm bench:train`: one training step (forward, backward, gradient clipping, AdamW) of the
 * "reference" preset (the anchor model the speed target is set on) and the "demo" preset, timed as
 * `pnpm bench` times kernels — warm-up, then rounds that visit every configuration in turn,
 * so a noisy neighbour slows them all alike.
 *
 * Configurations: Duet on 2 threads data-parallel (the trainer's default), on 2 threads with
 * the kernels split, and on 1 thread; with --torch, PyTorch (open_clip's CLIP) on 2 threads
 * and 1. Each runs in its own process for the whole benchmark (bench/train-child.ts,
 * bench/train_step_torch.py), idle while the others run, so its peak RSS is its own and its
 * JIT stays warm between rounds. Each times the trainer's step code on a synthetic batch of
 * the model's shapes (see train-child.ts for what is and is not in a step).
 *
 * Writes bench/results/train.json (records, the machine, the settings) and the tables in
 * bench/README.md; prints them. The reference rows are also set against the anchor figures
 * the speed target was set with (PyTorch 0.50 s/step, tfjs-cpu 280 s/step, target ≤ 6 s),
 * labelled as not this run's. See --help.
 */

import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { presetModel } from "./preset-model.js";
import { machineInfo, measuredLine, replaceMarkedBlock, writeAtomic } from "./report.js";
import {
  DEFAULT_STEPS, DEFAULT_WARMUP, DUET_CONFIGS, ISSUE_ANCHORS, TORCH_CONFIGS, USAGE, UsageError, parseTrainBenchArgs,
  type BenchConfig, type BenchModel, type StepProcessSpec, type TrainBenchOptions, type TrainBenchRecord,
} from "./train-options.js";
import { renderAnchorTable, renderTrainTable, toRecord, type StepTimes } from "./train-report.js";

const here = dirname(fileURLToPath(import.meta.url));
const SEED = 0;
const DATA = "synthetic batches of the model's shapes (images from N(0,1), token rows of random lengths); no data loading timed";

/** The parent's side of one configuration's process: JSON lines out, JSON lines back. */
class StepProcess {
  private readonly replies: Record<string, unknown>[] = [];
  private waiting: { resolve: (reply: Record<string, unknown>) => void; reject: (error: Error) => void } | null = null;
  private exited: Error | null = null;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
  ) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(`${label}: ${line}\n`); // not ours: a library's stray output
        return;
      }
      if (this.waiting) {
        this.waiting.resolve(reply);
        this.waiting = null;
      } else this.replies.push(reply);
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`bench:train: the ${label} process exited (${signal ?? `code ${code}`})`);
      this.waiting?.reject(this.exited);
      this.waiting = null;
    });
  }

  static async start(label: string, command: string, args: string[]): Promise<{ process: StepProcess; parameters: number }> {
    const p = new StepProcess(label, spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] }));
    const ready = await p.reply();
    return { process: p, parameters: ready["parameters"] as number };
  }

  private reply(): Promise<Record<string, unknown>> {
    const queued = this.replies.shift();
    const got = queued !== undefined ? Promise.resolve(queued) : this.exited ? Promise.reject(this.exited) : new Promise<Record<string, unknown>>((resolve, reject) => (this.waiting = { resolve, reject }));
    return got.then((r) => {
      if (typeof r["error"] === "string") throw new Error(`bench:train: ${this.label}: ${r["error"]}`);
      return r;
    });
  }

  async run(steps: number): Promise<StepTimes> {
    this.child.stdin.write(JSON.stringify({ run: steps }) + "\n");
    const r = await this.reply();
    return { ms: r["ms"] as number[], cpu_ms: r["cpu_ms"] as number[] };
  }

  /** Ends the process; resolves to its peak RSS in MiB. */
  async finish(): Promise<number> {
    this.child.stdin.end(JSON.stringify({ exit: true }) + "\n");
    return (await this.reply())["peak_rss_mb"] as number;
  }

  kill(): void {
    if (this.exited === null) this.child.kill();
  }
}

/**
 * The Python of --torch ($DUET_PYTHON or python3), its version and its torch version; exits 2
 * when it has no torch. The results record the versions, not the path, which is this machine's.
 */
function findTorch(): { python: string; pythonVersion: string; version: string } {
  const python = process.env["DUET_PYTHON"] || "python3";
  const probe = spawnSync(python, ["-c", "import sys, torch; print(torch.__version__); print(sys.version.split()[0])"], { encoding: "utf8" });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split("\n").pop() ?? `exit ${probe.status}`;
    console.error(`bench:train: --torch needs a Python with torch (set DUET_PYTHON): ${python}: ${why}`);
    process.exit(2);
  }
  const [version = "", pythonVersion = ""] = probe.stdout.trim().split("\n");
  return { python, pythonVersion, version };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function configLabel(model: BenchModel, c: BenchConfig): string {
  return `${model} ${c.impl} ${c.mode}${c.threads > 1 ? ` ${c.threads}T` : ""}`;
}

async function benchModel(model: BenchModel, o: TrainBenchOptions, python: string | null, say: (line: string) => void) {
  const m = await presetModel(model);
  const configs = [...DUET_CONFIGS, ...(python === null ? [] : TORCH_CONFIGS)];
  const steps = o.steps ?? DEFAULT_STEPS[model];
  const warmup = o.warmup ?? DEFAULT_WARMUP[model];
  const text = m.json["text_cfg"] as { context_length: number };
  const processes: StepProcess[] = [];
  try {
    const counts = new Map<string, number>();
    for (const config of configs) {
      const spec: StepProcessSpec = { model, config, modelConfig: m.json, batch: m.batch, lr: m.lr, weightDecay: m.weightDecay, gradClipNorm: m.gradClipNorm, seed: SEED };
      const args = config.impl === "duet" ? [...process.execArgv, join(here, "train-child.ts"), JSON.stringify(spec)] : [join(here, "train_step_torch.py"), JSON.stringify(spec)];
      const started = await StepProcess.start(configLabel(model, config), config.impl === "duet" ? process.execPath : python!, args);
      processes.push(started.process);
      counts.set(config.impl, started.parameters);
    }
    const parameters = counts.get("duet")!;
    say(`${model}: ${m.description}; text context ${text.context_length}; ${(parameters / 1e6).toFixed(2)}M parameters; batch ${m.batch}`);
    if (counts.has("pytorch") && counts.get("pytorch") !== parameters) say(`  warning: PyTorch's model has ${counts.get("pytorch")} parameters, Duet's ${parameters}: not the same model`);
    const times: StepTimes[] = configs.map(() => ({ ms: [], cpu_ms: [] }));
    let roundMs = 0;
    for (const [i, p] of processes.entries()) {
      if (warmup === 0) continue;
      const w = await p.run(warmup);
      roundMs += w.ms.at(-1)! * steps;
      say(`  warm-up ${p.label}: ${w.ms.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s`);
      if (i === processes.length - 1) say(`  ${plural(o.rounds, "round")} of ${plural(steps, "step")} each: about ${((roundMs * o.rounds) / 60_000).toFixed(1)} min`);
    }
    for (let r = 0; r < o.rounds; r++) {
      // rotate the first configuration each round, so none always runs right after the same neighbour
      for (let k = 0; k < configs.length; k++) {
        const i = (k + r) % configs.length;
        const t = await processes[i]!.run(steps);
        times[i]!.ms.push(...t.ms);
        times[i]!.cpu_ms.push(...t.cpu_ms);
      }
      say(`  round ${r + 1}/${o.rounds} done (load ${loadavg()[0]!.toFixed(2)})`);
    }
    const records: TrainBenchRecord[] = [];
    for (const [i, p] of processes.entries()) records.push(toRecord(model, configs[i]!, m.batch, times[i]!, await p.finish()));
    return { records, summary: { description: m.description, parameters, batch: m.batch, context_length: text.context_length, steps_per_round: steps, warmup_steps: warmup } };
  } finally {
    for (const p of processes) p.kill();
  }
}

async function main(): Promise<void> {
  let o: TrainBenchOptions;
  try {
    o = parseTrainBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench:train: ${error.message}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(USAGE);
    return;
  }
  const torch = o.torch ? findTorch() : null;
  const say = o.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const machine = machineInfo();
  say(`Duet training-step benchmark: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.load_average.join(" ")}; ${plural(o.rounds, "round")}${torch ? `; PyTorch ${torch.version}` : ""}`);
  if (machine.load_average[0]! >= machine.cores / 2) {
    say(
      `  the machine is busy (load ${machine.load_average[0]} on ${machine.cores} cores): every time is inflated, the 2-thread ones most` +
        `${torch && !process.env["OMP_WAIT_POLICY"] ? ", and PyTorch's 2-thread ones many times over (OpenMP threads spin-wait for a descheduled sibling; OMP_WAIT_POLICY=PASSIVE avoids it)" : ""}`,
    );
  }

  const records: TrainBenchRecord[] = [];
  const models: Record<string, unknown> = {};
  for (const model of o.models) {
    const result = await benchModel(model, o, torch?.python ?? null, say);
    records.push(...result.records);
    models[model] = result.summary;
  }

  const settings = { rounds: o.rounds, models, data: DATA, ...(torch ? { pytorch: torch.version, python: torch.pythonVersion, omp_wait_policy: process.env["OMP_WAIT_POLICY"] ?? null } : {}) };
  const result = { machine: { ...machine, load_average_end: loadavg().map((l) => Number(l.toFixed(2))) }, settings, issue_anchors: ISSUE_ANCHORS, records };
  const tables = [renderTrainTable(records), renderAnchorTable(records)].filter((t) => t !== "").join("\n\n");
  if (o.json) console.log(JSON.stringify(result, null, 2));
  else console.log(`\n${tables}`);
  if (!o.write) return;
  mkdirSync(join(here, "results"), { recursive: true });
  writeAtomic(join(here, "results", "train.json"), JSON.stringify(result, null, 2) + "\n");
  const detail = `${plural(o.rounds, "round")}, load ${machine.load_average[0]} at the start and ${result.machine.load_average_end[0]} at the end${torch ? `, PyTorch ${torch.version}` : ""}`;
  const placed = replaceMarkedBlock(join(here, "README.md"), "bench-train", `${measuredLine(machine, detail)}\n\n${tables}`);
  say(`\nwrote bench/results/train.json${placed ? ", bench/README.md" : " (bench/README.md has no bench-train markers)"}`);
}

try {
  await main();
} catch (error) {
  // a configuration's process failed: its own stderr came first; one line here, no stack
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
