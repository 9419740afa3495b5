/**
 * Retrieval metrics with open_clip's names and meaning (open_clip_train/train.py,
 * get_clip_metrics): rank every candidate by similarity to a query, and see where the right
 * one lands.
 *
 *   for each query q (an image, or a text), with its ground truth g:
 *     s_j  = q · c_j for every candidate c_j                      (the logit scale changes no rank)
 *     pred = number of candidates ranked above g                   0-based, as open_clip's `preds`
 *   {name}_R@k        = mean(pred < k)                             k = 1, 5, 10
 *   {name}_mean_rank   = mean(pred) + 1                             1-based
 *   {name}_median_rank = floor(median(pred)) + 1                    numpy's median (mean of the two
 *                                                                   middle values for an even count)
 *   name = "image_to_text" (queries: images, candidates: texts) and "text_to_image".
 *
 * Ties are ranked as a stable descending sort would (the lower index first); torch's argsort
 * leaves their order unspecified.
 *
 * Several captions per image (`textImage[j]` = the image of text j): text → image is as above;
 * for image → text the ground truth is the image's best-ranked caption (pred = number of
 * wrong captions above it), the usual COCO / Flickr protocol. With one caption per image and
 * textImage = [0, 1, …], this is exactly open_clip's matrix computation.
 *
 * Memory: the N × M similarity matrix is never formed. Queries go `chunkSize` at a time
 * against all candidates, so at most chunkSize × max(N, M) scores exist at once.
 */

import { fmtShape, matmul, type Tensor } from "@duet/tensor";
import { ModelError } from "../model/errors.js";

export const RETRIEVAL_KS = [1, 5, 10] as const;

export type RetrievalMetrics = Record<
  | "image_to_text_R@1"
  | "image_to_text_R@5"
  | "image_to_text_R@10"
  | "image_to_text_mean_rank"
  | "image_to_text_median_rank"
  | "text_to_image_R@1"
  | "text_to_image_R@5"
  | "text_to_image_R@10"
  | "text_to_image_mean_rank"
  | "text_to_image_median_rank",
  number
>;

export interface RetrievalOptions {
  /** The image each text describes (length M); default: text j describes image j (M = N). */
  textImage?: ArrayLike<number>;
  /** Queries scored at once (default 256). */
  chunkSize?: number;
}

/**
 * 0-based ranks of the ground truth for each query: `queries` (Q, D) against `candidates`
 * (K, D); `isMatch(q, k)` says whether candidate k is right for query q (the best-scored
 * right one counts).
 */
export function groundTruthRanks(queries: Tensor, candidates: Tensor, isMatch: (q: number, k: number) => boolean, chunkSize = 256): Int32Array {
  const [Q] = queries.shape as [number, number];
  const [K] = candidates.shape as [number, number];
  const ranks = new Int32Array(Q);
  const candidatesT = candidates.transpose(0, 1);
  for (let start = 0; start < Q; start += chunkSize) {
    const end = Math.min(Q, start + chunkSize);
    const scores = matmul(queries.slice(0, start, end), candidatesT).contiguousData(); // (end - start, K)
    for (let q = start; q < end; q++) {
      const row = (q - start) * K;
      // the best right candidate: highest score, lower index on ties
      let best = -1;
      for (let k = 0; k < K; k++) if (isMatch(q, k) && (best < 0 || scores[row + k]! > scores[row + best]!)) best = k;
      if (best < 0) throw new ModelError("retrievalMetrics", `query ${q} has no matching candidate`);
      const s = scores[row + best]!;
      let above = 0;
      for (let k = 0; k < K; k++) {
        if (isMatch(q, k)) continue;
        const v = scores[row + k]!;
        if (v > s || (v === s && k < best)) above++;
      }
      ranks[q] = above;
    }
  }
  return ranks;
}

/** numpy's median of integers (mean of the two middle values for an even count). */
function median(values: Int32Array): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function summarise(prefix: "image_to_text" | "text_to_image", preds: Int32Array): Record<string, number> {
  const n = preds.length;
  let total = 0;
  for (const p of preds) total += p;
  const out: Record<string, number> = {
    [`${prefix}_mean_rank`]: total / n + 1,
    [`${prefix}_median_rank`]: Math.floor(median(preds)) + 1,
  };
  for (const k of RETRIEVAL_KS) out[`${prefix}_R@${k}`] = preds.filter((p) => p < k).length / n;
  return out;
}

/** open_clip's retrieval metrics from normalised image features (N, D) and text features (M, D). */
export function retrievalMetrics(imageFeatures: Tensor, textFeatures: Tensor, options: RetrievalOptions = {}): RetrievalMetrics {
  const [N, D] = imageFeatures.shape;
  const [M] = textFeatures.shape;
  if (imageFeatures.ndim !== 2 || textFeatures.ndim !== 2 || textFeatures.shape[1] !== D || N === 0 || M === 0) {
    throw new ModelError("retrievalMetrics", `imageFeatures (N, D) and textFeatures (M, D) must be non-empty and share D, got ${fmtShape(imageFeatures.shape)} and ${fmtShape(textFeatures.shape)}`);
  }
  const chunkSize = options.chunkSize ?? 256;
  if (!(Number.isInteger(chunkSize) && chunkSize > 0)) throw new ModelError("retrievalMetrics", `chunkSize must be a positive integer, got ${chunkSize}`);
  if (options.textImage === undefined && M !== N) {
    throw new ModelError("retrievalMetrics", `${N} images but ${M} texts: pass textImage, the image each text describes`);
  }
  const textImage = options.textImage ?? Int32Array.from({ length: M! }, (_, j) => j);
  if (textImage.length !== M) throw new ModelError("retrievalMetrics", `textImage must name an image for each of the ${M} texts, got ${textImage.length}`);
  for (let j = 0; j < M!; j++) {
    const i = textImage[j]!;
    if (!(Number.isInteger(i) && i >= 0 && i < N!)) throw new ModelError("retrievalMetrics", `textImage[${j}] = ${i} is not an image index in [0, ${N! - 1}]`);
  }
  const captioned = new Set(Array.from(textImage));
  for (let i = 0; i < N!; i++) if (!captioned.has(i)) throw new ModelError("retrievalMetrics", `image ${i} has no text in textImage: every image needs a caption to be retrieved`);
  const imageToText = groundTruthRanks(imageFeatures, textFeatures, (i, j) => textImage[j] === i, chunkSize);
  const textToImage = groundTruthRanks(textFeatures, imageFeatures, (j, i) => textImage[j] === i, chunkSize);
  return { ...summarise("image_to_text", imageToText), ...summarise("text_to_image", textToImage) } as RetrievalMetrics;
}
