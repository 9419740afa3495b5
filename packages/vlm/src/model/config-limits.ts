/**
 * How big a model config may be, checked when the config is parsed — before a single
 * parameter is allocated. A typo (a width of 65,536, a million layers) would otherwise ask
 * for terabytes and end in a crash or a machine swapping for minutes, not an error.
 *
 *   parameters     ≤ 1,000,000,000: every parameter is a float32 in memory, and training
 *                  keeps three more (the gradient, AdamW's two moments): 16 GB at the limit.
 *                  open_clip's ViT-H-14 (986M) fits; ViT-g-14 (1.4B) does not.
 *   context_length ≤ 4096 tokens: the causal mask and each head's attention are context²
 *                  (64 MB a head at 4096); CLIP's is 77, the longest open_clip text tower's 512.
 *   image_size     ≤ 4096 pixels: one 4096² RGB input is 200 MB as float32; open_clip's
 *                  largest towers take 560.
 */

import { MAX_CONTEXT_LENGTH } from "../tokenizer/tokenizer-json.js";
import type { ModelConfig } from "./config.js";

export { MAX_CONTEXT_LENGTH };
export const MAX_PARAMETERS = 1_000_000_000;
export const MAX_IMAGE_SIZE = 4096;

/** One transformer block's parameters: ln_1, attention (q, k, v packed, out_proj), ln_2, MLP, LayerScale. */
function blockParameters(width: number, mlpRatio: number, layerScale: boolean): number {
  const hidden = Math.floor(width * mlpRatio);
  const attention = 3 * width * width + 3 * width + width * width + width;
  const mlp = width * hidden + hidden + hidden * width + width;
  return 2 * width + attention + 2 * width + mlp + (layerScale ? 2 * width : 0);
}

/** A projection head's parameters (../model/projection.ts): a matrix, a Linear, a 2-layer MLP or nothing. */
function projectionParameters(kind: "matrix" | "linear" | "mlp" | "none", inDim: number, outDim: number, hidden: number | null): number {
  if (kind === "none") return 0;
  if (kind === "mlp") return (hidden ?? inDim) * inDim + outDim * (hidden ?? inDim);
  return inDim * outDim + (kind === "linear" ? outDim : 0);
}

/** CoCa's attentional pooler: queries, attention from width to embed (q, k, v, out_proj), ln_q, ln_k. */
function poolerParameters(queries: number, embed: number, width: number): number {
  return queries * embed + embed * embed + 2 * width * embed + 3 * embed + embed * embed + embed + 2 * embed + 2 * width;
}

/** CoCa's text decoder: per layer a self-attention block and a cross-attention block (+ ln_1_kv), ln_final, text_projection. */
function decoderParameters(config: ModelConfig): number {
  const m = config.multimodal_cfg;
  if (m === null) return 0;
  const block = blockParameters(m.width, 4, m.ls_init_value !== null); // open_clip's decoder ignores mlp_ratio
  return m.layers * (2 * block + 2 * m.width) + 2 * m.width + m.width * config.text_cfg.vocab_size;
}

/**
 * The parameter count the config describes, as `createModel(config).numParameters()` would
 * give it, computed from the numbers alone (so it can refuse a model that must not be built).
 */
export function parameterCount(config: ModelConfig): number {
  const { vision_cfg: v, text_cfg: t, duet, embed_dim: embed } = config;
  const mlpHead = duet.projection === "mlp";
  let vision: number;
  if (duet.image_tower === "cnn") {
    vision = 0;
    let channels = 3;
    for (const c of duet.cnn_channels) {
      vision += channels * c * 9 + c;
      channels = c;
    }
    vision += projectionParameters(mlpHead ? "mlp" : "matrix", channels, embed, duet.projection_hidden);
  } else {
    const grid = Math.floor(v.image_size / v.patch_size);
    const pooled = v.attentional_pool ? embed : v.width; // ln_post and proj follow the pooler
    vision =
      3 * v.patch_size * v.patch_size * v.width + // conv1, no bias
      v.width + // class_embedding
      (grid * grid + 1) * v.width + // positional_embedding
      (v.no_ln_pre ? 0 : 2 * v.width) +
      v.layers * blockParameters(v.width, v.mlp_ratio, v.ls_init_value !== null) +
      (v.attentional_pool ? poolerParameters(v.attn_pooler_queries, embed, v.width) : 0) +
      2 * pooled + // ln_post
      projectionParameters(mlpHead ? "mlp" : "matrix", pooled, embed, duet.projection_hidden);
  }
  const textHead = t.proj_type === "none" ? "none" : mlpHead ? "mlp" : t.proj_bias ? "linear" : "matrix";
  const text =
    t.vocab_size * t.width + // token_embedding
    (t.embed_cls ? t.width : 0) + // cls_emb
    (t.context_length + (t.embed_cls ? 1 : 0)) * t.width + // positional_embedding
    t.layers * blockParameters(t.width, t.mlp_ratio, t.ls_init_value !== null) +
    2 * t.width + // ln_final
    projectionParameters(textHead, t.width, embed, duet.projection_hidden);
  return vision + text + decoderParameters(config) + 1 + (config.init_logit_bias !== null ? 1 : 0);
}

/** Null when the config is within the limits above, else the problem for an error message. */
export function modelSizeProblem(config: ModelConfig): string | null {
  const count = parameterCount(config);
  if (count > MAX_PARAMETERS) {
    const shown = Number.isSafeInteger(count) ? count.toLocaleString("en-US") : count.toExponential(2);
    return `the model would have ${shown} parameters; Duet builds at most ${MAX_PARAMETERS.toLocaleString("en-US")} (float32 weights, gradients and AdamW's moments: 16 GB at the limit); check the widths, layers and sizes`;
  }
  return null;
}
