/**
 * CoCa's behaviour beyond the parity fixtures: open_clip's state-dict names, checkpoints saved
 * and loaded in both layouts, the decoder's causality (what a key/value cache will rely on),
 * the captioning loss's treatment of padding and its weights, and greedy decoding's contract.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { manualSeed, randn, tensor, type Tensor } from "../../packages/tensor/src/index.js";
import {
  captionLoss,
  CoCa,
  COCA_CAPTION_LOSS_WEIGHT,
  COCA_CONTRASTIVE_LOSS_WEIGHT,
  cocaLoss,
  contrastiveLoss,
  createModel,
  greedyCaption,
  loadCheckpoint,
  parseModelConfig,
  saveCheckpoint,
} from "../../packages/vlm/src/index.js";
import { maxDifference } from "./clip-parity-helpers.js";
import { tinyCoca } from "./coca-helpers.js";

const root = mkdtempSync(join(tmpdir(), "duet-coca-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function build(json = tinyCoca(), dtype: "float32" | "float64" = "float64"): CoCa {
  manualSeed(7);
  return createModel(parseModelConfig(json), { dtype }) as unknown as CoCa;
}

const images = (n: number, dtype: "float32" | "float64" = "float64") => randn([n, 3, 16, 16], { dtype });
/** Rows [18 (sot), ids..., 19 (eot), 0...] in the tiny vocabulary of 20. */
const tokens = tensor([18, 3, 4, 19, 0, 0, 18, 7, 2, 9, 11, 19, 18, 19, 0, 0, 0, 0], [3, 6], { dtype: "int32" });

describe("CoCa model", () => {
  it("names its parameters as open_clip's CoCa", () => {
    const names = build().namedParameters().map(([k]) => k);
    expect(names[0]).toBe("logit_scale");
    for (const key of [
      "text.cls_emb",
      "text.positional_embedding",
      "text.token_embedding.weight",
      "visual.attn_pool.query",
      "visual.attn_pool.attn.q_proj_weight",
      "visual.attn_pool.attn.k_proj_weight",
      "visual.attn_pool.ln_k.weight",
      "text_decoder.text_projection",
      "text_decoder.resblocks.1.attn.in_proj_weight",
      "text_decoder.cross_attn.0.ln_1_kv.bias",
      "text_decoder.ln_final.weight",
    ]) expect(names).toContain(key);
    expect(build().textTower.param("positional_embedding").shape).toEqual([7, 16]); // context 6 + the class token
  });

  it("the decoder is causal: a prefix's logits are the caption logits' first rows (what a key/value cache relies on)", () => {
    const model = build();
    const pixels = images(3);
    const full = model.forward(pixels, tokens).logits.value; // (3, 5, vocab), reads tokens[:, :5]
    const imageTokens = model.encodeImageWithTokens(pixels).tokens;
    for (const T of [1, 3, 5]) {
      const prefix = model.decoderLogits(imageTokens, tokens.slice(1, 0, T)).value;
      expect(maxDifference(prefix, full.slice(1, 0, T).contiguous()).max).toBeLessThan(1e-12);
    }
  });

  it("saves and loads in Duet's layout and in open_clip's, with the same outputs", () => {
    const model = build(tinyCoca({ multimodal: { ls_init_value: 0.2 } }));
    const pixels = images(2);
    const want = model.forward(pixels, tokens.slice(0, 0, 2));
    for (const layout of ["duet", "open_clip"] as const) {
      const dir = join(root, layout);
      saveCheckpoint(dir, model, { layout, floatDtype: "F64" });
      const loaded = loadCheckpoint(dir, { dtype: "float64" });
      expect(loaded.model).toBeInstanceOf(CoCa);
      expect(loaded.config).toEqual(model.config);
      const got = (loaded.model as unknown as CoCa).forward(pixels, tokens.slice(0, 0, 2));
      expect(maxDifference(got.logits.value, want.logits.value).max).toBe(0);
      expect(maxDifference(got.imageFeatures.value, want.imageFeatures.value).max).toBe(0);
    }
    const saved = JSON.parse(readFileSync(join(root, "open_clip", "open_clip_config.json"), "utf8")) as { model_cfg: Record<string, unknown> };
    expect(saved.model_cfg).toMatchObject({ custom_text: true, multimodal_cfg: { width: 16, layers: 2, ls_init_value: 0.2 } });
  });

  it("a config that disagrees with the weights names the field", () => {
    const dir = join(root, "mismatch");
    saveCheckpoint(dir, build());
    const path = join(dir, "config.json");
    const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<string, unknown>>;
    json["multimodal_cfg"]!["layers"] = 3;
    json["vision_cfg"]!["attn_pooler_queries"] = 5;
    writeFileSync(path, JSON.stringify(json));
    expect(() => loadCheckpoint(dir)).toThrow(/vision_cfg\.attn_pooler_queries = 5, but visual\.attn_pool\.query is \[4,16\].*multimodal_cfg\.layers = 3, but the weights have 2 blocks/);
  });

  it("forward refuses a caption too short to predict anything", () => {
    expect(() => build().forward(images(1), tensor([18], [1, 1], { dtype: "int32" }))).toThrow(/L ≥ 2/);
  });
});

describe("CoCa loss", () => {
  const logits = () => new A.Variable(randn([2, 4, 5], { dtype: "float64" }), { requiresGrad: true });
  const labels = tensor([3, 1, 0, 0, 2, 4, 4, 0], [2, 4], { dtype: "int32" });

  it("is the mean cross-entropy over the non-pad labels; padded positions get no gradient", () => {
    const x = logits();
    const loss = captionLoss(x, labels);
    const logp = (n: number, t: number) => {
      const row = Array.from(x.value.select(0, n).select(0, t).contiguousData());
      const m = Math.max(...row);
      return row[labels.get(n, t)]! - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    };
    const kept = [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]] as const;
    expect(loss.item()).toBeCloseTo(-kept.reduce((s, [n, t]) => s + logp(n, t), 0) / kept.length, 12);
    loss.backward();
    for (const [n, t] of [[0, 2], [0, 3], [1, 3]]) expect(Array.from(x.grad!.select(0, n).select(0, t).contiguousData()).every((g) => g === 0)).toBe(true);
  });

  it("weights the parts as open_clip_train's defaults (contrastive 1, caption 2); weight 0 drops the contrastive part", () => {
    expect([COCA_CONTRASTIVE_LOSS_WEIGHT, COCA_CAPTION_LOSS_WEIGHT]).toEqual([1, 2]);
    const features = (seed: number) => {
      manualSeed(seed);
      return A.l2Normalize(randn([2, 6], { dtype: "float64" }), -1);
    };
    const [I, T, x] = [features(1), features(2), logits()];
    const parts = cocaLoss(I, T, x, labels, 10);
    expect(parts.contrastiveLoss.item()).toBeCloseTo(contrastiveLoss(I, T, 10).item(), 14);
    expect(parts.captionLoss.item()).toBeCloseTo(2 * captionLoss(x, labels).item(), 14);
    expect(parts.loss.item()).toBeCloseTo(parts.contrastiveLoss.item() + parts.captionLoss.item(), 14);
    const captionOnly = cocaLoss(I, T, x, labels, 10, { clipLossWeight: 0, captionLossWeight: 1 });
    expect(captionOnly.contrastiveLoss.item()).toBe(0);
    expect(captionOnly.loss.item()).toBeCloseTo(captionLoss(x, labels).item(), 14);
  });

  it("refuses labels that are all padding, and shapes that disagree", () => {
    expect(() => captionLoss(logits(), tensor([0, 0, 0, 0, 0, 0, 0, 0], [2, 4], { dtype: "int32" }))).toThrow(/every label is the pad id 0/);
    expect(() => captionLoss(logits(), labels.slice(1, 0, 3).contiguous())).toThrow(/logits must be \(N, T, vocab\) and labels \(N, T\)/);
  });
});

describe("greedyCaption", () => {
  const model = build();
  const pixels = images(3);

  it("decodes each image as it would alone, within maxLength, ending at the end token if chosen", () => {
    const ids = greedyCaption(model, pixels, { sotId: 18, eotId: 19, maxLength: 4 });
    expect(ids).toHaveLength(3);
    ids.forEach((row, n) => {
      expect(row.length).toBeLessThanOrEqual(4);
      if (row.length < 4) expect(row.at(-1)).toBe(19);
      expect(greedyCaption(model, pixels.slice(0, n, n + 1), { sotId: 18, eotId: 19, maxLength: 4 })).toEqual([row]);
    });
  });

  it("each id is the argmax of the decoder's logits for the prefix before it", () => {
    const [row] = greedyCaption(model, pixels.slice(0, 0, 1), { sotId: 18, eotId: 19, maxLength: 5 });
    const imageTokens = model.encodeImageWithTokens(pixels.slice(0, 0, 1)).tokens;
    const prefix = [18, ...row!.slice(0, -1)];
    const scores = model.decoderLogits(imageTokens, tensor(prefix, [1, prefix.length], { dtype: "int32" })).value as Tensor;
    row!.forEach((id, t) => {
      const at = Array.from(scores.select(0, 0).select(0, t).contiguousData());
      expect(id).toBe(at.indexOf(Math.max(...at)));
    });
  });

  it("refuses a maxLength past the context and ids outside the vocabulary", () => {
    expect(() => greedyCaption(model, pixels, { sotId: 18, eotId: 19, maxLength: 7 })).toThrow(/maxLength must be an integer from 1 to 6/);
    expect(() => greedyCaption(model, pixels, { sotId: 20, eotId: 19 })).toThrow(/sotId must be a token id in \[0, 19\], got 20/);
  });
});
