import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Tensor,
  argmax,
  argmin,
  exp,
  log,
  logsumexp,
  max,
  maxWithIndices,
  mean,
  min,
  minWithIndices,
  prod,
  reduceNaive,
  std,
  sum,
  tensor,
  variance,
  type Axes,
  type DType,
  type ReduceOp,
} from "../../packages/tensor/src/index.js";
import * as T from "../../packages/tensor/src/index.js";
import { expectClose, tensorArb, type ShapeOptions } from "../support/arbitraries.js";

/**
 * Shapes of 3-4 dims, each at least 2: random axis sets then often have kept axes between
 * reduced ones (e.g. reduce [0,2] of (2,3,2)), the case the fast path handles by a copy.
 * Small shapes alone rarely produce it: size-1 dims do not count as separating.
 */
const WIDE: ShapeOptions = { minDims: 3, maxDims: 4, minSize: 2, maxSize: 3 };

const RUNS = { numRuns: 100, seed: 42 };

const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "float64" });
const i32 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "int32" });
const values = (t: Tensor) => Array.from(t.contiguousData());

//   x = [[1, 5, 3],
//        [4, 2, 6]]
const x = f64([1, 5, 3, 4, 2, 6], [2, 3]);

// ---- hand-checked values ---------------------------------------------------------

describe("reductions: hand-checked values", () => {
  it("sum over all, one, negative and several axes, with keepdim", () => {
    expect(sum(x).shape).toEqual([]);
    expect(sum(x).item()).toBe(21);
    expect(values(sum(x, 0))).toEqual([5, 7, 9]);
    expect(values(sum(x, 1))).toEqual([9, 12]);
    expect(values(sum(x, -1))).toEqual([9, 12]);
    expect(sum(x, [0, 1]).item()).toBe(21);
    expect(sum(x, 1, true).toArray()).toEqual([[9], [12]]);
    expect(sum(x, undefined, true).shape).toEqual([1, 1]);
    expect(sum(x, []).toArray()).toEqual(x.toArray()); // no axes: nothing reduced (NumPy)
    expect(sum(f64([7], [])).item()).toBe(7); // a 0-d tensor sums to itself
  });

  it("prod, mean", () => {
    expect(values(prod(x, 1))).toEqual([15, 48]);
    expect(prod(x).item()).toBe(720);
    expect(values(mean(x, 0))).toEqual([2.5, 3.5, 4.5]);
    expect(mean(x).item()).toBe(3.5);
  });

  it("max, min and their indices; ties go to the first index", () => {
    expect(values(max(x, 1))).toEqual([5, 6]);
    expect(values(min(x, 0))).toEqual([1, 2, 3]);
    expect(max(x).item()).toBe(6);
    expect(values(argmax(x, 1))).toEqual([1, 2]);
    expect(values(argmin(x, 0))).toEqual([0, 1, 0]);
    expect(argmax(x).item()).toBe(5); // flattened index, as torch
    expect(argmin(x).item()).toBe(0);
    expect(argmax(x, 1, true).shape).toEqual([2, 1]);
    expect(argmax(x, undefined, true).shape).toEqual([1, 1]);
    expect(values(argmax(f64([3, 1, 3, 3])))).toEqual([0]);
    expect(values(argmin(f64([1, 1, 0, 0])))).toEqual([2]);
    expect(values(argmax(f64([1, 2, 3, 2, 3, 2], [3, 2]), 0))).toEqual([1, 0]);
    const { values: v, indices } = maxWithIndices(x, 0);
    expect(values(v)).toEqual([4, 5, 6]);
    expect(values(indices)).toEqual([1, 0, 1]);
    expect(indices.dtype).toBe("int32");
    const lowest = minWithIndices(x, -1, true);
    expect(lowest.values.toArray()).toEqual([[1], [2]]);
    expect(lowest.indices.toArray()).toEqual([[0], [1]]);
  });

  it("NaN wins max/min and argmax/argmin (its first occurrence)", () => {
    const withNaN = f64([1, NaN, 3, NaN]);
    expect(max(withNaN).item()).toBeNaN();
    expect(min(withNaN).item()).toBeNaN();
    expect(argmax(withNaN).item()).toBe(1);
    expect(argmin(withNaN).item()).toBe(1);
    expect(values(max(f64([1, NaN, 3, 4], [2, 2]), 0))).toEqual([3, NaN]);
  });

  it("var and std: unbiased by default, population with correction 0", () => {
    // row 0: mean 3, squared deviations 4 + 4 + 0 = 8; row 1: mean 4, 0 + 4 + 4 = 8
    expect(values(variance(x, 1))).toEqual([4, 4]);
    expect(values(variance(x, 1, false, 0))).toEqual([8 / 3, 8 / 3]);
    expect(values(std(x, 1))).toEqual([2, 2]);
    expect(std(x, 1, true).shape).toEqual([2, 1]);
    expect(variance(f64([5])).item()).toBeNaN(); // one value, divisor 0: 0/0, as torch
    expect(values(variance(f64([1e9 + 1, 1e9 + 2, 1e9 + 3])))).toEqual([1]); // two passes: no cancellation
    expect(T.var).toBe(variance);
  });

  it("logsumexp is stable", () => {
    expect(logsumexp(f64([0, 0])).item()).toBe(Math.LN2);
    expect(logsumexp(f64([1000, 1000])).item()).toBe(1000 + Math.LN2);
    expect(logsumexp(f64([-1000, -1000])).item()).toBe(-1000 + Math.LN2);
    expect(logsumexp(f64([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(logsumexp(f64([Infinity, 0])).item()).toBe(Infinity);
    expect(logsumexp(f64([NaN, 0])).item()).toBeNaN();
    expect(values(logsumexp(f64([-Infinity, 0, -Infinity, -Infinity], [2, 2]), 0))).toEqual([-Infinity, 0]);
    expect(values(logsumexp(x, 1))).toEqual([Math.log(Math.exp(1) + Math.exp(5) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(2) + Math.exp(6))]);
  });

  it("empty reductions: sum 0, prod 1, mean NaN, logsumexp -Infinity", () => {
    const empty = f64([], [2, 0]);
    expect(values(sum(empty, 1))).toEqual([0, 0]);
    expect(values(prod(empty, 1))).toEqual([1, 1]);
    expect(values(mean(empty, 1))).toEqual([NaN, NaN]);
    expect(values(variance(empty, 1))).toEqual([NaN, NaN]);
    expect(values(logsumexp(empty, 1))).toEqual([-Infinity, -Infinity]);
    expect(sum(empty).item()).toBe(0);
    expect(sum(empty, 0).shape).toEqual([0]); // reducing a non-empty axis of an empty tensor
    expect(max(empty, 0).shape).toEqual([0]);
  });

  it("dtypes: sum/prod/max/min keep the dtype, mean/var/std/logsumexp give floats, arg* int32", () => {
    const ints = i32([1, 2, 3, 4], [2, 2]);
    for (const op of [sum, prod, max, min]) expect(op(ints, 0).dtype).toBe("int32");
    for (const op of [mean, variance, std, logsumexp]) expect(op(ints, 0).dtype).toBe("float32");
    expect(argmax(f64([1, 2])).dtype).toBe("int32");
    expect(mean(tensor([1, 2])).dtype).toBe("float32");
    expect(mean(f64([1, 2])).dtype).toBe("float64");
    expect(values(mean(ints, 1))).toEqual([1.5, 3.5]);
    expect(values(sum(i32([2147483647, 1])))).toEqual([-2147483648]); // int32 sums wrap
  });

  it("float32 sums accumulate in float64", () => {
    // 1 + 2^-24 * 2 rounds back to 1 at each float32 step; in float64 the small terms survive
    const t = tensor([1, 2 ** -24, 2 ** -24]);
    expect(sum(t).item()).toBe(Math.fround(1 + 2 ** -23));
  });
});

// ---- properties ------------------------------------------------------------------

/** A tensor with a random layout and a random set of axes (some negative), or undefined. */
function tensorAndAxes(
  dtype: DType = "float64",
  min = -3,
  max = 3,
  shape: ShapeOptions = { maxDims: 4, maxSize: 4 },
): fc.Arbitrary<[Tensor, Axes | undefined, boolean]> {
  return tensorArb(shape, { dtype, min, max }).chain((t) => {
    const all = Array.from({ length: t.ndim }, (_, i) => i);
    const axes: fc.Arbitrary<Axes | undefined> = fc.oneof(
      fc.constant(undefined),
      // each axis in or out with even odds, some written negative, the list sometimes reversed
      fc
        .tuple(fc.array(fc.boolean(), { minLength: t.ndim, maxLength: t.ndim }), fc.array(fc.boolean(), { minLength: t.ndim, maxLength: t.ndim }), fc.boolean())
        .map(([pick, negative, reverse]) => {
          const list = all.filter((a) => pick[a]).map((a) => (negative[a] ? a - t.ndim : a));
          return reverse ? list.reverse() : list;
        }),
      ...(t.ndim > 0 ? [fc.integer({ min: -t.ndim, max: t.ndim - 1 })] : []),
    );
    return fc.tuple(fc.constant(t), axes, fc.boolean());
  });
}

/** A tensor and a single axis or undefined (for arg reductions). */
function tensorAndAxis(dtype: DType, min: number, max: number): fc.Arbitrary<[Tensor, number | undefined, boolean]> {
  return tensorArb({ maxDims: 4, maxSize: 4 }, { dtype, min, max }).chain((t) =>
    fc.tuple(fc.constant(t), t.ndim > 0 ? fc.option(fc.integer({ min: -t.ndim, max: t.ndim - 1 }), { nil: undefined }) : fc.constant(undefined), fc.boolean()),
  );
}

const FAST: [ReduceOp, (x: Tensor, axis?: Axes, keepdim?: boolean) => Tensor][] = [
  ["sum", sum],
  ["prod", prod],
  ["mean", mean],
  ["max", max],
  ["min", min],
  ["logsumexp", logsumexp],
  ["var", variance],
  ["std", std],
];

describe("reductions: fast kernels equal the naive reference on any layout", () => {
  for (const [name, op] of FAST) {
    it(name, () => {
      for (const dtype of ["float64", "float32"] as DType[]) {
        const tol = dtype === "float64" ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-6, atol: 1e-6 };
        fc.assert(
          fc.property(fc.oneof(tensorAndAxes(dtype), tensorAndAxes(dtype, -3, 3, WIDE)), ([t, axes, keepdim]) => {
            const fast = op(t, axes, keepdim);
            const naive = reduceNaive(name, t, axes, keepdim);
            expect(fast.dtype).toBe(naive.dtype);
            expectClose(fast, naive, { ...tol, label: `${name} of [${t.shape}] over ${JSON.stringify(axes)} keepdim ${keepdim}` });
          }),
          RUNS,
        );
      }
    });
  }

  it("var and std with correction 0 and 2", () => {
    fc.assert(
      fc.property(tensorAndAxes(), fc.constantFrom(0, 2), ([t, axes, keepdim], correction) => {
        expectClose(variance(t, axes, keepdim, correction), reduceNaive("var", t, axes, keepdim, correction), { rtol: 1e-12, atol: 1e-12 });
        expectClose(std(t, axes, keepdim, correction), reduceNaive("std", t, axes, keepdim, correction), { rtol: 1e-12, atol: 1e-12 });
      }),
      RUNS,
    );
  });

  it("int32 sums, products and extremes are exact", () => {
    fc.assert(
      fc.property(fc.oneof(tensorAndAxes("int32", -9, 9), tensorAndAxes("int32", -9, 9, WIDE)), ([t, axes, keepdim]) => {
        for (const [name, op] of FAST) expectClose(op(t, axes, keepdim), reduceNaive(name, t, axes, keepdim), { rtol: 1e-6, atol: 0, label: name });
      }),
      RUNS,
    );
  });

  it("argmax, argmin and max/minWithIndices match the naive reference, ties included", () => {
    // small integers make ties common: the first index must win every time
    fc.assert(
      fc.property(tensorAndAxis("int32", 0, 2), ([t, axis, keepdim]) => {
        fc.pre(t.size > 0);
        expect(values(argmax(t, axis, keepdim))).toEqual(values(reduceNaive("argmax", t, axis, keepdim)));
        expect(values(argmin(t, axis, keepdim))).toEqual(values(reduceNaive("argmin", t, axis, keepdim)));
        if (axis === undefined) return;
        const top = maxWithIndices(t, axis, keepdim);
        expect(values(top.values)).toEqual(values(reduceNaive("max", t, axis, keepdim)));
        expect(values(top.indices)).toEqual(values(reduceNaive("argmax", t, axis, keepdim)));
        const bottom = minWithIndices(t, axis, keepdim);
        expect(values(bottom.values)).toEqual(values(reduceNaive("min", t, axis, keepdim)));
        expect(values(bottom.indices)).toEqual(values(reduceNaive("argmin", t, axis, keepdim)));
      }),
      RUNS,
    );
  });

  it("keepdim puts 1 where an axis was reduced; without it the axis is gone", () => {
    fc.assert(
      fc.property(tensorAndAxes(), ([t, axes]) => {
        const all = axes === undefined ? t.shape.map((_, i) => i) : (typeof axes === "number" ? [axes] : [...axes]).map((a) => (a < 0 ? a + t.ndim : a));
        const kept = sum(t, axes, true);
        const dropped = sum(t, axes, false);
        expect(kept.shape).toEqual(t.shape.map((d, i) => (all.includes(i) ? 1 : d)));
        expect(dropped.shape).toEqual(t.shape.filter((_, i) => !all.includes(i)));
        expectClose(kept.reshape(dropped.shape), dropped, { rtol: 0, atol: 0 });
      }),
      RUNS,
    );
  });

  it("sum over all axes equals a sequential float64 sum of the elements", () => {
    fc.assert(
      fc.property(tensorArb({ maxDims: 4, maxSize: 5 }, { dtype: "float32" }), (t) => {
        let total = 0;
        for (const v of t.toFlatArray()) total += v;
        expect(sum(t).item()).toBe(Math.fround(total));
      }),
      RUNS,
    );
  });

  it("mean equals sum / count", () => {
    fc.assert(
      fc.property(tensorAndAxes(), ([t, axes, keepdim]) => {
        const count = t.size / Math.max(1, sum(t, axes, keepdim).size);
        const expected = Float64Array.from(sum(t, axes, keepdim).contiguousData(), (s) => s / count);
        if (t.size > 0) expectClose(mean(t, axes, keepdim), expected, { rtol: 1e-15, atol: 0 });
      }),
      RUNS,
    );
  });

  it("logsumexp equals log(sum(exp)) on small values", () => {
    fc.assert(
      fc.property(tensorAndAxes(), ([t, axes, keepdim]) => {
        expectClose(logsumexp(t, axes, keepdim), log(sum(exp(t), axes, keepdim)), { rtol: 1e-12, atol: 1e-12 });
      }),
      RUNS,
    );
  });
});

// ---- errors ----------------------------------------------------------------------

describe("reductions: errors name the op, the argument and what came", () => {
  it("axes out of range or repeated", () => {
    expect(() => sum(x, 2)).toThrow("sum: axis 2 is out of range for a tensor of 2 dims; valid: [-2, 1]");
    expect(() => mean(x, [0, -3])).toThrow("mean: axis -3 is out of range for a tensor of 2 dims; valid: [-2, 1]");
    expect(() => max(x, [1, -1])).toThrow("max: axis 1 appears twice in [1,-1]");
    expect(() => variance(x, 0.5)).toThrow("var: axis 0.5 is out of range");
    expect(() => argmax(x, 3)).toThrow("argmax: axis 3 is out of range");
    expect(() => sum(f64([1], []), 0)).toThrow("sum: axis 0 is out of range for a tensor of 0 dims; valid: none (the tensor is a scalar)");
    expect(() => reduceNaive("sum", x, 5)).toThrow("sum: axis 5 is out of range");
  });

  it("max, min and the arg reductions of nothing", () => {
    const empty = f64([], [2, 0]);
    expect(() => max(empty, 1)).toThrow("max: cannot reduce over zero elements: axis 1 has size 0 in shape [2,0] (the max of nothing is undefined)");
    expect(() => min(empty)).toThrow("min: cannot reduce over zero elements: axis 1 has size 0 in shape [2,0]");
    expect(() => argmax(empty)).toThrow("argmax: cannot reduce over zero elements");
    expect(() => argmin(empty, 1)).toThrow("argmin: cannot reduce over zero elements");
    expect(() => maxWithIndices(empty, -1)).toThrow("maxWithIndices: cannot reduce over zero elements");
    expect(() => reduceNaive("max", empty, 1)).toThrow("max: cannot reduce over zero elements");
  });

  it("arg reductions take one axis", () => {
    expect(() => argmax(x, [0, 1] as unknown as number)).toThrow("argmax: axis must be a single integer (or undefined for the flattened tensor), got [0,1]");
    expect(() => maxWithIndices(x, undefined as unknown as number)).toThrow("maxWithIndices: axis must be a single integer, got undefined");
    expect(() => minWithIndices(x, [0] as unknown as number)).toThrow("minWithIndices: axis must be a single integer, got [0]");
  });

  it("bad tensors, keepdim and correction", () => {
    expect(() => sum([1, 2] as unknown as Tensor)).toThrow("sum: x must be a Tensor, got object");
    expect(() => sum(x, 0, 1 as unknown as boolean)).toThrow("sum: keepdim must be a boolean, got 1");
    expect(() => variance(x, 0, false, NaN)).toThrow("var: correction must be a finite number (1 = unbiased, 0 = population), got NaN");
    expect(() => std(x, 0, false, "1" as unknown as number)).toThrow("std: correction must be a finite number");
  });
});
