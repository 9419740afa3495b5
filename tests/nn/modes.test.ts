/**
 * Train/eval behaviour: BatchNorm2d against torch over two training steps (batch
 * statistics, running statistics updated) and one evaluation step (running statistics),
 * and Dropout (seeded mask in training, the identity in evaluation).
 */

import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { Generator, ones, randn } from "../../packages/tensor/src/index.js";
import { BatchNorm2d, Dropout, dropout, MultiheadAttention, Sequential, Linear } from "../../packages/nn/src/index.js";
import { decode, decodeAll, expectMatches, loadFixture, RTOL, type Encoded } from "./support/fixtures.js";

interface BatchNormFixture {
  cases: Record<"float64" | "float32", {
    state_dict: Record<string, Encoded>;
    steps: { mode: "train" | "eval"; x: Encoded; upstream: Encoded; y: Encoded; grads: Record<string, Encoded>; state_after: Record<string, Encoded> }[];
  }>;
}

describe("BatchNorm2d matches torch in train and eval", () => {
  const fixture = loadFixture<BatchNormFixture>("batchnorm2d");
  for (const dtype of ["float64", "float32"] as const) {
    it(`train, train, eval (${dtype})`, () => {
      const c = fixture.cases[dtype];
      const bn = new BatchNorm2d(3, { dtype });
      bn.loadStateDict(decodeAll(c.state_dict));
      const rtol = RTOL[dtype];
      for (const [k, step] of c.steps.entries()) {
        if (step.mode === "train") bn.train();
        else bn.eval();
        bn.zeroGrad();
        const x = new A.Variable(decode(step.x), { requiresGrad: true });
        const y = bn.forward(x);
        expectMatches(y.value, decode(step.y), rtol, `step ${k} (${step.mode}) y`);
        A.sum(A.mul(y, decode(step.upstream))).backward();
        expectMatches(x.grad!, decode(step.grads["input.x"]!), rtol, `step ${k} dx`);
        expectMatches(bn.weight!.grad!, decode(step.grads.weight!), rtol, `step ${k} dweight`);
        expectMatches(bn.bias!.grad!, decode(step.grads.bias!), rtol, `step ${k} dbias`);
        for (const [name, e] of Object.entries(step.state_after)) {
          const got = bn.stateDict().get(name)!;
          if (e.dtype === "int32") expect(got.item(), `step ${k} ${name}`).toBe(e.data[0]);
          else expectMatches(got, decode(e), rtol, `step ${k} ${name}`);
        }
      }
    });
  }

  it("eval uses the running statistics and leaves them alone; momentum null is a cumulative average", () => {
    const bn = new BatchNorm2d(2, { momentum: null, dtype: "float64" });
    const x1 = randn([4, 2, 3, 3], { dtype: "float64" });
    const x2 = randn([4, 2, 3, 3], { dtype: "float64" });
    bn.forward(x1);
    bn.forward(x2);
    const mean = (x: typeof x1, c: number) => {
      const d = x.contiguousData();
      let s = 0;
      for (let n = 0; n < 4; n++) for (let i = 0; i < 9; i++) s += d[n * 18 + c * 9 + i]!;
      return s / 36;
    };
    // cumulative: running_mean after 2 batches = mean of the two batch means
    expect(bn.buffer("running_mean").get(0)).toBeCloseTo((mean(x1, 0) + mean(x2, 0)) / 2, 12);
    bn.eval();
    const before = bn.buffer("running_var").toArray();
    bn.forward(x1);
    expect(bn.buffer("running_var").toArray()).toEqual(before);
    expect(bn.buffer("num_batches_tracked").item()).toBe(2);
  });
});

describe("Dropout", () => {
  it("in training zeroes about p of the elements and scales the rest by 1/(1-p); the gradient uses the same mask", () => {
    const layer = new Dropout(0.25, { generator: new Generator(3) });
    const x = new A.Variable(ones([100, 100]), { requiresGrad: true });
    const y = layer.forward(x);
    const values = Array.from(y.value.contiguousData());
    const zeros = values.filter((v) => v === 0).length;
    expect(new Set(values)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    expect(Math.abs(zeros / 10_000 - 0.25)).toBeLessThan(0.02);
    A.sum(y).backward();
    expect(Array.from(x.grad!.contiguousData())).toEqual(values);
  });

  it("is the identity in eval mode, and the same seed drops the same elements", () => {
    const x = randn([4, 8]);
    const model = new Sequential([new Dropout(0.5, { generator: new Generator(1) })]);
    model.eval();
    expect(model.forward(x).value.toArray()).toEqual(x.toArray());
    model.train();
    const a = dropout(x, 0.5, true, new Generator(9)).value.toArray();
    const b = dropout(x, 0.5, true, new Generator(9)).value.toArray();
    expect(a).toEqual(b);
    expect(Array.from(dropout(x, 1, true).value.contiguousData()).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout(1.5)).toThrow("Dropout: p must be a probability in [0, 1], got 1.5");
  });

  it("MultiheadAttention's attention dropout acts in training only", () => {
    const mha = new MultiheadAttention(8, 2, { dropout: 0.5, generator: new Generator(4) });
    const x = randn([2, 3, 8]);
    mha.eval();
    const e1 = mha.forward(x).value.toArray();
    expect(mha.forward(x).value.toArray()).toEqual(e1);
    mha.train();
    expect(mha.forward(x).value.toArray()).not.toEqual(e1);
  });
});

describe("MultiheadAttention layouts and masks", () => {
  it("unbatched (L, E) equals batch 1; separate k/v objects equal self-attention; batchFirst false transposes", () => {
    const mha = new MultiheadAttention(8, 2, { dtype: "float64" });
    const x = randn([5, 8], { dtype: "float64" });
    const single = mha.forward(x).value;
    const batched = mha.forward(x.unsqueeze(0)).value;
    expectMatches(single, batched.squeeze(0), 1e-14, "unbatched");
    expectMatches(mha.forward(x, x.clone(), x.clone()).value, single, 1e-14, "sliced projections");
    const seqFirst = new MultiheadAttention(8, 2, { dtype: "float64", batchFirst: false });
    seqFirst.loadStateDict(mha.stateDict());
    const xb = randn([2, 5, 8], { dtype: "float64" });
    expectMatches(seqFirst.forward(xb.transpose(0, 1)).value.transpose(0, 1), mha.forward(xb).value, 1e-14, "batchFirst false");
  });

  it("a (B*H, L, S) mask equals the same (L, S) mask repeated", () => {
    const mha = new MultiheadAttention(8, 2, { dtype: "float64" });
    const x = randn([3, 4, 8], { dtype: "float64" });
    const mask = randn([4, 4], { dtype: "float64" });
    const repeated = mask.unsqueeze(0).expand([6, 4, 4]);
    expectMatches(mha.forward(x, undefined, undefined, { attnMask: repeated }).value, mha.forward(x, undefined, undefined, { attnMask: mask }).value, 1e-14, "3-D mask");
  });

  it("names the argument, the expected and the actual shapes", () => {
    const mha = new MultiheadAttention(8, 2);
    const x = randn([2, 4, 8]);
    expect(() => mha.forward(randn([2, 4, 6]))).toThrow("MultiheadAttention.forward: query must be (B, L, E) with E = 8, got shape [2,4,6]");
    expect(() => mha.forward(x, undefined, undefined, { attnMask: randn([3, 3]) })).toThrow(
      "MultiheadAttention.forward: attnMask must have shape [4,4] or [4,4,4] (B*H, L, S), got [3,3]",
    );
    expect(() => mha.forward(x, undefined, undefined, { attnMask: ones([4, 4], { dtype: "int32" }) })).toThrow(/attnMask must be an additive float Tensor/);
    expect(() => new MultiheadAttention(8, 3)).toThrow("MultiheadAttention: embedDim (8) must be divisible by numHeads (3)");
    expect(() => new Linear(2, 2).forward(randn([2, 3]))).toThrow(/inFeatures = 2/);
  });
});
