/**
 * The numbers a verdict is built from: a metric's mean ± sd over the seeds of a point, and
 * whether one point beats another by more than the noise.
 *
 *   mean = Σ x / n        sd = √(Σ (x − mean)² / (n − 1))     (sample sd; 0 for one seed)
 *   a gap a − b is "clear" when it exceeds both 2·se and the metric's smallest effect:
 *   se = √(sd_a² / n_a + sd_b² / n_b)   (Welch's standard error of a difference of means)
 *
 * Two standard errors is about a 95% interval for 3+ seeds; the smallest effect keeps one
 * seed (no spread to measure) or seeds that happen to agree from calling a sliver a finding.
 */

import type { LessonRun } from "./types.js";

export interface Stat {
  mean: number;
  sd: number;
  /** Runs with a finite value. */
  n: number;
}

export const NO_STAT: Stat = { mean: NaN, sd: NaN, n: 0 };

export function stat(values: readonly (number | null | undefined)[]): Stat {
  const xs = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (xs.length === 0) return NO_STAT;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, n: xs.length };
}

/** A metric's Stat at a point, over the point's runs. */
export function pointStat(runs: readonly LessonRun[], point: string, metric: string): Stat {
  return stat(runs.filter((r) => r.point === point).map((r) => r.metrics[metric]));
}

/** Per point label: the Stat of a metric. */
export function statsByPoint(runs: readonly LessonRun[], points: readonly { label: string }[], metric: string): Map<string, Stat> {
  return new Map(points.map((p) => [p.label, pointStat(runs, p.label, metric)]));
}

export interface Gap {
  /** a.mean − b.mean */
  diff: number;
  se: number;
  /** diff > max(2·se, minEffect): a beats b by more than the noise. */
  clear: boolean;
}

/** Whether `a` beats `b` clearly (see the file comment). */
export function gap(a: Stat, b: Stat, minEffect: number): Gap {
  const diff = a.mean - b.mean;
  const se = Math.sqrt((a.n > 0 ? a.sd ** 2 / a.n : 0) + (b.n > 0 ? b.sd ** 2 / b.n : 0));
  return { diff, se, clear: a.n > 0 && b.n > 0 && diff > Math.max(2 * se, minEffect) };
}

/** The label of the point with the highest mean (ties: the first). */
export function best(stats: Map<string, Stat>): string {
  let top: string | null = null;
  for (const [label, s] of stats) if (s.n > 0 && (top === null || s.mean > stats.get(top)!.mean)) top = label;
  return top ?? [...stats.keys()][0]!;
}

/** How many seeds the lesson's points have, for the reason sentence ("3 seeds", "1 seed"). */
export function seedsOf(runs: readonly LessonRun[]): number {
  const perPoint = new Map<string, number>();
  for (const r of runs) perPoint.set(r.point, (perPoint.get(r.point) ?? 0) + 1);
  return Math.min(...perPoint.values());
}

/** "23.1 ± 1.2%" (sd omitted for one seed). */
export function formatPercentStat(s: Stat): string {
  if (s.n === 0) return "n/a";
  return s.n > 1 ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)}%` : `${(100 * s.mean).toFixed(1)}%`;
}

/** "0.62 ± 0.03" with `digits` decimals. */
export function formatStat(s: Stat, digits = 2): string {
  if (s.n === 0) return "n/a";
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** A gap in percentage points with its noise: "12.8 points (8.1× its standard error)". */
export function describeGap(g: Gap): string {
  const points = `${(100 * Math.abs(g.diff)).toFixed(1)} point${Math.abs(100 * g.diff).toFixed(1) === "1.0" ? "" : "s"}`;
  if (!(g.se > 0)) return `${points} (one seed or identical seeds: no spread measured)`;
  return `${points} (${(Math.abs(g.diff) / g.se).toFixed(1)}× its standard error)`;
}

/** Two sub-claims tested → the status: both, one, neither. */
export function statusOf(parts: readonly boolean[]): "holds" | "holds partly" | "does not hold at this scale" {
  const held = parts.filter(Boolean).length;
  return held === parts.length ? "holds" : held > 0 ? "holds partly" : "does not hold at this scale";
}

/** The sentence on noise that ends every reason: what "clear" meant here (`minEffect`: "1 point of R@5"). */
export function noiseNote(runs: readonly LessonRun[], minEffect: string): string {
  const seeds = seedsOf(runs);
  return seeds > 1
    ? `A gap counts when it exceeds twice its standard error over ${seeds} seeds and at least ${minEffect}.`
    : `One seed: no spread was measured, so a gap counts from ${minEffect}; run more seeds before trusting it.`;
}

/**
 * The chance level a point's runs recorded under `chanceMetric`, and whether the point's mean
 * `metric` stayed within `minEffect` of it (it learned nothing measurable: a comparison there
 * says nothing of the thing swept). Null when the runs recorded no chance level.
 */
export function chanceOf(runs: readonly LessonRun[], point: string, metric: string, chanceMetric: string, minEffect: number): { chance: number; atChance: boolean } | null {
  const chance = pointStat(runs, point, chanceMetric);
  const value = pointStat(runs, point, metric);
  if (chance.n === 0 || value.n === 0) return null;
  return { chance: chance.mean, atChance: value.mean - chance.mean < minEffect };
}
