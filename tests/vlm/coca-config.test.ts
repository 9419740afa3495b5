/**
 * CoCa's model config: open_clip's coca_*.json keys (multimodal_cfg, custom_text, the towers'
 * attentional_pool and embed_cls) parse into the typed config with open_clip's defaults,
 * round-trip through Duet's JSON (a CLIP's JSON is unchanged by them), agree with the model's
 * parameter count, and a config open_clip could not build fails naming the key.
 */

import { describe, expect, it } from "vitest";
import { parameterCount } from "../../packages/vlm/src/model/config-limits.js";
import { CLIP, createModel, isCoCa, modelConfigToJson, parseModelConfig, type ModelConfigJson } from "../../packages/vlm/src/index.js";
import { tinyCoca } from "./coca-helpers.js";

/** open_clip 3.3.0's model_configs/coca_ViT-B-32.json, verbatim. */
const COCA_VIT_B_32 = {
  embed_dim: 512,
  vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32, attentional_pool: true, attn_pooler_heads: 8, output_tokens: true },
  text_cfg: { context_length: 76, vocab_size: 49408, width: 512, heads: 8, layers: 12, embed_cls: true, output_tokens: true },
  multimodal_cfg: { context_length: 76, vocab_size: 49408, width: 512, heads: 8, layers: 12, attn_pooler_heads: 8 },
  custom_text: true,
};

describe("CoCa configs", () => {
  it("reads open_clip's coca_ViT-B-32.json with open_clip's defaults", () => {
    const c = parseModelConfig(COCA_VIT_B_32);
    expect(c.vision_cfg).toMatchObject({ attentional_pool: true, attn_pooler_queries: 256, attn_pooler_heads: 8, pool_type: "tok" });
    expect(c.text_cfg).toMatchObject({ embed_cls: true, pad_id: 0, context_length: 76 });
    expect(c.multimodal_cfg).toEqual({ context_length: 76, width: 512, heads: 8, layers: 12, ls_init_value: null, vocab_size: 49408, mlp_ratio: 4, dim_head: 64, n_queries: 256, attn_pooler_heads: 8 });
  });

  it("round-trips through its JSON, which open_clip's factory reads as a CoCa", () => {
    const c = parseModelConfig(tinyCoca({ multimodal: { ls_init_value: 0.1, mlp_ratio: 2 } }));
    const json = modelConfigToJson(c);
    expect(json["custom_text"]).toBe(true);
    expect(json["multimodal_cfg"]).toMatchObject({ ls_init_value: 0.1, mlp_ratio: 2, layers: 2 });
    expect(json["vision_cfg"]).toMatchObject({ attentional_pool: true, attn_pooler_queries: 4, attn_pooler_heads: 2, output_tokens: true });
    expect(json["text_cfg"]).toMatchObject({ embed_cls: true, output_tokens: true });
    expect(parseModelConfig(JSON.parse(JSON.stringify(json)))).toEqual(c);
  });

  it("leaves a CLIP's JSON without the CoCa keys", () => {
    const clip = parseModelConfig({ embed_dim: 8, vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 }, text_cfg: { width: 8, heads: 2, layers: 1, vocab_size: 64 } });
    expect(clip.multimodal_cfg).toBeNull();
    const json = modelConfigToJson(clip);
    expect(Object.keys(json)).not.toContain("multimodal_cfg");
    expect(Object.keys(json)).not.toContain("custom_text");
    for (const key of ["attentional_pool", "attn_pooler_queries", "attn_pooler_heads", "output_tokens"]) expect(Object.keys(json["vision_cfg"] as object)).not.toContain(key);
    for (const key of ["embed_cls", "output_tokens"]) expect(Object.keys(json["text_cfg"] as object)).not.toContain(key);
  });

  it.each([
    ["with the pooler", tinyCoca()],
    ["without the pooler (coca_base's layout)", tinyCoca({ vision: { width: 16, attentional_pool: false }, multimodal: { ls_init_value: 0.5 } })],
    ["with LayerScale and 'avg' pooling", tinyCoca({ vision: { pool_type: "avg", ls_init_value: 0.1 }, text: { ls_init_value: 0.1 } })],
  ])("counts the parameters the model has, %s (the size limit reads the count)", (_, json) => {
    const config = parseModelConfig(json);
    const model = createModel(config, { initialize: false });
    expect(isCoCa(model)).toBe(true);
    expect(parameterCount(config)).toBe(model.numParameters());
  });

  it("builds a CLIP for a config without multimodal_cfg", () => {
    const model = createModel(parseModelConfig({ embed_dim: 8, vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 }, text_cfg: { width: 8, heads: 2, layers: 1, vocab_size: 64 } }));
    expect(model).toBeInstanceOf(CLIP);
    expect(isCoCa(model)).toBe(false);
  });

  const bad: [string, ModelConfigJson, RegExp][] = [
    ["multimodal_cfg without custom_text", tinyCoca({ top: { custom_text: undefined } }), /custom_text must be true with multimodal_cfg/],
    ["a text tower without the class token", tinyCoca({ text: { embed_cls: false } }), /text_cfg\.embed_cls must be true in a CoCa config/],
    ["a decoder narrower than the text tower", tinyCoca({ text: { width: 32, heads: 2 }, top: { embed_dim: 32 }, multimodal: { width: 16 } }), /multimodal_cfg width \(16\) must equal text_cfg\.width \(32\)/],
    ["image tokens of another width", tinyCoca({ vision: { attentional_pool: false } }), /multimodal_cfg width \(16\) must equal vision_cfg\.width \(24\), the width of the ViT's image tokens/],
    ["open_clip's untested parallel pooler", tinyCoca({ vision: { attentional_pool: "parallel" } }), /attentional_pool = "parallel".*not supported/],
    ["a pooler with one query", tinyCoca({ vision: { attn_pooler_queries: 1 } }), /attn_pooler_queries must be at least 2/],
    ["pooler heads that do not divide embed_dim", tinyCoca({ vision: { attn_pooler_heads: 3 } }), /attn_pooler_heads \(3\) must divide embed_dim \(16\)/],
    ["Duet's MLP heads", tinyCoca({ top: { duet: { projection: "mlp" } } }), /duet must keep open_clip's CoCa layout/],
    ["a typo in multimodal_cfg", tinyCoca({ multimodal: { layres: 2 } }), /unknown key "layres" in multimodal_cfg/],
    ["decoder width not a multiple of heads", tinyCoca({ multimodal: { heads: 3 } }), /multimodal_cfg\.width \(16\) must be a multiple of heads \(3\)/],
  ];
  it.each(bad)("refuses %s with a message naming the key", (_, json, message) => {
    expect(() => parseModelConfig(JSON.parse(JSON.stringify(json)), { source: "config.json" })).toThrow(message);
  });

  it("refuses CoCa's tower options in a CLIP config", () => {
    const clip = { embed_dim: 8, vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 }, text_cfg: { width: 8, heads: 2, layers: 1, vocab_size: 64, embed_cls: true } };
    expect(() => parseModelConfig(clip)).toThrow(/text_cfg\.embed_cls = true is not supported by Duet \(CoCa's appended class token outside a CoCa config\)/);
  });
});
