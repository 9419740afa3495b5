/**
 * Global-norm clipping against torch.nn.utils.clip_grad_norm_ (fixture), and gradient
 * accumulation: k micro-batches with the loss scaled by 1/k give the full batch's gradient.
 */

import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { randn, tensor } from "../../packages/tensor/src/index.js";
import { accumulateGradients, clipGradNorm, Linear } from "../../packages/nn/src/index.js";
import { decode, expectMatches, loadFixture, type Encoded } from "./support/fixtures.js";

interface ClipFixture {
  grads: Encoded[];
  cases: { max_norm: number; norm_type: number | "inf"; total_norm: number; clipped: Encoded[] }[];
}

describe("clipGradNorm matches torch.nn.utils.clip_grad_norm_", () => {
  const fixture = loadFixture<ClipFixture>("clip_grad");
  for (const c of fixture.cases) {
    it(`maxNorm ${c.max_norm}, normType ${c.norm_type}`, () => {
      const params = fixture.grads.map((g) => {
        const p = new A.Variable(decode(g).clone(), { requiresGrad: true });
        p.grad = decode(g).clone();
        return p;
      });
      const total = clipGradNorm(params, c.max_norm, { normType: c.norm_type });
      expect(Math.abs(total - c.total_norm)).toBeLessThanOrEqual(1e-14 * c.total_norm);
      params.forEach((p, i) => expectMatches(p.grad!, decode(c.clipped[i]!), 1e-14, `clipped grad ${i}`));
    });
  }

  it("skips parameters without gradients and returns 0 when there are none", () => {
    const p = new A.Variable(randn([3]), { requiresGrad: true });
    expect(clipGradNorm([p], 1)).toBe(0);
  });

  it("errorIfNonfinite throws on a NaN or infinite norm; without it the gradients become NaN, as torch", () => {
    const p = new A.Variable(randn([2]), { requiresGrad: true });
    p.grad = tensor([Infinity, 1]);
    expect(() => clipGradNorm([p], 1, { errorIfNonfinite: true })).toThrow("clipGradNorm: the total norm of order 2 of the gradients is Infinity; they cannot be clipped (errorIfNonfinite)");
    expect(p.grad.toArray()).toEqual([Infinity, 1]); // untouched
    expect(clipGradNorm([p], 1)).toBe(Infinity);
    expect(Number.isNaN(p.grad.get(0))).toBe(true);
  });
});

describe("accumulateGradients", () => {
  it("4 micro-batches of 2, each loss scaled by 1/4, equal one batch of 8 (mean loss)", () => {
    const x = randn([8, 5], { dtype: "float64" });
    const y = randn([8, 3], { dtype: "float64" });
    const lossOf = (model: Linear, xs: typeof x, ys: typeof y) => A.mean(A.square(A.sub(model.forward(xs), ys)));
    const whole = new Linear(5, 3, { dtype: "float64" });
    const parts = new Linear(5, 3, { dtype: "float64" });
    parts.loadStateDict(whole.stateDict());
    const full = lossOf(whole, x, y);
    full.backward();
    const mean = accumulateGradients(4, (i) => lossOf(parts, x.slice(0, 2 * i, 2 * i + 2), y.slice(0, 2 * i, 2 * i + 2)));
    expect(Math.abs(mean - full.item())).toBeLessThan(1e-14);
    for (const [name, p] of whole.namedParameters()) expectMatches(parts.param(name).grad!, p.grad!, 1e-13, name);
  });

  it("checks k and the loss", () => {
    expect(() => accumulateGradients(0, () => A.sum(randn([1])))).toThrow("accumulateGradients: k must be a positive integer, got 0");
    const p = new A.Variable(randn([2]), { requiresGrad: true });
    expect(() => accumulateGradients(1, () => A.mul(p, 2))).toThrow(/lossFor\(0\) must return a one-element Variable \(a loss\), got shape \[2\]/);
  });
});
