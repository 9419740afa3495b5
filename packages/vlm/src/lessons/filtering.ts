/**
 * filtering: web alt-text is noisy, and a caption filter wins back part of what the noise
 * costs. Half the training records get a noisy caption (data/caption-noise.ts: boilerplate,
 * too short, another language, another emoji's caption, a quarter each; drawn from the run's
 * seed, so the noisy and filtered points of one seed share their noise); swept: clean
 * captions, the noisy ones, and the noisy ones through data/filter.ts first. Held: the model,
 * the recipe, samples seen (so the filtered point repeats its fewer records more often), the
 * held-out set (clean OpenMoji test).
 *
 * The text filter catches the boilerplate's repeats, the too-short captions and part of the
 * other languages (non-Latin scripts, phrases with foreign function words); a mismatched
 * caption is fluent English and passes — that is what CLIP-score filtering is for. Each run
 * records what was noised and what the filter took, by kind.
 *
 * Verdict: filtered against noisy, on R@5 and on zero-shot top-1: clearly better on both →
 * holds; on one → holds partly; neither → does not hold at this scale. The reason adds what
 * the noise cost against the clean captions and the share of it the filter won back.
 */

import { EVEN_MIX, NOISE_KINDS, type CaptionNoiseSpec } from "../data/caption-noise.js";
import type { CaptionDataSpec } from "../data/openmoji/caption-view.js";
import { LESSON_SAMPLES, MIN_GAPS, MIN_RECALL_GAP, MIN_ZERO_SHOT_GAP, R5, ZERO_SHOT } from "./base.js";
import { standardMetrics } from "./metrics.js";
import { describeGap, formatPercentStat, gap, noiseNote, stat, statsByPoint, statusOf, type Stat } from "./stats.js";
import type { Lesson, LessonPoint, LessonRun, Metrics, RunOutcome } from "./types.js";

/** Half the records: noise a web crawl easily exceeds (LAION kept about a tenth of Common Crawl's pairs). */
export const NOISE_RATE = 0.5;
const NOISE: CaptionNoiseSpec = { rate: NOISE_RATE, mix: { ...EVEN_MIX } };

const CLEAN = "clean captions";
const NOISY = `${100 * NOISE_RATE}% noisy`;
const FILTERED = `${100 * NOISE_RATE}% noisy, filtered`;

/** The metrics this lesson adds (shares in [0, 1]). */
export const NOISED = "captions noised";
export const KEPT = "records kept";
export const NOISY_TRAINED = "noisy share trained on";
export const NOISE_REMOVED = "noise removed";
export const CLEAN_REMOVED = "clean removed";
export const removedOf = (kind: string) => `removed: ${kind}`;

function captionPoint(label: string, x: string, captions: CaptionDataSpec | null): LessonPoint {
  return {
    label,
    x,
    value: captions === null ? "clean" : `${captions.noise === null ? "clean" : `noise ${captions.noise.rate}`}${captions.filter ? ", filtered" : ""}`,
    apply(spec) {
      if (captions !== null) spec.data.captions = JSON.parse(JSON.stringify(captions)) as CaptionDataSpec;
      return spec;
    },
  };
}

/** The shares of the file comment, from the run's caption counts (a clean run: nothing noised, all kept). */
function captionMetrics(outcome: RunOutcome): Metrics {
  const c = outcome.captions;
  if (c === undefined) return { [NOISED]: 0, [KEPT]: 1, [NOISY_TRAINED]: 0 };
  const filtered = c.filterCounts !== null;
  const removedNoised = NOISE_KINDS.reduce((a, k) => a + c.removedByKind[k], 0);
  const share = (part: number, whole: number) => (filtered && whole > 0 ? part / whole : null);
  const metrics: Metrics = {
    [NOISED]: c.records > 0 ? c.noised / c.records : null,
    [KEPT]: c.records > 0 ? c.kept / c.records : null,
    [NOISY_TRAINED]: c.kept > 0 ? (c.noised - removedNoised) / c.kept : null,
    [NOISE_REMOVED]: share(removedNoised, c.noised),
    [CLEAN_REMOVED]: share(c.removedClean, c.records - c.noised),
  };
  for (const kind of NOISE_KINDS) metrics[removedOf(kind)] = share(c.removedByKind[kind], c.noisedByKind[kind]);
  return metrics;
}

const pct = (s: Stat) => (s.n === 0 ? "n/a" : `${(100 * s.mean).toFixed(0)}%`);

/** What the filter did, from the filtered runs: a sentence. */
function filterSentence(runs: readonly LessonRun[]): string {
  const of = (metric: string) => stat(runs.filter((r) => r.point === FILTERED).map((r) => r.metrics[metric]));
  const kinds = NOISE_KINDS.map((k) => `${pct(of(removedOf(k)))} of the ${k}`).join(", ");
  return (
    `The filter kept ${pct(of(KEPT))} of the records: it took ${kinds} captions, and ${pct(of(CLEAN_REMOVED))} of the clean ones; ` +
    `${pct(of(NOISY_TRAINED))} of what it kept was still noisy. A mismatched caption is fluent English about the wrong picture, so a text filter passes it: catching it takes the image (CLIP-score filtering).`
  );
}

export const filteringLesson: Lesson = {
  name: "filtering",
  claim: "Alt-text is noisy, and filtering it (short captions, duplicates, other languages) is a major part of the pipeline.",
  changes: `the training captions: clean; ${100 * NOISE_RATE}% replaced by alt-text noise (boilerplate, too short, other languages, another emoji's caption, a quarter each, per record); the same noise through the caption filter (too short, not English, duplicates)`,
  holds: "the model, the recipe, samples seen (the filtered point repeats its fewer records more often), the held-out set (OpenMoji test, clean captions)",
  points: [captionPoint(CLEAN, "clean", null), captionPoint(NOISY, "noisy", { noise: NOISE, filter: false }), captionPoint(FILTERED, "noisy + filter", { noise: NOISE, filter: true })],
  fewest: [NOISY, FILTERED],
  samples: LESSON_SAMPLES,
  metricsOf(outcome, config) {
    return { ...standardMetrics(outcome, config), ...captionMetrics(outcome) };
  },
  plot: {
    xLabel: "training captions",
    panels: [
      { metric: R5, label: "R@5, OpenMoji test (mean of both directions)", percent: true, chance: "openmoji:test chance R@5" },
      { metric: ZERO_SHOT, label: "zero-shot top-1, OpenMoji test", percent: true, chance: "openmoji:test chance top-1" },
      { metric: NOISY_TRAINED, label: "noisy captions among the records trained on", percent: true },
    ],
  },
  verdict(runs, points) {
    const r5 = statsByPoint(runs, points, R5);
    const zs = statsByPoint(runs, points, ZERO_SHOT);
    const onRecall = gap(r5.get(FILTERED)!, r5.get(NOISY)!, MIN_RECALL_GAP);
    const onZeroShot = gap(zs.get(FILTERED)!, zs.get(NOISY)!, MIN_ZERO_SHOT_GAP);
    const parts = [
      `With ${100 * NOISE_RATE}% of the captions noisy, R@5 was ${formatPercentStat(r5.get(NOISY)!)}; filtered first, ${formatPercentStat(r5.get(FILTERED)!)}: ` +
        `${onRecall.diff >= 0 ? "a gain of" : "a loss of"} ${describeGap(onRecall)}${onRecall.clear ? "" : ", within the noise"}; ` +
        `zero-shot top-1 ${formatPercentStat(zs.get(NOISY)!)} against ${formatPercentStat(zs.get(FILTERED)!)} filtered${onZeroShot.clear ? "" : " (within the noise)"}.`,
    ];
    const clean = r5.get(CLEAN);
    if (clean !== undefined && clean.n > 0) {
      const cost = gap(clean, r5.get(NOISY)!, MIN_RECALL_GAP);
      parts.push(
        cost.clear
          ? `Clean captions reached ${formatPercentStat(clean)}: the noise cost ${describeGap(cost)}, and the filter won back ${onRecall.diff > 0 ? `${(100 * (onRecall.diff / cost.diff)).toFixed(0)}%` : "none"} of it.`
          : `Clean captions reached ${formatPercentStat(clean)}: the noise itself cost nothing clear at this scale, so there was little for a filter to win back.`,
      );
    }
    parts.push(filterSentence(runs), noiseNote(runs, MIN_GAPS));
    return { status: statusOf([onRecall.clear, onZeroShot.clear]), reason: parts.join(" ") };
  },
};
