// layerNorm's forward pass: a few values worked by hand, the fast kernel against the naive
// reference over random shapes, dtypes and layouts, the law every normalized row obeys, and
// the errors. (The backward pass: layernorm-backward.test.ts.)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { layerNorm, tensor, zeros, type DType, type Tensor } from "../../packages/tensor/src/index.js";
// imported from its module until the package's export list names it
import { layerNormNaive } from "../../packages/tensor/src/ops/layernorm.js";
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

/** x (any layout, either float dtype), k normalized dims, and an optional weight and bias (any layout). */
const caseArb = fc.tuple(shapeArb({ minDims: 1, maxDims: 4, maxSize: 5 }), fc.constantFrom<DType>("float32", "float64")).chain(([shape, dtype]) =>
  fc.integer({ min: 1, max: shape.length }).chain((k) =>
    fc.record({
      x: tensorOfShapeArb(shape, { dtype }),
      k: fc.constant(k),
      w: fc.option(tensorOfShapeArb(shape.slice(shape.length - k), { dtype }), { nil: undefined }),
      b: fc.option(tensorOfShapeArb(shape.slice(shape.length - k), { dtype }), { nil: undefined }),
    }),
  ),
);

describe("layerNorm: the fast kernel against the naive reference", () => {
  it("gives the reference's out, mean and rstd (any shape, layout and dtype; with and without weight and bias)", () => {
    fc.assert(
      fc.property(caseArb, ({ x, k, w, b }) => {
        const S = x.shape.slice(x.ndim - k);
        const fast = layerNorm(x, S, w, b);
        const naive = layerNormNaive(x, S, w, b);
        // the same float64 arithmetic, rounded once: equal to the bit in every case seen so far,
        // but the fast kernel may reorder its sums, so allow an ulp
        const tol = x.dtype === "float64" ? { rtol: 3e-16, atol: 1e-300 } : { rtol: 1.2e-7, atol: 1e-38 };
        const label = `x ${x.dtype} [${x.shape}], normalizedShape [${S}], weight ${w !== undefined}, bias ${b !== undefined}:`;
        expect(fast.out.dtype).toBe(x.dtype);
        expectClose(fast.out, naive.out, { ...tol, label: `${label} out` });
        expectClose(fast.mean, naive.mean, { ...tol, label: `${label} mean` });
        expectClose(fast.rstd, naive.rstd, { ...tol, label: `${label} rstd` });
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

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

  it("are the same from the naive reference", () => {
    expect(() => layerNormNaive(x, [2])).toThrow(/layerNorm: x's trailing dims must equal normalizedShape \[2\], got x of shape \[2,3\]/);
    expect(() => layerNormNaive(x, [3], zeros([2]))).toThrow(/layerNorm: weight must have the normalized shape \[3\], got \[2\]/);
    expect(() => layerNormNaive(x, [3], undefined, undefined, Number.NaN)).toThrow(/layerNorm: eps must be a finite non-negative number, got NaN/);
  });
});
