/** Contrastive losses of dual encoders (CLIP's symmetric InfoNCE, SigLIP's sigmoid loss) and CoCa's contrastive + captioning loss. */

export { checkFeaturePair, contrastiveLoss, getGroundTruth, getLogits, type ContrastiveLogits, type ContrastiveLossOptions } from "./clip-loss.js";
export { SIGLIP_INIT_LOGIT_BIAS, SIGLIP_INIT_LOGIT_SCALE, sigLipGroundTruth, sigLipLogits, sigLipLoss, type SigLipLossOptions } from "./siglip-loss.js";
export { lossOnFeatures, type LossKind } from "./model-loss.js";
export { captionLoss, cocaLoss, COCA_CAPTION_LOSS_WEIGHT, COCA_CONTRASTIVE_LOSS_WEIGHT, type CocaLossOptions, type CocaLossParts } from "./coca-loss.js";
