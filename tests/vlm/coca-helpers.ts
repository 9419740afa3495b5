/** Tiny CoCa configs for the CoCa tests (open_clip's keys; see tests/vlm/coca-config.test.ts). */

import type { ModelConfigJson } from "../../packages/vlm/src/index.js";

/** A CoCa small enough to build in milliseconds: ViT width 24 with a 4-query pooler, text and decoder width 16. */
export const tinyCoca = (changes: { vision?: object; text?: object; multimodal?: object; top?: object } = {}): ModelConfigJson => ({
  embed_dim: 16,
  vision_cfg: { image_size: 16, patch_size: 8, width: 24, head_width: 8, layers: 1, attentional_pool: true, attn_pooler_queries: 4, attn_pooler_heads: 2, output_tokens: true, ...changes.vision },
  text_cfg: { context_length: 6, vocab_size: 20, width: 16, heads: 2, layers: 1, embed_cls: true, output_tokens: true, ...changes.text },
  multimodal_cfg: { context_length: 6, vocab_size: 20, width: 16, heads: 2, layers: 2, ...changes.multimodal },
  custom_text: true,
  ...changes.top,
});
