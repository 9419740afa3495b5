/**
 * Checkpoints in a browser: the same folder the CLI reads (DESIGN §4), fetched file by file
 * over HTTP instead of read from disk, and written back as files to download.
 *
 * model/checkpoint.ts reads from disk and imports CLIP's vocabulary module, which holds a
 * path to a vendored file, so the browser cannot import it. The steps here are its steps on
 * bytes: parse the config (parseModelConfig), check the safetensors header, compare the
 * shapes with the config (configMismatches), then load the state dict strictly.
 */

import { openSafetensors, serializeSafetensors, StateDictError } from "@duet/nn";
import type { Tensor } from "@duet/tensor";
import type { RgbImage } from "../image/image.js";
import { preprocess } from "../image/preprocess.js";
import { createModel, type CLIP } from "../model/clip.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig } from "../model/config.js";
import { checkFiniteWeights, configMismatches } from "../model/weights-check.js";
import type { BpeTokenizer, Tokenizer } from "../tokenizer/bpe.js";
import { tokenizerFromJson, tokenizerToJson } from "../tokenizer/tokenizer-json.js";
import { clipTokenizerFromGzip } from "./clip-vocab.js";

export interface BrowserCheckpoint {
  readonly model: CLIP;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  /** The texts as the model's input: int32 (B, context_length). */
  tokenize(texts: string | readonly string[]): Tensor;
  /** A decoded image as the model's input: float32 (3, size, size), by the checkpoint's preprocessing. */
  preprocessImage(image: RgbImage): Tensor;
}

/** The bytes of a checkpoint folder's files, as fetched. */
export interface CheckpointFiles {
  /** config.json, or open_clip_config.json ({model_cfg, preprocess_cfg}). */
  config: unknown;
  layout: "duet" | "open_clip";
  weights: Uint8Array;
  /** tokenizer.json, when the config names it. */
  tokenizerJson?: unknown;
  /** CLIP's gzipped merges, when the config uses CLIP's tokenizer. */
  clipVocabGzip?: Uint8Array;
  /** Names the checkpoint in errors (a URL). */
  source: string;
}

/** The config of a fetched config file, in either layout. */
export function parseCheckpointConfig(json: unknown, layout: "duet" | "open_clip", source: string): ModelConfig {
  if (layout === "duet") return parseModelConfig(json, { source, op: "loadCheckpoint" });
  if (json === null || typeof json !== "object" || !("model_cfg" in json)) throw new Error(`${source}: expected {"model_cfg": {...}, "preprocess_cfg": {...}}`);
  const { model_cfg: modelCfg, preprocess_cfg: preprocessCfg } = json as { model_cfg: unknown; preprocess_cfg?: unknown };
  return parseModelConfig(modelCfg, { source, op: "loadCheckpoint", preprocessCfg: preprocessCfg ?? {} });
}

/** Builds the model from fetched files, with the checks loadCheckpoint makes on disk. */
export async function checkpointFromFiles(files: CheckpointFiles): Promise<BrowserCheckpoint> {
  const config = parseCheckpointConfig(files.config, files.layout, files.source);
  const reader = openSafetensors(files.weights, { source: `${files.source} weights`, floatDtype: "float32" });
  const problems = configMismatches(config, new Map([...reader.entries].map(([name, entry]) => [name, entry.shape] as const)));
  if (problems.length > 0) throw new Error(`${files.source}: the config does not match the weights: ${problems.join("; ")}`);
  // a CLIP, or a CoCa for a config with multimodal_cfg (the page uses its CLIP surface)
  const model = createModel(config, { dtype: "float32", initialize: false });
  const state = new Map<string, Tensor>();
  for (const name of reader.names()) {
    let tensor = reader.tensor(name);
    // a logit_scale saved 0-d for a [1] model (or the reverse) is reshaped, as open_clip does
    if ((name === "logit_scale" || name === "logit_bias") && model.hasParam(name) && tensor.size === 1) tensor = tensor.reshape(model.param(name).shape);
    state.set(name, tensor);
  }
  checkFiniteWeights("loadCheckpoint", state, `${files.source} weights`, "a weight is not finite");
  try {
    model.loadStateDict(state, { strict: true, convertDtype: true });
  } catch (error) {
    if (error instanceof StateDictError) throw new Error(`${files.source}: the weights do not fit the model the config describes: ${error.message}`);
    throw error;
  }
  model.eval();
  let tokenizer: Tokenizer;
  if (config.duet.tokenizer === "clip") {
    if (files.clipVocabGzip === undefined) throw new Error(`${files.source}: the model uses CLIP's tokenizer, but its vocabulary was not given`);
    tokenizer = await clipTokenizerFromGzip(files.clipVocabGzip, "CLIP's vocabulary");
  } else {
    if (files.tokenizerJson === undefined) throw new Error(`${files.source}: config.json names duet.tokenizer "tokenizer.json", but the file is missing`);
    tokenizer = tokenizerFromJson(files.tokenizerJson, `${files.source}tokenizer.json`);
    if (tokenizer.vocabSize > config.text_cfg.vocab_size) {
      throw new Error(`${files.source}: the tokenizer has ${tokenizer.vocabSize} tokens but text_cfg.vocab_size is ${config.text_cfg.vocab_size}`);
    }
  }
  return {
    model,
    config,
    tokenizer,
    tokenize: (texts) => tokenizer.tokenize(texts, config.text_cfg.context_length),
    preprocessImage: (image) => preprocess(image, config.duet.preprocess.size, config.duet.preprocess),
  };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/**
 * Fetches a checkpoint folder served at `base` ("/checkpoint/"), whose file names are
 * `files`; CLIP's vocabulary, when needed, from `clipVocabUrl`.
 */
export async function fetchCheckpoint(base: string, files: readonly string[], clipVocabUrl: string): Promise<BrowserCheckpoint> {
  const layout = files.includes("config.json") ? "duet" : "open_clip";
  const configName = layout === "duet" ? "config.json" : "open_clip_config.json";
  const weightsName = layout === "duet" ? "model.safetensors" : "open_clip_model.safetensors";
  const [config, weights] = await Promise.all([fetchJson(base + configName), fetchBytes(base + weightsName)]);
  const parsed = parseCheckpointConfig(config, layout, base + configName);
  const tokenizerJson = parsed.duet.tokenizer === "clip" ? undefined : await fetchJson(`${base}tokenizer.json`);
  const clipVocabGzip = parsed.duet.tokenizer === "clip" ? await fetchBytes(clipVocabUrl) : undefined;
  return checkpointFromFiles({ config, layout, weights, tokenizerJson, clipVocabGzip, source: base });
}

/** A model's checkpoint folder as files (Duet's layout): config.json, model.safetensors, tokenizer.json. */
export function checkpointToFiles(model: CLIP, tokenizer: BpeTokenizer): Map<string, Uint8Array> {
  const config = modelConfigToJson(model.config) as Record<string, unknown> & { duet: Record<string, unknown> };
  config.duet["tokenizer"] = "tokenizer.json";
  const text = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  return new Map([
    ["config.json", text(config)],
    ["model.safetensors", serializeSafetensors(model.stateDict(), { floatDtype: "F32", metadata: { format: "pt" } })],
    ["tokenizer.json", text(tokenizerToJson(tokenizer))],
  ]);
}
