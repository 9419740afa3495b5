/**
 * Training: trainClip (the loop, options and hooks), the presets, gradient caching and data
 * parallelism (StepEngine), training checkpoints, and OpenMoji evaluation.
 */

export { fitSteps, trainClip, trainStep, type StepBatch, type StepParts, type TrainResult } from "./trainer.js";
export {
  DEFAULT_DATA_PARALLEL,
  RUN_KEYS_FIXED_ON_RESUME,
  type EvalRecord,
  type RunConfig,
  type StepRecord,
  type TrainHooks,
  type TrainClipOptions,
} from "./options.js";
export { TrainAbortedError, TrainError } from "./errors.js";
export { PRESETS, PRESET_NAMES, getPreset, isPresetName, type PresetName, type PresetTokenizer, type PresetTraining, type TrainPreset } from "./presets.js";
export { fitContextLength, resolveTrainData, trainLoader, type AugmentOptions, type CaptionData, type OpenMojiData, type PairData, type TrainBatch, type TrainData, type TrainDataOption, type TrainPair } from "./train-data.js";
export { featureLoss, lossOnFeatures, type FeatureLoss, type LossKind } from "./feature-loss.js";
export { planChunks, StepEngine, type StepEngineOptions } from "./step-engine.js";
export { encodeChunk, ShardRunner, withSeed, type Chunk, type ChunkPair } from "./shard.js";
export { evaluateOpenMoji, type EvaluateOptions, type OpenMojiEvaluation } from "./evaluate.js";
export {
  OPTIMIZER_FILE,
  TRAIN_STATE_FILE,
  TRAIN_STATE_FORMAT,
  readTrainState,
  resolveCheckpointDir,
  saveTrainingCheckpoint,
  type TrainState,
  type TrainingCheckpoint,
} from "./train-state.js";
export { EVAL_LOG_FILE, TRAIN_LOG_FILE, type StepLogRecord } from "./train-log.js";
