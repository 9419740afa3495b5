/**
 * Data (../shared/DESIGN.md §5): caption and classification manifests, caption filtering, the
 * deterministic loader, and the embedded OpenMoji dataset; the lessons' data tools: alt-text noise
 * (caption-noise.ts) and swapped-caption hard negatives (caption-swap.ts).
 */

export { DataError, type DataLocation } from "./errors.js";
export { formatFromPath, type ManifestFormat } from "./manifest-common.js";
export { parseCaptions, readCaptions, type CaptionManifest, type CaptionManifestOptions, type CaptionRecord, type ParseCaptionsOptions } from "./captions.js";
export {
  parseClassificationCsv,
  readClassFolders,
  readClassification,
  type ClassificationManifest,
  type ClassificationOptions,
  type ClassificationRecord,
} from "./classification.js";
export { DEFAULT_TEMPLATES, fillTemplate, readClassnames, readTemplates } from "./prompts.js";
export { describeFilterCounts, filterCaptions, looksEnglish, type CaptionFilterCounts, type CaptionFilterOptions } from "./filter.js";
export { captionTwin, swapWordOrder } from "./caption-swap.js";
export { filterAltText, injectCaptionNoise, NOISE_KINDS, type AltText, type CaptionNoiseSpec, type NoiseKind, type NoisedCaption, type NoiseSources, type NoiseTarget } from "./caption-noise.js";
export { DataLoader, type Batch, type Dataset, type LoaderOptions, type LoaderPosition, type SampleContext } from "./loader.js";
export {
  arrayDataset,
  captionDataset,
  classificationDataset,
  evalImageLoader,
  trainImageLoader,
  type CaptionSample,
  type ImageLoader,
  type LabelledSample,
} from "./datasets.js";
export * from "./openmoji/index.js";
