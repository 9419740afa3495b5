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
 * Both passes over a chunk must compute the same function, or the cached gradients belong to
 * other features. Images arrive augmented already (the loader draws each crop once), and each
 * chunk's forward runs with the default Generator re-seeded from the chunk's own seed, so a
 * Dropout layer draws the same mask in the embedding pass and in the recompute, on whichever
 * thread runs it. The same class runs on the main thread and inside data-parallel workers.
 */

import * as A from "@duet/autograd";
import { defaultGenerator, type Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";

/** Rows [start, end) of the batch. */
export type Chunk = readonly [number, number];

/** The normalised features of a chunk's images and texts: (rows, D) each. */
export interface ChunkPair<T> {
  image: T;
  text: T;
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

/** Both towers on rows [a, b) of the batch, features L2-normalised. */
export function encodeChunk(model: CLIP, images: Tensor, tokens: Tensor, [a, b]: Chunk): ChunkPair<A.Variable> {
  return {
    image: model.encodeImage(images.slice(0, a, b), { normalize: true }),
    text: model.encodeText(tokens.slice(0, a, b), { normalize: true }),
  };
}

interface Work {
  images: Tensor;
  tokens: Tensor;
  chunks: readonly Chunk[];
  seeds: readonly number[];
  /** The graphs of a single chunk, kept between embed and backward. */
  kept: ChunkPair<A.Variable> | null;
}

export class ShardRunner {
  private work: Work | null = null;

  constructor(readonly model: CLIP) {}

  /** The features of each chunk (rows of `images` and `tokens`), each under its own seed. */
  embed(images: Tensor, tokens: Tensor, chunks: readonly Chunk[], seeds: readonly number[]): ChunkPair<Tensor>[] {
    if (chunks.length === 1) {
      const kept = withSeed(seeds[0]!, () => encodeChunk(this.model, images, tokens, chunks[0]!));
      this.work = { images, tokens, chunks, seeds, kept };
      return [{ image: kept.image.value, text: kept.text.value }];
    }
    this.work = { images, tokens, chunks, seeds, kept: null };
    return A.noGrad(() =>
      chunks.map((chunk, c) => {
        const f = withSeed(seeds[c]!, () => encodeChunk(this.model, images, tokens, chunk));
        return { image: f.image.value, text: f.text.value };
      }),
    );
  }

  /** Back-propagates each chunk's feature gradients (same order and shapes as `embed` returned). */
  backward(grads: readonly ChunkPair<Tensor>[]): void {
    const work = this.work;
    if (work === null) throw new Error("ShardRunner.backward: call embed first");
    this.work = null;
    work.chunks.forEach((chunk, c) => {
      const f = work.kept ?? withSeed(work.seeds[c]!, () => encodeChunk(this.model, work.images, work.tokens, chunk));
      const g = grads[c]!;
      f.image.backward(g.image);
      f.text.backward(g.text);
    });
  }
}
