/** The CLIP and CoCa models: configs, the towers, CoCa's text decoder, projection heads, checkpoints in Duet's and open_clip's layouts. */

export { ModelError } from "./errors.js";
export {
  DEFAULT_INIT_LOGIT_SCALE,
  isOpenClipCompatible,
  modelConfigToJson,
  parseModelConfig,
  preprocessCfgToJson,
  withConfigChanges,
  type DuetConfig,
  type ModelConfig,
  type ModelConfigJson,
  type ParseConfigOptions,
  type PreprocessConfig,
  type TextConfig,
  type VisionConfig,
} from "./config.js";
export { addProjection, MlpProjection, type BuildOptions, type Projection, type ProjectionKind, type ProjectionOptions } from "./projection.js";
export { buildVisionTransformer, VisionTransformer, type ImageEncoding, type ImageTower, type VisionTransformerOptions } from "./vision-transformer.js";
export { buildConvImageTower, ConvBlock, ConvImageTower, type ConvImageTowerOptions } from "./cnn-tower.js";
export { buildTextTransformer, TextTransformer, type TextPool, type TextTransformerOptions } from "./text-transformer.js";
export { clipTransformerInitStds, initClipTextParameters, initClipTransformer, type ClipTextParts } from "./clip-init.js";
export { CLIP, clampLogitScaleInPlace, createModel, MAX_LOGIT_SCALE, type ClipLogits, type ClipOutput, type EncodeOptions } from "./clip.js";
export type { MultimodalConfig } from "./coca-config.js";
export { CoCa, isCoCa, type CocaOutput } from "./coca.js";
export { buildTextDecoder, MultimodalTransformer, type MultimodalTransformerOptions } from "./text-decoder.js";
export { greedyCaption, type GreedyOptions } from "./coca-greedy.js";
export { CocaTokenScorer, generateCaptions, longestCaption, stripEnd, timeGreedyCaption, type GenerateOptions } from "./coca-generate.js";
export {
  argmaxRow,
  beamDecode,
  checkDecodeOptions,
  greedyDecode,
  sampleDecode,
  sampleToken,
  samplingCandidates,
  type BeamResult,
  type DecodeLimits,
  type SamplingOptions,
  type TokenScorer,
} from "./decoding.js";
export { configMismatches } from "./weights-check.js";
export {
  DUET_CONFIG_FILE,
  DUET_WEIGHTS_FILE,
  OPEN_CLIP_CONFIG_FILE,
  OPEN_CLIP_WEIGHTS_FILE,
  TOKENIZER_FILE,
  detectCheckpoint,
  loadCheckpoint,
  loadTokenizer,
  loadWeights,
  readCheckpointConfig,
  type CheckpointLayout,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
} from "./checkpoint.js";
export { saveCheckpoint, type SaveCheckpointOptions } from "./checkpoint-save.js";
export { findInterruptedSave, writeFolderAtomic } from "./atomic-folder.js";
