/**
 * trainClip with the CLI around it, shared by `duet train` and `duet demo`: the run folder
 * claimed (claimRunDir), a progress bar of the steps (epoch, loss, lr, logit scale, samples/s,
 * ETA), the trainer's log lines and evaluations on stderr, and interrupts handled so that no
 * work is lost. The steps and evaluations are kept for the report.
 *
 * Interrupts (Interrupts below):
 *   a first SIGINT or SIGTERM   the run stops after the current step and saves; the command
 *                               then exits 130 (SIGINT) or 143 (SIGTERM), saying where it saved
 *   the same again at once      (within SAME_INTERRUPT_MS) is that interrupt seen twice: ignored
 *   another one later           quits at once, without saving (exit 130 / 143)
 *
 * Why a repeat is ignored: Ctrl-C sends SIGINT to every process of the terminal's foreground
 * group, and a parent that relays it (npm run does) delivers it to Duet a second time
 * milliseconds later — in the same tick when a training step holds the event loop.
 * Why `pnpm duet` runs `node packages/vlm/bin/duet.mjs` and not `tsx …/main.ts` (package.json):
 * tsx's CLI is a parent process that relays the signal to its child and, when the child does
 * not acknowledge it within 30 ms (it cannot while a step computes), sends it again and then
 * SIGKILLs it — the run died without saving. pnpm 12 itself forwards nothing (the terminal
 * already signalled the group), waits for its script and exits with the script's code
 * (printing "[ELIFECYCLE] Command failed." for a non-zero one). bin/duet.mjs loads tsx in-process.
 */

import { existsSync, readdirSync, rmSync } from "node:fs";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { trainClip, type EvalRecord, type StepRecord, type TrainClipOptions, type TrainResult } from "../train/index.js";
import { UsageError } from "./args.js";
import type { Io } from "./io.js";
import { claimOutDir } from "./out-dir.js";
import { progressFor, startProgress, type Progress } from "./progress.js";

export type StopSignal = "SIGINT" | "SIGTERM";

export interface TrainingRun {
  result: TrainResult;
  steps: StepRecord[];
  evals: EvalRecord[];
  /** The signal that stopped the run, or null. */
  interrupted: StopSignal | null;
}

/** A signal repeated within this many milliseconds of the first is the same interrupt (see the file comment). */
export const SAME_INTERRUPT_MS = 1000;

/** The shell's exit status for a command stopped by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitCodeOf(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** The interrupt policy of the file comment, with its clock and its way out injectable for tests. */
export class Interrupts {
  readonly controller = new AbortController();
  private first: { signal: StopSignal; at: number } | null = null;

  constructor(
    private readonly say: (line: string) => void,
    private readonly quit: (code: number) => void = (code) => process.exit(code),
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The signal that stopped the run, or null. */
  get signal(): StopSignal | null {
    return this.first?.signal ?? null;
  }

  receive(signal: StopSignal): void {
    const at = this.now();
    if (this.first === null) {
      this.first = { signal, at };
      const again = signal === "SIGINT" ? "Ctrl-C" : "SIGTERM";
      this.say(`${signal === "SIGINT" ? "interrupted (Ctrl-C)" : "SIGTERM"}: stopping after this step and saving a checkpoint (${again} again to quit now, without saving)`);
      this.controller.abort();
      return;
    }
    if (at - this.first.at < SAME_INTERRUPT_MS) return;
    this.say(`${signal} again: quitting now, without saving`);
    this.quit(exitCodeOf(signal));
  }

  /** Listens for SIGINT and SIGTERM; returns the function that stops listening. */
  listen(): () => void {
    return listenForStops((signal) => this.receive(signal));
  }
}

/** Sends SIGINT and SIGTERM to `receive` instead of Node's default exit; returns the function that stops listening. */
export function listenForStops(receive: (signal: StopSignal) => void): () => void {
  const onInt = () => receive("SIGINT");
  const onTerm = () => receive("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}

/** What Duet writes in a run folder: what --overwrite removes (and nothing else). */
export const RUN_FILES = ["checkpoint", "train_log.jsonl", "eval_log.jsonl", "report.html", "metrics.json", "split.json"];

/** Removes a run's own files (RUN_FILES, and what interrupted saves of its checkpoint left); returns their names. */
export function clearRun(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!RUN_FILES.includes(name) && !name.startsWith(".checkpoint.")) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Claims `--out DIR` for a run (out-dir.ts): a new or empty folder, or a run folder Duet wrote,
 * which must be the one `--resume` continues, or is cleared with `--overwrite`. A folder of other
 * files is refused and left as it was.
 */
export function claimRunDir(command: string, out: string, how: { resume?: string; overwrite?: boolean }, io: Io): void {
  if (how.resume !== undefined && how.overwrite === true) throw new UsageError(`duet ${command}: give --resume (continue the run) or --overwrite (replace it), not both`);
  const claimed = claimOutDir(command, "out", out, "run");
  // a run that failed before writing anything left only the marker: nothing to keep
  if (claimed.fresh || !RUN_FILES.some((name) => existsSync(join(out, name)))) return;
  if (how.overwrite === true) {
    const removed = clearRun(out);
    if (removed.length > 0) io.err(`--overwrite: removed the previous run's ${removed.join(", ")} from ${out}`);
    return;
  }
  const target = resolve(out);
  if (how.resume !== undefined && (resolve(how.resume) === target || resolve(how.resume) === join(target, "checkpoint"))) return;
  const keep = command === "train" ? `continue it with --resume ${out} or give a new folder` : "give a new folder";
  throw new UsageError(`duet ${command}: --out ${out} holds a run already; nothing was changed. To keep it, ${keep}; to replace it, add --overwrite`);
}

/** The line saying where an interrupted run saved (or that nothing was saved). */
export function describeInterrupt(run: TrainingRun, resumeHint: string | null): string {
  const { result } = run;
  const saved = result.savedStep !== null && existsSync(result.checkpointDir)
    ? `the checkpoint of step ${result.savedStep} is in ${result.checkpointDir}${resumeHint === null ? "" : `; continue with ${resumeHint}`}`
    : "no checkpoint was written";
  return `stopped by ${run.interrupted} after step ${result.steps}: ${saved}`;
}

export async function trainWithProgress(options: Omit<TrainClipOptions, "signal">, io: Io, quiet = false): Promise<TrainingRun> {
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  let progress: Progress | undefined;
  const interrupts = new Interrupts((line) => (progress?.log ?? io.err)(line));
  const stopListening = interrupts.listen();
  try {
    const result = await trainClip(
      { ...options, signal: interrupts.controller.signal },
      {
        onStep(record) {
          steps.push(record);
          progress ??= startProgress(io, "training", record.total_steps, { fields: ["epoch", "loss", "lr", "scale", "speed"], silent: quiet, everySeconds: 15, initial: record.step - 1 });
          progress.update(record.step, {
            epoch: record.epoch.toFixed(2),
            loss: record.loss.toFixed(3),
            lr: record.lr.toExponential(1),
            scale: record.logit_scale.toFixed(1),
            speed: `${record.samples_per_s.toFixed(0)} samples/s`,
          });
          if (record.step === record.total_steps) progress.stop(); // before the trainer's closing lines
        },
        onEval(record) {
          evals.push(record);
        },
        onLog(line, level) {
          if (quiet && level === "info") return;
          (progress?.log ?? io.err)(level === "warn" ? `warning: ${line}` : line);
        },
        onProgress: quiet ? undefined : progressFor(io),
      },
    );
    return { result, steps, evals, interrupted: result.stoppedBy === "signal" ? interrupts.signal : null };
  } finally {
    progress?.stop();
    stopListening();
  }
}
