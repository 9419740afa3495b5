import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, embedding, gather, indexSelect, ones, scatterAdd, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());
const ints = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "int32" });

/** Every multi-index of `shape`, row-major. */
function positions(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return out;
}

describe("gather / scatterAdd / indexSelect / embedding: hand-checked values", () => {
  const x = tensor([1, 2, 3, 4], [2, 2]);

  it("gather picks along dim (torch's docs example)", () => {
    expect(gather(x, 1, ints([0, 0, 1, 0], [2, 2])).toArray()).toEqual([
      [1, 1],
      [4, 3],
    ]);
    expect(gather(x, 0, ints([0, 1, 1, 0], [2, 2])).toArray()).toEqual([
      [1, 4],
      [3, 2],
    ]);
    expect(gather(x, -1, ints([1], [1, 1])).toArray()).toEqual([[2]]);
  });

  it("gather's index may be smaller than x outside dim", () => {
    const x3 = tensor([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], [3, 4]);
    expect(gather(x3, 1, ints([3, 3, 2], [1, 3])).toArray()).toEqual([[3, 3, 2]]);
    expect(gather(x3, 0, ints([2, 0, 1], [3, 1])).toArray()).toEqual([[20], [0], [10]]);
  });

  it("gather reads a transposed x through its strides", () => {
    const t = x.transpose(); // [[1,3],[2,4]]
    expect(gather(t, 1, ints([1, 0], [2, 1])).toArray()).toEqual([[3], [2]]);
  });

  it("scatterAdd adds src at the indexed positions of a copy of x", () => {
    const out = scatterAdd(zeros([2, 3]), 1, ints([0, 0, 2, 1, 1, 1], [2, 3]), tensor([1, 2, 3, 4, 5, 6], [2, 3]));
    expect(out.toArray()).toEqual([
      [3, 0, 3],
      [0, 15, 0],
    ]);
    const base = ones([2, 3]);
    scatterAdd(base, 0, ints([1], [1, 1]), tensor([5], [1, 1]));
    expect(flat(base)).toEqual([1, 1, 1, 1, 1, 1]); // the input is never written
    expect(scatterAdd(base, 0, ints([1], [1, 1]), tensor([5], [1, 1])).toArray()).toEqual([
      [1, 1, 1],
      [6, 1, 1],
    ]);
  });

  it("indexSelect picks whole slices, repeats allowed", () => {
    const m = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(indexSelect(m, 0, ints([2, 0, 2], [3])).toArray()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(indexSelect(m, 1, ints([1], [1])).toArray()).toEqual([[2], [4], [6]]);
    expect(indexSelect(m, 0, ints([], [0])).shape).toEqual([0, 2]);
  });

  it("embedding looks up one row per id, for ids of any shape", () => {
    const w = tensor([0, 0.5, 1, 1.5, 2, 2.5], [3, 2]);
    const out = embedding(w, ints([2, 0, 1, 2], [2, 2]));
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.toArray()).toEqual([
      [
        [2, 2.5],
        [0, 0.5],
      ],
      [
        [1, 1.5],
        [2, 2.5],
      ],
    ]);
    expect(embedding(w, ints([1], [])).toArray()).toEqual([1, 1.5]); // a 0-d id gives one row
  });

  it("int32 values gather and scatter too", () => {
    const xi = ints([5, 6, 7], [3]);
    expect(gather(xi, 0, ints([2, 2], [2])).dtype).toBe("int32");
    expect(flat(scatterAdd(xi, 0, ints([0, 0], [2]), ints([1, 1], [2])))).toEqual([7, 6, 7]);
  });
});

/** x of a random shape, a dim, and an int32 index for gather (strided, size <= x's outside dim). */
const gatherCaseArb = shapeArb({ minDims: 1, maxDims: 3, minSize: 1, maxSize: 4 }).chain((shape) =>
  fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) =>
    fc
      .tuple(...shape.map((d, i) => fc.integer({ min: 1, max: i === dim ? 5 : d })))
      .chain((indexShape) =>
        fc.record({
          x: tensorOfShapeArb(shape),
          dim: fc.constant(dim),
          index: tensorOfShapeArb(indexShape, { dtype: "int32", min: 0, max: shape[dim]! - 1 }),
        }),
      ),
  ),
);

describe("gather / scatterAdd: properties", () => {
  it("gather matches its definition: out[p] = x[p with p[dim] = index[p]]", () => {
    fc.assert(
      fc.property(gatherCaseArb, ({ x, dim, index }) => {
        const out = gather(x, dim, index);
        expect(out.shape).toEqual(index.shape);
        const expected = positions(index.shape).map((p) => x.get(...p.map((v, d) => (d === dim ? index.get(...p) : v))));
        expect(flat(out)).toEqual(expected);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("scatterAdd of ones counts how often each position is indexed", () => {
    fc.assert(
      fc.property(gatherCaseArb, ({ x, dim, index }) => {
        const counts = scatterAdd(zeros(x.shape), dim, index, ones(index.shape));
        const expected = new Map<string, number>();
        for (const p of positions(index.shape)) {
          const key = p.map((v, d) => (d === dim ? index.get(...p) : v)).join(",");
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        positions(x.shape).forEach((p) => expect(counts.get(...p)).toBe(expected.get(p.join(",")) ?? 0));
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("scatterAdd is gather's adjoint: <gather(x, i), y> = <x, scatterAdd(0, i, y)>", () => {
    const arb = gatherCaseArb.chain((c) => fc.record({ c: fc.constant(c), y: tensorOfShapeArb([...c.index.shape], { dtype: "float64" }) }));
    fc.assert(
      fc.property(arb, ({ c: { x, dim, index }, y }) => {
        const x64 = x.to("float64");
        const g = gather(x64, dim, index).contiguousData();
        const s = scatterAdd(zeros(x.shape, { dtype: "float64" }), dim, index, y).contiguousData();
        const yd = y.contiguousData();
        const xd = x64.contiguousData();
        let lhs = 0;
        let rhs = 0;
        g.forEach((v, k) => (lhs += v * yd[k]!));
        s.forEach((v, k) => (rhs += v * xd[k]!));
        expectClose([lhs], [rhs], { rtol: 1e-10, atol: 1e-10 });
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it("indexSelect equals concat of the selected one-wide slices; embedding equals indexSelect on dim 0", () => {
    const arb = shapeArb({ minDims: 1, maxDims: 3, maxSize: 4 }).chain((shape) =>
      fc.record({
        x: tensorOfShapeArb(shape),
        dim: fc.integer({ min: 0, max: shape.length - 1 }),
        k: fc.integer({ min: 1, max: 5 }),
      }).chain(({ x, dim, k }) =>
        fc.record({ x: fc.constant(x), dim: fc.constant(dim), index: tensorOfShapeArb([k], { dtype: "int32", min: 0, max: shape[dim]! - 1 }) }),
      ),
    );
    fc.assert(
      fc.property(arb, ({ x, dim, index }) => {
        const slices = Array.from(index.toFlatArray()).map((i) => x.narrow(dim, i, 1));
        expect(flat(indexSelect(x, dim, index))).toEqual(flat(concat(slices, dim)));
        if (x.ndim === 2 && dim === 0) {
          const ids = index.reshape([index.shape[0]!, 1]);
          expect(flat(embedding(x, ids))).toEqual(flat(indexSelect(x, 0, index)));
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe("gather / scatterAdd / indexSelect / embedding: errors", () => {
  const x = zeros([2, 3]);
  it("indices must be int32", () => {
    expect(() => gather(x, 1, zeros([2, 3]))).toThrow(/gather: index must be an int32 tensor, got float32/);
    expect(() => indexSelect(x, 0, zeros([2]))).toThrow(/indexSelect: index must be an int32 tensor, got float32/);
    expect(() => embedding(x, zeros([2]))).toThrow(/embedding: ids must be an int32 tensor, got float32/);
    expect(() => scatterAdd(x, 0, zeros([1, 1]), x)).toThrow(/scatterAdd: index must be an int32 tensor/);
  });
  it("out-of-range and negative indices name the value, its position and the valid range", () => {
    expect(() => gather(x, 1, ints([0, 3], [1, 2]))).toThrow(
      "gather: index 3 at position [0,1] is out of range for dim 1 of x [2,3] (size 3); valid: [0, 2]",
    );
    expect(() => gather(x, 0, ints([0, -1], [1, 2]))).toThrow(/gather: index -1 at position \[0,1\] is out of range for dim 0 of x \[2,3\] \(size 2\); valid: \[0, 1\]/);
    expect(() => scatterAdd(x, 0, ints([2], [1, 1]), x)).toThrow(/scatterAdd: index 2 at position \[0,0\] is out of range for dim 0/);
    expect(() => indexSelect(x, 1, ints([0, 1, 7], [3]))).toThrow(/indexSelect: index 7 at position \[2\] is out of range for dim 1 of x \[2,3\] \(size 3\); valid: \[0, 2\]/);
    expect(() => embedding(x, ints([1, 0, 2], [1, 3]))).toThrow(
      /embedding: id 2 at position \[0,2\] is out of range for the vocabulary of weight \[2,3\] \(size 2\); valid: \[0, 1\]/,
    );
  });
  it("shapes", () => {
    expect(() => gather(x, 2, ints([0], [1, 1]))).toThrow(/gather: dim 2 is out of range for a tensor of 2 dims/);
    expect(() => gather(x, 0, ints([0], [1]))).toThrow(/gather: index must have as many dims as x: index is \[1\], x is \[2,3\]/);
    expect(() => gather(x, 0, ints([0, 0, 0, 0], [1, 4]))).toThrow(/gather: index \[1,4\] is larger than x \[2,3\] at dim 1 \(4 > 3\); only dim 0 may differ/);
    expect(() => scatterAdd(x, 0, ints([0, 0], [1, 2]), zeros([1, 1]))).toThrow(/scatterAdd: index \[1,2\] is larger than src \[1,1\] at dim 1/);
    expect(() => scatterAdd(x, 0, ints([0], [1, 1]), zeros([1, 1], { dtype: "float64" }))).toThrow(/scatterAdd: dtypes differ: x is float32, src is float64/);
    expect(() => indexSelect(x, 0, ints([0, 1], [1, 2]))).toThrow(/indexSelect: index must be 1-D, got shape \[1,2\]/);
    expect(() => embedding(zeros([6]), ints([0], [1]))).toThrow(/embedding: weight must be 2-D \(V,D\), got shape \[6\]/);
  });
});
