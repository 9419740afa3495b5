/**
 * The gradient of one contrastive batch, however it is computed:
 *
 *   plain              one thread, one chunk: forward both towers with a graph, the loss,
 *                      backward. The reference the other two are tested against.
 *   gradient caching   one thread, chunks of `chunkSize` rows (Gao et al. 2021, "Scaling Deep
 *                      Contrastive Learning Batch Size under Memory Limited Setup"):
 *                        1. embed every chunk without a graph (noGrad): features only
 *                        2. the loss over the whole batch, and G = dL/d(features)
 *                        3. re-run each chunk with a graph, backward(G[chunk])
 *                      Memory holds one chunk's activations, whatever the batch: a batch of
 *                      thousands trains where only hundreds fit. The price: a second forward.
 *   data parallel      the same three steps with the chunks spread over threads (the main
 *                      thread and workers, data-parallel.ts): with one chunk per thread each
 *                      keeps its graph and nothing is recomputed; with `chunkSize` smaller
 *                      than a thread's share, each thread caches gradients over its chunks.
 *
 * All three give the same gradients up to float rounding (they sum the same terms in another
 * order); each is deterministic. Chunk c of a thread's list is chunk (c·threads + thread) of
 * the batch, and every chunk's forward runs under its own seed (shard.ts).
 *
 * A CoCa trains with open_clip's CoCaLoss (loss/coca-loss.ts) on all three roads:
 *
 *   loss = w_c · InfoNCE(I, T) + w_cap · (Σ_chunks S_chunk) / K
 *
 * with S_chunk a chunk's summed caption cross-entropy and K the real (non-pad) tokens of the
 * whole batch's captions, counted from the tokens before any forward. The contrastive part goes
 * through step 2 as CLIP's does; the captioning part needs no step 2 (each row's tokens are its
 * own), so each chunk back-propagates its S with the seed w_cap · scale / K (shard.ts).
 *
 * Hard negatives (`duet train --hard-negatives`): K twin captions per row, tokens (B·K, L),
 * are embedded by the chunk that embeds their row (shard.ts) and enter step 2 as the loss's
 * `hardNegatives` (B·K, D): the image → text logits get B·K more columns. Their gradient
 * rows go back with their chunk's, on all three roads alike.
 */

import * as A from "@duet/autograd";
import { concat, type Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { deriveSeed } from "../data/seeds.js";
import { COCA_CAPTION_LOSS_WEIGHT, COCA_CONTRASTIVE_LOSS_WEIGHT, cocaLoss } from "../loss/coca-loss.js";
import { lossOnFeatures, type LossKind } from "../loss/model-loss.js";
import { TrainError } from "./errors.js";
import { featureLoss } from "./feature-loss.js";
import { encodeChunk, negativesPerRow, ShardRunner, withSeed, type Chunk, type ChunkFeatures, type ChunkPair } from "./shard.js";

export interface StepEngineOptions {
  /** Threads running shards: 1 = the calling thread only; n > 1 starts n - 1 workers. */
  shards: number;
  /** Rows per chunk for gradient caching; null: one chunk per shard. */
  chunkSize: number | null;
  loss: LossKind;
  /** The contrastive loss within groups of this many rows (loss/model-loss.ts); null or absent: the whole batch. */
  lossGroup?: number | null;
}

/** The chunks of each shard: a partition of rows [0, batch) (see the file comment). */
export function planChunks(batch: number, chunkSize: number | null, shards: number): Chunk[][] {
  const plan: Chunk[][] = Array.from({ length: shards }, () => []);
  if (chunkSize === null || chunkSize * shards >= batch) {
    for (let s = 0; s < shards; s++) {
      const a = Math.round((batch * s) / shards);
      const b = Math.round((batch * (s + 1)) / shards);
      if (b > a) plan[s]!.push([a, b]);
    }
    return plan;
  }
  for (let c = 0, a = 0; a < batch; c++, a += chunkSize) plan[c % shards]!.push([a, Math.min(batch, a + chunkSize)]);
  return plan;
}

/**
 * The threads that run the other shards (data-parallel.ts's DataParallelWorkers in Node). The
 * engine knows only this interface, so it runs in a browser too, where there are none.
 */
export interface ShardWorkers {
  /** Worker `w` embeds `chunks` of the batch (and their rows' hard negatives); resolves to their features (and a CoCa's caption losses). */
  embed(w: number, images: Tensor, tokens: Tensor, chunks: readonly Chunk[], seeds: readonly number[], negatives: Tensor | null): Promise<ChunkFeatures[]>;
  /** Worker `w` back-propagates its chunks' feature gradients (and a CoCa's caption losses, seeded with captionScale). */
  backward(w: number, grads: readonly ChunkPair<Tensor>[], captionScale: number): Promise<void>;
  /** Adds every worker's gradients to the model's, in a fixed order. */
  addGradients(model: CLIP): void;
  close(): Promise<void>;
}

/** A batch's loss and, for a CoCa, its two weighted parts (they add up to `loss`). */
export interface BatchLoss {
  loss: number;
  /** w_c · InfoNCE; null for a CLIP. */
  contrastive: number | null;
  /** w_cap · the mean caption cross-entropy; null for a CLIP. */
  caption: number | null;
}

/** The caption labels (tokens[:, 1:]) that are not padding: the denominator of the captioning loss. */
function realCaptionTokens(tokens: Tensor, padId: number): number {
  const [rows, length] = tokens.shape as [number, number];
  const ids = tokens.contiguousData();
  let count = 0;
  for (let r = 0; r < rows; r++) for (let t = 1; t < length; t++) if (ids[r * length + t] !== padId) count++;
  if (count === 0) throw new TrainError("StepEngine.accumulate", `the batch's captions have no token after the first that is not the pad id ${padId}: the captioning loss has nothing to predict`);
  return count;
}

export class StepEngine {
  private readonly runner: ShardRunner;

  /** `workers`: shards - 1 of them (start them with startStepEngine in Node); none for one shard. */
  constructor(
    readonly model: CLIP,
    readonly options: StepEngineOptions,
    private readonly workers: ShardWorkers | null = null,
  ) {
    if ((options.shards > 1) !== (workers !== null)) {
      throw new Error(`StepEngine: ${options.shards} shards need ${options.shards - 1} workers, got ${workers === null ? "none" : "some"}`);
    }
    this.runner = new ShardRunner(model);
  }

  /**
   * Adds d(scale · loss)/dθ of one contrastive batch to every parameter's `.grad` and returns
   * the batch's loss. `seed` makes the chunks' seeds (for Dropout, if a model has it).
   */
  async accumulate(images: Tensor, tokens: Tensor, scale: number, seed: number, negatives: Tensor | null = null): Promise<number> {
    return (await this.accumulateParts(images, tokens, scale, seed, negatives)).loss;
  }

  /** As accumulate, with a CoCa's two loss parts. `negatives`: K hard-negative captions per row as tokens (B·K, L), or null. */
  async accumulateParts(images: Tensor, tokens: Tensor, scale: number, seed: number, negatives: Tensor | null = null): Promise<BatchLoss> {
    const { model, options } = this;
    const batch = images.shape[0]!;
    const k = negatives === null ? 0 : negativesPerRow("StepEngine.accumulate", tokens, negatives);
    if (negatives !== null && isCoCa(model)) throw new TrainError("StepEngine.accumulate", "hard negatives are for a CLIP: a CoCa's loss (open_clip's CoCaLoss) takes none");
    const plan = planChunks(batch, options.chunkSize, options.shards);
    const seedsOf = (chunks: readonly Chunk[]) => chunks.map(([a]) => deriveSeed(seed, a));
    const coca = isCoCa(model) ? model : null;
    if (coca !== null && (options.lossGroup ?? null) !== null) throw new TrainError("StepEngine", "lossGroup is for a CLIP: a CoCa's contrastive loss (open_clip's CoCaLoss) takes the whole batch");
    if (coca !== null && options.loss !== "clip") throw new TrainError("StepEngine", `loss "${options.loss}" is not a CoCa's: CoCa trains with InfoNCE plus the captioning loss (open_clip's CoCaLoss); use loss "clip"`);
    if (this.workers === null && plan[0]!.length === 1) {
      return withSeed(seedsOf(plan[0]!)[0]!, () => {
        let loss: A.Variable;
        let parts: BatchLoss;
        if (coca !== null) {
          // the reference the chunked roads are tested against: open_clip's CoCaLoss, as it is
          const out = coca.forward(images, tokens);
          const p = cocaLoss(out.imageFeatures, out.textFeatures, out.logits, out.labels, out.logitScale, { padId: coca.padId });
          loss = p.loss;
          parts = { loss: loss.item(), contrastive: p.contrastiveLoss.item(), caption: p.captionLoss.item() };
        } else {
          const f = encodeChunk(model, images, tokens, [0, batch], negatives);
          loss = lossOnFeatures(model, f.image, f.text, options.loss, f.negative, options.lossGroup ?? null);
          parts = { loss: loss.item(), contrastive: null, caption: null };
        }
        (scale === 1 ? loss : A.mul(loss, scale)).backward();
        return parts;
      });
    }
    // 1. embed: workers start first, the main thread runs its own shard meanwhile
    const remote = plan.slice(1).map((chunks, w) => (chunks.length > 0 ? this.workers!.embed(w, images, tokens, chunks, seedsOf(chunks), negatives) : Promise.resolve([])));
    for (const p of remote) p.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const local = this.runner.embed(images, tokens, plan[0]!, seedsOf(plan[0]!), negatives);
    const features = [local, ...(await Promise.all(remote))];
    // 2. the loss over the whole batch, and its gradient with respect to every row's features
    const ordered = plan.flatMap((chunks, s) => chunks.map((chunk, c) => ({ chunk, f: features[s]![c]! }))).sort((x, y) => x.chunk[0] - y.chunk[0]);
    const gather = (pick: (f: ChunkPair<Tensor>) => Tensor) => (ordered.length === 1 ? pick(ordered[0]!.f) : concat(ordered.map((o) => pick(o.f)), 0));
    const contrastiveWeight = coca === null ? 1 : COCA_CONTRASTIVE_LOSS_WEIGHT;
    // the chunks in row order, so the twins' rows stay in order too: row i's at i·K .. i·K + K
    const hardNegatives = negatives === null ? null : gather((f) => f.negative!);
    const contrastive = featureLoss(model, gather((f) => f.image), gather((f) => f.text), options.loss, scale * contrastiveWeight, hardNegatives, options.lossGroup ?? null);
    const { imageGrad, textGrad, negativeGrad } = contrastive;
    let result: BatchLoss = { loss: contrastive.loss, contrastive: null, caption: null };
    let captionScale = 0;
    if (coca !== null) {
      // the captioning loss: the chunks' sums over the batch's real tokens (in row order, so a run is deterministic)
      const realTokens = realCaptionTokens(tokens, coca.padId);
      const caption = (COCA_CAPTION_LOSS_WEIGHT * ordered.reduce((sum, o) => sum + o.f.caption!, 0)) / realTokens;
      const weighted = contrastiveWeight * contrastive.loss;
      result = { loss: weighted + caption, contrastive: weighted, caption };
      captionScale = (COCA_CAPTION_LOSS_WEIGHT * scale) / realTokens;
    }
    // 3. every shard back-propagates its rows' slice of the gradient
    const slices = (chunks: readonly Chunk[]) =>
      chunks.map(([a, b]) => ({
        image: imageGrad.slice(0, a, b).contiguous(),
        text: textGrad.slice(0, a, b).contiguous(),
        ...(negativeGrad === null ? {} : { negative: negativeGrad.slice(0, a * k, b * k).contiguous() }),
      }));
    const pending = plan.slice(1).map((chunks, w) => (chunks.length > 0 ? this.workers!.backward(w, slices(chunks), captionScale) : Promise.resolve()));
    for (const p of pending) p.catch(() => undefined);
    this.runner.backward(slices(plan[0]!), captionScale);
    await Promise.all(pending);
    // 4. reduce: the workers' gradients onto the main thread's, in worker order
    this.workers?.addGradients(model);
    return result;
  }

  async close(): Promise<void> {
    await this.workers?.close();
  }
}
