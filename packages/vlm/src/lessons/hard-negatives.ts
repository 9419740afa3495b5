/**
 * hard-negatives: does contrastive training learn which attribute belongs to which thing?
 * Scored on the attribute-binding benchmark (data/openmoji/binding.ts, eval/binding.ts): an
 * image against its caption and the caption's swapped twin — the same words, another binding
 * ("handshake: light skin tone, dark skin tone" / "… dark skin tone, light skin tone"; facing
 * left / right) — chance 50%. Every pair's emojis are in the test split, unseen in training.
 *
 * Swept: training without, then with one swapped-caption hard negative per image (`duet train
 * --hard-negatives`: data/caption-swap.ts; the emojis' tones or facing swapped where their
 * annotation binds them, NegCLIP's order swap otherwise). Held: the model, the data, the
 * recipe, samples seen. Measured: the binding score on OpenMoji's test pairs, on all three
 * styles' pooled ("any style": Fluent draws no two-tone emojis, so it adds facing pairs only),
 * and R@5 on OpenMoji's test split, the price on retrieval.
 *
 * A point's binding noise is its seeds' spread and the benchmark's binomial noise together:
 * se² = sd² / seeds + ¼ / (pairs · seeds). The claim has two halves:
 *   not learned   without hard negatives the score is not clearly above 50%
 *   taught        with them it is clearly higher than without
 * both → holds; one → holds partly; neither → does not hold at this scale. The reason also
 * gives what they cost (or gave) on R@5 and the score per kind of pair.
 */

import { EMOJI_STYLES } from "../data/openmoji/styles.js";
import { LESSON_SAMPLES, MIN_RECALL_GAP, R5 } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { describeGap, formatPercentStat, gap, noiseNote, pointStat, seedsOf, statusOf, type Stat } from "./stats.js";
import type { Lesson, LessonPoint, LessonRun, Metrics } from "./types.js";

const WITHOUT = "without hard negatives";
const WITH = "with hard negatives";
export const BINDING = "openmoji:test binding";
export const BINDING_ALL = "all styles binding";
/** The smallest binding gap that counts: 3 points. */
const MIN_BINDING_GAP = 0.03;

function point(on: boolean): LessonPoint {
  return {
    label: on ? WITH : WITHOUT,
    x: on ? "with" : "without",
    value: on,
    apply(spec) {
      spec.training.hardNegatives = on;
      spec.binding = EMOJI_STYLES.map((style) => ({ style, split: "test", limit: null }));
      return spec;
    },
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** standardMetrics, plus each style's binding score, its n and its kinds, and the styles pooled. */
function metricsOf(...[outcome, config]: Parameters<Lesson["metricsOf"]>): Metrics {
  const metrics = standardMetrics(outcome, config);
  let wins = 0;
  let pairs = 0;
  for (const spec of config.binding ?? []) {
    const name = `${spec.style}:${spec.split} binding`;
    const record = outcome.evals[name] ?? {};
    const score = num(record["binding"]);
    const n = num(record["binding_n"]);
    metrics[name] = score;
    metrics[`${name} n`] = n;
    // pairs whose caption and twin came out as one feature (most often cut to the same tokens by a short context)
    metrics[`${name} ties`] = num(record["binding_ties"]);
    for (const kind of ["skin tones", "genders", "facing"]) {
      if (record[`binding ${kind}`] !== undefined) metrics[`${name} ${kind}`] = num(record[`binding ${kind}`]);
    }
    if (score !== null && n !== null) {
      wins += score * n;
      pairs += n;
    }
  }
  metrics[BINDING_ALL] = pairs > 0 ? wins / pairs : null;
  metrics[`${BINDING_ALL} n`] = pairs > 0 ? pairs : null;
  return metrics;
}

/** A point's binding score with the noise of the file comment. */
function bindingStat(runs: readonly LessonRun[], label: string, metric: string): Stat & { se: number } {
  const s = pointStat(runs, label, metric);
  const pairs = pointStat(runs, label, `${metric} n`).mean;
  const binomial = pairs > 0 && s.n > 0 ? 0.25 / (pairs * s.n) : 0;
  return { ...s, se: Math.sqrt((s.n > 1 ? s.sd ** 2 / s.n : 0) + binomial) };
}

/** What hard negatives did to R@5, in words: a clear cost, a clear gain, or neither. */
function retrievalPrice(runs: readonly LessonRun[]): string {
  const cost = gap(pointStat(runs, WITHOUT, R5), pointStat(runs, WITH, R5), MIN_RECALL_GAP);
  const gain = gap(pointStat(runs, WITH, R5), pointStat(runs, WITHOUT, R5), MIN_RECALL_GAP);
  if (cost.clear) return `hard negatives cost ${describeGap(cost)}.`;
  if (gain.clear) return `hard negatives gained ${describeGap(gain)}.`;
  return `no clear change (${describeGap(cost)}, within the noise).`;
}

/** a − b beats the noise (and the smallest effect). */
function clearGap(a: number, b: number, se: number): boolean {
  return a - b > Math.max(2 * se, MIN_BINDING_GAP);
}

export const hardNegativesLesson: Lesson = {
  name: "hard-negatives",
  claim: "Maximising cosine similarity alone does not teach a model relations or which attribute belongs to which thing (“man riding horse” vs “horse riding man”) without hard negatives.",
  changes: "training without, then with one swapped-caption hard negative per image (`duet train --hard-negatives`: the emojis' skin tones or facing swapped where the annotation binds them, NegCLIP's order swap otherwise), scored on an attribute-binding benchmark of the test emojis (skin tones in order, facing left or right; genders swapped where the split has mixed couples)",
  holds: "the model, the data, the recipe and samples seen (with hard negatives a step also encodes one twin per caption)",
  points: [point(false), point(true)],
  fewest: [WITHOUT, WITH],
  samples: LESSON_SAMPLES,
  metricsOf,
  plot: {
    xLabel: "swapped-caption hard negatives",
    panels: [
      { metric: BINDING, label: "binding score, OpenMoji test pairs (caption over its swapped twin)", percent: true, reference: { value: 0.5, label: "chance" } },
      { metric: BINDING_ALL, label: "binding score, all three styles' test pairs", percent: true, reference: { value: 0.5, label: "chance" } },
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
    ],
  },
  verdict(runs) {
    const without = bindingStat(runs, WITHOUT, BINDING);
    const withHn = bindingStat(runs, WITH, BINDING);
    const learned = clearGap(without.mean, 0.5, without.se);
    const gainSe = Math.sqrt(without.se ** 2 + withHn.se ** 2);
    const taught = clearGap(withHn.mean, without.mean, gainSe);
    const allWithout = bindingStat(runs, WITHOUT, BINDING_ALL);
    const allWith = bindingStat(runs, WITH, BINDING_ALL);
    const pairs = pointStat(runs, WITHOUT, `${BINDING} n`).mean;
    const kinds = ["skin tones", "facing"]
      .map((kind) => ({ kind, a: pointStat(runs, WITHOUT, `${BINDING} ${kind}`), b: pointStat(runs, WITH, `${BINDING} ${kind}`) }))
      .filter((k) => k.a.n > 0 && k.b.n > 0)
      .map((k) => `${k.kind} ${formatPercentStat(k.a)} → ${formatPercentStat(k.b)}`);
    const diff = withHn.mean - without.mean;
    const reason = [
      `Without hard negatives the image preferred its caption to the swapped twin in ${formatPercentStat(without)} of OpenMoji's ${Number.isFinite(pairs) ? pairs : "?"} test pairs ` +
        `(chance 50%, noise ±${(200 * without.se).toFixed(1)} points): ${learned ? "clearly above chance, so plain contrastive training learned some binding" : "within the noise of chance"}.`,
      `With them: ${formatPercentStat(withHn)}, ${diff >= 0 ? "a gain" : "a loss"} of ${(100 * Math.abs(diff)).toFixed(1)} points${gainSe > 0 ? ` (${(Math.abs(diff) / gainSe).toFixed(1)}× its standard error)` : ""}${taught ? "" : ", not a clear gain"}.`,
      `All three styles' pairs: ${formatPercentStat(allWithout)} → ${formatPercentStat(allWith)}${kinds.length > 0 ? `; by kind, ${kinds.join(", ")}` : ""}.`,
      `On retrieval, R@5 went from ${formatPercentStat(pointStat(runs, WITHOUT, R5))} to ${formatPercentStat(pointStat(runs, WITH, R5))}: ` + retrievalPrice(runs),
      seedsOf(runs) > 1 ? noiseNote(runs, "3 points of binding score (1 of R@5)") : `One seed: the binding noise is the benchmark's binomial alone (a gap counts from 2 of its standard errors and 3 points); run more seeds before trusting it.`,
    ];
    return { status: statusOf([!learned, taught]), reason: reason.join(" ") };
  },
};
