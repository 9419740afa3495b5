/**
 * Evaluation: batched embedding, zero-shot classification and retrieval metrics (open_clip's
 * names), the captioning metrics (BLEU, ROUGE-L, CIDEr-D as pycocoevalcap computes them), and the
 * one held-out evaluator (held-out.ts) that the trainer, the CLI, the demo and tools/ share, and
 * the attribute-binding benchmark's scorer (binding.ts: does an image prefer its caption to a
 * twin with the same words bound differently).
 * The browser imports the pure modules directly (embed, zero-shot, retrieval).
 */

export { embedImages, embedTexts, type EmbedOptions } from "./embed.js";
export {
  buildZeroShotClassifier,
  evaluateZeroShot,
  promptFor,
  topKCorrect,
  zeroShotLogits,
  type PromptTemplate,
  type ZeroShotClassifierOptions,
  type ZeroShotResult,
} from "./zero-shot.js";
export { groundTruthRanks, RETRIEVAL_KS, retrievalMetrics, type RetrievalMetrics, type RetrievalOptions } from "./retrieval.js";
export { embedImageStream, embedTextList, type ProgressFactory, type StreamOptions } from "./embed.js";
export { checkedEncoder, checkTokenIds, modelEncoder, type Encoder } from "./encoder.js";
export {
  chanceRecall,
  evaluateHeldOut,
  retrievalSummary,
  validationLoss,
  zeroShotSummary,
  type HeldOutData,
  type HeldOutOptions,
  type HeldOutRecord,
  type HeldOutResult,
  type RetrievalSummary,
  type ZeroShotSummary,
} from "./held-out.js";
export { openMojiEvalSet, type OpenMojiEvalOptions, type OpenMojiEvalSet } from "./openmoji.js";
export { captionHeldOut, classificationHeldOut } from "./manifests.js";
export { captionMetrics, captionMetricsOfTokens, type CaptionMetrics } from "./caption-metrics.js";
export { tokenizeCaption } from "./caption-metrics-tokenize.js";
export { emojiCaptionSet, filesCaptionSet, manifestCaptionSet, type CaptionSet } from "./caption-data.js";
export {
  captionSet,
  cocaOf,
  evaluateCaptions,
  mostFrequentCaption,
  nearestTrainImages,
  type CaptionBaselines,
  type CaptionEvaluation,
  type CaptionRunOptions,
  type CaptionDecodeOptions,
  type GeneratedCaption,
} from "./caption-eval.js";
export { MAX_NGRAM, type CaptionTokens } from "./caption-metrics-common.js";
export { bleu, BLEU_SMALL, BLEU_TINY, type BleuResult } from "./caption-metrics-bleu.js";
export { lcsLength, rougeL, ROUGE_L_BETA, type RougeLResult } from "./caption-metrics-rouge.js";
export { ciderD, CIDER_D_SCALE, CIDER_D_SIGMA, type CiderDResult } from "./caption-metrics-cider.js";
export { bindingSet, bindingWins, evaluateBinding, summarizeWins, type BindingRecord, type BindingScore, type BindingSet, type BindingSetOptions } from "./binding.js";
