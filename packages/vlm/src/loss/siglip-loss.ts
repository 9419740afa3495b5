/**
 * SigLIP's pairwise sigmoid loss (Zhai et al. 2023), as open_clip's SigLipLoss (loss.py, one
 * process): every (image, text) cell of the batch is its own binary question — "do these
 * match?" — so no softmax couples the batch and no global normalisation is needed.
 *
 *   I (N, D), T (N, D): L2-normalised features;  s = exp(t'), b: a learned bias
 *   logits = s · I @ Tᵀ + b                  (N, N)
 *   labels = 2·eye(N) - 1                    +1 on the diagonal, -1 elsewhere
 *   loss = -Σ_ij logσ(labels_ij · logits_ij) / N
 *
 * Init t' = ln 10 (s = 10) and b = -10, as the paper: with N² - N negatives and N positives,
 * a strongly negative bias makes the initial prediction "no match" almost everywhere, which is
 * right for nearly every cell, so early training is not swamped by the negatives.
 *
 * Hard negatives (optional): extra text features H (N·K, D) become extra columns, all labelled
 * -1: logits = s · I @ [T; H]ᵀ + b, (N, N + N·K); the sum is still divided by N.
 */

import * as A from "@duet/autograd";
import { eye, fmtShape, full, sub, mul, concat, Tensor } from "@duet/tensor";
import { ModelError } from "../model/errors.js";
import { checkFeaturePair } from "./clip-loss.js";

/** SigLIP's initial logit scale, ln 10 (exp: 10). */
export const SIGLIP_INIT_LOGIT_SCALE = Math.log(10);
/** SigLIP's initial logit bias. */
export const SIGLIP_INIT_LOGIT_BIAS = -10;

export interface SigLipLossOptions {
  /** Extra negative text features (N·K, D): columns labelled -1. */
  hardNegatives?: A.Input;
}

/** open_clip's SigLipLoss.get_logits: s · I @ Tᵀ + b (scale applied before the product). */
export function sigLipLogits(imageFeatures: A.Input, textFeatures: A.Input, logitScale: A.Operand, logitBias?: A.Operand): A.Variable {
  const logits = A.matmul(A.mul(logitScale, imageFeatures), A.transpose(textFeatures));
  return logitBias === undefined ? logits : A.add(logits, logitBias);
}

/** open_clip's SigLipLoss.get_ground_truth: 2·eye(N) - 1 (+1 match, -1 not), then -1 columns for the extra texts. */
export function sigLipGroundTruth(numImages: number, numTexts: number = numImages, dtype: "float32" | "float64" = "float32"): Tensor {
  const square = sub(mul(eye(numImages, numImages, { dtype }), 2), 1);
  if (numTexts === numImages) return square;
  return concat([square, full([numImages, numTexts - numImages], -1, { dtype })], 1);
}

/**
 * The sigmoid loss: a 0-d Variable. `logitScale` is exp(t') (not the raw parameter);
 * `logitBias` is b itself.
 */
export function sigLipLoss(imageFeatures: A.Input, textFeatures: A.Input, logitScale: A.Operand, logitBias: A.Operand, options: SigLipLossOptions = {}): A.Variable {
  const [n, d] = checkFeaturePair("sigLipLoss", imageFeatures, textFeatures);
  let texts: A.Input = textFeatures;
  if (options.hardNegatives !== undefined) {
    const h = options.hardNegatives;
    if (h.shape.length !== 2 || h.shape[1] !== d) throw new ModelError("sigLipLoss", `hardNegatives must be (N·K, ${d}) text features, got ${fmtShape(h.shape)}`);
    texts = A.concat([textFeatures, h], 0);
  }
  const logits = sigLipLogits(imageFeatures, texts, logitScale, logitBias);
  const dtype = logits.dtype === "float64" ? "float64" : "float32";
  const labels = sigLipGroundTruth(n, texts.shape[0]!, dtype);
  return A.div(A.neg(A.sum(A.logSigmoid(A.mul(labels, logits)))), n);
}
