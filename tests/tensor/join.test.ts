import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, cat, chunk, concat, split, stack, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

describe("concat / stack / split / chunk: hand-checked values", () => {
  const a = tensor([1, 2, 3, 4], [2, 2]);
  const b = tensor([5, 6], [1, 2]);

  it("concat joins along an existing dim", () => {
    expect(concat([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(concat([a, b.reshape([2, 1])], 1).toArray()).toEqual([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    expect(cat([a.transpose(), a], -1).toArray()).toEqual([
      [1, 3, 1, 2],
      [2, 4, 3, 4],
    ]);
    expect(concat([a, zeros([0, 2])]).shape).toEqual([2, 2]);
    expect(concat([tensor([1, 2], [2], { dtype: "int32" }), tensor([3], [1], { dtype: "int32" })]).dtype).toBe("int32");
  });

  it("stack joins along a new dim", () => {
    const c = tensor([5, 6, 7, 8], [2, 2]);
    expect(stack([a, c]).shape).toEqual([2, 2, 2]);
    expect(stack([a, c], 1).toArray()).toEqual([
      [
        [1, 2],
        [5, 6],
      ],
      [
        [3, 4],
        [7, 8],
      ],
    ]);
    expect(stack([a, c], -1).toArray()).toEqual([
      [
        [1, 5],
        [2, 6],
      ],
      [
        [3, 7],
        [4, 8],
      ],
    ]);
    expect(stack([tensor([1], []), tensor([2], [])]).toArray()).toEqual([1, 2]);
  });

  it("split by a chunk size makes the last chunk smaller; by sizes, exactly those", () => {
    const x = arange(5);
    expect(split(x, 2).map(flat)).toEqual([[0, 1], [2, 3], [4]]);
    expect(split(x, 5).map(flat)).toEqual([[0, 1, 2, 3, 4]]);
    expect(split(x, 7).map(flat)).toEqual([[0, 1, 2, 3, 4]]);
    expect(split(x, [1, 0, 4]).map(flat)).toEqual([[0], [], [1, 2, 3, 4]]);
    const m = arange(6).reshape([2, 3]);
    expect(split(m, [2, 1], 1).map((t) => t.toArray())).toEqual([[[0, 1], [3, 4]], [[2], [5]]]);
    expect(split(zeros([0, 2]), 3).map((t) => t.shape)).toEqual([[0, 2]]);
  });

  it("split and chunk return views, not copies", () => {
    const x = arange(6).reshape([3, 2]);
    for (const part of [...split(x, 1), ...chunk(x, 2, 1)]) expect(part.data).toBe(x.data);
  });

  it("chunk uses ceil(d / n) per chunk, so may return fewer than n", () => {
    expect(chunk(arange(5), 3).map(flat)).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk(arange(6), 4).map(flat)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(chunk(arange(2), 5).map(flat)).toEqual([[0], [1]]);
    expect(chunk(zeros([0]), 3).map((t) => t.shape)).toEqual([[0], [0], [0]]);
  });
});

/** A list of tensors sharing a shape except at `dim`, each with its own layout. */
const concatCaseArb = shapeArb({ minDims: 1, maxDims: 4, maxSize: 4 }).chain((shape) =>
  fc.record({ dim: fc.integer({ min: 0, max: shape.length - 1 }), sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }) }).chain(({ dim, sizes }) =>
    fc.record({
      dim: fc.constant(dim),
      sizes: fc.constant(sizes),
      parts: fc.tuple(...sizes.map((s) => tensorOfShapeArb(shape.map((d, i) => (i === dim ? s : d))))),
    }),
  ),
);

describe("concat / stack / split: properties", () => {
  it("split(concat(ts), sizes) gives back each t", () => {
    fc.assert(
      fc.property(concatCaseArb, ({ dim, sizes, parts }) => {
        const joined = concat(parts, dim);
        expect(joined.shape[dim]).toBe(sizes.reduce((x, y) => x + y, 0));
        const back = split(joined, sizes, dim);
        expect(back.length).toBe(parts.length);
        back.forEach((t, k) => {
          expect(t.shape).toEqual(parts[k]!.shape);
          expect(flat(t)).toEqual(flat(parts[k]!));
        });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("concat(split(x, s)) = x for every chunk size", () => {
    const arb = shapeArb({ minDims: 1, maxDims: 3, maxSize: 5 }).chain((shape) =>
      fc.record({ x: tensorOfShapeArb(shape), dim: fc.integer({ min: 0, max: shape.length - 1 }), size: fc.integer({ min: 1, max: 6 }) }),
    );
    fc.assert(
      fc.property(arb, ({ x, dim, size }) => {
        const parts = split(x, size, dim);
        expect(parts.length).toBe(Math.ceil(x.shape[dim]! / size));
        expect(flat(concat(parts, dim))).toEqual(flat(x));
        expect(flat(concat(chunk(x, size, dim), dim))).toEqual(flat(x));
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("stack equals concat of the tensors unsqueezed at dim", () => {
    const arb = shapeArb({ minDims: 0, maxDims: 3, maxSize: 4 }).chain((shape) =>
      fc.record({
        ts: fc.array(tensorOfShapeArb(shape), { minLength: 1, maxLength: 4 }),
        dim: fc.integer({ min: -(shape.length + 1), max: shape.length }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ ts, dim }) => {
        const stacked = stack(ts, dim);
        const viaConcat = concat(
          ts.map((t) => t.unsqueeze(dim)),
          dim,
        );
        expect(stacked.shape).toEqual(viaConcat.shape);
        expect(flat(stacked)).toEqual(flat(viaConcat));
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});

describe("concat / stack / split / chunk: errors", () => {
  it("lists, dtypes and shapes", () => {
    expect(() => concat([])).toThrow(/concat: expected a non-empty list of tensors, got an empty list/);
    expect(() => stack([])).toThrow(/stack: expected a non-empty list of tensors/);
    expect(() => concat([zeros([2]), zeros([2], { dtype: "int32" })])).toThrow(/concat: dtypes differ: tensor 0 is float32, tensor 1 is int32/);
    expect(() => concat([zeros([2, 3]), zeros([2, 4])])).toThrow(/concat: shapes must match except in dim 0: tensor 0 is \[2,3\], tensor 1 is \[2,4\]/);
    expect(() => concat([zeros([2, 3]), zeros([6])])).toThrow(/concat: shapes must match except in dim 0: tensor 0 is \[2,3\], tensor 1 is \[6\]/);
    expect(() => concat([zeros([2, 3])], 2)).toThrow(/concat: dim 2 is out of range for a tensor of 2 dims; valid: \[-2, 1\]/);
    expect(() => stack([zeros([2, 3]), zeros([3, 2])])).toThrow(/stack: all tensors must have the same shape: tensor 0 is \[2,3\], tensor 1 is \[3,2\]/);
    expect(() => stack([zeros([2, 3])], 3)).toThrow(/stack: dim 3 is out of range for a tensor of 3 dims/);
  });
  it("split sizes and chunk counts", () => {
    const x = zeros([5, 2]);
    expect(() => split(x, 0)).toThrow(/split: split size must be a positive integer, got 0 \(dim 0 of x \[5,2\] has size 5\)/);
    expect(() => split(x, 1.5)).toThrow(/split: split size must be a positive integer, got 1.5/);
    expect(() => split(x, [2, 2])).toThrow(/split: sizes \[2,2\] sum to 4, but dim 0 of x \[5,2\] has size 5/);
    expect(() => split(x, [6, -1])).toThrow(/split: sizes must be non-negative integers, got \[6,-1\]/);
    expect(() => split(x, 1, 2)).toThrow(/split: dim 2 is out of range/);
    expect(() => chunk(x, 0)).toThrow(/chunk: number of chunks must be a positive integer, got 0/);
  });
});
