/**
 * One thread's share of a contrastive batch: its chunks of rows, embedded, then
 * back-propagated from the feature gradients the loss hands back (see feature-loss.ts).
 *
 *   embed(chunks)      one chunk:   forward with a graph, kept for backward (no recompute)
 *                      more chunks: forward each without a graph (noGrad): only the features
 *                                   stay, so memory holds one chunk's activations at a time
 *   backward(grads)    per chunk, in order: the kept graph, or the chunk re-run with a graph,
 *                      then image.backward(G_I[chunk]) and text.backward(G_T[chunk]); the
 *                      parameter gradients add up (+=) in each parameter's .grad
 *
 * A CoCa's chunk also gives its captioning loss, as the sum S of its real tokens'
 * cross-entropies (coca-loss.ts): the batch's captioning loss is w · Σ_chunks S / K (K real
 * tokens in the whole batch, w the caption weight), a sum over rows like the parameter
 * gradients, so it splits over chunks and threads as they do. Its backward seeds S with
 * w · scale / K beside the features' gradients, in one sweep: the towers feed both the
 * features and the decoder, so the three share one graph.
 *
 * Hard negatives (K swapped twins per caption, tokens (B·K, L): row i·K + j is caption i's
 * j-th) travel with their captions: a chunk of rows [a, b) also encodes twin rows [a·K, b·K),
 * in the same text-tower call as its captions, and hands back their features beside the
 * texts'; the loss's gradient for them comes back the same way, so gradient caching and data
 * parallelism split them as they split the rows.
 *
 * Both passes over a chunk must compute the same function, or the cached gradients belong to
 * other features. Images arrive augmented already (the loader draws each crop once), and each
 * chunk's forward runs with the default Generator re-seeded from the chunk's own seed, so a
 * Dropout layer draws the same mask in the embedding pass and in the recompute, on whichever
 * thread runs it. The same class runs on the main thread and inside data-parallel workers.
 */

import * as A from "@duet/autograd";
import { concat, defaultGenerator, fmtShape, type Tensor } from "@duet/tensor";
import { captionLoss } from "../loss/coca-loss.js";
import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { TrainError } from "./errors.js";

/** Rows [start, end) of the batch. */
export type Chunk = readonly [number, number];

/** The normalised features of a chunk's images and texts: (rows, D) each. */
export interface ChunkPair<T> {
  image: T;
  text: T;
  /** The hard negatives' features, (rows·K, D), when the batch has them. */
  negative?: T;
}

/** Runs `fn` with the default Generator seeded by `seed`, then puts its state back. */
export function withSeed<T>(seed: number, fn: () => T): T {
  const saved = defaultGenerator.getState();
  defaultGenerator.seed(seed);
  try {
    return fn();
  } finally {
    defaultGenerator.setState(saved);
  }
}

/** A chunk's features, and for a CoCa the summed cross-entropy of its captions' real tokens (else null). */
export interface ChunkOutput<T, S> extends ChunkPair<T> {
  caption: S | null;
}

/** Hard negatives per row: (B·K, L) twin tokens for a batch of B. */
export function negativesPerRow(op: string, tokens: Tensor, negatives: Tensor): number {
  const [rows, length] = tokens.shape as [number, number];
  const k = negatives.shape[0]! / rows;
  if (negatives.ndim !== 2 || negatives.shape[1] !== length || !Number.isInteger(k) || k < 1) {
    throw new TrainError(op, `hard negatives must be (B·K, L) = (${rows}·K, ${length}) tokens with K >= 1, got ${fmtShape(negatives.shape)}`);
  }
  return k;
}

/** Both towers on rows [a, b) of the batch, features L2-normalised; a CoCa's decoder too; the rows' hard negatives, if given. */
export function encodeChunk(model: CLIP, images: Tensor, tokens: Tensor, [a, b]: Chunk, negatives: Tensor | null = null): ChunkOutput<A.Variable, A.Variable> {
  if (negatives !== null) {
    if (isCoCa(model)) throw new TrainError("encodeChunk", "hard negatives are for a CLIP: a CoCa's loss (open_clip's CoCaLoss) takes none");
    const k = negativesPerRow("encodeChunk", tokens, negatives);
    // the captions and their twins in one pass of the text tower, then apart again
    const texts = model.encodeText(concat([tokens.slice(0, a, b), negatives.slice(0, a * k, b * k)], 0), { normalize: true });
    const [text, negative] = A.split(texts, [b - a, (b - a) * k], 0) as [A.Variable, A.Variable];
    return { image: model.encodeImage(images.slice(0, a, b), { normalize: true }), text, negative, caption: null };
  }
  if (isCoCa(model)) {
    const out = model.forward(images.slice(0, a, b), tokens.slice(0, a, b));
    return { image: out.imageFeatures, text: out.textFeatures, caption: captionLoss(out.logits, out.labels, model.padId, "sum") };
  }
  return {
    image: model.encodeImage(images.slice(0, a, b), { normalize: true }),
    text: model.encodeText(tokens.slice(0, a, b), { normalize: true }),
    caption: null,
  };
}

/** What embed hands back for a chunk: its features and (a CoCa) its summed caption loss. */
export type ChunkFeatures = ChunkOutput<Tensor, number>;

interface Work {
  images: Tensor;
  tokens: Tensor;
  negatives: Tensor | null;
  chunks: readonly Chunk[];
  seeds: readonly number[];
  /** The graphs of a single chunk, kept between embed and backward. */
  kept: ChunkOutput<A.Variable, A.Variable> | null;
}

const detach = (f: ChunkOutput<A.Variable, A.Variable>): ChunkFeatures => ({
  image: f.image.value,
  text: f.text.value,
  ...(f.negative === undefined ? {} : { negative: f.negative.value }),
  caption: f.caption === null ? null : f.caption.item(),
});

export class ShardRunner {
  private work: Work | null = null;

  constructor(readonly model: CLIP) {}

  /** The features of each chunk (rows of `images` and `tokens`, and of `negatives` when given), each under its own seed. */
  embed(images: Tensor, tokens: Tensor, chunks: readonly Chunk[], seeds: readonly number[], negatives: Tensor | null = null): ChunkFeatures[] {
    if (chunks.length === 1) {
      const kept = withSeed(seeds[0]!, () => encodeChunk(this.model, images, tokens, chunks[0]!, negatives));
      this.work = { images, tokens, negatives, chunks, seeds, kept };
      return [detach(kept)];
    }
    this.work = { images, tokens, negatives, chunks, seeds, kept: null };
    return A.noGrad(() => chunks.map((chunk, c) => detach(withSeed(seeds[c]!, () => encodeChunk(this.model, images, tokens, chunk, negatives)))));
  }

  /**
   * Back-propagates each chunk's feature gradients (same order and shapes as `embed` returned)
   * and, for a CoCa, d loss / dS = `captionScale` for each chunk's summed caption loss S.
   */
  backward(grads: readonly ChunkPair<Tensor>[], captionScale = 0): void {
    const work = this.work;
    if (work === null) throw new Error("ShardRunner.backward: call embed first");
    this.work = null;
    work.chunks.forEach((chunk, c) => {
      const f = work.kept ?? withSeed(work.seeds[c]!, () => encodeChunk(this.model, work.images, work.tokens, chunk, work.negatives));
      const g = grads[c]!;
      if (f.negative !== undefined) {
        if (g.negative === undefined) throw new Error("ShardRunner.backward: the chunk has hard negatives but no gradient came for them");
        // the texts and their twins share one graph (one text-tower pass), so one sweep from
        // <T, G_T> + <H, G_H>: its gradient is G_T at T and G_H at H, exactly
        f.image.backward(g.image);
        A.add(A.sum(A.mul(f.text, g.text)), A.sum(A.mul(f.negative, g.negative))).backward();
        return;
      }
      if (f.caption === null) {
        f.image.backward(g.image);
        f.text.backward(g.text);
        return;
      }
      // one sweep from <I, G_I> + <T, G_T> + captionScale · S: its gradient is G_I at I, G_T at T
      // and captionScale at S, exactly (the products' VJPs multiply by the seed 1)
      const surrogate = A.add(A.add(A.sum(A.mul(f.image, g.image)), A.sum(A.mul(f.text, g.text))), A.mul(f.caption, captionScale));
      surrogate.backward();
    });
  }
}
