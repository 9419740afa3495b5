import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, causalMask, tensor, tril, triu, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

describe("tril / triu / causalMask: hand-checked values", () => {
  const x = arange(1, 10).reshape([3, 3]);

  it("keep on-and-below / on-and-above the diagonal", () => {
    expect(tril(x).toArray()).toEqual([
      [1, 0, 0],
      [4, 5, 0],
      [7, 8, 9],
    ]);
    expect(triu(x).toArray()).toEqual([
      [1, 2, 3],
      [0, 5, 6],
      [0, 0, 9],
    ]);
  });

  it("diagonal shifts the boundary (positive: up and right)", () => {
    expect(tril(x, 1).toArray()).toEqual([
      [1, 2, 0],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(tril(x, -1).toArray()).toEqual([
      [0, 0, 0],
      [4, 0, 0],
      [7, 8, 0],
    ]);
    expect(triu(x, 1).toArray()).toEqual([
      [0, 2, 3],
      [0, 0, 6],
      [0, 0, 0],
    ]);
    expect(triu(x, -5).toArray()).toEqual(x.toArray());
    expect(flat(tril(x, -3))).toEqual(new Array(9).fill(0));
  });

  it("works on non-square matrices, batches, transposed views and int32", () => {
    const wide = arange(1, 9).reshape([2, 4]);
    expect(triu(wide, 1).toArray()).toEqual([
      [0, 2, 3, 4],
      [0, 0, 7, 8],
    ]);
    const batch = arange(8, undefined, 1, { dtype: "int32" }).reshape([2, 2, 2]);
    const lower = tril(batch);
    expect(lower.dtype).toBe("int32");
    expect(lower.toArray()).toEqual([
      [
        [0, 0],
        [2, 3],
      ],
      [
        [4, 0],
        [6, 7],
      ],
    ]);
    expect(tril(x.transpose()).toArray()).toEqual([
      [1, 0, 0],
      [2, 5, 0],
      [3, 6, 9],
    ]);
  });

  it("causalMask is 0 on and below the diagonal, -Infinity above", () => {
    const m = causalMask(3);
    expect(m.dtype).toBe("float32");
    expect(m.toArray()).toEqual([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    expect(causalMask(2, { dtype: "float64" }).dtype).toBe("float64");
    expect(causalMask(0).shape).toEqual([0, 0]);
    // exp(mask) is exactly the lower-triangular ones, so softmax gives masked slots zero weight
    expect(flat(causalMask(4)).map(Math.exp)).toEqual(flat(tril(tensor(new Array(16).fill(1), [4, 4]))));
  });
});

describe("tril / triu: properties over strided batches", () => {
  const arb = shapeArb({ minDims: 2, maxDims: 4, maxSize: 5 }).chain((shape) =>
    fc.record({ x: tensorOfShapeArb(shape), k: fc.integer({ min: -6, max: 6 }) }),
  );

  it("tril(x) + triu(x) - diag(x) = x, and tril(x, k) + triu(x, k + 1) = x", () => {
    fc.assert(
      fc.property(arb, ({ x, k }) => {
        const xs = flat(x);
        const lower = flat(tril(x));
        const upper = flat(triu(x));
        const diag = flat(tril(triu(x)));
        // exact, but -0 + 0 = +0, so compare with === rather than toEqual
        expectClose(lower.map((v, i) => v + upper[i]! - diag[i]!), xs, { rtol: 0, atol: 0 });
        const below = flat(tril(x, k));
        const above = flat(triu(x, k + 1));
        expectClose(below.map((v, i) => v + above[i]!), xs, { rtol: 0, atol: 0 });
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("each element is kept exactly when j - i is on the right side of the diagonal", () => {
    fc.assert(
      fc.property(arb, ({ x, k }) => {
        const M = x.shape[x.ndim - 2]!;
        const N = x.shape[x.ndim - 1]!;
        const xs = flat(x);
        const lower = flat(tril(x, k));
        const upper = flat(triu(x, k));
        xs.forEach((v, e) => {
          const i = Math.floor(e / N) % M;
          const j = e % N;
          expect(lower[e]).toBe(j - i <= k ? v : 0);
          expect(upper[e]).toBe(j - i >= k ? v : 0);
        });
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe("tril / triu / causalMask: errors", () => {
  it("name the op and what came", () => {
    expect(() => tril(zeros([3]))).toThrow(/tril: x must have at least 2 dims \(\.\.\., M, N\), got shape \[3\]/);
    expect(() => triu(zeros([]))).toThrow(/triu: x must have at least 2 dims/);
    expect(() => triu(zeros([2, 2]), 0.5)).toThrow(/triu: diagonal must be an integer, got 0.5/);
    expect(() => causalMask(-1)).toThrow(/causalMask: n must be a non-negative integer, got -1/);
    expect(() => causalMask(2, { dtype: "int32" })).toThrow(/causalMask: dtype must be float32 or float64 \(the mask holds -Infinity\), got int32/);
  });
});
