/**
 * Gradient accumulation: one optimizer step from k micro-batches, for a batch too big for
 * memory.
 *
 * How: each micro-batch's loss is scaled by 1/k before its backward pass. Backward adds
 * (+=) into `.grad`, so after k passes each gradient is (1/k) Σ_i ∇loss_i — the mean of the
 * micro-batch gradients, which is the gradient of the full batch's mean loss when the loss
 * is a mean over samples and the micro-batches are the same size. (Summing unscaled losses
 * and dividing the gradients by k afterwards gives the same numbers; scaling the loss keeps
 * the gradients at the scale clipping and the optimizer expect at every moment.)
 *
 * Not for CLIP's contrastive loss as it is: each image's negatives are the texts of its own
 * batch, so k micro-batches of n are not one batch of k·n. open_clip's `accum_freq` caches
 * the features of all micro-batches and recomputes the loss over the whole batch; build
 * that in the training loop, not here.
 *
 *   optimizer.zeroGrad();
 *   const loss = accumulateGradients(4, (i) => lossOf(microBatches[i]));
 *   clipGradNorm(model.parameters(), 1.0);
 *   optimizer.step();
 */

import * as A from "@duet/autograd";
import { TensorError } from "@duet/tensor";

/**
 * Runs `lossFor(i)` for i = 0..k-1, calls backward on each loss scaled by 1/k (so the graph
 * of one micro-batch is freed before the next is built), and returns the mean loss value.
 * Gradients accumulate on top of whatever `.grad` already holds: zero them first.
 */
export function accumulateGradients(k: number, lossFor: (microBatch: number) => A.Variable): number {
  if (!Number.isInteger(k) || k <= 0) throw new TensorError("accumulateGradients", `k must be a positive integer, got ${k}`);
  let total = 0;
  for (let i = 0; i < k; i++) {
    const loss = lossFor(i);
    if (!(loss instanceof A.Variable) || loss.size !== 1) {
      throw new TensorError("accumulateGradients", `lossFor(${i}) must return a one-element Variable (a loss), got ${loss instanceof A.Variable ? `shape [${loss.shape.join(",")}]` : typeof loss}`);
    }
    total += loss.item();
    A.mul(loss, 1 / k).backward();
  }
  return total / k;
}
