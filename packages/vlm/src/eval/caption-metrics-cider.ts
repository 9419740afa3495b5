/**
 * CIDEr-D as pycocoevalcap 1.2 computes it. Its class is called `Cider`, but it is the
 * CIDEr-D variant of Vedantam et al. (2015): clipped counts and a Gaussian length penalty.
 *
 * Document frequencies come from the references of the evaluated set itself:
 *   df(g)  = the number of images one of whose references contains the n-gram g
 *   w(g)   = log(N) - log(max(1, df(g)))                  N images (an n-gram no reference has
 *                                                          gets the full log N)
 * Each caption becomes, for each n = 1 … 4, a vector v_n(g) = count(g) · w(g). Then
 *
 *   sim_n(c, r) = Σ_{g in c} min(v_n^c(g), v_n^r(g)) · v_n^r(g) / (‖v_n^c‖ ‖v_n^r‖)
 *                 · exp(-(ℓ_c - ℓ_r)² / (2σ²)),   σ = 6
 *   CIDEr-D(c)  = 10 · mean_n ( Σ_j sim_n(c, r_j) / m )     m references
 *
 * and the corpus score is the mean over images. The min() is the clipping: a candidate gains
 * nothing by repeating an n-gram more often than the reference has it. When either norm is 0
 * the division is skipped (the dot product is 0 then anyway).
 *
 * The length ℓ in the penalty is pycocoevalcap's: it adds up the counts of the vector with
 * index 1, which holds the bigrams, so ℓ = max(0, tokens - 1). That is one less than the
 * token count for every caption that has tokens, which leaves ℓ_c - ℓ_r unchanged; a caption
 * without tokens has zero vectors and contributes 0 either way. So it never shows in a score,
 * and is kept so the code reads line for line against pycocoevalcap's.
 */

import { checkCaptionSet, MAX_NGRAM, mean, ngramCounts, type CaptionTokens } from "./caption-metrics-common.js";

/** pycocoevalcap's Gaussian length penalty: σ = 6 tokens. */
export const CIDER_D_SIGMA = 6;
/** pycocoevalcap multiplies the mean cosine by 10, so the scores are on a 0 … 10 scale. */
export const CIDER_D_SCALE = 10;

export interface CiderDResult {
  /** The mean over images: pycocoevalcap's `score`. */
  corpus: number;
  /** CIDEr-D of each image: pycocoevalcap's `scores`. */
  perImage: number[];
}

/** A caption as tf-idf vectors, one per n-gram order, with their norms and the penalty's length. */
interface TfIdf {
  vectors: Map<string, number>[];
  norms: number[];
  length: number;
}

function tfIdf(counts: Map<string, number>[], documentFrequency: Map<string, number>, logImages: number): TfIdf {
  let length = 0;
  const vectors = counts.map((order, n) => {
    const vector = new Map<string, number>();
    for (const [gram, termFrequency] of order) {
      vector.set(gram, termFrequency * (logImages - Math.log(Math.max(1, documentFrequency.get(gram) ?? 0))));
      if (n === 1) length += termFrequency; // pycocoevalcap's length: the bigram count (see above)
    }
    return vector;
  });
  const norms = vectors.map((vector) => {
    let squares = 0;
    for (const v of vector.values()) squares += v ** 2;
    return Math.sqrt(squares);
  });
  return { vectors, norms, length };
}

/** sim_n(c, r) for n = 1 … 4, penalty included. */
function similarity(candidate: TfIdf, reference: TfIdf): number[] {
  const delta = candidate.length - reference.length;
  // Math.E ** x, not Math.exp(x): pycocoevalcap writes np.e ** x
  const penalty = Math.E ** (-(delta ** 2) / (2 * CIDER_D_SIGMA ** 2));
  return candidate.vectors.map((vector, n) => {
    const referenceVector = reference.vectors[n]!;
    let dot = 0;
    for (const [gram, v] of vector) {
      const r = referenceVector.get(gram) ?? 0;
      dot += Math.min(v, r) * r;
    }
    if (candidate.norms[n] !== 0 && reference.norms[n] !== 0) dot /= candidate.norms[n]! * reference.norms[n]!;
    return dot * penalty;
  });
}

/**
 * Corpus (mean) and per-image CIDEr-D of `candidates` against `references`, as tokens, with
 * document frequencies from these references. Equal to pycocoevalcap's `Cider().compute_score`
 * on the captions joined by spaces.
 */
export function ciderD(candidates: readonly CaptionTokens[], references: readonly (readonly CaptionTokens[])[]): CiderDResult {
  checkCaptionSet("ciderD", candidates, references);
  const referenceCounts = references.map((refs) => refs.map((tokens) => ngramCounts(tokens, MAX_NGRAM)));
  const documentFrequency = new Map<string, number>();
  for (const refs of referenceCounts) {
    const seen = new Set<string>();
    for (const counts of refs) for (const order of counts) for (const gram of order.keys()) seen.add(gram);
    for (const gram of seen) documentFrequency.set(gram, (documentFrequency.get(gram) ?? 0) + 1);
  }
  const logImages = Math.log(references.length);
  const perImage = candidates.map((candidate, i) => {
    const c = tfIdf(ngramCounts(candidate, MAX_NGRAM), documentFrequency, logImages);
    const sums = new Array<number>(MAX_NGRAM).fill(0);
    for (const counts of referenceCounts[i]!) {
      similarity(c, tfIdf(counts, documentFrequency, logImages)).forEach((s, n) => (sums[n]! += s));
    }
    return (mean(sums) / referenceCounts[i]!.length) * CIDER_D_SCALE;
  });
  return { corpus: mean(perImage), perImage };
}
