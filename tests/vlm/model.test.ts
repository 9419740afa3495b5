/**
 * The towers and the CLIP model: open_clip's exact state-dict names and shapes, what each
 * pooling reads, the causal mask's consequences, the logit-scale clamp, and clear errors.
 * Numerical parity with PyTorch is in clip-parity.test.ts.
 */

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import type { LayerNorm, ModuleList } from "../../packages/nn/src/index.js";
import { openSafetensorsFile } from "../../packages/nn/src/node.js";
import { Generator, randn, Tensor } from "../../packages/tensor/src/index.js";
import {
  CLIP,
  ConvImageTower,
  type ConvBlock,
  type VisionTransformer,
  MAX_LOGIT_SCALE,
  parseModelConfig,
  readCheckpointConfig,
  TextTransformer,
  tokenize,
  type ModelConfigJson,
} from "../../packages/vlm/src/index.js";
import { expectClose, fixtureFolder } from "./clip-parity-helpers.js";

const tinyJson = (): ModelConfigJson => ({
  embed_dim: 8,
  vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 },
  text_cfg: { context_length: 12, vocab_size: 49408, width: 8, heads: 2, layers: 1 },
});
const gen = (seed: number) => new Generator(seed);

function text(options: Partial<ConstructorParameters<typeof TextTransformer>[0]> = {}): TextTransformer {
  return new TextTransformer({ contextLength: 12, vocabSize: 49408, width: 8, heads: 2, layers: 2, outputDim: 4, dtype: "float64", generator: gen(3), ...options });
}

function same(a: Tensor, b: Tensor, tolerance = 1e-12): void {
  expectClose("features", a, b, tolerance);
}

describe("state dict names", () => {
  it.each(["vit-gelu", "vit-quickgelu"])("a model built from %s's config has exactly open_clip's keys and shapes", (name) => {
    const { config } = readCheckpointConfig(fixtureFolder(name));
    const model = new CLIP(config);
    const ours = [...model.stateDict()].map(([k, t]) => [k, [...t.shape]] as const).sort();
    const reader = openSafetensorsFile(join(fixtureFolder(name), "open_clip_model.safetensors"));
    const theirs = [...reader.entries].map(([k, e]) => [k, [...e.shape]] as const).sort();
    expect(ours).toEqual(theirs);
    expect(model.namedParameters().map(([k]) => k)).toContain("logit_scale");
    expect(model.namedBuffers()).toEqual([]); // the causal mask is built, not saved
  });

  it("the CNN tower and MLP heads have Duet's names", () => {
    const config = parseModelConfig({ ...tinyJson(), duet: { image_tower: "cnn", cnn_channels: [4, 6], projection: "mlp", projection_hidden: 10 } });
    const keys = [...new CLIP(config).stateDict().keys()];
    expect(keys.filter((k) => k.startsWith("visual."))).toEqual([
      "visual.blocks.0.conv.weight",
      "visual.blocks.0.conv.bias",
      "visual.blocks.1.conv.weight",
      "visual.blocks.1.conv.bias",
      "visual.proj.0.weight",
      "visual.proj.2.weight",
    ]);
    expect(keys).toContain("text_projection.0.weight");
    expect(new CLIP(config).stateDict().get("visual.proj.0.weight")!.shape).toEqual([10, 6]);
  });
});

describe("VisionTransformer", () => {
  const config = parseModelConfig(tinyJson());

  it("maps (N, 3, S, S) to (N, embed) and refuses other sizes clearly", () => {
    const model = new CLIP(config, { generator: gen(1) });
    expect(model.encodeImage(randn([2, 3, 16, 16])).shape).toEqual([2, 8]);
    expect(() => model.encodeImage(randn([2, 3, 32, 32]))).toThrow(/images must be \(N, 3, 16, 16\) — the model's image_size — got \[2,3,32,32\]/);
  });

  it("'tok' pools the class token, 'avg' the mean of the patch tokens; final_ln_after_pool is the same for 'tok'", () => {
    const images = randn([2, 3, 16, 16], { dtype: "float64", generator: gen(2) });
    const build = (vision: Record<string, unknown>) => {
      const json = tinyJson();
      Object.assign(json["vision_cfg"] as object, vision);
      return new CLIP(parseModelConfig(json), { dtype: "float64", generator: gen(5) });
    };
    const tok = build({});
    const avg = build({ pool_type: "avg" });
    const late = build({ final_ln_after_pool: true });
    const x = tok.visual.forward(images).value;
    same(late.visual.forward(images).value, x);
    // avg by hand: ln_post over the patch tokens, mean, then @ proj
    const vit = avg.visual as VisionTransformer;
    const tokens = vit.transformer.forward(vit.embed(images));
    const lnPost = avg.visual.child<LayerNorm>("ln_post");
    const manual = A.matmul(A.mean(A.slice(lnPost.forward(tokens), 1, 1), 1), avg.visual.param("proj"));
    same(avg.visual.forward(images).value, manual.value);
  });
});

describe("TextTransformer", () => {
  const tokens = tokenize(["a photo of a cat", "a dog", ""], 12);

  it("causal + argmax pooling: what follows end-of-text cannot matter", () => {
    const t = text();
    const before = t.forward(tokens).value;
    const ids = Int32Array.from(tokens.contiguousData());
    for (let b = 0; b < 3; b++) {
      const row = ids.subarray(b * 12, b * 12 + 12);
      const eot = row.indexOf(49407);
      for (let j = eot + 1; j < 12; j++) row[j] = 1000 + j; // junk after end-of-text, all below 49407
    }
    same(t.forward(new Tensor(ids, [3, 12])).value, before);
    // and the same texts in a shorter context give the same features
    same(t.forward(tokens.slice(1, 0, 8)).value, before);
  });

  it("argmax pooling reads the end-of-text position", () => {
    const t = text();
    const x = t.tokenFeatures(tokens);
    const pooled = t.poolTokens(x, tokens).value;
    const rows = tokens.toArray() as number[][];
    rows.forEach((row, b) => {
      const e = row.indexOf(49407);
      same(pooled.select(0, b), x.value.select(0, b).select(0, e));
    });
  });

  it("bidirectional: later tokens change the first position; 'first' and 'mean' pooling", () => {
    const bi = text({ causal: false, pool: "first" });
    const causal = text({ causal: true, pool: "first" });
    const changed = Int32Array.from(tokens.contiguousData());
    changed[3] = 999; // a word after the first position
    const t2 = new Tensor(changed, [3, 12]);
    same(causal.forward(t2).value.select(0, 0), causal.forward(tokens).value.select(0, 0));
    expect(Math.abs(bi.forward(t2).value.get(0, 0) - bi.forward(tokens).value.get(0, 0))).toBeGreaterThan(1e-9);

    const mean = text({ causal: false, pool: "mean" });
    const x = mean.tokenFeatures(tokens).value;
    const pooled = mean.poolTokens(new A.Variable(x), tokens).value;
    (tokens.toArray() as number[][]).forEach((row, b) => {
      const e = row.indexOf(49407);
      for (let k = 0; k < 8; k++) {
        let s = 0;
        for (let j = 0; j <= e; j++) s += x.get(b, j, k);
        expect(pooled.get(b, k)).toBeCloseTo(s / (e + 1), 12);
      }
    });
  });

  it("refuses tokens it cannot read, saying why", () => {
    const t = text();
    expect(() => t.forward(tokenize(["a cat"], 20))).toThrow(/1 ≤ L ≤ context_length 12, got int32 \[1,20\]; tokenize with contextLength 12/);
    expect(() => t.forward(randn([1, 12]))).toThrow(/tokens must be int32/);
    const small = text({ vocabSize: 100 });
    expect(() => small.forward(tokenize(["a cat"], 12))).toThrow(/token id 49406 at row 0 is outside the vocabulary \[0, 99\]/);
  });
});

describe("ConvImageTower", () => {
  it("conv–ReLU–pool blocks, global average pooling, projection", () => {
    const tower = new ConvImageTower({ imageSize: 16, channels: [4, 6], outputDim: 5, dtype: "float64", generator: gen(4) });
    const images = randn([2, 3, 16, 16], { dtype: "float64", generator: gen(5) });
    const y = tower.forward(images);
    expect(y.shape).toEqual([2, 5]);
    let x: A.Variable = new A.Variable(images);
    for (const block of tower.child<ModuleList<ConvBlock>>("blocks")) x = block.forward(x);
    expect(x.shape).toEqual([2, 6, 4, 4]);
    same(y.value, A.matmul(A.mean(x, [2, 3]), tower.param("proj")).value);
    expect(() => new ConvImageTower({ imageSize: 8, channels: [1, 1, 1, 1], outputDim: 2 })).toThrow(/4 blocks halve a 8 px image below one pixel/);
  });
});

describe("CLIP", () => {
  const config = parseModelConfig(tinyJson());

  it("logit_scale starts at ln(1/0.07) and is clamped to [0, ln 100] in one place", () => {
    const model = new CLIP(config);
    expect(model.logitScale.item()).toBeCloseTo(Math.log(1 / 0.07), 6);
    model.logitScale.value.data[0] = 7;
    expect(model.clampLogitScale()).toBeCloseTo(MAX_LOGIT_SCALE, 6);
    expect(model.logitScale.item()).toBeCloseTo(Math.log(100), 6);
    model.logitScale.value.data[0] = -3;
    expect(model.clampLogitScale()).toBe(0);
  });

  it("logits both ways: per text is the transpose; exp(logit_scale) times cosine similarity; SigLIP adds its bias", () => {
    const model = new CLIP(config, { dtype: "float64", generator: gen(6) });
    const images = randn([2, 3, 16, 16], { dtype: "float64", generator: gen(7) });
    const tokens = tokenize(["one", "two", "three"], 12);
    const { logitsPerImage, logitsPerText } = model.getLogits(images, tokens);
    expect(logitsPerImage.shape).toEqual([2, 3]);
    same(logitsPerText.value, logitsPerImage.value.transpose(0, 1));
    const out = model.forward(images, tokens);
    const cos = A.matmul(out.imageFeatures, A.transpose(out.textFeatures)).value;
    expect(logitsPerImage.value.get(1, 2)).toBeCloseTo(Math.exp(model.logitScale.item()) * cos.get(1, 2), 12);
    expect(Math.hypot(...out.imageFeatures.value.select(0, 0).contiguousData())).toBeCloseTo(1, 12);

    const siglip = new CLIP(parseModelConfig({ ...tinyJson(), init_logit_scale: Math.log(10), init_logit_bias: -10, nonscalar_logit_scale: true }), { dtype: "float64" });
    expect(siglip.logitScale.shape).toEqual([1]);
    expect(siglip.logitBias!.item()).toBe(-10);
    const f = siglip.forward(images, tokens);
    const l = siglip.logits(f.imageFeatures, f.textFeatures).logitsPerImage.value;
    expect(l.get(0, 0)).toBeCloseTo(10 * A.matmul(f.imageFeatures, A.transpose(f.textFeatures)).value.get(0, 0) - 10, 12);
  });

  it("encodeImage / encodeText normalise only when asked (open_clip's normalize flag)", () => {
    const model = new CLIP(config, { generator: gen(8) });
    const tokens = tokenize(["hello"], 12);
    const raw = model.encodeText(tokens).value;
    const unit = model.encodeText(tokens, { normalize: true }).value;
    const norm = Math.hypot(...(raw.contiguousData() as Float32Array));
    expect(Math.abs(norm - 1)).toBeGreaterThan(1e-3);
    expect(unit.get(0, 0)).toBeCloseTo(raw.get(0, 0) / norm, 6);
  });

  it("all parameters get a gradient from the contrastive loss (nothing detached)", () => {
    const model = new CLIP(config, { generator: gen(9) });
    const out = model.forward(randn([3, 3, 16, 16], { generator: gen(10) }), tokenize(["a", "b", "c"], 12));
    const logits = A.matmul(A.mul(out.logitScale, out.imageFeatures), A.transpose(out.textFeatures));
    A.crossEntropy(logits, new Tensor(Int32Array.of(0, 1, 2), [3])).backward();
    for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
  });
});
