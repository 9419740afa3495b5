/**
 * Training: the recipe and its one step (recipe.ts, step.ts), trainClip (the loop, options and
 * hooks), the presets, gradient caching and data parallelism (StepEngine), the time budget,
 * evaluation during training, and training checkpoints.
 */

export { trainClip, type TrainResult } from "./trainer.js";
export { trainStep, TrainingStep, type StepBatch, type StepOutcome, type StepParts } from "./step.js";
export { applyLossInit, buildOptimizer, buildSchedule, DEFAULT_STEPS, RECIPE_DEFAULTS, recipeDefaults, TEMPERATURE_MODES, type Recipe, type TemperatureMode } from "./recipe.js";
export { BudgetFitter, fitSteps, type Fit } from "./budget.js";
export { describeEval, resolveValidation, validate, type ValDataOption } from "./validation.js";
export { startStepEngine } from "./start-engine.js";
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
export { resolveTrainData, trainLoader, type AugmentOptions, type CaptionData, type OpenMojiData, type PairData, type TrainBatch, type TrainData, type TrainDataOption, type TrainPair } from "./train-data.js";
export { featureLoss, type FeatureLoss } from "./feature-loss.js";
export { planChunks, StepEngine, type BatchLoss, type ShardWorkers, type StepEngineOptions } from "./step-engine.js";
export { encodeChunk, ShardRunner, withSeed, type Chunk, type ChunkFeatures, type ChunkOutput, type ChunkPair } from "./shard.js";
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
