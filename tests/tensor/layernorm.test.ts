import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { layerNorm, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

describe("layerNorm: hand-checked values", () => {
  it("one row: mean 2.5, biased var 1.25", () => {
    const { out, mean, rstd } = layerNorm(tensor([1, 2, 3, 4], [4]), [4]);
    const r = 1 / Math.sqrt(1.25 + 1e-5);
    expect(mean.shape).toEqual([]);
    expect(mean.item()).toBe(2.5);
    expectClose(rstd, [r], { rtol: 1e-6, atol: 0 });
    expectClose(out, [-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r], { rtol: 1e-6, atol: 1e-7 });
  });

  it("weight scales and bias shifts each normalized position", () => {
    const x = tensor([1, 3, 10, 20], [2, 2]); // rows: mean 2 and 15, var 1 and 25
    const w = tensor([2, -1], [2]);
    const b = tensor([0.5, 0], [2]);
    const { out, mean, rstd } = layerNorm(x, [2], w, b, 0);
    expect(flat(mean)).toEqual([2, 15]);
    expectClose(rstd, [1, 0.2], { rtol: 1e-7, atol: 0 });
    expectClose(out, [-1.5, -1, -1.5, -1], { rtol: 1e-6, atol: 1e-7 });
  });

  it("normalizes over several trailing dims; mean and rstd drop them", () => {
    const x = tensor([0, 2, 4, 6, 1, 1, 1, 1], [2, 2, 2]);
    const { out, mean, rstd } = layerNorm(x.to("float64"), [2, 2]);
    expect(out.dtype).toBe("float64");
    expect(mean.shape).toEqual([2]);
    expect(flat(mean)).toEqual([3, 1]);
    // first row: var 5; second row: var 0, so out is 0 and rstd is 1/sqrt(eps)
    expectClose(rstd, [1 / Math.sqrt(5 + 1e-5), 1 / Math.sqrt(1e-5)], { rtol: 1e-12, atol: 0 });
    expectClose(out.reshape([8]).slice(0, 4, 8), [0, 0, 0, 0], { rtol: 0, atol: 0 });
  });
});

/** An independent straightforward layerNorm, element by element through get(). */
function reference(x: Tensor, k: number, w?: Tensor, b?: Tensor, eps = 1e-5): number[] {
  const n = x.shape.slice(x.ndim - k).reduce((p, d) => p * d, 1);
  const values = flat(x);
  const wv = w ? flat(w) : undefined;
  const bv = b ? flat(b) : undefined;
  const out: number[] = [];
  for (let r = 0; r < values.length / n; r++) {
    const row = values.slice(r * n, (r + 1) * n);
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * (wv ? wv[i]! : 1) + (bv ? bv[i]! : 0)));
  }
  return out;
}

const caseArb = shapeArb({ minDims: 1, maxDims: 4, maxSize: 5 }).chain((shape) =>
  fc.integer({ min: 1, max: shape.length }).chain((k) =>
    fc.record({
      x: tensorOfShapeArb(shape),
      k: fc.constant(k),
      w: fc.option(tensorOfShapeArb(shape.slice(shape.length - k)), { nil: undefined }),
      b: fc.option(tensorOfShapeArb(shape.slice(shape.length - k)), { nil: undefined }),
    }),
  ),
);

describe("layerNorm: properties over strided inputs", () => {
  it("without weight and bias, each row has mean 0 and variance var / (var + eps)", () => {
    fc.assert(
      fc.property(caseArb, ({ x, k }) => {
        const S = x.shape.slice(x.ndim - k);
        const { out, mean, rstd } = layerNorm(x, S);
        expect(mean.shape).toEqual(x.shape.slice(0, x.ndim - k));
        const n = S.reduce((p, d) => p * d, 1);
        const ys = flat(out);
        const rs = flat(rstd);
        for (let r = 0; r < ys.length / n; r++) {
          const row = ys.slice(r * n, (r + 1) * n);
          const m = row.reduce((s, v) => s + v, 0) / n;
          const v = row.reduce((s, y) => s + (y - m) ** 2, 0) / n;
          const rowVar = 1 / rs[r]! ** 2 - 1e-5; // the input row's variance
          expectClose([m], [0], { atol: 1e-5, label: `mean of row ${r}` });
          expectClose([v], [rowVar / (rowVar + 1e-5)], { rtol: 1e-4, atol: 1e-4, label: `variance of row ${r}` });
          if (rowVar > 1e-2) expectClose([v], [1], { rtol: 0, atol: 2e-3, label: `variance of row ${r}` });
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("equals a straightforward element-by-element layerNorm, with optional weight and bias", () => {
    fc.assert(
      fc.property(caseArb, ({ x, k, w, b }) => {
        const { out } = layerNorm(x, x.shape.slice(x.ndim - k), w, b);
        expectClose(out, reference(x, k, w, b), { rtol: 1e-4, atol: 1e-4 });
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});

describe("layerNorm: errors", () => {
  const x = zeros([2, 3]);
  it("name the op, the argument and what came", () => {
    expect(() => layerNorm(x, [2])).toThrow(/layerNorm: x's trailing dims must equal normalizedShape \[2\], got x of shape \[2,3\]/);
    expect(() => layerNorm(x, [1, 2, 3])).toThrow(/layerNorm: x's trailing dims must equal normalizedShape \[1,2,3\]/);
    expect(() => layerNorm(x, [])).toThrow(/layerNorm: normalizedShape must be a non-empty list of non-negative integers, got \[\]/);
    expect(() => layerNorm(x, [3], zeros([2]))).toThrow(/layerNorm: weight must have the normalized shape \[3\], got \[2\]/);
    expect(() => layerNorm(x, [3], undefined, zeros([3, 1]))).toThrow(/layerNorm: bias must have the normalized shape \[3\], got \[3,1\]/);
    expect(() => layerNorm(zeros([2, 3], { dtype: "int32" }), [3])).toThrow(/layerNorm: x must be float32 or float64, got int32/);
    expect(() => layerNorm(x, [3], zeros([3], { dtype: "int32" }))).toThrow(/layerNorm: weight must be float32 or float64, got int32/);
    expect(() => layerNorm(x, [3], undefined, undefined, -1)).toThrow(/layerNorm: eps must be a finite non-negative number, got -1/);
  });
});
