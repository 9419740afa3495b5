/**
 * Duet in a browser: the browser-safe API, for a page of your own (`duet serve` builds it as
 * /app/duet.js; the Duet page itself is page/ over engine/).
 *
 *   fetchCheckpoint("/checkpoint/", files, vocabUrl)  a checkpoint folder over HTTP -> model, tokenizer
 *   checkpointFromFiles({...})                       the same from bytes already in hand
 *   checkpointToFiles(model, tokenizer)              config.json, model.safetensors, tokenizer.json
 *   decodeImageBlob(blob) / fetchImage(url)          PNG/JPEG -> RGB, by the browser's decoder
 *   startBrowserPool(poolUrl, threads)               the worker pool, in a dedicated worker only
 *   BrowserTrainer                                   the Train tab's loop
 *
 * With them come the engine and the model code (tensor, autograd, nn, vlm's model, loss,
 * eval, image preprocessing and tokenizer); the browser build checks that none of it reaches
 * a Node built-in.
 */

export { checkpointFromFiles, checkpointToFiles, fetchCheckpoint, parseCheckpointConfig, type BrowserCheckpoint, type CheckpointFiles } from "./checkpoint.js";
export { clipTokenizerFromGzip, gunzip, parseClipMergeText } from "./clip-vocab.js";
export { decodeImageBlob, fetchImage } from "./decode-image.js";
export { poolPossible, startBrowserPool, type PoolStart } from "@duet/tensor";
export { BrowserTrainer, DEMO_RESOLUTION, defaultTrainSettings, type Heatmap, type ServedEmoji, type StepReport, type TrainSettings } from "./engine/train-loop.js";
export type { EngineMethods, EngineEvent } from "./engine/protocol.js";
export * as tensor from "@duet/tensor";
export * as autograd from "@duet/autograd";
// what a training page needs from @duet/nn (its file I/O is the Node-only subpath @duet/nn/node)
export { AdamW, Module, SGD, assignLearningRate, clipGradNorm, constLr, cosineLr, openSafetensors, paramGroupsNoDecayForNdimLe1, parseSafetensors, serializeSafetensors } from "@duet/nn";
export { CLIP, createModel } from "../model/clip.js";
export { modelConfigToJson, parseModelConfig, type ModelConfig } from "../model/config.js";
export { contrastiveLoss } from "../loss/clip-loss.js";
export { embedImages, embedTexts } from "../eval/embed.js";
export { buildZeroShotClassifier, zeroShotLogits } from "../eval/zero-shot.js";
export { preprocess } from "../image/preprocess.js";
export { imageToTensor } from "../image/normalize.js";
export { rgbImage, type RgbImage } from "../image/image.js";
export { BpeTokenizer } from "../tokenizer/bpe.js";
export { tokenizerFromJson, tokenizerToJson } from "../tokenizer/tokenizer-json.js";
export { trainBpe } from "../tokenizer/trainer.js";
