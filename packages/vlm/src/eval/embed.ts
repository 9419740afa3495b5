/**
 * Embedding many images or texts for evaluation: batch by batch, without a graph (noGrad),
 * L2-normalised, gathered into one (N, embed) Tensor. Memory holds one batch of activations
 * at a time plus the features.
 */

import { noGrad } from "@duet/autograd";
import { concat, fmtShape, type Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { ModelError } from "../model/errors.js";

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

/** images (N, 3, S, S) -> normalised features (N, embed). */
export function embedImages(model: CLIP, images: Tensor, options: EmbedOptions = {}): Tensor {
  if (images.ndim !== 4 || images.shape[0] === 0) throw new ModelError("embedImages", `images must be a non-empty (N, 3, S, S) tensor, got ${fmtShape(images.shape)}`);
  return noGrad(() => {
    const parts = batches("embedImages", images.shape[0]!, options.batchSize ?? 64).map(([a, b]) => model.encodeImage(images.slice(0, a, b), { normalize: true }).value);
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  });
}

/** tokens int32 (M, L) -> normalised features (M, embed). */
export function embedTexts(model: CLIP, tokens: Tensor, options: EmbedOptions = {}): Tensor {
  if (tokens.ndim !== 2 || tokens.shape[0] === 0) throw new ModelError("embedTexts", `tokens must be a non-empty int32 (M, L) tensor, got ${tokens.dtype} ${fmtShape(tokens.shape)}`);
  return noGrad(() => {
    const parts = batches("embedTexts", tokens.shape[0]!, options.batchSize ?? 256).map(([a, b]) => model.encodeText(tokens.slice(0, a, b), { normalize: true }).value);
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  });
}
