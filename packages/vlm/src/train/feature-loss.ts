/**
 * The contrastive loss of a batch from its features, and the loss's gradient with respect to
 * those features: the hinge that gradient caching and data parallelism turn on.
 *
 * The loss couples every pair of the batch (each image's negatives are all the other texts),
 * but it sees the towers only through the features I (B, D) and T (B, D). So
 *
 *   dL/dθ = Σ_rows (dL/dI_row) · dI_row/dθ + (dL/dT_row) · dT_row/dθ
 *
 * and each row's term needs only that row's forward pass. Here the features are leaves: the
 * loss is built on them, backward gives G_I = dL/dI and G_T = dL/dT (and adds dL/d logit_scale,
 * dL/d logit_bias to the model, whose parameters the loss uses directly). A chunk of rows can
 * then be re-run with a graph and back-propagated from its slice of G (Variable.backward(G)),
 * on any thread, in any number of pieces: the parameter gradients add up to the full batch's.
 */

import * as A from "@duet/autograd";
import type { Tensor } from "@duet/tensor";
import { lossOnFeatures, type LossKind } from "../loss/model-loss.js";
import type { CLIP } from "../model/clip.js";

export interface FeatureLoss {
  /** The loss of the batch (not multiplied by `scale`). */
  loss: number;
  /** d(scale · loss)/dI: (B, D). */
  imageGrad: Tensor;
  /** d(scale · loss)/dT: (B, D). */
  textGrad: Tensor;
  /** d(scale · loss)/dH for the hard negatives H (B·K, D); null without them. */
  negativeGrad: Tensor | null;
}

/**
 * Loss and feature gradients of a whole batch. `scale` multiplies the gradients (1/k for one
 * of k accumulated batches). The gradients of logit_scale and logit_bias are added to the
 * model's `.grad`. `hardNegatives`: the features of K swapped twins per caption (B·K, D),
 * leaves like the others, so their rows' gradients go back to the chunks that embedded them.
 * `group`: the loss within groups of that many rows (loss/model-loss.ts), null: the batch.
 */
export function featureLoss(model: CLIP, imageFeatures: Tensor, textFeatures: Tensor, kind: LossKind, scale = 1, hardNegatives: Tensor | null = null, group: number | null = null): FeatureLoss {
  const image = new A.Variable(imageFeatures, { requiresGrad: true });
  const text = new A.Variable(textFeatures, { requiresGrad: true });
  const negative = hardNegatives === null ? null : new A.Variable(hardNegatives, { requiresGrad: true });
  const loss = lossOnFeatures(model, image, text, kind, negative ?? undefined, group);
  (scale === 1 ? loss : A.mul(loss, scale)).backward();
  return { loss: loss.item(), imageGrad: image.grad!, textGrad: text.grad!, negativeGrad: negative === null ? null : negative.grad! };
}
