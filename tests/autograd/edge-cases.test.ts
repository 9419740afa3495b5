/** Edge cases that break naive autograds: a batch of one, a node used many times, backward twice. */

import { describe, expect, it } from "vitest";
import { randn, tensor } from "../../packages/tensor/src/index.js";
import * as A from "../../packages/autograd/src/index.js";
import { Variable } from "../../packages/autograd/src/index.js";
import { clipLoss } from "./support/models.js";

describe("edge cases", () => {
  it("the contrastive loss of a batch of one is 0, with zero gradients", () => {
    const image = new Variable(randn([1, 8], { dtype: "float64" }), { requiresGrad: true });
    const text = new Variable(randn([1, 8], { dtype: "float64" }), { requiresGrad: true });
    const logitScale = new Variable(tensor([Math.log(1 / 0.07)], [], { dtype: "float64" }), { requiresGrad: true });
    const { loss } = clipLoss(image, text, logitScale);
    expect(Math.abs(loss.item())).toBe(0);
    loss.backward();
    for (const v of [image, text, logitScale]) {
      expect(v.grad).not.toBeNull();
      for (const g of v.grad!.toFlatArray()) expect(Math.abs(g)).toBe(0);
    }
  });

  it("a node used 1,000 times gets the sum of 1,000 gradients", () => {
    const x = new Variable(tensor([0.5, -1], [2], { dtype: "float64" }), { requiresGrad: true });
    const h = A.exp(x);
    let total: Variable = A.mul(h, 0);
    for (let k = 1; k <= 1000; k++) total = A.add(total, A.mul(h, k)); // Σ k e^x
    A.sum(total).backward();
    const expected = [0.5, -1].map((v) => 500500 * Math.exp(v));
    Array.from(x.grad!.toFlatArray()).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 6));
  });

  it("backward twice without retainGraph fails clearly; with it, gradients double", () => {
    const x = new Variable(tensor([1, 2], [2], { dtype: "float64" }), { requiresGrad: true });
    const loss = A.sum(A.mul(A.exp(x), x));
    loss.backward(undefined, { retainGraph: true });
    const once = Array.from(x.grad!.toFlatArray());
    loss.backward();
    expect(Array.from(x.grad!.toFlatArray())).toEqual(once.map((g) => 2 * g));
    expect(() => loss.backward()).toThrow(/already freed by an earlier backward\(\).*retainGraph: true/);
  });

  it("a clamped logit scale at its bound gets no gradient (it stops moving outward)", () => {
    const atBound = new Variable(tensor([Math.log(100)], [], { dtype: "float64" }), { requiresGrad: true });
    const beyond = new Variable(tensor([5], [], { dtype: "float64" }), { requiresGrad: true });
    const inside = new Variable(tensor([1], [], { dtype: "float64" }), { requiresGrad: true });
    for (const s of [atBound, beyond, inside]) A.exp(A.clamp(s, 0, Math.log(100))).backward();
    expect([atBound.grad!.item(), beyond.grad!.item()]).toEqual([0, 0]);
    expect(inside.grad!.item()).toBeCloseTo(Math.E, 12);
  });

  it("max routes the gradient of a tie evenly; maximum splits a tie in half", () => {
    const x = new Variable(tensor([1, 3, 3, 2], [4], { dtype: "float64" }), { requiresGrad: true });
    A.max(x).backward();
    expect(Array.from(x.grad!.toFlatArray())).toEqual([0, 0.5, 0.5, 0]);
    const a = new Variable(tensor([1, 2], [2], { dtype: "float64" }), { requiresGrad: true });
    const b = new Variable(tensor([1, 3], [2], { dtype: "float64" }), { requiresGrad: true });
    A.sum(A.maximum(a, b)).backward();
    expect([...a.grad!.toFlatArray(), ...b.grad!.toFlatArray()]).toEqual([0.5, 0, 0.5, 1]);
  });

  it("maxPool2d gives a tie inside a window to the first maximum", () => {
    const x = new Variable(tensor([1, 1, 1, 1], [1, 1, 2, 2], { dtype: "float64" }), { requiresGrad: true });
    A.sum(A.maxPool2d(x, 2)).backward();
    expect(Array.from(x.grad!.toFlatArray())).toEqual([1, 0, 0, 0]);
  });

  it("softplus and logSigmoid stay finite far from 0", () => {
    const x = new Variable(tensor([-1000, 1000], [2], { dtype: "float64" }), { requiresGrad: true });
    const y = A.logSigmoid(x);
    expect(Array.from(y.value.toFlatArray())).toEqual([-1000, -0]);
    expect(Array.from(A.softplus(x).value.toFlatArray())).toEqual([0, 1000]);
    A.sum(y).backward();
    expect(Array.from(x.grad!.toFlatArray())).toEqual([1, 0]);
  });
});
