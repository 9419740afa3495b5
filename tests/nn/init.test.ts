/**
 * Initialisers: torch's gains and fans (fixture), fan-based bounds, the statistics of the
 * draws, seeded determinism, and each layer's default init. (CLIP's own scheme is vlm's:
 * tests/vlm/clip-init.test.ts.)
 */

import { describe, expect, it } from "vitest";
import { Variable } from "../../packages/autograd/src/index.js";
import { Generator, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { Conv2d, Embedding, init, LayerNorm, Linear, MultiheadAttention } from "../../packages/nn/src/index.js";
import { loadFixture } from "./support/fixtures.js";

interface InitFixture {
  gains: Record<string, number>;
  fans: { shape: number[]; fan_in: number; fan_out: number }[];
  stats: Record<string, number>;
}

function stats(t: Tensor | Variable): { mean: number; std: number; absMax: number } {
  const d = (t instanceof Variable ? t.value : t).contiguousData();
  let s = 0;
  let absMax = 0;
  for (const v of d) {
    s += v;
    absMax = Math.max(absMax, Math.abs(v));
  }
  const mean = s / d.length;
  let ss = 0;
  for (const v of d) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / d.length), absMax };
}

const param = (shape: number[], dtype: "float32" | "float64" = "float32") => new Variable(zeros(shape, { dtype }), { requiresGrad: true });

describe("torch's conventions", () => {
  const fixture = loadFixture<InitFixture>("init");

  it("calculateGain equals torch.nn.init.calculate_gain", () => {
    for (const [name, gain] of Object.entries(fixture.gains)) {
      const got = name === "leaky_relu_sqrt5" ? init.calculateGain("leaky_relu", Math.sqrt(5)) : init.calculateGain(name as init.Nonlinearity);
      expect(got, name).toBeCloseTo(gain, 15);
    }
  });

  it("fanInAndFanOut equals torch's _calculate_fan_in_and_fan_out", () => {
    for (const f of fixture.fans) expect(init.fanInAndFanOut(f.shape), `[${f.shape}]`).toEqual({ fanIn: f.fan_in, fanOut: f.fan_out });
    expect(() => init.fanInAndFanOut([5])).toThrow("init.fanInAndFanOut: fan in and fan out need a tensor with at least 2 dims, got shape [5]");
  });

  it("Linear's default init stays inside torch's bound 1/√fanIn and fills it", () => {
    const lin = new Linear(300, 200, { generator: new Generator(1) });
    const bound = fixture.stats.linear_bound!;
    for (const p of [lin.weight, lin.bias!]) {
      const { absMax } = stats(p);
      expect(absMax).toBeLessThanOrEqual(bound);
      expect(absMax).toBeGreaterThan(0.99 * bound);
    }
    // torch's own draw, for comparison: same bound
    expect(fixture.stats.linear_weight_absmax!).toBeLessThanOrEqual(bound);
    // uniform on [-b, b] has std b/√3
    expect(stats(lin.weight).std).toBeCloseTo(bound / Math.sqrt(3), 3);
  });

  it("Conv2d's default bound uses fanIn = inChannels * kh * kw", () => {
    const conv = new Conv2d(8, 16, 3, { generator: new Generator(2) });
    const bound = 1 / Math.sqrt(8 * 9);
    expect(stats(conv.weight).absMax).toBeLessThanOrEqual(bound);
    expect(stats(conv.weight).absMax).toBeGreaterThan(0.98 * bound);
    expect(stats(conv.bias!).absMax).toBeLessThanOrEqual(bound);
  });

  it("xavierUniform's bound is gain * √(6 / (fanIn + fanOut))", () => {
    const w = init.xavierUniform(param([200, 300]), { generator: new Generator(3) });
    const bound = fixture.stats.xavier_uniform_bound!;
    expect(stats(w).absMax).toBeLessThanOrEqual(bound);
    expect(stats(w).absMax).toBeGreaterThan(0.999 * bound);
    const w2 = init.xavierUniform(param([200, 300]), { gain: 2, generator: new Generator(3) });
    expect(stats(w2).absMax).toBeCloseTo(2 * stats(w).absMax, 6);
  });
});

describe("draw statistics", () => {
  const g = () => new Generator(42);

  it("normal has the asked mean and std", () => {
    const s = stats(init.normal(param([300, 200], "float64"), 0.5, 0.02, { generator: g() }));
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(0.001);
    expect(s.std / 0.02).toBeCloseTo(1, 2);
  });

  it("kaimingNormal: std = gain/√fan, fan_in or fan_out", () => {
    const fanIn = stats(init.kaimingNormal(param([100, 400]), { nonlinearity: "relu", generator: g() }));
    expect(fanIn.std / (Math.SQRT2 / Math.sqrt(400))).toBeCloseTo(1, 1);
    const fanOut = stats(init.kaimingNormal(param([100, 400]), { nonlinearity: "relu", mode: "fan_out", generator: g() }));
    expect(fanOut.std / (Math.SQRT2 / Math.sqrt(100))).toBeCloseTo(1, 1);
  });

  it("kaimingUniform: bound = gain * √(3/fan); xavierNormal: std = √(2/(fanIn+fanOut))", () => {
    const ku = stats(init.kaimingUniform(param([64, 256]), { generator: g() }));
    expect(ku.absMax).toBeLessThanOrEqual(Math.SQRT2 * Math.sqrt(3 / 256));
    const xn = stats(init.xavierNormal(param([300, 500]), { generator: g() }));
    expect(xn.std / Math.sqrt(2 / 800)).toBeCloseTo(1, 1);
  });

  it("truncNormal stays inside [a, b]", () => {
    const s = stats(init.truncNormal(param([2000]), { std: 1, a: -0.5, b: 0.5, generator: g() }));
    expect(s.absMax).toBeLessThanOrEqual(0.5);
  });

  it("seeded: the same seed draws the same values, another seed others", () => {
    const a = init.normal(param([50]), 0, 1, { generator: new Generator(7) }).value.toArray();
    const b = init.normal(param([50]), 0, 1, { generator: new Generator(7) }).value.toArray();
    const c = init.normal(param([50]), 0, 1, { generator: new Generator(8) }).value.toArray();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const l1 = new Linear(4, 3, { generator: new Generator(5) }).stateDict();
    const l2 = new Linear(4, 3, { generator: new Generator(5) }).stateDict();
    for (const [k, t] of l1) expect(l2.get(k)!.toArray()).toEqual(t.toArray());
  });

  it("init functions write in place and refuse int32 or non-compact targets", () => {
    const p = param([3, 4]);
    const storage = p.value.data;
    init.constant(p, 3);
    expect(p.value.data).toBe(storage);
    expect(Array.from(storage)).toEqual(new Array(12).fill(3));
    expect(() => init.normal(zeros([2], { dtype: "int32" }))).toThrow(/init.normal: target must be float32 or float64, got int32/);
    expect(() => init.zeros(zeros([4, 4]).transpose())).toThrow(/must own compact storage/);
  });
});

describe("layer defaults", () => {
  it("Embedding N(0, 1); LayerNorm ones and zeros; MultiheadAttention xavier in_proj and zero biases", () => {
    const e = stats(new Embedding(500, 64, { generator: new Generator(9) }).weight);
    expect(e.std).toBeCloseTo(1, 1);
    const ln = new LayerNorm(5);
    expect(ln.weight!.value.toArray()).toEqual([1, 1, 1, 1, 1]);
    expect(ln.bias!.value.toArray()).toEqual([0, 0, 0, 0, 0]);
    const mha = new MultiheadAttention(32, 4, { generator: new Generator(10) });
    expect(stats(mha.inProjWeight).absMax).toBeLessThanOrEqual(Math.sqrt(6 / (32 + 96)));
    expect(stats(mha.inProjBias!).absMax).toBe(0);
    expect(stats(mha.outProj.bias!).absMax).toBe(0);
    expect(stats(mha.outProj.weight).absMax).toBeLessThanOrEqual(1 / Math.sqrt(32));
  });
});
