/**
 * A model's training loss on its normalised features: CLIP's symmetric InfoNCE or SigLIP's
 * sigmoid loss, each with the model's own logit_scale (and logit_bias) on the graph. The
 * trainer's step and the held-out evaluation (validation loss) both take it from here.
 *
 * For a CoCa this is the contrastive part of its loss, unweighted: InfoNCE without logit_bias,
 * as open_clip's CoCaLoss calls ClipLoss. The trainer weights it and adds the captioning part
 * (train/step-engine.ts); the validation loss of a CoCa is this InfoNCE alone, so it reads
 * like a CLIP's.
 */

import type * as A from "@duet/autograd";
import type { CLIP } from "../model/clip.js";
import { isCoCa } from "../model/coca.js";
import { ModelError } from "../model/errors.js";
import { contrastiveLoss } from "./clip-loss.js";
import { sigLipLoss } from "./siglip-loss.js";

export type LossKind = "clip" | "siglip";

/**
 * The `kind` loss of image features (N, D) against text features (N, D), row i matching row i;
 * `hardNegatives` (N·K, D): extra texts no image matches (clip-loss.ts, siglip-loss.ts).
 */
export function lossOnFeatures(model: CLIP, imageFeatures: A.Input, textFeatures: A.Input, kind: LossKind, hardNegatives?: A.Input): A.Variable {
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
