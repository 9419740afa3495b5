/**
 * CLIP's symmetric contrastive loss (InfoNCE), as open_clip's ClipLoss (loss.py): in a batch
 * of N matching (image, text) pairs, image i must pick text i among all N texts, and text i
 * must pick image i among all N images. The other N - 1 pairs are the negatives, which is
 * why the batch size matters so much.
 *
 *   I (N, D), T (N, D): L2-normalised features;  s = exp(logit_scale), a number or a 0-d Variable
 *   logitsPerImage = s · I @ Tᵀ        (N, N)    row i: image i against every text
 *   logitsPerText  = s · T @ Iᵀ        (N, N)    row j: text j against every image
 *   labels = [0, 1, ..., N-1]                    the diagonal holds the matching pairs
 *   loss = ( crossEntropy(logitsPerImage, labels) + crossEntropy(logitsPerText, labels) ) / 2
 *
 * Hard negatives (optional, NegCLIP-style, Yuksekgonul et al. 2023): plain InfoNCE cannot tell
 * "a man riding a horse" from "a horse riding a man" if no batch holds both. With K extra
 * captions per image — word-order or attribute swaps of its caption — H (N·K, D), they are
 * appended to the texts for the image → text direction only:
 *
 *   logitsPerImage = s · I @ [T; H]ᵀ   (N, N + N·K)   every image sees every hard negative
 *   logitsPerText  = s · T @ Iᵀ        (N, N)         unchanged: a hard negative matches no image
 *
 * so the labels stay [0, ..., N-1] and each image must rank its caption above its own swaps
 * (and everyone else's).
 */

import * as A from "@duet/autograd";
import { arange, fmtShape, Tensor } from "@duet/tensor";
import { ModelError } from "../model/errors.js";

export interface ContrastiveLogits {
  /** (N, N) or (N, N + N·K) with hard negatives. */
  logitsPerImage: A.Variable;
  /** (N, N). */
  logitsPerText: A.Variable;
}

export interface ContrastiveLossOptions {
  /** Extra negative text features (N·K, D), L2-normalised: K hard-negative captions per image. */
  hardNegatives?: A.Input;
  /** Added to every logit (open_clip's optional logit_bias). */
  logitBias?: A.Operand;
}

/** Checks that image and text features are matching (N, D) batches. */
export function checkFeaturePair(op: string, imageFeatures: A.Input, textFeatures: A.Input): [number, number] {
  const [n, d] = imageFeatures.shape;
  if (imageFeatures.shape.length !== 2 || textFeatures.shape.length !== 2 || textFeatures.shape[0] !== n || textFeatures.shape[1] !== d) {
    throw new ModelError(op, `imageFeatures and textFeatures must both be (N, D) with the same N and D, got ${fmtShape(imageFeatures.shape)} and ${fmtShape(textFeatures.shape)}`);
  }
  if (n === 0) throw new ModelError(op, "the batch is empty");
  return [n!, d!];
}

/** open_clip's `get_logits` (one process): both directions, scale applied before the product. */
export function getLogits(imageFeatures: A.Input, textFeatures: A.Input, logitScale: A.Operand, options: ContrastiveLossOptions = {}): ContrastiveLogits {
  const [, d] = checkFeaturePair("getLogits", imageFeatures, textFeatures);
  let texts: A.Input = textFeatures;
  if (options.hardNegatives !== undefined) {
    const h = options.hardNegatives;
    if (h.shape.length !== 2 || h.shape[1] !== d) {
      throw new ModelError("getLogits", `hardNegatives must be (N·K, ${d}) text features, got ${fmtShape(h.shape)}`);
    }
    texts = A.concat([textFeatures, h], 0);
  }
  let logitsPerImage = A.matmul(A.mul(logitScale, imageFeatures), A.transpose(texts));
  let logitsPerText = A.matmul(A.mul(logitScale, textFeatures), A.transpose(imageFeatures));
  if (options.logitBias !== undefined) {
    logitsPerImage = A.add(logitsPerImage, options.logitBias);
    logitsPerText = A.add(logitsPerText, options.logitBias);
  }
  return { logitsPerImage, logitsPerText };
}

/** open_clip's `get_ground_truth`: pair i matches pair i, so the labels are 0..N-1 (int32). */
export function getGroundTruth(numLogits: number): Tensor {
  return arange(numLogits, undefined, 1, { dtype: "int32" });
}

/**
 * The symmetric InfoNCE loss: a 0-d Variable. `logitScale` is exp(logit_scale) (what CLIP's
 * forward returns), not the raw parameter.
 */
export function contrastiveLoss(imageFeatures: A.Input, textFeatures: A.Input, logitScale: A.Operand, options: ContrastiveLossOptions = {}): A.Variable {
  const { logitsPerImage, logitsPerText } = getLogits(imageFeatures, textFeatures, logitScale, options);
  const labels = getGroundTruth(logitsPerImage.shape[0]!);
  return A.div(A.add(A.crossEntropy(logitsPerImage, labels), A.crossEntropy(logitsPerText, labels)), 2);
}
