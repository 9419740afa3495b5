/**
 * The captioning metrics of the COCO caption evaluation, as pycocoevalcap 1.2 reports them:
 * BLEU-1 … BLEU-4, ROUGE-L and CIDEr-D of generated captions against reference captions.
 *
 *   captionMetrics(["a dog runs on the grass"], [["A dog running on grass.", "a brown dog"]])
 *   → { bleu1, bleu2, bleu3, bleu4, rougeL, ciderD, n: 1 }
 *
 * The pipeline is pycocoevalcap's: tokenize every caption (caption-metrics-tokenize.ts,
 * PTBTokenizer's rules without Java), then score the token lists (caption-metrics-bleu.ts,
 * -rouge.ts, -cider.ts). The scales are pycocoevalcap's too: BLEU and ROUGE-L in 0 … 1,
 * CIDEr-D in 0 … 10 (not percentages). CIDEr-D's document frequencies come from the
 * references given, so its value depends on the whole evaluated set, as in pycocoevalcap:
 * score a set in one call, not image by image.
 *
 * tests/vlm/caption-metrics.test.ts checks every number against pycocoevalcap's on the
 * fixture that tools/caption-metrics-fixture.py writes.
 */

import { bleu } from "./caption-metrics-bleu.js";
import { ciderD } from "./caption-metrics-cider.js";
import { type CaptionTokens } from "./caption-metrics-common.js";
import { rougeL } from "./caption-metrics-rouge.js";
import { tokenizeCaption } from "./caption-metrics-tokenize.js";
import { ModelError } from "../model/errors.js";

export interface CaptionMetrics {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  rougeL: number;
  ciderD: number;
  /** The number of images scored. */
  n: number;
}

/** Every corpus score of already tokenized captions (see `tokenizeCaption`). */
export function captionMetricsOfTokens(candidates: readonly CaptionTokens[], references: readonly (readonly CaptionTokens[])[]): CaptionMetrics {
  const [bleu1, bleu2, bleu3, bleu4] = bleu(candidates, references, 4).corpus as [number, number, number, number];
  return {
    bleu1,
    bleu2,
    bleu3,
    bleu4,
    rougeL: rougeL(candidates, references).corpus,
    ciderD: ciderD(candidates, references).corpus,
    n: candidates.length,
  };
}

/**
 * BLEU-1 … 4, ROUGE-L and CIDEr-D of `candidates` (one generated caption per image) against
 * `references` (the true captions of each image, at least one), as raw text.
 */
export function captionMetrics(candidates: readonly string[], references: readonly (readonly string[])[]): CaptionMetrics {
  const fn = "captionMetrics";
  if (!Array.isArray(candidates)) throw new ModelError(fn, `candidates is ${typeof candidates}: expected an array of captions`);
  if (!Array.isArray(references)) throw new ModelError(fn, `references is ${typeof references}: expected an array of caption arrays`);
  if (candidates.length !== references.length) {
    throw new ModelError(fn, `candidates has ${candidates.length} captions but references has ${references.length} images: expected one candidate per image`);
  }
  const tokenize = (where: string, text: unknown): string[] => {
    if (typeof text !== "string") throw new ModelError(fn, `${where} is ${typeof text}: expected a string`);
    return tokenizeCaption(text);
  };
  const candidateTokens = candidates.map((text, i) => tokenize(`candidates[${i}]`, text));
  const referenceTokens = references.map((refs, i) => {
    if (!Array.isArray(refs) || refs.length === 0) throw new ModelError(fn, `references[${i}] has no reference caption: expected at least one per image`);
    return refs.map((text, r) => tokenize(`references[${i}][${r}]`, text));
  });
  if (candidateTokens.length === 0) throw new ModelError(fn, "candidates and references are empty: expected at least one image");
  return captionMetricsOfTokens(candidateTokens, referenceTokens);
}
