/**
 * Module: PyTorch's names and order for parameters and state dicts (checked against a tiny
 * open_clip CLIP's own lists, tests/fixtures/nn/clip_names.json), loadStateDict's checks,
 * train/eval, zeroGrad, dtype conversion.
 */

import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { causalMask, ones, randn, scalar, Tensor, tensor, zeros } from "../../packages/tensor/src/index.js";
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  excludedFromWeightDecay,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  paramGroupsNoDecayForNdimLe1,
  Sequential,
  StateDictError,
  Transformer,
  type AdamWHyper,
} from "../../packages/nn/src/index.js";
import { loadFixture } from "./support/fixtures.js";

/** open_clip's VisionTransformer, reduced to the parts that own parameters. */
class VisionTower extends Module {
  constructor(width: number, layers: number, heads: number, patch: number, image: number, embed: number) {
    super();
    const grid = image / patch;
    this.registerModule("conv1", new Conv2d(3, width, patch, { stride: patch, bias: false }));
    this.registerParameter("class_embedding", zeros([width]));
    this.registerParameter("positional_embedding", zeros([grid * grid + 1, width]));
    this.registerModule("ln_pre", new LayerNorm(width));
    this.registerModule("transformer", new Transformer(width, layers, heads));
    this.registerModule("ln_post", new LayerNorm(width));
    this.registerParameter("proj", zeros([width, embed]));
  }
}

/** open_clip's CLIP with the sizes of clip_names.json. */
class MiniClip extends Module {
  constructor() {
    super();
    this.registerModule("visual", new VisionTower(16, 1, 2, 8, 16, 8));
    this.registerModule("transformer", new Transformer(16, 1, 2));
    this.registerModule("token_embedding", new Embedding(64, 16));
    this.registerParameter("positional_embedding", zeros([8, 16]));
    this.registerModule("ln_final", new LayerNorm(16));
    this.registerParameter("text_projection", zeros([16, 8]));
    this.registerParameter("logit_scale", scalar(Math.log(1 / 0.07)));
    this.registerBuffer("attn_mask", causalMask(8), { persistent: false });
  }
}

interface ClipNames {
  params: { name: string; shape: number[]; excluded: boolean }[];
  state_dict_keys: string[];
  text_init_stds: { width: number; layers: number; proj_std: number; attn_std: number; fc_std: number };
}

describe("names as PyTorch and open_clip give them", () => {
  const fixture = loadFixture<ClipNames>("clip_names");

  it("namedParameters lists exactly open_clip's names, shapes and order", () => {
    const named = new MiniClip().namedParameters();
    expect(named.map(([n]) => n)).toEqual(fixture.params.map((p) => p.name));
    expect(named.map(([, p]) => [...p.shape])).toEqual(fixture.params.map((p) => p.shape));
    expect(named.some(([n]) => n === "visual.transformer.resblocks.0.attn.in_proj_weight")).toBe(true);
  });

  it("stateDict has open_clip's keys in its order, without the non-persistent mask", () => {
    const model = new MiniClip();
    expect([...model.stateDict().keys()]).toEqual(fixture.state_dict_keys);
    expect(model.namedBuffers().map(([n]) => n)).toEqual(["attn_mask"]);
  });

  it("the weight-decay exclusion agrees with open_clip's on every parameter", () => {
    for (const p of fixture.params) expect(excludedFromWeightDecay(p.name, p.shape.length), p.name).toBe(p.excluded);
    const [noDecay, decay] = paramGroupsNoDecayForNdimLe1<AdamWHyper>(new MiniClip().namedParameters(), 0.2);
    expect(noDecay.names).toEqual(fixture.params.filter((p) => p.excluded).map((p) => p.name));
    expect(decay.names).toEqual(fixture.params.filter((p) => !p.excluded).map((p) => p.name));
    expect([noDecay.weightDecay, decay.weightDecay]).toEqual([0, 0.2]);
  });

  it("parameters that do not require a gradient are left out of both groups", () => {
    const model = new Linear(2, 2);
    model.bias!.requiresGrad = false;
    const [noDecay, decay] = paramGroupsNoDecayForNdimLe1(model.namedParameters(), 0.1);
    expect([noDecay.names, decay.names]).toEqual([[], ["weight"]]);
  });

  it("a shared parameter is listed once by namedParameters, as torch", () => {
    class Tied extends Module {
      constructor() {
        super();
        const emb = this.registerModule("embed", new Embedding(5, 3));
        this.registerModule("head", new Module0());
        this.child<Module0>("head").registerParameter("weight", emb.weight);
      }
    }
    class Module0 extends Module {}
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["embed.weight"]);
    expect([...m.stateDict().keys()]).toEqual(["embed.weight", "head.weight"]);
  });

  it("Sequential and ModuleList name children by index", () => {
    const seq = new Sequential([new Linear(2, 3), new Linear(3, 1)]);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias"]);
    expect(seq.forward(ones([4, 2])).shape).toEqual([4, 1]);
    const list = new ModuleList([new LayerNorm(2)]);
    expect(list.at(-1)).toBe(list.at(0));
    expect(() => list.at(1)).toThrow(/index 1 is out of range for a list of 1 modules/);
  });
});

describe("loadStateDict", () => {
  const model = () => new Sequential([new Linear(3, 2), new LayerNorm(2)]);

  it("strict mode names exactly the missing and the unexpected keys", () => {
    const sd = model().stateDict();
    sd.delete("0.bias");
    sd.delete("1.weight");
    sd.set("0.scale", ones([2]));
    sd.set("2.weight", ones([2]));
    const m = model();
    let error: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const err = error as StateDictError;
    expect(err.missingKeys).toEqual(["0.bias", "1.weight"]);
    expect(err.unexpectedKeys).toEqual(["0.scale", "2.weight"]);
    expect(err.shapeMismatches).toEqual([]);
    expect(err.message).toBe(
      "Sequential.loadStateDict: cannot load the state dict: 2 missing keys: 0.bias, 1.weight | 2 unexpected keys: 0.scale, 2.weight",
    );
  });

  it("non-strict mode loads what is there and returns the rest", () => {
    const source = model();
    const sd = source.stateDict();
    sd.delete("1.bias");
    sd.set("extra", ones([1]));
    const m = model();
    expect(m.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ["1.bias"], unexpectedKeys: ["extra"] });
    expect(m.stateDict().get("0.weight")!.toArray()).toEqual(source.stateDict().get("0.weight")!.toArray());
  });

  it("a shape mismatch is an error even when not strict, and nothing is loaded", () => {
    const m = model();
    const before = m.stateDict().get("0.bias")!.toArray();
    const sd = new Map([
      ["0.weight", ones([3, 2])],
      ["0.bias", ones([2])],
    ]);
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/1 shape mismatch: 0\.weight expected \[2,3\], got \[3,2\]/);
    expect(m.stateDict().get("0.bias")!.toArray()).toEqual(before); // untouched
  });

  it("a dtype mismatch is an error unless convertDtype, which converts to the module's dtype", () => {
    const sd64 = new Map([...model().stateDict()].map(([k, t]) => [k, t.to("float64")]));
    const m = model();
    expect(() => m.loadStateDict(sd64)).toThrow(/4 dtype mismatches: 0\.weight expected float32, got float64.*convertDtype/);
    m.loadStateDict(sd64, { convertDtype: true });
    for (const [k, t] of m.stateDict()) {
      expect(t.dtype, k).toBe("float32");
      expect(Array.from(t.contiguousData())).toEqual(Array.from(sd64.get(k)!.contiguousData(), Math.fround));
    }
  });

  it("writes into the existing parameter storage, so references (optimizers) stay valid", () => {
    const m = new Linear(2, 2);
    const weight = m.weight;
    m.loadStateDict({ weight: tensor([1, 2, 3, 4], [2, 2]), bias: tensor([5, 6]) });
    expect(m.weight).toBe(weight);
    expect(weight.value.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("loads buffers, including BatchNorm's int32 num_batches_tracked", () => {
    const bn = new BatchNorm2d(2);
    bn.loadStateDict({
      weight: ones([2]),
      bias: zeros([2]),
      running_mean: tensor([0.5, -0.5]),
      running_var: tensor([2, 3]),
      num_batches_tracked: scalar(7, { dtype: "int32" }),
    });
    expect(bn.buffer("running_mean").toArray()).toEqual([0.5, -0.5]);
    expect(bn.buffer("num_batches_tracked").item()).toBe(7);
  });

  it("round trip: a model loaded from another's state dict computes the same", () => {
    const a = new Transformer(8, 2, 2);
    const b = new Transformer(8, 2, 2);
    b.loadStateDict(a.stateDict());
    const x = randn([2, 3, 8]);
    expect(Array.from(b.forward(x).value.contiguousData())).toEqual(Array.from(a.forward(x).value.contiguousData()));
  });

  it("rejects values that are not Tensors, naming the key", () => {
    expect(() => new Linear(2, 2).loadStateDict({ weight: [[1, 2]] as unknown as Tensor, bias: zeros([2]) })).toThrow(/stateDict\["weight"\] must be a Tensor, got Array/);
  });
});

describe("module behaviour", () => {
  it("train() and eval() switch every descendant", () => {
    const m = new Sequential([new Linear(2, 2), new Dropout(0.5), new Sequential([new BatchNorm2d(2)])]);
    m.eval();
    expect(m.namedModules().map(([, x]) => x.training)).toEqual([false, false, false, false, false]);
    m.train();
    expect(m.namedModules().every(([, x]) => x.training)).toBe(true);
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "0", "1", "2", "2.0"]);
  });

  it("zeroGrad forgets every gradient", () => {
    const m = new Linear(3, 2);
    A.sum(m.forward(ones([4, 3]))).backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it("to(float64) converts parameters and float buffers, not int buffers", () => {
    const m = new Sequential([new Linear(2, 2), new BatchNorm2d(2)]).to("float64");
    for (const [, t] of m.stateDict()) expect(["float64", "int32"]).toContain(t.dtype);
    expect(m.stateDict().get("1.num_batches_tracked")!.dtype).toBe("int32");
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it("registration refuses dotted, empty and duplicate names", () => {
    class M extends Module {}
    const m = new M();
    expect(() => m.registerParameter("a.b", ones([1]))).toThrow(/M.registerParameter: name must be a non-empty string without "."/);
    expect(() => m.registerBuffer("", ones([1]))).toThrow(/non-empty/);
    m.registerParameter("w", ones([1]));
    expect(() => m.registerModule("w", new Linear(1, 1))).toThrow(/"w" is already registered on this M/);
  });

  it("a parameter registered from a view gets its own compact storage", () => {
    class M extends Module {}
    const base = randn([4, 4]);
    const p = new M().registerParameter("w", base.transpose());
    expect(p.value.isCompact()).toBe(true);
    expect(p.value.toArray()).toEqual(base.transpose().toArray());
    expect(p.requiresGrad).toBe(true);
  });

  it("layers name the layer and the argument in their errors", () => {
    expect(() => new Linear(3, 2).forward(ones([2, 4]))).toThrow("Linear.forward: x must end in inFeatures = 3, got shape [2,4]");
    expect(() => new Conv2d(3, 2, 3).forward(ones([1, 2, 5, 5]))).toThrow("Conv2d.forward: x must be (N, 3, H, W), got shape [1,2,5,5]");
    expect(() => new LayerNorm(4).forward(ones([2, 3]))).toThrow("LayerNorm.forward: x must end in normalizedShape [4], got shape [2,3]");
    expect(() => new Embedding(4, 2).forward(ones([3]))).toThrow("Embedding.forward: ids must be an int32 tensor, got float32 of shape [3]");
    expect(() => new Linear(0, 2)).toThrow("Linear: inFeatures must be a positive integer, got 0");
    expect(() => new BatchNorm2d(2).forward(ones([1, 2, 1, 1]))).toThrow(/BatchNorm2d.forward: training needs more than 1 value per channel/);
  });
});
