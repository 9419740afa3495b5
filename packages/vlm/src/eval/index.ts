/** Evaluation: batched embedding, zero-shot classification and retrieval metrics (open_clip's names). */

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
