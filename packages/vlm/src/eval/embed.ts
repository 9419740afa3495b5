/**
 * Embedding many images or texts for evaluation: batch by batch, without a graph (noGrad),
 * L2-normalised, gathered into one (N, embed) Tensor. Memory holds one batch of activations
 * at a time plus the features.
 *
 * Features that are not finite are refused here, where every evaluation passes: a NaN feature
 * compares false with everything, so a ranking keeps its input order and zero-shot or
 * retrieval would report the diagonal — 100% — instead of failing.
 */

import { noGrad } from "@duet/autograd";
import { concat, fmtShape, stack, type Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { ModelError } from "../model/errors.js";
import type { Encoder } from "./encoder.js";

export interface EmbedOptions {
  /** Rows per forward pass (default 64). */
  batchSize?: number;
}

function batches(op: string, n: number, batchSize: number): [number, number][] {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new ModelError(op, `batchSize must be a positive integer, got ${batchSize}`);
  const out: [number, number][] = [];
  for (let start = 0; start < n; start += batchSize) out.push([start, Math.min(n, start + batchSize)]);
  return out;
}

/** Throws when a row of `features` (N, D) holds a NaN or Inf, naming the row. */
function checkFinite(op: string, features: Tensor, what: string): Tensor {
  const data = features.contiguousData();
  const width = features.shape[1]!;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / width);
      throw new ModelError(op, `the model gives ${data[i]} features for ${what} ${row} of ${features.shape[0]}: its weights or its input hold a NaN or an Inf; nothing is evaluated on them`);
    }
  }
  return features;
}

/** images (N, 3, S, S) -> normalised features (N, embed). */
export function embedImages(model: CLIP, images: Tensor, options: EmbedOptions = {}): Tensor {
  if (images.ndim !== 4 || images.shape[0] === 0) throw new ModelError("embedImages", `images must be a non-empty (N, 3, S, S) tensor, got ${fmtShape(images.shape)}`);
  return noGrad(() => {
    const parts = batches("embedImages", images.shape[0]!, options.batchSize ?? 64).map(([a, b]) => model.encodeImage(images.slice(0, a, b), { normalize: true }).value);
    return checkFinite("embedImages", parts.length === 1 ? parts[0]! : concat(parts, 0), "image");
  });
}

/** tokens int32 (M, L) -> normalised features (M, embed). */
export function embedTexts(model: CLIP, tokens: Tensor, options: EmbedOptions = {}): Tensor {
  if (tokens.ndim !== 2 || tokens.shape[0] === 0) throw new ModelError("embedTexts", `tokens must be a non-empty int32 (M, L) tensor, got ${tokens.dtype} ${fmtShape(tokens.shape)}`);
  return noGrad(() => {
    const parts = batches("embedTexts", tokens.shape[0]!, options.batchSize ?? 256).map(([a, b]) => model.encodeText(tokens.slice(0, a, b), { normalize: true }).value);
    return checkFinite("embedTexts", parts.length === 1 ? parts[0]! : concat(parts, 0), "text");
  });
}

/** Reports a long evaluation's progress (the CLI draws a bar from it; the trainer passes none). */
export type ProgressFactory = (label: string, total: number) => { update(done: number): void; stop(): void };

export interface StreamOptions extends EmbedOptions {
  onProgress?: ProgressFactory;
  /** The progress bar's label (default "embedding images"). */
  label?: string;
}

/**
 * Normalised features of `count` images made `batchSize` at a time by `imageAt` (decoded and
 * preprocessed only when their batch comes, so a large set never sits in memory as tensors).
 */
export async function embedImageStream(model: CLIP, count: number, imageAt: (i: number) => Tensor | Promise<Tensor>, options: StreamOptions = {}): Promise<Tensor> {
  const batchSize = options.batchSize ?? 64;
  const progress = options.onProgress?.(options.label ?? "embedding images", count);
  const parts: Tensor[] = [];
  try {
    for (const [a, b] of batches("embedImageStream", count, batchSize)) {
      const images: Tensor[] = [];
      for (let i = a; i < b; i++) images.push(await imageAt(i));
      parts.push(embedImages(model, stack(images), { batchSize }));
      progress?.update(b);
    }
  } finally {
    progress?.stop();
  }
  if (parts.length === 0) throw new ModelError("embedImageStream", "no images to embed");
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/** Normalised features of texts, tokenized by the encoder `batchSize` at a time. */
export function embedTextList(encoder: Encoder, texts: readonly string[], batchSize = 256): Tensor {
  if (texts.length === 0) throw new ModelError("embedTextList", "no texts to embed");
  const parts: Tensor[] = [];
  for (let a = 0; a < texts.length; a += batchSize) parts.push(embedTexts(encoder.model, encoder.tokenize(texts.slice(a, a + batchSize)), { batchSize }));
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}
