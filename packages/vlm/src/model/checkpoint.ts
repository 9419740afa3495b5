/**
 * Loading a checkpoint folder (DESIGN §4), in either layout:
 *
 *   Duet:       DIR/config.json            open_clip's model config + a "duet" block
 *               DIR/model.safetensors      the state dict, open_clip's names
 *               DIR/tokenizer.json         only with duet.tokenizer = "tokenizer.json"
 *   open_clip:  DIR/open_clip_config.json  {"model_cfg": {...}, "preprocess_cfg": {...}}
 *               DIR/open_clip_model.safetensors
 *
 * Steps, each failing with a message that names the file and the problem:
 *   1. find the layout and parse the config (parseModelConfig: defaults, unknown keys, ranges);
 *   2. open the safetensors file: its header is validated (lengths, dtypes, spans) before use;
 *   3. compare the config with the tensor shapes (weights-check.ts): a wrong width or layer
 *      count is reported as the config field that disagrees;
 *   4. build the model and load the state dict strictly (every key present, none extra,
 *      shapes equal). F16, BF16, F32 and F64 tensors all decode to the model's dtype.
 * A logit_scale stored 0-d for a [1] model (or the reverse) is reshaped, as open_clip does.
 * A NaN or Inf anywhere in the weights is refused, naming the tensor (weights-check.ts).
 *
 * A folder missing because a save died between its two renames (atomic-folder.ts) is put
 * back from the `.DIR.old-*` that holds it, and `onRestore` is told (by default a Node
 * warning on stderr).
 */

import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { StateDictError } from "@duet/nn";
import { openSafetensorsFile, readRegularFile } from "@duet/nn/node";
import type { Tensor } from "@duet/tensor";
import type { RgbImage } from "../image/image.js";
import { preprocess } from "../image/preprocess.js";
import { clipTokenizer } from "../tokenizer/clip-vocab.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { HF_TOKENIZER_KWARGS, loadAnyTokenizerFile } from "../tokenizer/hf-tokenizer.js";
import { findInterruptedSave, restoreInterruptedSave } from "./atomic-folder.js";
import { createModel, type CLIP } from "./clip.js";
import { parseModelConfig, type ModelConfig, type PreprocessConfig } from "./config.js";
import { ModelError } from "./errors.js";
import { checkFiniteWeights, configMismatches } from "./weights-check.js";

export const DUET_CONFIG_FILE = "config.json";
export const DUET_WEIGHTS_FILE = "model.safetensors";
export const TOKENIZER_FILE = "tokenizer.json";
export const OPEN_CLIP_CONFIG_FILE = "open_clip_config.json";
export const OPEN_CLIP_WEIGHTS_FILE = "open_clip_model.safetensors";

export type CheckpointLayout = "duet" | "open_clip";

export interface LoadCheckpointOptions extends FindCheckpointOptions {
  /** The model's dtype (default float32). */
  dtype?: "float32" | "float64";
}

export interface FindCheckpointOptions {
  /** Told when a folder left missing by an interrupted save was restored (default: a Node warning). */
  onRestore?: (message: string) => void;
}

export interface LoadedCheckpoint {
  model: CLIP;
  config: ModelConfig;
  tokenizer: Tokenizer;
  preprocess: PreprocessConfig;
  layout: CheckpointLayout;
  dir: string;
  /** The texts as the model's input: int32 (B, context_length). */
  tokenize(texts: string | readonly string[]): Tensor;
  /** A decoded image as the model's input: float32 (3, size, size), by the checkpoint's preprocessing. */
  preprocessImage(image: RgbImage): Tensor;
}

const OP = "loadCheckpoint";

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readRegularFile(path).toString("utf8"); // a FIFO or a device would hang the read
  } catch (error) {
    throw new ModelError(OP, `cannot read the file: ${(error as Error).message}`, path, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelError(OP, `not valid JSON: ${(error as Error).message}`, path, { cause: error });
  }
}

/** The folder's layout and its config and weights paths. */
export function detectCheckpoint(path: string, options: FindCheckpointOptions = {}): { dir: string; layout: CheckpointLayout; configPath: string; weightsPath: string } {
  let dir = path;
  if (existsSync(path) && statSync(path).isFile()) {
    const name = basename(path);
    if (name !== DUET_CONFIG_FILE && name !== OPEN_CLIP_CONFIG_FILE) {
      throw new ModelError(OP, `a checkpoint is a folder (with ${DUET_CONFIG_FILE} and ${DUET_WEIGHTS_FILE}, or open_clip's ${OPEN_CLIP_CONFIG_FILE} and ${OPEN_CLIP_WEIGHTS_FILE}), not a file`, path);
    }
    dir = dirname(path);
  }
  if (!existsSync(dir)) restoreCheckpoint(dir, options);
  if (!existsSync(dir)) {
    const interrupted = findInterruptedSave(dir);
    const hint = interrupted ? `; a save was interrupted and left the previous checkpoint in ${interrupted}: rename it to ${dir}` : "";
    throw new ModelError(OP, `no such checkpoint folder${hint}`, dir);
  }
  if (existsSync(join(dir, DUET_CONFIG_FILE))) {
    return { dir, layout: "duet", configPath: join(dir, DUET_CONFIG_FILE), weightsPath: join(dir, DUET_WEIGHTS_FILE) };
  }
  if (existsSync(join(dir, OPEN_CLIP_CONFIG_FILE))) {
    const weightsPath = join(dir, OPEN_CLIP_WEIGHTS_FILE);
    if (!existsSync(weightsPath) && existsSync(join(dir, "open_clip_pytorch_model.bin"))) {
      throw new ModelError(OP, `only open_clip_pytorch_model.bin is there: Duet reads safetensors, not pickles; convert it with safetensors.torch.save_file(model.state_dict(), "${OPEN_CLIP_WEIGHTS_FILE}")`, dir);
    }
    return { dir, layout: "open_clip", configPath: join(dir, OPEN_CLIP_CONFIG_FILE), weightsPath };
  }
  throw new ModelError(OP, `not a checkpoint folder: expected ${DUET_CONFIG_FILE} + ${DUET_WEIGHTS_FILE} (Duet) or ${OPEN_CLIP_CONFIG_FILE} + ${OPEN_CLIP_WEIGHTS_FILE} (open_clip)`, dir);
}

/**
 * Puts back a checkpoint folder that a save killed between its two renames left in
 * `.DIR.old-*` (only one that holds a config: an empty or partial one is left alone).
 */
export function restoreCheckpoint(dir: string, options: FindCheckpointOptions = {}): boolean {
  const from = restoreInterruptedSave(dir, (old) => existsSync(join(old, DUET_CONFIG_FILE)) || existsSync(join(old, OPEN_CLIP_CONFIG_FILE)));
  if (from === undefined) return false;
  const message = `${dir} was missing: a save was interrupted between its two renames; restored the previous checkpoint from ${basename(from)}`;
  if (options.onRestore !== undefined) options.onRestore(message);
  else process.emitWarning(message, "DuetWarning");
  return true;
}

/** The model config of a checkpoint folder, without loading the weights. */
export function readCheckpointConfig(path: string, options: FindCheckpointOptions = {}): { config: ModelConfig; layout: CheckpointLayout; dir: string } {
  const found = detectCheckpoint(path, options);
  const json = readJson(found.configPath);
  if (found.layout === "duet") return { config: parseModelConfig(json, { source: found.configPath, op: OP }), layout: found.layout, dir: found.dir };
  if (json === null || typeof json !== "object" || Array.isArray(json) || !("model_cfg" in json)) {
    throw new ModelError(OP, `expected {"model_cfg": {...}, "preprocess_cfg": {...}}, got no "model_cfg"`, found.configPath);
  }
  const { model_cfg: saved, preprocess_cfg: preprocessCfg } = json as { model_cfg: unknown; preprocess_cfg?: unknown };
  const modelCfg = withHfTokenizer(saved, found.configPath);
  const config = parseModelConfig(modelCfg, { source: `${found.configPath} (model_cfg)`, op: OP, preprocessCfg: preprocessCfg ?? {} });
  return { config, layout: found.layout, dir: found.dir };
}

/**
 * An open_clip model_cfg whose text_cfg names an HF tokenizer (`duet export` writes one for a
 * learned BPE: ../tokenizer/hf-tokenizer.ts) as Duet's config: the tokenizer is DIR/tokenizer.json,
 * read by duet.tokenizer. Only open_clip's options that give Duet's ids are accepted (clean
 * "lower", strip_sep_token, no tokenizer_mode): others would tokenise differently here than there.
 */
function withHfTokenizer(modelCfg: unknown, source: string): unknown {
  const cfg = modelCfg as { text_cfg?: Record<string, unknown>; duet?: unknown } | null;
  const textCfg = cfg?.text_cfg;
  if (typeof textCfg !== "object" || textCfg === null || textCfg["hf_tokenizer_name"] === undefined || textCfg["hf_tokenizer_name"] === null) return modelCfg;
  const { hf_tokenizer_name: _name, tokenizer_kwargs: kwargs, tokenizer_mode: mode, ...rest } = textCfg;
  const given = (kwargs ?? {}) as Record<string, unknown>;
  const expected = Object.entries(HF_TOKENIZER_KWARGS);
  const same = Object.keys(given).length === expected.length && expected.every(([k, v]) => given[k] === v);
  if (!same || (mode !== undefined && mode !== null)) {
    throw new ModelError(OP, `text_cfg names an HF tokenizer with tokenizer_kwargs ${JSON.stringify(given)}${mode ? ` and tokenizer_mode ${JSON.stringify(mode)}` : ""}; Duet reproduces only ${JSON.stringify(HF_TOKENIZER_KWARGS)} without a mode (what duet export writes)`, source);
  }
  return { ...cfg, text_cfg: rest, duet: { ...(cfg!.duet as object | undefined), tokenizer: TOKENIZER_FILE } };
}

/**
 * Loads `state` (open_clip's names) into `model` strictly, first checking the config against
 * the shapes. `source` names the weights in errors.
 */
export function loadWeights(model: CLIP, state: ReadonlyMap<string, Tensor>, source: string, configSource = "the config"): void {
  const shapes = new Map([...state].map(([k, t]) => [k, t.shape] as const));
  checkShapes(model.config, shapes, source, configSource);
  checkFiniteWeights(OP, state, source, "a weight is not finite");
  const fixed = new Map(state);
  for (const key of ["logit_scale", "logit_bias"]) {
    const t = fixed.get(key);
    if (t !== undefined && model.hasParam(key) && t.size === 1 && t.ndim !== model.param(key).ndim) fixed.set(key, t.reshape(model.param(key).shape));
  }
  try {
    model.loadStateDict(fixed, { strict: true, convertDtype: true });
  } catch (error) {
    if (error instanceof StateDictError) {
      throw new ModelError(OP, `the weights do not fit the model ${configSource} describes: ${error.message.replace(/^.*?cannot load the state dict: /, "")}`, source, { cause: error });
    }
    throw error;
  }
}

function checkShapes(config: ModelConfig, shapes: ReadonlyMap<string, readonly number[]>, source: string, configSource: string): void {
  const problems = configMismatches(config, shapes);
  if (problems.length > 0) throw new ModelError(OP, `${configSource} does not match the weights: ${problems.join("; ")}`, source);
}

/** Loads a Duet or open_clip checkpoint folder: the model, its tokenizer and its preprocessing. */
export function loadCheckpoint(path: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const found = detectCheckpoint(path, options);
  const { config, layout, dir } = readCheckpointConfig(path, options);
  if (!existsSync(found.weightsPath)) throw new ModelError(OP, `the weights file is missing`, found.weightsPath);
  const dtype = options.dtype ?? "float32";
  const reader = openSafetensorsFile(found.weightsPath, { floatDtype: dtype });
  // shapes first (from the header): a wrong config fails before anything is decoded
  checkShapes(config, new Map([...reader.entries].map(([k, e]) => [k, e.shape] as const)), found.weightsPath, basename(found.configPath));
  const state = new Map<string, Tensor>();
  for (const name of reader.names()) state.set(name, reader.tensor(name));
  const model = createModel(config, { dtype, initialize: false }); // every value comes from the file; a CoCa for multimodal_cfg
  loadWeights(model, state, found.weightsPath, basename(found.configPath));
  model.eval();
  const tokenizer = loadTokenizer(config, dir);
  return {
    model,
    config,
    tokenizer,
    preprocess: config.duet.preprocess,
    layout,
    dir,
    tokenize: (texts) => tokenizer.tokenize(texts, config.text_cfg.context_length),
    preprocessImage: (image) => preprocess(image, config.duet.preprocess.size, config.duet.preprocess),
  };
}

/** The tokenizer a config names: CLIP's BPE, or DIR/tokenizer.json (Duet's format or an exported HF file). */
export function loadTokenizer(config: ModelConfig, dir: string): Tokenizer {
  if (config.duet.tokenizer === "clip") return clipTokenizer();
  const path = join(dir, TOKENIZER_FILE);
  if (!existsSync(path)) throw new ModelError(OP, `the config names the tokenizer "${TOKENIZER_FILE}", but the file is missing`, path);
  const tokenizer = loadAnyTokenizerFile(path, config.text_cfg.context_length);
  if (tokenizer.vocabSize > config.text_cfg.vocab_size) {
    throw new ModelError(OP, `the tokenizer has ${tokenizer.vocabSize} tokens but text_cfg.vocab_size is ${config.text_cfg.vocab_size}`, path);
  }
  return tokenizer;
}
