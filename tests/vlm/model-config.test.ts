/**
 * Model configs map one-to-one onto open_clip's model config JSON: open_clip's own files
 * parse with its defaults, the JSON round-trips, the "duet" block fills what open_clip has
 * no key for, and every bad value fails with a message naming the key.
 */

import { describe, expect, it } from "vitest";
import { isOpenClipCompatible, modelConfigToJson, parseModelConfig, withConfigChanges, type ModelConfigJson } from "../../packages/vlm/src/index.js";

/** open_clip 3.3.0's model_configs/ViT-B-32-quickgelu.json, verbatim. */
const VIT_B_32_QUICKGELU = {
  embed_dim: 512,
  quick_gelu: true,
  vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 32 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
};

const tiny = (): ModelConfigJson => ({
  embed_dim: 8,
  vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 },
  text_cfg: { context_length: 8, vocab_size: 64, width: 8, heads: 2, layers: 1 },
});

describe("parseModelConfig", () => {
  it("reads open_clip's ViT-B-32-quickgelu.json with open_clip's defaults", () => {
    const c = parseModelConfig(VIT_B_32_QUICKGELU);
    expect(c.quick_gelu).toBe(true);
    expect(c.vision_cfg).toMatchObject({ head_width: 64, mlp_ratio: 4, pool_type: "tok", ls_init_value: null, no_ln_pre: false, final_ln_after_pool: false, norm_eps: 1e-5 });
    expect(c.vision_cfg.width / c.vision_cfg.head_width).toBe(12);
    expect(c.text_cfg).toMatchObject({ pool_type: "argmax", no_causal_mask: false, proj_bias: false, proj_type: "linear", pad_id: 0, mlp_ratio: 4 });
    expect(c.init_logit_scale).toBeCloseTo(Math.log(1 / 0.07), 15);
    expect(c.init_logit_bias).toBeNull();
    expect(c.duet).toMatchObject({ tokenizer: "clip", image_tower: "vit", projection: "linear", text_pool: null, loss: "clip" });
    expect(c.duet.preprocess).toEqual({ size: 224, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], interpolation: "bicubic", resize_mode: "shortest" });
    expect(isOpenClipCompatible(c)).toBe(true);
  });

  it("round-trips through its JSON (open_clip keys + the duet block)", () => {
    const c = parseModelConfig({ ...tiny(), init_logit_bias: -10, duet: { image_tower: "cnn", cnn_channels: [4, 8], projection: "mlp", text_pool: "mean" } });
    expect(c.duet.loss).toBe("siglip");
    expect(isOpenClipCompatible(c)).toBe(false);
    const json = modelConfigToJson(c);
    expect(Object.keys(json)).toEqual(["embed_dim", "quick_gelu", "vision_cfg", "text_cfg", "init_logit_bias", "duet"]);
    expect(parseModelConfig(JSON.parse(JSON.stringify(json)))).toEqual(c);
    const eps = withConfigChanges(c, (j) => ((j["vision_cfg"] as Record<string, unknown>)["norm_kwargs"] = { eps: 1e-6 }));
    expect(eps.vision_cfg.norm_eps).toBe(1e-6);
    expect((modelConfigToJson(eps)["vision_cfg"] as Record<string, unknown>)["norm_kwargs"]).toEqual({ eps: 1e-6 });
  });

  it("takes preprocessing from open_clip's preprocess_cfg", () => {
    const c = parseModelConfig(tiny(), { preprocessCfg: { size: [20, 20], mode: "RGB", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: "bicubic", resize_mode: "shortest", fill_color: 0 } });
    expect(c.duet.preprocess).toMatchObject({ size: 20, mean: [0.5, 0.5, 0.5] });
  });

  const bad: [string, (j: ModelConfigJson) => void, RegExp][] = [
    ["a missing embed_dim", (j) => delete j["embed_dim"], /embed_dim is required/],
    ["a string width", (j) => ((j["vision_cfg"] as Record<string, unknown>)["width"] = "64"), /vision_cfg\.width must be a positive integer, got "64"/],
    ["width not a multiple of head_width", (j) => ((j["vision_cfg"] as Record<string, unknown>)["head_width"] = 5), /vision_cfg\.width \(16\) must be a multiple of head_width \(5\)/],
    ["text width not a multiple of heads", (j) => ((j["text_cfg"] as Record<string, unknown>)["heads"] = 3), /text_cfg\.width \(8\) must be a multiple of heads \(3\)/],
    ["a typo", (j) => ((j["vision_cfg"] as Record<string, unknown>)["patch_szie"] = 8), /unknown key "patch_szie" in vision_cfg; known keys: .*patch_size/],
    ["a ResNet", (j) => ((j["vision_cfg"] as Record<string, unknown>)["layers"] = [3, 4, 6, 3]), /ModifiedResNet/],
    ["a timm tower", (j) => ((j["vision_cfg"] as Record<string, unknown>)["timm_model_name"] = "vit_base"), /vision_cfg\.timm_model_name = "vit_base" is not supported by Duet \(timm image towers\)/],
    ["an HF text tower", (j) => ((j["text_cfg"] as Record<string, unknown>)["hf_model_name"] = "bert"), /text_cfg\.hf_model_name = "bert" is not supported/],
    ["attentional pooling", (j) => ((j["vision_cfg"] as Record<string, unknown>)["attentional_pool"] = true), /attentional pooling/],
    ["CustomTextCLIP", (j) => (j["custom_text"] = true), /custom_text = true is not supported by Duet/],
    ["an unknown pool", (j) => ((j["text_cfg"] as Record<string, unknown>)["pool_type"] = "max"), /text_cfg\.pool_type must be one of "argmax", "first", "last", "eos", got "max"/],
    ["a bad duet key", (j) => (j["duet"] = { image_tower: "resnet" }), /duet\.image_tower must be one of "vit", "cnn"/],
    ["a CNN too deep for the image", (j) => (j["duet"] = { image_tower: "cnn", cnn_channels: [4, 4, 4, 4, 4] }), /duet\.cnn_channels has 5 blocks.*image_size 16 is too small/],
    ["a bad std", (j) => (j["duet"] = { preprocess: { std: [0.2, 0, 0.2] } }), /duet\.preprocess\.std must be positive/],
  ];
  it.each(bad)("refuses %s with a message naming the key", (_, change, message) => {
    const json = tiny();
    change(json);
    expect(() => parseModelConfig(json, { source: "config.json" })).toThrow(message);
    expect(() => parseModelConfig(json, { source: "config.json" })).toThrow(/^parseModelConfig: config\.json: /);
  });

  it("refuses proj_type none unless the text width is embed_dim, and a non-object", () => {
    const json = tiny();
    (json["text_cfg"] as Record<string, unknown>)["proj_type"] = "none";
    (json["text_cfg"] as Record<string, unknown>)["width"] = 16;
    expect(() => parseModelConfig(json)).toThrow(/"none" needs text width \(16\) = embed_dim \(8\)/);
    expect(() => parseModelConfig([1, 2])).toThrow(/the config must be a JSON object, got \[1,2\]/);
  });
});
