/**
 * What the captioning metrics share: the shape of their input (one candidate and one or more
 * references per image, each caption a list of tokens), the check that the input has that
 * shape, and n-gram counting.
 *
 * pycocoevalcap takes each caption as one string and splits it on spaces. Here a caption is
 * already its tokens, so that each token must be non-empty and free of whitespace: then
 * `tokens.join(" ")` is the string pycocoevalcap would be given, and splitting it gives the
 * tokens back.
 */

import { ModelError } from "../model/errors.js";

/** One caption as tokens (from `tokenizeCaption`). */
export type CaptionTokens = readonly string[];

/** The largest n-gram the metrics count: BLEU-4, and CIDEr's n = 4. */
export const MAX_NGRAM = 4;

const HAS_WHITESPACE = /\s/u;

function checkTokens(fn: string, where: string, caption: unknown): void {
  if (!Array.isArray(caption)) throw new ModelError(fn, `${where} is ${typeof caption}: expected an array of tokens`);
  caption.forEach((token: unknown, t) => {
    if (typeof token !== "string" || token === "" || HAS_WHITESPACE.test(token)) {
      throw new ModelError(fn, `${where}[${t}] is ${JSON.stringify(token)}: expected a non-empty token without whitespace`);
    }
  });
}

/**
 * Throws unless there is at least one image, one candidate per image and at least one
 * reference per image, every caption an array of valid tokens. `fn` names the caller.
 */
export function checkCaptionSet(fn: string, candidates: readonly CaptionTokens[], references: readonly (readonly CaptionTokens[])[]): void {
  if (!Array.isArray(candidates)) throw new ModelError(fn, `candidates is ${typeof candidates}: expected an array (one caption per image)`);
  if (!Array.isArray(references)) throw new ModelError(fn, `references is ${typeof references}: expected an array (the reference captions of each image)`);
  if (candidates.length !== references.length) {
    throw new ModelError(fn, `candidates has ${candidates.length} captions but references has ${references.length} images: expected one candidate per image`);
  }
  if (candidates.length === 0) throw new ModelError(fn, "candidates and references are empty: expected at least one image");
  candidates.forEach((caption, i) => checkTokens(fn, `candidates[${i}]`, caption));
  references.forEach((refs, i) => {
    if (!Array.isArray(refs) || refs.length === 0) {
      throw new ModelError(fn, `references[${i}] has no reference caption: expected at least one per image`);
    }
    refs.forEach((caption, r) => checkTokens(fn, `references[${i}][${r}]`, caption));
  });
}

/**
 * counts[k - 1] maps each k-gram (its tokens joined by a space) to how often it occurs, for
 * k = 1 … maxN. Within one order the keys are in order of first occurrence, as the Python
 * dict pycocoevalcap builds; sums over them then add in the same order.
 */
export function ngramCounts(tokens: CaptionTokens, maxN = MAX_NGRAM): Map<string, number>[] {
  const counts: Map<string, number>[] = [];
  for (let k = 1; k <= maxN; k++) {
    const order = new Map<string, number>();
    for (let i = 0; i + k <= tokens.length; i++) {
      const key = tokens.slice(i, i + k).join(" ");
      order.set(key, (order.get(key) ?? 0) + 1);
    }
    counts.push(order);
  }
  return counts;
}

/** The arithmetic mean, summed left to right. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
