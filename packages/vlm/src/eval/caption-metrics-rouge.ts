/**
 * ROUGE-L as pycocoevalcap 1.2 computes it (`Rouge().calc_score` per image, averaged by
 * `compute_score`). For candidate c and references r_1 … r_m of one image:
 *
 *   P = max_j LCS(c, r_j) / |c|        R = max_j LCS(c, r_j) / |r_j|
 *   ROUGE-L = (1 + β²) P R / (R + β² P),  β = 1.2;   0 when P or R is 0
 *
 * P and R are maximised separately, possibly over different references, as pycocoevalcap
 * does (not the F of the best single reference). The corpus score is the mean over images.
 *
 * One quirk is kept on purpose: pycocoevalcap splits a caption with `split(" ")`, so an
 * empty caption is one empty token, not none. An empty candidate therefore scores 0 (no
 * division by zero), except against an empty reference, where both are [""] and score 1.
 */

import { checkCaptionSet, mean, type CaptionTokens } from "./caption-metrics-common.js";

/** pycocoevalcap's β: recall weighs β² = 1.44 times as much as precision. */
export const ROUGE_L_BETA = 1.2;

export interface RougeLResult {
  /** The mean over images: pycocoevalcap's `average_score`. */
  corpus: number;
  /** ROUGE-L of each image. */
  perImage: number[];
}

/** Length of the longest common subsequence, by dynamic programming over one row. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0; // row[j - 1] of the previous i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** What `caption.split(" ")` gives in Python for the caption these tokens join into. */
const pythonSplit = (tokens: CaptionTokens): readonly string[] => (tokens.length === 0 ? [""] : tokens);

function imageRougeL(candidate: CaptionTokens, references: readonly CaptionTokens[]): number {
  const c = pythonSplit(candidate);
  let precision = 0;
  let recall = 0;
  for (const reference of references) {
    const r = pythonSplit(reference);
    const lcs = lcsLength(r, c);
    precision = Math.max(precision, lcs / c.length);
    recall = Math.max(recall, lcs / r.length);
  }
  if (precision === 0 || recall === 0) return 0;
  const beta2 = ROUGE_L_BETA ** 2;
  return ((1 + beta2) * precision * recall) / (recall + beta2 * precision);
}

/**
 * Corpus (mean) and per-image ROUGE-L of `candidates` against `references`, as tokens.
 * Equal to pycocoevalcap's `Rouge().compute_score` on the captions joined by spaces.
 */
export function rougeL(candidates: readonly CaptionTokens[], references: readonly (readonly CaptionTokens[])[]): RougeLResult {
  checkCaptionSet("rougeL", candidates, references);
  const perImage = candidates.map((candidate, i) => imageRougeL(candidate, references[i]!));
  return { corpus: mean(perImage), perImage };
}
