/**
 * CoCa's loss, as open_clip's CoCaLoss (loss.py): CLIP's contrastive loss on the pooled
 * features plus a captioning loss on the decoder's logits, each weighted.
 *
 *   contrastive = clipLossWeight · InfoNCE(I, T, exp(logit_scale))       (clip-loss.ts; no logit_bias,
 *                                                                          as CoCaLoss calls ClipLoss)
 *   caption     = captionLossWeight · mean over {(n, t): labels[n, t] ≠ pad_id} of
 *                 -log softmax(logits[n, t])[labels[n, t]]
 *   loss        = contrastive + caption
 *
 *   logits (N, T, vocab): the decoder's, for tokens[:, :-1];  labels (N, T) = tokens[:, 1:]
 *
 * The mean runs over the real tokens only (torch's CrossEntropyLoss(ignore_index=pad_id)):
 * padding after <end_of_text> is neither predicted nor counted, so a short caption weighs
 * less than a long one, token for token. The weights' defaults are open_clip_train's
 * (params.py: --coca-contrastive-loss-weight 1.0, --coca-caption-loss-weight 2.0, in
 * open_clip_train 3.3.0 as installed).
 */

import * as A from "@duet/autograd";
import { fmtShape, scalar, Tensor } from "@duet/tensor";
import { ModelError } from "../model/errors.js";
import { contrastiveLoss } from "./clip-loss.js";

/** open_clip_train's default --coca-contrastive-loss-weight. */
export const COCA_CONTRASTIVE_LOSS_WEIGHT = 1.0;
/** open_clip_train's default --coca-caption-loss-weight. */
export const COCA_CAPTION_LOSS_WEIGHT = 2.0;

export interface CocaLossOptions {
  /** Weight of the contrastive loss (default 1); 0 leaves it out, as open_clip. */
  clipLossWeight?: number;
  /** Weight of the captioning loss (default 2). */
  captionLossWeight?: number;
  /** The label the captioning loss ignores (default 0, open_clip's pad_id). */
  padId?: number;
}

export interface CocaLossParts {
  /** clipLossWeight · InfoNCE (a 0-d Variable; a constant 0 when the weight is 0). */
  contrastiveLoss: A.Variable;
  /** captionLossWeight · mean cross-entropy over the non-pad labels. */
  captionLoss: A.Variable;
  /** Their sum: what training minimises. */
  loss: A.Variable;
}

/**
 * The mean next-token cross-entropy of logits (N, T, vocab) against int32 labels (N, T), over
 * the positions whose label is not `padId`. `reduction: "sum"` gives their sum instead: the
 * trainer's chunks (gradient caching, data parallel) each take a sum and divide by the whole
 * batch's count of real tokens, so the chunks add up to the batch's mean.
 */
export function captionLoss(logits: A.Input, labels: Tensor, padId = 0, reduction: "mean" | "sum" = "mean"): A.Variable {
  const [N, T, V] = logits.shape;
  if (logits.shape.length !== 3 || labels.ndim !== 2 || labels.shape[0] !== N || labels.shape[1] !== T) {
    throw new ModelError("captionLoss", `logits must be (N, T, vocab) and labels (N, T) with the same N and T, got ${fmtShape(logits.shape)} and ${fmtShape(labels.shape)}`);
  }
  const ids = labels.contiguousData();
  const kept: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] !== padId) kept.push(i);
  if (kept.length === 0) throw new ModelError("captionLoss", `every label is the pad id ${padId}: there is no token to predict (torch would give NaN)`);
  const rows = new Tensor(Int32Array.from(kept), [kept.length]);
  const targets = new Tensor(Int32Array.from(kept, (i) => ids[i]!), [kept.length]);
  return A.crossEntropy(A.indexSelect(A.reshape(logits, [N! * T!, V!]), 0, rows), targets, { reduction });
}

/**
 * open_clip's CoCaLoss: image and text features (N, D) L2-normalised, the decoder's logits and
 * labels (CoCa.forward gives all of them), logitScale = exp(logit_scale).
 */
export function cocaLoss(imageFeatures: A.Input, textFeatures: A.Input, logits: A.Input, labels: Tensor, logitScale: A.Operand, options: CocaLossOptions = {}): CocaLossParts {
  const clipWeight = options.clipLossWeight ?? COCA_CONTRASTIVE_LOSS_WEIGHT;
  const captionWeight = options.captionLossWeight ?? COCA_CAPTION_LOSS_WEIGHT;
  for (const [name, w] of [["clipLossWeight", clipWeight], ["captionLossWeight", captionWeight]] as const) {
    if (!Number.isFinite(w) || w < 0) throw new ModelError("cocaLoss", `${name} must be a finite number ≥ 0, got ${w}`);
  }
  const dtype = logits instanceof A.Variable ? logits.value.dtype : logits.dtype;
  // open_clip skips the contrastive term entirely (a constant 0) when its weight is 0
  const contrastive = clipWeight !== 0 ? A.mul(contrastiveLoss(imageFeatures, textFeatures, logitScale), clipWeight) : new A.Variable(scalar(0, { dtype }));
  const caption = A.mul(captionLoss(logits, labels, options.padId ?? 0), captionWeight);
  return { contrastiveLoss: contrastive, captionLoss: caption, loss: A.add(contrastive, caption) };
}
