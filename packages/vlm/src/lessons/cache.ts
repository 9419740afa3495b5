/**
 * Finished runs, cached by the hash of their full config in DIR/runs/<hash>.json, so an
 * interrupted `duet lessons` resumes where it stopped: a run whose file exists (and holds the
 * same config) is not trained again.
 *
 *   hash = first 16 hex digits of SHA-256(canonical JSON of the config)
 *
 * Canonical JSON sorts object keys at every depth, so the hash depends on the values only,
 * never on the order a config was built in. The config holds everything that decides a run's
 * outcome — the model JSON, every training setting, the data and the held-out sets, the seed,
 * the thread count and data parallelism (they change the bits), and LESSONS_HARNESS, which is
 * bumped when the way a run is trained or measured changes (it is not the git commit: an
 * unrelated commit must not throw a night of runs away). Each file is written atomically, so
 * a run killed half-way leaves no file and is simply run again.
 */

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic.js";
import type { LessonRun, LessonRunConfig } from "./types.js";

/** Bump when a run's training or measurement changes meaning: every cached run is then stale. */
export const LESSONS_HARNESS = 1;

export const RUNS_FOLDER = "runs";

/** JSON with object keys sorted at every depth (arrays keep their order); undefined fields dropped as JSON.stringify drops them. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) sorted[key] = sortKeys(v);
  }
  return sorted;
}

/** The run's name in the cache (see the file comment). */
export function configHash(config: LessonRunConfig): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}

export function runPath(dir: string, hash: string): string {
  return join(dir, RUNS_FOLDER, `${hash}.json`);
}

/**
 * The cached run of `config`, or null when there is none. A file that does not parse, or
 * whose config differs (a hash collision, a hand edit), counts as absent and is run again.
 */
export function readCachedRun(dir: string, config: LessonRunConfig): LessonRun | null {
  const hash = configHash(config);
  const path = runPath(dir, hash);
  if (!existsSync(path)) return null;
  try {
    const run = JSON.parse(readFileSync(path, "utf8")) as LessonRun;
    return canonicalJson(run.config) === canonicalJson(config) ? run : null;
  } catch {
    return null;
  }
}

/** Writes a finished run atomically. Non-finite metrics become null (JSON has no NaN). */
export function writeRun(dir: string, run: LessonRun): void {
  writeFileAtomic(runPath(dir, run.hash), `${JSON.stringify(run, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`);
}

/** Every cached run in the folder (for calibrating the time estimate). */
export function listCachedRuns(dir: string): LessonRun[] {
  const folder = join(dir, RUNS_FOLDER);
  if (!existsSync(folder)) return [];
  const runs: LessonRun[] = [];
  for (const name of readdirSync(folder)) {
    if (!/^[0-9a-f]{16}\.json$/.test(name)) continue;
    try {
      runs.push(JSON.parse(readFileSync(join(folder, name), "utf8")) as LessonRun);
    } catch {
      // a damaged file is not a run; it is run again when its config comes up
    }
  }
  return runs;
}
