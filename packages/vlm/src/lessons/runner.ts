/**
 * Runs a plan: every config whose run is cached is read back, every other one is trained
 * (run.ts) and cached the moment it finishes (cache.ts), so stopping at any point loses at
 * most the run in progress.
 *
 * Stopping: `shouldStop()` is asked before each run (a first Ctrl-C: the CLI lets the current
 * run finish, then stops); `signal` aborts the run in progress after its current step (a
 * second Ctrl-C), and that run is discarded, not cached.
 */

import { configHash, readCachedRun, writeRun } from "./cache.js";
import type { Plan } from "./plan.js";
import type { ExecuteRun, RunContext } from "./run.js";
import type { LessonRun, LessonRunConfig } from "./types.js";

export interface RunnerOptions {
  /** The output folder (runs are cached in DIR/runs). */
  dir: string;
  execute: ExecuteRun;
  /** Asked before each run to be trained: true stops the plan there. */
  shouldStop?: () => boolean;
  /** Aborts the run in progress (it is then discarded). */
  signal?: AbortSignal;
  /** Called after every run, cached or trained, with the count done and the total. */
  onRun?(run: LessonRun, done: number, total: number, cached: boolean): void;
  /** Called before a run is trained. */
  onStart?(config: LessonRunConfig, done: number, total: number): void;
  log?: (line: string) => void;
  cacheDir?: string;
}

export interface RunnerResult {
  /** Every finished run of the plan (cached or trained now), by lesson name, in plan order. */
  runs: Map<string, LessonRun[]>;
  trained: number;
  cached: number;
  /** Configs left undone because the runner was stopped. */
  left: number;
}

/** Runs (or reads back) every config of the plan, in its order. */
export async function runPlan(plan: Plan, options: RunnerOptions): Promise<RunnerResult> {
  const all = plan.lessons.flatMap((p) => p.configs.map((config) => ({ lesson: p.lesson, config })));
  const runs = new Map<string, LessonRun[]>(plan.lessons.map((p) => [p.lesson.name, []]));
  let trained = 0;
  let cached = 0;
  let done = 0;
  let stopped = false;
  const context: RunContext = { signal: options.signal, log: options.log, cacheDir: options.cacheDir };
  for (const { lesson, config } of all) {
    const found = readCachedRun(options.dir, config);
    if (found !== null) {
      runs.get(lesson.name)!.push(found);
      cached++;
      done++;
      options.onRun?.(found, done, all.length, true);
      continue;
    }
    // once stopped, the runs cached further on are still read back; none is trained
    if (stopped || options.shouldStop?.() || options.signal?.aborted) {
      stopped = true;
      continue;
    }
    options.onStart?.(config, done, all.length);
    const outcome = await options.execute(config, context);
    if (outcome === "stopped") {
      stopped = true;
      continue;
    }
    const run: LessonRun = {
      hash: configHash(config),
      lesson: config.lesson,
      point: config.point,
      seed: config.seed,
      config,
      metrics: lesson.metricsOf(outcome, config),
      curves: outcome.curves,
      steps: outcome.steps,
      stopped: outcome.stopped,
      seconds: Number(outcome.seconds.toFixed(1)),
      finished: new Date().toISOString(),
    };
    writeRun(options.dir, run);
    runs.get(lesson.name)!.push(run);
    trained++;
    done++;
    options.onRun?.(run, done, all.length, false);
  }
  return { runs, trained, cached, left: all.length - done };
}
