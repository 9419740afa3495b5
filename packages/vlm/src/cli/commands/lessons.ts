/**
 * `duet lessons [NAME...]`: the overview's claims as controlled experiments (lessons/). The
 * plan is printed first (runs, cached ones, the estimated time, what a --minutes budget
 * changed); then each run trains and is cached as it finishes; then DIR/lessons.json, a plot
 * per lesson and DIR/index.html are written, and each verdict printed.
 *
 * Interrupts: a first Ctrl-C (or SIGTERM) lets the run in progress finish and be cached, then
 * stops; the outputs are written with what is done (missing runs make a verdict
 * "incomplete") and the command exits 130 (143). A second one, later than SAME_INTERRUPT_MS,
 * stops the run in progress after its current step and discards it. Running the same command
 * again continues where it stopped.
 */

import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { LESSONS, isBuilt, selectLessons } from "../../lessons/catalog.js";
import { listCachedRuns, runPath } from "../../lessons/cache.js";
import { formatDuration, makePlan } from "../../lessons/plan.js";
import { emojiRunner } from "../../lessons/run.js";
import { runPlan } from "../../lessons/runner.js";
import { LESSONS_FILE, PAGE_FILE, writeOutputs } from "../../lessons/output.js";
import type { ExecuteRun } from "../../lessons/run.js";
import { LessonRequestError, type LessonRun } from "../../lessons/types.js";
import { DEFAULT_DATA_PARALLEL } from "../../train/options.js";
import { numberIn, parseOrHelp, positiveInt, stringFlag, UsageError, type Command } from "../args.js";
import type { Io } from "../io.js";
import { claimOutDir } from "../out-dir.js";
import { startProgress } from "../progress.js";
import { exitCodeOf, listenForStops, SAME_INTERRUPT_MS, type StopSignal } from "../training.js";

const USAGE = `usage: duet lessons [NAME...] [--out DIR] [--seeds N] [--quick] [--minutes M] [--threads N] [--list] [--json]

Runs claims of the VLM overview as small controlled experiments on the emojis: each lesson
changes one thing and holds the rest (data, samples seen, schedule), trains every point with
several seeds, and computes its verdict from the numbers — the claim holds, holds partly, or
does not hold at this scale, and why. With no NAME, every lesson that is built:
${LESSONS.map((l) => `  ${l.name.padEnd(16)}${isBuilt(l) ? "" : "(not built yet) "}${l.claim}`).join("\n")}

Writes
  DIR/lessons.json    {"lessons": [{"name", "claim", "verdict": {"status", "reason"}, "points",
                      "runs": [every run with its config, seed and metrics]}]}
  DIR/<name>.svg      each lesson's plot: mean ± sd over the seeds at every point
  DIR/index.html      one self-contained page: each claim, its plot and its verdict
  DIR/runs/<hash>.json  every finished run, named by the hash of its config: a run already
                      there is not run again, so an interrupted call resumes where it stopped

  --out DIR           where to write (default runs/lessons); an earlier lessons folder is
                      continued, its lessons not run now are kept on the page
  --seeds N           seeds per point (default 3; 1 with --quick)
  --quick             a smoke run: the fewest points of each lesson, 1/32 of the samples,
                      the first 800 emojis of each style, 1 seed: about three minutes,
                      not hours; its verdicts are not measurements
  --minutes M         fit the runs still to do into about M minutes: first fewer samples per
                      run (down to 1/4), then the fewest points (samples down to 1/8); what
                      changed is printed before the first run, and a budget too small even
                      for that is refused with the minutes it needs
  --threads N         threads per run (default: all cores, data-parallel)
  --list              print the lessons and their claims, run nothing
  --json              print {"out", "lessons": [{"name", "verdict"}], "runs"} on stdout

Ctrl-C (or SIGTERM) lets the run in progress finish and be cached, writes the outputs with
what is done and exits 130 (143); a second Ctrl-C stops that run too (it is not kept).`;

/** First: stop after the run in progress; again, later: stop that run too (see the file comment). */
class LessonInterrupts {
  readonly controller = new AbortController();
  first: { signal: StopSignal; at: number } | null = null;

  constructor(private readonly say: (line: string) => void) {}

  receive(signal: StopSignal): void {
    const now = Date.now();
    if (this.first === null) {
      this.first = { signal, at: now };
      this.say(`${signal === "SIGINT" ? "interrupted (Ctrl-C)" : "SIGTERM"}: stopping after the run in progress (it is kept); ${signal === "SIGINT" ? "Ctrl-C" : "SIGTERM"} again to stop it now, without keeping it`);
    } else if (now - this.first.at >= SAME_INTERRUPT_MS && !this.controller.signal.aborted) {
      this.say(`${signal} again: stopping the run in progress after its current step; it will not be kept`);
      this.controller.abort();
    }
  }

  listen(): () => void {
    return listenForStops((signal) => this.receive(signal));
  }
}

/** The line of a finished run: its point, seed, the lesson's first plotted metric, its time. */
function describeRun(run: LessonRun, done: number, total: number): string {
  const lesson = LESSONS.find((l) => l.name === run.lesson)!;
  const shown = lesson.plot.panels.slice(0, 2).map((panel) => {
    const v = run.metrics[panel.metric];
    return `${panel.metric.replace(/^openmoji:test /, "")} ${typeof v === "number" ? (panel.percent ? `${(100 * v).toFixed(1)}%` : v.toFixed(3)) : "n/a"}`;
  });
  return `[${done}/${total}] ${run.lesson}: ${run.point}, seed ${run.seed}${run.stopped === "diverged" ? " (diverged)" : ""}: ${shown.join(", ")} (${run.steps} steps, ${formatDuration(run.seconds)})`;
}

export interface LessonsCommandOptions {
  /** The trainer (tests inject a fake); default: the real one (lessons/run.ts). */
  execute?: ExecuteRun;
}

/** The command with its trainer injectable (for tests of the plan, cache and outputs without training). */
export function lessonsCommandWith(options: LessonsCommandOptions = {}): Command {
  return {
    summary: "run the overview's claims as controlled experiments, with plots and verdicts",
    usage: USAGE,
    async run(args, io) {
      const parsed = parseOrHelp(
        "lessons",
        USAGE,
        args,
        io,
        {
          out: { type: "string" },
          seeds: { type: "string" },
          quick: { type: "boolean" },
          minutes: { type: "string" },
          threads: { type: "string" },
          list: { type: "boolean" },
          json: { type: "boolean" },
          // for smoke runs and tests, not in the usage: the first N emojis of each style, and the samples seen per run
          limit: { type: "string" },
          samples: { type: "string" },
        },
        true,
      );
      if (parsed === undefined) return 0;
      const { values, positionals } = parsed;
      const json = values["json"] === true;
      if (values["list"]) return list(io, json);
      const lessons = asUsageError(() => selectLessons(positionals));
      const out = stringFlag(values, "out") ?? "runs/lessons";
      const seeds = positiveInt("lessons", "seeds", values["seeds"]);
      const minutes = numberIn("lessons", "minutes", values["minutes"], Number.MIN_VALUE) ?? null;
      const threads = positiveInt("lessons", "threads", values["threads"]) ?? availableParallelism();
      const limit = positiveInt("lessons", "limit", values["limit"]) ?? null;
      const samples = positiveInt("lessons", "samples", values["samples"]) ?? null;
      claimOutDir("lessons", "out", out, "lessons");

      const plan = asUsageError(() => makePlan(
        lessons,
        { seeds, quick: values["quick"] === true, minutes, limit, samples, threads, dataParallel: threads > 1 && DEFAULT_DATA_PARALLEL },
        (hash) => existsSync(runPath(out, hash)),
        listCachedRuns(out),
      ));
      if (positionals.length === 0 && LESSONS.some((l) => !isBuilt(l))) io.err(`not built yet, so not run: ${LESSONS.filter((l) => !isBuilt(l)).map((l) => l.name).join(", ")}`);
      for (const note of plan.notes) io.err(note);

      const total = plan.lessons.reduce((a, p) => a + p.configs.length, 0);
      const progress = startProgress(io, "lessons", total, { everySeconds: 60 });
      const interrupts = new LessonInterrupts((line) => progress.log(line));
      const stopListening = interrupts.listen();
      let result;
      try {
        result = await runPlan(plan, {
          dir: out,
          execute: options.execute ?? emojiRunner(),
          shouldStop: () => interrupts.first !== null,
          signal: interrupts.controller.signal,
          log: (line) => progress.log(line),
          onStart: (config, done, all) => progress.log(`[${done + 1}/${all}] ${config.lesson}: ${config.point}, seed ${config.seed}: ${config.training.steps} steps of batch ${config.training.batchSize}…`),
          onRun: (run, done, all, cached) => {
            if (!cached) progress.log(describeRun(run, done, all));
            progress.update(done);
          },
        });
      } finally {
        progress.stop();
        stopListening();
      }
      const entries = writeOutputs(out, plan.lessons, result.runs, plan.seeds, plan.notes);
      const written = entries.filter((e) => plan.lessons.some((p) => p.lesson.name === e.name));
      if (json) {
        io.out(JSON.stringify({ out, lessons: written.map((e) => ({ name: e.name, verdict: e.verdict })), runs: { trained: result.trained, cached: result.cached, left: result.left } }));
      } else {
        for (const e of written) io.out(`${e.name}: ${e.verdict.status}. ${e.verdict.reason}`);
        io.out(`wrote ${join(out, PAGE_FILE)}, ${join(out, LESSONS_FILE)} and ${written.length} plot${written.length === 1 ? "" : "s"} (${result.trained} runs trained now, ${result.cached} cached)`);
      }
      if (interrupts.first !== null) {
        io.err(`stopped by ${interrupts.first.signal}: ${result.left} run${result.left === 1 ? "" : "s"} left; the finished ones are cached in ${join(out, "runs")}: run the same command again to continue`);
        return exitCodeOf(interrupts.first.signal);
      }
      return 0;
    },
  };
}

function list(io: Io, json: boolean): number {
  if (json) io.out(JSON.stringify({ lessons: LESSONS.map((l) => ({ name: l.name, built: isBuilt(l), claim: l.claim, changes: l.changes, holds: l.holds })) }));
  else for (const l of LESSONS) io.out(`${l.name}${isBuilt(l) ? "" : " (not built yet)"}: ${l.claim}\n  changes ${l.changes}\n  holds ${l.holds}`);
  return 0;
}

export const lessonsCommand: Command = lessonsCommandWith();

/** `fn`'s result; a request the lessons cannot serve becomes a usage error (exit 2, one line). */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof LessonRequestError) throw new UsageError(error.message);
    throw error;
  }
}
