/**
 * The plan of a `duet lessons` call: which runs, in what order, and about how long they take —
 * printed before the first run starts.
 *
 *   default   every point of each lesson, 3 seeds, the lesson's samples seen per run
 *   --quick   the fewest points that still test each claim, 1 seed, 1/32 of the samples, the
 *             first QUICK_LIMIT emojis of each style (so the held-out sets are small too):
 *             a smoke run of about three minutes, not a measurement
 *   --minutes a budget the plan is fitted to, first with all points and fewer samples (down
 *             to 1/4 of them), then with the fewest points (samples down to 1/8); a budget
 *             that cannot hold even that is refused, naming the minutes it needs
 *
 * Samples are scaled alike for every point of a lesson, so the sweep still holds them equal.
 * Runs are ordered lesson by lesson, and within a lesson seed by seed (seed 0 of every point,
 * then seed 1, ...): an interrupted call leaves whole sweeps, and a host that slows down
 * slows every point alike.
 *
 * Time: a run costs about setup + steps · per-step + samples / speed + held-out sets · eval.
 * The constants are the demo model's on the 2-core machine; once runs have finished in the
 * folder, their measured seconds rescale the estimate.
 */

import { baseSpec, copySpec, finalizeSpec } from "./base.js";
import { configHash, LESSONS_HARNESS } from "./cache.js";
import { LessonRequestError, type Lesson, type LessonPoint, type LessonRun, type LessonRunConfig } from "./types.js";

export interface PlanOptions {
  /** Seeds per point (default 3; 1 with quick). */
  seeds?: number;
  quick?: boolean;
  /** A budget in minutes for the runs not cached yet, or null. */
  minutes?: number | null;
  /** Only the first `limit` emojis of each style (smoke runs and tests), or null. */
  limit?: number | null;
  /** Samples seen per run instead of the lesson's (tests), or null. */
  samples?: number | null;
  threads: number;
  dataParallel: boolean;
}

export interface LessonPlan {
  lesson: Lesson;
  points: LessonPoint[];
  samples: number;
  /** In run order. */
  configs: LessonRunConfig[];
}

export interface Plan {
  lessons: LessonPlan[];
  seeds: number;
  /** Lines to print before the first run. */
  notes: string[];
  /** Estimated seconds of the runs not cached yet. */
  seconds: number;
}

/** The cost model of the file comment (the demo model, 2 cores: 155 samples/s measured at batch 128; options.ts). */
export const COST = { setupSeconds: 4, stepSeconds: 0.05, samplesPerSecond: 150, evalSeconds: 5 } as const;

export const DEFAULT_SEEDS = 3;
/** --quick runs this fraction of the samples. */
export const QUICK_FRACTION = 1 / 32;
/**
 * --quick keeps the first this many emojis of each style (unless a limit is given): a run's
 * setup (its tokenizer, its held-out sets) and scoring shrink with it, and they, not the few
 * steps, are most of a smoke run's time.
 */
export const QUICK_LIMIT = 800;

/**
 * The emojis of the largest style (OpenMoji): setup (tokenizer, held-out sets) and scoring
 * scale with the share of them a run loads. A --quick run (800 of each style) measured 4-9 s
 * where the unscaled estimate said 13, which made --quick print 5 minutes and take 2.
 */
const FULL_STYLE_EMOJIS = 4495;

/** Estimated seconds of one run before calibration. */
export function runCost(config: LessonRunConfig): number {
  const t = config.training;
  const limit = config.data.limit;
  const dataShare = limit === null ? 1 : Math.min(1, limit / FULL_STYLE_EMOJIS);
  return dataShare * (COST.setupSeconds + config.eval.length * COST.evalSeconds) + t.steps * COST.stepSeconds + t.samples / COST.samplesPerSecond;
}

/**
 * measured / estimated over the runs already finished in the folder (the median ratio), so
 * the estimate follows this machine; 1 with none. Returns the factor and where it came from.
 */
export function calibrate(finished: readonly LessonRun[]): { factor: number; from: string } {
  const ratios = finished.filter((r) => r.seconds > 0 && r.config?.training !== undefined).map((r) => r.seconds / runCost(r.config)).sort((a, b) => a - b);
  if (ratios.length === 0) return { factor: 1, from: `the demo model's speed on 2 cores (${COST.samplesPerSecond} samples/s); no run has finished here yet` };
  const factor = ratios[Math.floor(ratios.length / 2)]!;
  return { factor, from: `${ratios.length} run${ratios.length === 1 ? "" : "s"} finished here (×${factor.toFixed(2)} the default estimate)` };
}

/** The configs of one lesson at a sample count, seeds interleaved. */
export function lessonConfigs(lesson: Lesson, points: readonly LessonPoint[], samples: number, seeds: number, options: PlanOptions): LessonRunConfig[] {
  const limit = options.limit ?? null;
  const specs = points.map((point) => ({ point, spec: finalizeSpec(point.apply(copySpec(lesson.base?.(samples, limit) ?? baseSpec(samples, limit)))) }));
  const configs: LessonRunConfig[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const { point, spec } of specs) {
      configs.push({ lesson: lesson.name, point: point.label, seed, ...copySpec(spec), threads: options.threads, dataParallel: options.dataParallel, harness: LESSONS_HARNESS });
    }
  }
  return configs;
}

/** The largest batch among the points (the unit samples seen are counted in). */
function largestBatch(lesson: Lesson, points: readonly LessonPoint[], limit: number | null): number {
  return Math.max(...points.map((p) => p.apply(copySpec(lesson.base?.(1, limit) ?? baseSpec(1, limit))).training.batchSize));
}

/** "1 h 52 min", "24 min", "40 s". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

interface Candidate {
  points: "all" | "fewest";
  scale: number;
}

/** Builds the plan (see the file comment); `isCached` tells which configs need no run. */
export function makePlan(lessons: readonly Lesson[], given: PlanOptions, isCached: (hash: string) => boolean, finished: readonly LessonRun[] = []): Plan {
  const options: PlanOptions = { ...given, limit: given.limit ?? (given.quick ? QUICK_LIMIT : null) };
  const seeds = options.seeds ?? (options.quick ? 1 : DEFAULT_SEEDS);
  const { factor, from } = calibrate(finished);
  const build = (c: Candidate): LessonPlan[] =>
    lessons.map((lesson) => {
      const all = lesson.points ?? [];
      const points = c.points === "all" ? [...all] : all.filter((p) => lesson.fewest.includes(p.label));
      const full = Math.round(lesson.samples * (options.quick ? QUICK_FRACTION : 1));
      // a multiple of the largest batch, two steps of it at least, so every point sees exactly as many samples
      const unit = largestBatch(lesson, points, options.limit ?? null);
      const samples = options.samples ?? Math.max(2 * unit, Math.round((full * c.scale) / unit) * unit);
      return { lesson, points, samples, configs: lessonConfigs(lesson, points, samples, seeds, options) };
    });
  const cost = (plans: LessonPlan[]) => factor * plans.flatMap((p) => p.configs).filter((c) => !isCached(configHash(c))).reduce((a, c) => a + runCost(c), 0);
  const start: Candidate = { points: options.quick ? "fewest" : "all", scale: 1 };
  let chosen = build(start);
  let seconds = cost(chosen);
  const notes: string[] = [];
  const budget = options.minutes ?? null;
  if (budget !== null && seconds > budget * 60 && options.samples == null) {
    const wanted = seconds;
    const tries: { points: Candidate["points"]; floor: number }[] = start.points === "all" ? [{ points: "all", floor: 1 / 4 }, { points: "fewest", floor: 1 / 8 }] : [{ points: "fewest", floor: 1 / 8 }];
    let fitted: { plans: LessonPlan[]; seconds: number; c: Candidate } | null = null;
    for (const t of tries) {
      // the cost is nearly linear in the samples: fit the scale, then step down until it fits
      let scale = Math.min(1, (budget * 60) / cost(build({ points: t.points, scale: 1 })));
      for (let guard = 0; scale >= t.floor && guard < 20; guard++, scale *= 0.9) {
        const plans = build({ points: t.points, scale });
        const s = cost(plans);
        if (s <= budget * 60) {
          fitted = { plans, seconds: s, c: { points: t.points, scale } };
          break;
        }
      }
      if (fitted !== null) break;
    }
    if (fitted === null) {
      const floor = build({ points: "fewest", scale: 1 / 8 });
      throw new LessonRequestError(`duet lessons: --minutes ${budget} cannot hold ${lessons.map((l) => l.name).join(", ")}: even the fewest points at 1/8 of the samples need about ${formatDuration(cost(floor))}; give --minutes ${Math.ceil(cost(floor) / 60)} or more, or --quick`);
    }
    chosen = fitted.plans;
    seconds = fitted.seconds;
    const share = fitted.plans.reduce((a, p) => a + p.samples, 0) / build(start).reduce((a, p) => a + p.samples, 0);
    const what = `${fitted.c.points === "all" ? "every point" : "the fewest points"} with ${Math.round(100 * share)}% of the samples`;
    notes.push(`--minutes ${budget}: the plan needs about ${formatDuration(wanted)}; running ${what} instead (about ${formatDuration(seconds)}).`);
  }
  for (const p of chosen) {
    const todo = p.configs.filter((c) => !isCached(configHash(c))).length;
    const cached = p.configs.length - todo;
    notes.push(
      `${p.lesson.name}: ${p.points.length} points × ${seeds} seed${seeds === 1 ? "" : "s"} = ${p.configs.length} runs${cached > 0 ? ` (${cached} cached)` : ""}, ` +
        `${p.samples.toLocaleString("en-US")} samples seen each (${p.points.map((pt) => pt.label).join("; ")})`,
    );
  }
  if (options.quick) notes.push(`--quick: a smoke run (fewest points, 1/${Math.round(1 / QUICK_FRACTION)} of the samples, the first ${options.limit} emojis of each style); its verdicts are not measurements.`);
  notes.push(`estimated time of the runs to do: ${formatDuration(seconds)} (from ${from})`);
  return { lessons: chosen, seeds, notes, seconds };
}
