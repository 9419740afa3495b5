/**
 * A model's training loss on its normalised features: CLIP's symmetric InfoNCE or SigLIP's
 * sigmoid loss, each with the model's own logit_scale (and logit_bias) on the graph. The
 * trainer's step and the held-out evaluation (validation loss) both take it from here.
 *
 * For a CoCa this is the contrastive part of its loss, unweighted: InfoNCE without logit_bias,
 * as open_clip's CoCaLoss calls ClipLoss. The trainer weights it and adds the captioning part
 * (train/step-engine.ts); the validation loss of a CoCa is this InfoNCE alone, so it reads
 * like a CLIP's.
 *
 * Negatives from groups (`group` g, the batch-size lesson's control): the loss is taken within
 * each run of g consecutive pairs, so a pair's negatives are the other g − 1 pairs of its group
 * and nothing else, at the same batch, steps and samples seen:
 *
 *   I, T (N, D) split into row groups G₁ … G_m of g rows (the last may be shorter)
 *   loss = Σ_j (|G_j| / N) · loss(I[G_j], T[G_j])      (each group's loss a mean over its rows)
 *
 * so with g = N it is the plain loss, and the gradient of every row comes from its group only.
 * Hard negatives go with their rows (row i's K twins at i·K … i·K + K − 1).
 */

import * as A from "@duet/autograd";
import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { ModelError } from "../model/errors.js";
import { contrastiveLoss } from "./clip-loss.js";
import { sigLipLoss } from "./siglip-loss.js";

export type LossKind = "clip" | "siglip";

/**
 * The `kind` loss of image features (N, D) against text features (N, D), row i matching row i;
 * `hardNegatives` (N·K, D): extra texts no image matches (clip-loss.ts, siglip-loss.ts);
 * `group`: negatives from groups of that many rows only (the file comment), null: the batch.
 */
export function lossOnFeatures(model: CLIP, imageFeatures: A.Input, textFeatures: A.Input, kind: LossKind, hardNegatives?: A.Input, group: number | null = null): A.Variable {
  const n = imageFeatures.shape[0]!;
  if (group !== null) {
    if (!Number.isInteger(group) || group < 2) throw new ModelError("lossOnFeatures", `group must be an integer >= 2 (a pair and at least one negative), got ${group}`);
    if (group < n) {
      const k = hardNegatives === undefined ? 0 : hardNegatives.shape[0]! / n;
      const images = A.split(imageFeatures, group, 0);
      const texts = A.split(textFeatures, group, 0);
      const twins = hardNegatives === undefined ? null : A.split(hardNegatives, group * k, 0);
      const parts = images.map((image, j) => A.mul(lossOnFeatures(model, image, texts[j]!, kind, twins?.[j]), image.shape[0]! / n));
      return parts.reduce((a, b) => A.add(a, b));
    }
  }
  const logitScale = model.logitScaleExp();
  if (isCoCa(model)) {
    if (hardNegatives !== undefined) throw new ModelError("lossOnFeatures", "hard negatives are for a CLIP: a CoCa's loss (open_clip's CoCaLoss) takes none");
    if (kind === "siglip") throw new ModelError("lossOnFeatures", `loss "siglip" is not a CoCa's: CoCa trains with InfoNCE plus the captioning loss (open_clip's CoCaLoss); use loss "clip"`);
    return contrastiveLoss(imageFeatures, textFeatures, logitScale);
  }
  const logitBias = model.logitBias;
  if (kind === "siglip") {
    if (logitBias === null) {
      throw new ModelError("lossOnFeatures", `loss "siglip" needs a model with a logit_bias: set init_logit_bias (SigLIP: -10) and init_logit_scale (ln 10) in its config`);
    }
    return sigLipLoss(imageFeatures, textFeatures, logitScale, logitBias, { hardNegatives });
  }
  return contrastiveLoss(imageFeatures, textFeatures, logitScale, { hardNegatives, ...(logitBias === null ? {} : { logitBias }) });
}
