/**
 * The model config: open_clip's model config JSON, key for key, plus a "duet" block for what
 * open_clip has no key for (DESIGN §4).
 *
 *   {
 *     "embed_dim": 512,
 *     "quick_gelu": false,
 *     "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
 *     "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12},
 *     "duet": {"tokenizer": "clip", "image_tower": "vit", "projection": "linear", "loss": "clip", ...}
 *   }
 *
 * `parseModelConfig` fills open_clip's defaults (CLIPVisionCfg, CLIPTextCfg, CLIP's keyword
 * arguments in open_clip 3.3.0 model.py) and checks every value, so the typed object below is
 * complete. Keys open_clip has but Duet does not implement (timm or Hugging Face towers,
 * qk-norm, ...) are accepted only at their defaults; unknown keys are errors. A config with
 * `multimodal_cfg` (and `custom_text: true`) is a CoCa (coca-config.ts, coca.ts); CoCa's tower
 * options (attentional_pool, embed_cls) are accepted only there. Without a "duet" block the config means open_clip's CLIP: CLIP's BPE tokenizer, a
 * ViT, CLIP's preprocessing and the InfoNCE loss (SigLIP's when `init_logit_bias` is set).
 *
 * A config is open_clip-loadable (open_clip's CLIP(**cfg) builds the same state dict) when
 * `duet.image_tower` is "vit", `duet.projection` is "linear" and `duet.text_pool` is null.
 */

import { jsonDepthProblem } from "../data/json-depth.js";
import { CLIP_MEAN, CLIP_STD } from "../image/normalize.js";
import { MAX_CONTEXT_LENGTH, MAX_IMAGE_SIZE, modelSizeProblem } from "./config-limits.js";
import { addCocaJson, checkCocaWidths, readCocaVision, readEmbedCls, readMultimodalConfig, type MultimodalConfig } from "./coca-config.js";
import { ConfigReader } from "./config-reader.js";
import { ModelError } from "./errors.js";

export interface VisionConfig {
  image_size: number;
  layers: number;
  width: number;
  patch_size: number;
  head_width: number;
  mlp_ratio: number;
  /** LayerScale init (ls_1 / ls_2 in each block) or null for none. */
  ls_init_value: number | null;
  /** Training-time patch dropout: kept in the config, not applied by Duet. */
  patch_dropout: number;
  no_ln_pre: boolean;
  /** "tok": the class token; "avg": the mean of the patch tokens. */
  pool_type: "tok" | "avg";
  /** ln_post after pooling instead of before (same numbers for "tok"). */
  final_ln_after_pool: boolean;
  /** LayerNorm eps (open_clip's norm_kwargs.eps; torch's default 1e-5). */
  norm_eps: number;
  /** CoCa only: open_clip's AttentionalPooler over the tokens, before ln_post (coca-config.ts). */
  attentional_pool: boolean;
  attn_pooler_queries: number;
  attn_pooler_heads: number;
}

export interface TextConfig {
  context_length: number;
  vocab_size: number;
  width: number;
  heads: number;
  layers: number;
  mlp_ratio: number;
  ls_init_value: number | null;
  pad_id: number;
  eos_id: number;
  /** true: bidirectional attention (BERT / ALIGN style); false: CLIP's causal mask. */
  no_causal_mask: boolean;
  /** "argmax": the features at the largest token id (CLIP's end-of-text); "eos": at the first eos_id. */
  pool_type: "argmax" | "first" | "last" | "eos";
  /** text_projection as a Linear with bias (weight [embed, width]) instead of a [width, embed] matrix. */
  proj_bias: boolean;
  /** "none": no projection (width must equal embed_dim). */
  proj_type: "linear" | "none";
  norm_eps: number;
  /** CoCa only: a learned class token appended to the text, where the text is pooled. */
  embed_cls: boolean;
}

/** open_clip's PreprocessCfg: how an image becomes the model's input. */
export interface PreprocessConfig {
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: "bicubic";
  resize_mode: "shortest";
}

export interface DuetConfig {
  /** "clip": CLIP's BPE; "tokenizer.json": a trained BPE saved beside the weights. */
  tokenizer: "clip" | "tokenizer.json";
  /** "vit": open_clip's VisionTransformer; "cnn": the small conv–ReLU–pool network. */
  image_tower: "vit" | "cnn";
  /** Output channels of each conv block of the "cnn" tower. */
  cnn_channels: number[];
  /** "mean": average the text features up to end-of-text (overrides text_cfg.pool_type). */
  text_pool: "mean" | null;
  /** Projection heads of both towers: open_clip's matrices, or 2-layer MLPs. */
  projection: "linear" | "mlp";
  /** Hidden width of the MLP heads (null: the tower's width). */
  projection_hidden: number | null;
  /** The training loss the model was made for. */
  loss: "clip" | "siglip";
  preprocess: PreprocessConfig;
}

export interface ModelConfig {
  embed_dim: number;
  vision_cfg: VisionConfig;
  text_cfg: TextConfig;
  /** QuickGELU x·σ(1.702x) (OpenAI's weights) instead of GELU in every MLP. */
  quick_gelu: boolean;
  /** ln(1/τ) at init: ln(1/0.07) for CLIP, ln(10) for SigLIP. */
  init_logit_scale: number;
  /** With a value, the model has a learned `logit_bias` (SigLIP: -10). */
  init_logit_bias: number | null;
  /** logit_scale of shape [1] instead of a 0-d tensor. */
  nonscalar_logit_scale: boolean;
  /** CoCa's text decoder; null for a CLIP. */
  multimodal_cfg: MultimodalConfig | null;
  duet: DuetConfig;
}

/** The JSON a config came from: any object (checked by parseModelConfig). */
export type ModelConfigJson = Record<string, unknown>;

export const DEFAULT_INIT_LOGIT_SCALE = Math.log(1 / 0.07);

const isNullish = (v: unknown) => v === null || v === undefined;
const isFalse = (v: unknown) => v === false || v === null;
const isEmpty = (v: unknown) => isNullish(v) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);

/** The open_clip keys of a block that Duet only accepts at their defaults (custom attention blocks). */
function customBlockDefaults(r: ConfigReader): void {
  r.onlyDefault("block_type", (v) => isNullish(v) || v === "default", "custom attention blocks");
  for (const k of ["qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc"]) r.onlyDefault(k, isFalse, "custom attention blocks");
  r.onlyDefault("act_kwargs", isEmpty, "activation arguments");
}

function normEps(r: ConfigReader): number {
  const norm = r.child("norm_kwargs");
  const eps = norm.number("eps", 1e-5);
  if (!(eps > 0)) norm.fail("eps", `must be positive, got ${eps}`);
  norm.rejectUnknown();
  return eps;
}

function visionConfig(r: ConfigReader, imageTower: "vit" | "cnn", coca: boolean, embedDim: number): VisionConfig {
  if (Array.isArray(r.object["layers"])) r.fail("layers", "is a list, which means open_clip's ModifiedResNet: Duet has the ViT and a small CNN");
  r.onlyDefault("timm_model_name", isNullish, "timm image towers");
  r.ignore("timm_model_pretrained", "timm_pool", "timm_proj", "timm_proj_bias", "timm_drop", "timm_drop_path");
  const pooler = readCocaVision(r, coca, embedDim);
  r.onlyDefault("pos_embed_type", (v) => isNullish(v) || v === "learnable", "only learnable positional embeddings");
  customBlockDefaults(r);
  let imageSize = r.raw("image_size");
  if (Array.isArray(imageSize) && imageSize.length === 2 && imageSize[0] === imageSize[1]) imageSize = imageSize[0];
  if (imageSize !== undefined && (typeof imageSize !== "number" || !Number.isInteger(imageSize) || imageSize <= 0)) {
    r.fail("image_size", `must be a positive integer (or [n, n]), got ${JSON.stringify(r.object["image_size"])}`);
  }
  const vit = imageTower === "vit";
  const cfg: VisionConfig = {
    image_size: (imageSize as number | undefined) ?? 224,
    layers: r.positiveInt("layers", vit ? undefined : 1),
    width: r.positiveInt("width", 768),
    patch_size: r.positiveInt("patch_size", 16),
    head_width: r.positiveInt("head_width", 64),
    mlp_ratio: r.number("mlp_ratio", 4),
    ls_init_value: r.nullableNumber("ls_init_value"),
    patch_dropout: r.number("patch_dropout", 0),
    no_ln_pre: r.bool("no_ln_pre", false),
    pool_type: r.oneOf("pool_type", ["tok", "avg"] as const, "tok"),
    final_ln_after_pool: r.bool("final_ln_after_pool", false),
    norm_eps: normEps(r),
    ...pooler,
  };
  r.rejectUnknown();
  if (!(cfg.mlp_ratio > 0)) r.fail("mlp_ratio", `must be positive, got ${cfg.mlp_ratio}`);
  if (!(cfg.patch_dropout >= 0 && cfg.patch_dropout < 1)) r.fail("patch_dropout", `must be in [0, 1), got ${cfg.patch_dropout}`);
  if (cfg.image_size > MAX_IMAGE_SIZE) r.fail("image_size", `must be at most ${MAX_IMAGE_SIZE} (config-limits.ts), got ${cfg.image_size}`);
  if (vit) {
    if (cfg.width % cfg.head_width !== 0) r.fail("width", `(${cfg.width}) must be a multiple of head_width (${cfg.head_width}): heads = width / head_width`);
    if (cfg.patch_size > cfg.image_size) r.fail("patch_size", `(${cfg.patch_size}) is larger than image_size (${cfg.image_size})`);
  }
  return cfg;
}

function textConfig(r: ConfigReader, embedDim: number, coca: boolean): TextConfig {
  r.onlyDefault("hf_model_name", isNullish, "Hugging Face text towers");
  r.onlyDefault("hf_tokenizer_name", isNullish, "Hugging Face tokenizers; use CLIP's BPE or duet.tokenizer");
  r.onlyDefault("tokenizer_mode", isNullish, "tokenizer modes");
  r.onlyDefault("tokenizer_kwargs", isEmpty, "tokenizer arguments");
  const embedCls = readEmbedCls(r, coca);
  r.ignore("hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "output_tokens");
  // open_clip's CLIPTextCfg has final_ln_after_pool, but its text tower never reads it
  r.ignore("final_ln_after_pool");
  customBlockDefaults(r);
  const cfg: TextConfig = {
    context_length: r.positiveInt("context_length", 77),
    vocab_size: r.positiveInt("vocab_size", 49408),
    width: r.positiveInt("width", 512),
    heads: r.positiveInt("heads", 8),
    layers: r.positiveInt("layers", 12),
    mlp_ratio: r.number("mlp_ratio", 4),
    ls_init_value: r.nullableNumber("ls_init_value"),
    pad_id: r.nonNegativeInt("pad_id", 0),
    eos_id: r.nonNegativeInt("eos_id", 2),
    no_causal_mask: r.bool("no_causal_mask", false),
    pool_type: r.oneOf("pool_type", ["argmax", "first", "last", "eos"] as const, "argmax"),
    proj_bias: r.bool("proj_bias", false),
    proj_type: r.oneOf("proj_type", ["linear", "none"] as const, "linear"),
    norm_eps: normEps(r),
    embed_cls: embedCls,
  };
  r.rejectUnknown();
  if (!(cfg.mlp_ratio > 0)) r.fail("mlp_ratio", `must be positive, got ${cfg.mlp_ratio}`);
  if (cfg.width % cfg.heads !== 0) r.fail("width", `(${cfg.width}) must be a multiple of heads (${cfg.heads})`);
  if (cfg.context_length > MAX_CONTEXT_LENGTH) r.fail("context_length", `must be at most ${MAX_CONTEXT_LENGTH} (the attention of a text is context² a head), got ${cfg.context_length}`);
  if (cfg.proj_type === "none" && cfg.width !== embedDim) r.fail("proj_type", `"none" needs text width (${cfg.width}) = embed_dim (${embedDim}), since nothing projects it`);
  return cfg;
}

function preprocessConfig(r: ConfigReader, imageSize: number): PreprocessConfig {
  let size = r.raw("size");
  if (Array.isArray(size) && size.length === 2 && size[0] === size[1]) size = size[0];
  if (size !== undefined && size !== null && (typeof size !== "number" || !Number.isInteger(size) || size <= 0)) {
    r.fail("size", `must be a positive integer (or [n, n]), got ${JSON.stringify(r.object["size"])}`);
  }
  const cfg: PreprocessConfig = {
    size: (size as number | undefined | null) ?? imageSize,
    mean: r.numbers("mean", CLIP_MEAN, 3) as [number, number, number],
    std: r.numbers("std", CLIP_STD, 3) as [number, number, number],
    interpolation: r.oneOf("interpolation", ["bicubic"] as const, "bicubic"),
    resize_mode: r.oneOf("resize_mode", ["shortest"] as const, "shortest"),
  };
  r.onlyDefault("mode", (v) => isNullish(v) || v === "RGB", "RGB only");
  r.ignore("fill_color");
  r.rejectUnknown();
  if (cfg.std.some((s) => !(s > 0))) r.fail("std", `must be positive, got ${JSON.stringify(cfg.std)}`);
  if (cfg.size > MAX_IMAGE_SIZE) r.fail("size", `must be at most ${MAX_IMAGE_SIZE} (config-limits.ts), got ${cfg.size}`);
  return cfg;
}

function duetConfig(r: ConfigReader, imageSize: number, hasLogitBias: boolean, preprocess?: unknown): DuetConfig {
  const version = r.nonNegativeInt("version", 1);
  if (version > 1) r.fail("version", `is ${version}: this config was written by a newer Duet (this one reads version 1)`);
  const channels = r.numbers("cnn_channels", [32, 64]);
  if (channels.some((c) => !Number.isInteger(c) || c <= 0)) r.fail("cnn_channels", `must be positive integers, got ${JSON.stringify(channels)}`);
  const cfg: DuetConfig = {
    tokenizer: r.oneOf("tokenizer", ["clip", "tokenizer.json"] as const, "clip"),
    image_tower: r.oneOf("image_tower", ["vit", "cnn"] as const, "vit"),
    cnn_channels: channels,
    text_pool: r.has("text_pool") ? r.oneOf("text_pool", ["mean"] as const, "mean") : (r.ignore("text_pool"), null),
    projection: r.oneOf("projection", ["linear", "mlp"] as const, "linear"),
    projection_hidden: r.has("projection_hidden") ? r.positiveInt("projection_hidden") : (r.ignore("projection_hidden"), null),
    loss: r.oneOf("loss", ["clip", "siglip"] as const, hasLogitBias ? "siglip" : "clip"),
    preprocess: preprocessConfig(
      preprocess === undefined ? r.child("preprocess") : ConfigReader.of(r.op, r.source, preprocess ?? {}, "preprocess_cfg"),
      imageSize,
    ),
  };
  if (preprocess !== undefined) r.ignore("preprocess");
  r.rejectUnknown();
  if (cfg.image_tower === "cnn" && imageSize >> cfg.cnn_channels.length < 1) {
    r.fail("cnn_channels", `has ${cfg.cnn_channels.length} blocks, each halving the image: image_size ${imageSize} is too small`);
  }
  return cfg;
}

export interface ParseConfigOptions {
  /** Names the file in error messages. */
  source?: string;
  /** The op named in error messages (default "parseModelConfig"). */
  op?: string;
  /** open_clip's preprocess_cfg (from open_clip_config.json): used for duet.preprocess. */
  preprocessCfg?: unknown;
}

/**
 * Checks a model config JSON object and fills every default; refuses a config nested too deep
 * to walk or describing a model too big to build (config-limits.ts) before anything is allocated.
 */
export function parseModelConfig(json: unknown, options: ParseConfigOptions = {}): ModelConfig {
  const op = options.op ?? "parseModelConfig";
  for (const [what, value] of [["the config", json], ["preprocess_cfg", options.preprocessCfg]] as const) {
    const tooDeep = jsonDepthProblem(value);
    if (tooDeep !== null) throw new ModelError(op, `${what} is ${tooDeep}`, options.source);
  }
  const r = ConfigReader.of(op, options.source, json);
  const coca = r.has("multimodal_cfg");
  if (!coca) r.onlyDefault("custom_text", isFalse, "CustomTextCLIP (text.* names) without multimodal_cfg; Duet has CLIP's layout and CoCa's");
  else if (r.raw("custom_text") !== true) r.fail("custom_text", `must be true with multimodal_cfg: open_clip builds a CoCa only then (else CLIP(**cfg) refuses multimodal_cfg), got ${JSON.stringify(r.object["custom_text"] ?? null)}`);
  const multimodal = coca ? readMultimodalConfig(r.child("multimodal_cfg")) : (r.ignore("multimodal_cfg"), null);
  r.ignore("cast_dtype", "output_dict");
  const embedDim = r.positiveInt("embed_dim");
  const initLogitBias = r.nullableNumber("init_logit_bias");
  const duetReader = r.child("duet");
  const imageTower = duetReader.object["image_tower"] === "cnn" ? "cnn" : "vit";
  const vision = visionConfig(r.child("vision_cfg"), imageTower, coca, embedDim);
  const text = textConfig(r.child("text_cfg"), embedDim, coca);
  const config: ModelConfig = {
    embed_dim: embedDim,
    vision_cfg: vision,
    text_cfg: text,
    quick_gelu: r.bool("quick_gelu", false),
    init_logit_scale: r.number("init_logit_scale", DEFAULT_INIT_LOGIT_SCALE),
    init_logit_bias: initLogitBias,
    nonscalar_logit_scale: r.bool("nonscalar_logit_scale", false),
    multimodal_cfg: multimodal,
    duet: duetConfig(duetReader, vision.image_size, initLogitBias !== null, options.preprocessCfg),
  };
  r.rejectUnknown();
  if (multimodal !== null) {
    const d = config.duet;
    if (d.image_tower !== "vit" || d.projection !== "linear" || d.text_pool !== null) {
      r.fail("duet", `must keep open_clip's CoCa layout (image_tower "vit", projection "linear", no text_pool), got ${JSON.stringify({ image_tower: d.image_tower, projection: d.projection, text_pool: d.text_pool })}`);
    }
    checkCocaWidths(r, multimodal, { embedDim, visionWidth: vision.width, textWidth: text.width, attentionalPool: vision.attentional_pool });
  }
  const tooBig = modelSizeProblem(config);
  if (tooBig !== null) throw new ModelError(op, tooBig, options.source);
  return config;
}

/** Whether open_clip's CLIP(**cfg) builds exactly this model's state dict. */
export function isOpenClipCompatible(config: ModelConfig): boolean {
  return config.duet.image_tower === "vit" && config.duet.projection === "linear" && config.duet.text_pool === null;
}

function withNorm<T extends { norm_eps: number }>(cfg: T): Omit<T, "norm_eps"> & { norm_kwargs?: { eps: number } } {
  const { norm_eps, ...rest } = cfg;
  return norm_eps === 1e-5 ? rest : { ...rest, norm_kwargs: { eps: norm_eps } };
}

/**
 * The config as JSON: open_clip's keys (every one explicit, so the file documents the model)
 * and the "duet" block. `CLIP(**{k: v for k, v in cfg.items() if k != "duet"})` in open_clip
 * builds the same model when `isOpenClipCompatible(config)`.
 */
export function modelConfigToJson(config: ModelConfig): ModelConfigJson {
  const json: ModelConfigJson = {
    embed_dim: config.embed_dim,
    quick_gelu: config.quick_gelu,
    vision_cfg: withNorm(config.vision_cfg),
    text_cfg: withNorm(config.text_cfg),
  };
  addCocaJson(json, config.multimodal_cfg, json["vision_cfg"] as Record<string, unknown>, json["text_cfg"] as Record<string, unknown>);
  if (config.init_logit_scale !== DEFAULT_INIT_LOGIT_SCALE) json["init_logit_scale"] = config.init_logit_scale;
  if (config.init_logit_bias !== null) json["init_logit_bias"] = config.init_logit_bias;
  if (config.nonscalar_logit_scale) json["nonscalar_logit_scale"] = true;
  json["duet"] = { version: 1, ...config.duet, preprocess: { ...config.duet.preprocess } };
  return json;
}

/** open_clip's preprocess_cfg for open_clip_config.json. */
export function preprocessCfgToJson(config: ModelConfig): Record<string, unknown> {
  return { ...config.duet.preprocess };
}

/** A deep copy with `changes` merged into the JSON form, re-checked (for presets and tests). */
export function withConfigChanges(config: ModelConfig, changes: (json: ModelConfigJson) => void): ModelConfig {
  const json = JSON.parse(JSON.stringify(modelConfigToJson(config))) as ModelConfigJson;
  changes(json);
  return parseModelConfig(json);
}

/** Throws unless `config` is a parsed ModelConfig (a cheap guard for public entry points). */
export function assertModelConfig(op: string, config: unknown): asserts config is ModelConfig {
  const c = config as ModelConfig | null;
  if (c === null || typeof c !== "object" || typeof c.embed_dim !== "number" || typeof c.vision_cfg !== "object" || typeof c.duet !== "object") {
    throw new ModelError(op, "config must be a ModelConfig from parseModelConfig (pass the JSON through it first)");
  }
}
