/**
 * BLEU-1 … BLEU-4 as pycocoevalcap 1.2 computes them (`Bleu(4).compute_score`, which calls
 * BleuScorer.compute_score with option "closest"). For each image with candidate c:
 *
 *   guess_k   = max(0, |c| - k + 1)                        the candidate's k-grams
 *   correct_k = Σ_g min(count_c(g), max_r count_r(g))       clipped by the most any one
 *                                                           reference has (modified precision)
 *   reflen    = the reference length closest to |c|         on a tie, the shorter one
 *
 * Corpus level, from the sums over images of guess_k, correct_k, |c| and reflen:
 *
 *   BLEU-n = (Π_{k ≤ n} (correct_k + tiny) / (guess_k + small))^(1/n) · BP
 *   BP     = exp(1 - 1/ratio) if ratio < 1, else 1;   ratio = (Σ|c| + tiny) / (Σ reflen + small)
 *   tiny = 1e-15, small = 1e-9
 *
 * The constants are pycocoevalcap's smoothing: they keep a zero count from dividing by zero,
 * and make a perfect match score (g + 1e-15) / (g + 1e-9), a hair under 1. The per-image
 * scores are the same formula on one image's numbers (pycocoevalcap's `bleu_list`).
 */

import { ModelError } from "../model/errors.js";
import { checkCaptionSet, ngramCounts, type CaptionTokens } from "./caption-metrics-common.js";

/** pycocoevalcap's smoothing constants (bleu_scorer.py, compute_score). */
export const BLEU_TINY = 1e-15;
export const BLEU_SMALL = 1e-9;

export interface BleuResult {
  /** [BLEU-1, …, BLEU-maxN] over the whole set: pycocoevalcap's `score`. */
  corpus: number[];
  /** perImage[i] = [BLEU-1, …, BLEU-maxN] of image i alone: pycocoevalcap's `scores`, transposed. */
  perImage: number[][];
}

/** One image's sufficient statistics, pycocoevalcap's `cook_test` with the closest reflen. */
interface BleuStats {
  testLength: number;
  refLength: number;
  guess: number[];
  correct: number[];
}

function imageStats(candidate: CaptionTokens, references: readonly CaptionTokens[], maxN: number): BleuStats {
  const maxRefCounts = new Map<string, number>();
  for (const reference of references) {
    for (const order of ngramCounts(reference, maxN)) {
      for (const [gram, count] of order) maxRefCounts.set(gram, Math.max(maxRefCounts.get(gram) ?? 0, count));
    }
  }
  const testLength = candidate.length;
  // closest length; on a tie the shorter, as Python's min over (|l - testlen|, l) pairs
  let refLength = references[0]!.length;
  for (const reference of references) {
    const l = reference.length;
    const d = Math.abs(l - testLength);
    const best = Math.abs(refLength - testLength);
    if (d < best || (d === best && l < refLength)) refLength = l;
  }
  const guess: number[] = [];
  const correct: number[] = [];
  ngramCounts(candidate, maxN).forEach((order, k) => {
    guess.push(Math.max(0, testLength - k));
    let c = 0;
    for (const [gram, count] of order) c += Math.min(maxRefCounts.get(gram) ?? 0, count);
    correct.push(c);
  });
  return { testLength, refLength, guess, correct };
}

/** BLEU-1 … BLEU-maxN from summed statistics, with the brevity penalty. */
function bleuFromStats(stats: BleuStats, maxN: number): number[] {
  const scores: number[] = [];
  let product = 1;
  for (let k = 0; k < maxN; k++) {
    product *= (stats.correct[k]! + BLEU_TINY) / (stats.guess[k]! + BLEU_SMALL);
    scores.push(product ** (1 / (k + 1)));
  }
  const ratio = (stats.testLength + BLEU_TINY) / (stats.refLength + BLEU_SMALL);
  if (ratio < 1) {
    const brevityPenalty = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < maxN; k++) scores[k]! *= brevityPenalty;
  }
  return scores;
}

/**
 * Corpus and per-image BLEU-1 … BLEU-maxN of `candidates` (one per image) against
 * `references` (one or more per image), all as tokens. Equal to pycocoevalcap's
 * `Bleu(maxN).compute_score` on the captions joined by spaces.
 */
export function bleu(candidates: readonly CaptionTokens[], references: readonly (readonly CaptionTokens[])[], maxN = 4): BleuResult {
  checkCaptionSet("bleu", candidates, references);
  if (!Number.isInteger(maxN) || maxN < 1) throw new ModelError("bleu", `maxN is ${maxN}: expected a positive integer`);
  const total: BleuStats = { testLength: 0, refLength: 0, guess: new Array(maxN).fill(0), correct: new Array(maxN).fill(0) };
  const perImage = candidates.map((candidate, i) => {
    const stats = imageStats(candidate, references[i]!, maxN);
    total.testLength += stats.testLength;
    total.refLength += stats.refLength;
    for (let k = 0; k < maxN; k++) {
      total.guess[k]! += stats.guess[k]!;
      total.correct[k]! += stats.correct[k]!;
    }
    return bleuFromStats(stats, maxN);
  });
  return { corpus: bleuFromStats(total, maxN), perImage };
}
