/**
 * CoCa's part of the model config (open_clip 3.3.0 coca_model.py, model_configs/coca_*.json):
 *
 *   "custom_text": true,                       open_clip builds a CoCa only with custom_text
 *   "vision_cfg": {..., "attentional_pool": true, "attn_pooler_queries": 256, "attn_pooler_heads": 8, "output_tokens": true},
 *   "text_cfg":   {..., "embed_cls": true, "output_tokens": true},
 *   "multimodal_cfg": {"context_length": 76, "width": 512, "heads": 8, "layers": 12, ...}
 *
 * multimodal_cfg describes the text decoder (MultimodalTransformer). open_clip's MultimodalCfg
 * has more keys than its decoder reads: `_build_text_decoder_tower` passes only context_length,
 * width, heads, layers and ls_init_value, so the decoder's MLPs are 4× wide whatever mlp_ratio
 * says, its vocabulary is text_cfg.vocab_size (not multimodal_cfg.vocab_size), its LayerNorms
 * have eps 1e-5, and dim_head, n_queries, attn_pooler_heads do nothing (the pooler's are
 * vision_cfg's). Duet reads them the same way and keeps the common ones so a file round-trips.
 *
 * The widths must agree, or open_clip fails at the first forward: the decoder reads the text
 * tower's tokens (text_cfg.width) and cross-attends to the image tokens (embed_dim with the
 * attentional pooler, else the ViT's width).
 */

import { MAX_CONTEXT_LENGTH } from "./config-limits.js";
import type { ConfigReader } from "./config-reader.js";

export interface MultimodalConfig {
  /** The decoder's causal mask: it reads at most this many tokens. */
  context_length: number;
  width: number;
  heads: number;
  layers: number;
  /** LayerScale init of the decoder's blocks (ls_1 / ls_2), or null for none. */
  ls_init_value: number | null;
  /** Not read by open_clip's decoder (it predicts text_cfg.vocab_size tokens). */
  vocab_size: number;
  /** Not read by open_clip's decoder (its MLPs are 4× wide). */
  mlp_ratio: number;
  /** Not read by open_clip. */
  dim_head: number;
  /** Not read by open_clip (the pooler's queries are vision_cfg.attn_pooler_queries). */
  n_queries: number;
  /** Not read by open_clip (the pooler's heads are vision_cfg.attn_pooler_heads). */
  attn_pooler_heads: number;
}

/** The CoCa tower options, read by config.ts into VisionConfig and TextConfig. */
export interface CocaVisionOptions {
  /** open_clip's AttentionalPooler over the ViT's tokens (embed_dim wide), before ln_post. */
  attentional_pool: boolean;
  attn_pooler_queries: number;
  attn_pooler_heads: number;
}

/** open_clip's CLIPTextCfg keys that MultimodalCfg inherits and the decoder never reads. */
const UNREAD_TEXT_KEYS = [
  "embed_cls", "pad_id", "eos_id", "output_tokens", "no_causal_mask", "pool_type", "proj_bias", "proj_type", "final_ln_after_pool",
  "hf_model_name", "hf_tokenizer_name", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type", "tokenizer_mode", "tokenizer_kwargs",
  "norm_kwargs", "act_kwargs", "block_type", "qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc",
];

/** multimodal_cfg with open_clip's MultimodalCfg defaults. */
export function readMultimodalConfig(r: ConfigReader): MultimodalConfig {
  const cfg: MultimodalConfig = {
    context_length: r.positiveInt("context_length", 77),
    width: r.positiveInt("width", 512),
    heads: r.positiveInt("heads", 8),
    layers: r.positiveInt("layers", 12),
    ls_init_value: r.nullableNumber("ls_init_value"),
    vocab_size: r.positiveInt("vocab_size", 49408),
    mlp_ratio: r.number("mlp_ratio", 4),
    dim_head: r.positiveInt("dim_head", 64),
    n_queries: r.positiveInt("n_queries", 256),
    attn_pooler_heads: r.positiveInt("attn_pooler_heads", 8),
  };
  r.ignore(...UNREAD_TEXT_KEYS);
  r.rejectUnknown();
  if (cfg.width % cfg.heads !== 0) r.fail("width", `(${cfg.width}) must be a multiple of heads (${cfg.heads})`);
  if (cfg.context_length > MAX_CONTEXT_LENGTH) r.fail("context_length", `must be at most ${MAX_CONTEXT_LENGTH} (config-limits.ts), got ${cfg.context_length}`);
  return cfg;
}

/** vision_cfg's pooler keys: accepted inside a CoCa; outside one only at open_clip's defaults. */
export function readCocaVision(r: ConfigReader, coca: boolean, embedDim: number): CocaVisionOptions {
  if (!coca) {
    r.onlyDefault("attentional_pool", (v) => v === false || v === null, "attentional pooling outside a CoCa config");
    r.ignore("attn_pooler_queries", "attn_pooler_heads", "output_tokens");
    return { attentional_pool: false, attn_pooler_queries: 256, attn_pooler_heads: 8 };
  }
  r.ignore("output_tokens"); // a CoCa's towers always give their tokens
  const raw = r.raw("attentional_pool");
  if (typeof raw === "string") r.fail("attentional_pool", `= ${JSON.stringify(raw)} (open_clip's untested "parallel" / "cascade" poolers) is not supported by Duet; use true or false`);
  const cfg: CocaVisionOptions = {
    attentional_pool: r.bool("attentional_pool", false),
    attn_pooler_queries: r.positiveInt("attn_pooler_queries", 256),
    attn_pooler_heads: r.positiveInt("attn_pooler_heads", 8),
  };
  if (cfg.attentional_pool) {
    // query 0 is the contrastive embedding, the others are the decoder's image tokens
    if (cfg.attn_pooler_queries < 2) r.fail("attn_pooler_queries", `must be at least 2 (one pooled embedding + the image tokens), got ${cfg.attn_pooler_queries}`);
    if (embedDim % cfg.attn_pooler_heads !== 0) r.fail("attn_pooler_heads", `(${cfg.attn_pooler_heads}) must divide embed_dim (${embedDim}), the pooler's width`);
  }
  return cfg;
}

/** text_cfg.embed_cls: a CoCa's text tower appends a learned class token; nothing else may. */
export function readEmbedCls(r: ConfigReader, coca: boolean): boolean {
  if (!coca) {
    r.onlyDefault("embed_cls", (v) => v === false || v === null, "CoCa's appended class token outside a CoCa config");
    return false;
  }
  const embedCls = r.bool("embed_cls", false);
  if (!embedCls) r.fail("embed_cls", "must be true in a CoCa config: every open_clip CoCa pools its text at an appended class token, the one layout Duet reads");
  return true;
}

export interface CocaWidths {
  embedDim: number;
  visionWidth: number;
  textWidth: number;
  attentionalPool: boolean;
}

/** The widths the decoder joins must agree (open_clip would fail at its first forward). */
export function checkCocaWidths(r: ConfigReader, multimodal: MultimodalConfig, w: CocaWidths): void {
  if (multimodal.width !== w.textWidth) {
    r.fail("multimodal_cfg", `width (${multimodal.width}) must equal text_cfg.width (${w.textWidth}): the decoder reads the text tower's tokens`);
  }
  const imageWidth = w.attentionalPool ? w.embedDim : w.visionWidth;
  if (multimodal.width !== imageWidth) {
    const what = w.attentionalPool ? `embed_dim (${w.embedDim}), the width of the attentional pooler's image tokens` : `vision_cfg.width (${w.visionWidth}), the width of the ViT's image tokens`;
    r.fail("multimodal_cfg", `width (${multimodal.width}) must equal ${what}`);
  }
}

/**
 * The CoCa keys of a config's JSON: the tower options where they matter (omitted at their
 * defaults, so a CLIP's config.json is unchanged), custom_text and multimodal_cfg.
 */
export function addCocaJson(json: Record<string, unknown>, multimodal: MultimodalConfig | null, vision: Record<string, unknown>, text: Record<string, unknown>): void {
  if (!vision["attentional_pool"]) for (const k of ["attentional_pool", "attn_pooler_queries", "attn_pooler_heads"]) delete vision[k];
  if (multimodal === null) {
    delete text["embed_cls"];
    return;
  }
  vision["output_tokens"] = true;
  text["output_tokens"] = true;
  json["multimodal_cfg"] = { ...multimodal };
  json["custom_text"] = true;
}
