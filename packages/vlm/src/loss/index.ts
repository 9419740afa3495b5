/** Contrastive losses of dual encoders: CLIP's symmetric InfoNCE and SigLIP's sigmoid loss. */

export { checkFeaturePair, contrastiveLoss, getGroundTruth, getLogits, type ContrastiveLogits, type ContrastiveLossOptions } from "./clip-loss.js";
export { SIGLIP_INIT_LOGIT_BIAS, SIGLIP_INIT_LOGIT_SCALE, sigLipGroundTruth, sigLipLogits, sigLipLoss, type SigLipLossOptions } from "./siglip-loss.js";
export { lossOnFeatures, type LossKind } from "./model-loss.js";
