/**
 * The Tensor class (tensor.ts): a strided view over a typed array. Views (reshape, view,
 * permute, transpose, expand, slice, narrow, select, squeeze, unsqueeze, flatten) share
 * storage and copy nothing; `contiguous`, `clone` and `to` make copies; `toArray`, `item`
 * and `get` read. "No copy" is proved by identity: `t.reshape(...).data === t.data`.
 *
 * The oracle for values is `get`, which reads one element straight through the strides;
 * the property tests feed every op permuted and sliced layouts (tensorArb), and sliced
 * layouts surround the view with NaN, so a read outside the view shows up.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, arange, fmtShape, scalar, sizeOf, tensor, zeros } from "../../packages/tensor/src/index.js";
import { shapeArb, tensorArb, tensorOfShapeArb } from "../support/arbitraries.js";

const RUNS = { seed: 42, numRuns: 100 };

/** Every full index of `shape`, row-major (one empty index for a scalar). */
function allIndices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return out;
}

/** The logical values in row-major order, read one by one through `get`. */
const naive = (t: Tensor): number[] => allIndices(t.shape).map((index) => t.get(...index));
const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());
const show = (t: Tensor): string => `tensor shape ${fmtShape(t.shape)} strides ${fmtShape(t.strides)} offset ${t.offset} values [${naive(t).join(",")}]`;

/** 0..n-1 as float32, reshaped: x(i, j, ...) is its own row-major position. */
const iota = (shape: number[]): Tensor => arange(sizeOf(shape)).reshape(shape);

function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}

/** A random shape with `size` elements: the prime factors dealt into up to 5 dims, sometimes one written as -1. */
function compatibleShapeArb(size: number): fc.Arbitrary<number[]> {
  const primes = primeFactors(size);
  return fc
    .record({
      ndim: fc.integer({ min: size === 1 ? 0 : 1, max: 5 }),
      buckets: fc.array(fc.nat(), { minLength: primes.length, maxLength: primes.length }),
      inferAt: fc.nat(),
    })
    .map(({ ndim, buckets, inferAt }) => {
      const shape = new Array<number>(ndim).fill(1);
      primes.forEach((p, i) => (shape[buckets[i]! % ndim] *= p));
      const k = inferAt % Math.max(1, 2 * ndim); // about half the time, one dim is -1
      if (k < ndim) shape[k] = -1;
      return shape;
    });
}

/** `shape` with its -1 (if any) resolved for `size` elements. */
const resolve = (shape: number[], size: number): number[] => {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return shape.map((d) => (d === -1 ? size / known : d));
};

const tensorWithShapeArb = tensorArb().chain((t) => fc.tuple(fc.constant(t), compatibleShapeArb(t.size)));

// ---- construction and reading ----------------------------------------------------------

describe("Tensor: construction and basic properties", () => {
  it("has dtype, ndim, size and frozen shape/strides; contiguous strides by default", () => {
    const t = new Tensor(new Float64Array(6), [2, 3]);
    expect(t.dtype).toBe("float64");
    expect(t.ndim).toBe(2);
    expect(t.size).toBe(6);
    expect(t.strides).toEqual([3, 1]);
    expect(t.offset).toBe(0);
    expect(Object.isFrozen(t.shape) && Object.isFrozen(t.strides)).toBe(true);
    expect(scalar(1).size).toBe(1);
    expect(zeros([3, 0]).size).toBe(0);
  });

  it("copies the shape it is given (later changes by the caller do not leak in)", () => {
    const shape = [2, 2];
    const t = new Tensor(new Float32Array(4), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 2]);
  });

  it("rejects strides of the wrong length and data that does not fit the shape", () => {
    expect(() => new Tensor(new Float32Array(4), [2, 2], [1])).toThrow("Tensor: strides [1] do not match shape [2,2]");
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow("Tensor: data holds 3 elements but shape [2,2] needs 4");
    expect(() => new Tensor(new Float32Array(5), [2, 2])).toThrow("Tensor: data holds 5 elements but shape [2,2] needs 4");
  });

  it("accepts explicit strides and an offset over a larger buffer", () => {
    const t = new Tensor(Float32Array.of(9, 0, 1, 2, 3, 4, 5), [2, 2], [3, 2], 1);
    expect(t.toArray()).toEqual([
      [0, 2],
      [3, 5],
    ]);
  });
});

describe("toArray / item / get", () => {
  const x = iota([2, 3]); // [[0,1,2],[3,4,5]]

  it("toArray nests row-major; a scalar is a number; empty dims give empty arrays", () => {
    expect(x.toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(scalar(7).toArray()).toBe(7);
    expect(zeros([0]).toArray()).toEqual([]);
    expect(zeros([2, 0]).toArray()).toEqual([[], []]);
    expect(zeros([0, 2]).toArray()).toEqual([]);
    expect(x.transpose().toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it("toArray gives float32 values as stored (rounded), not as written", () => {
    expect(tensor([0.1]).toArray()).toEqual([Math.fround(0.1)]);
    expect(tensor([0.1], [1], { dtype: "float64" }).toArray()).toEqual([0.1]);
  });

  it("item reads a one-element tensor of any rank, through its offset", () => {
    expect(scalar(3).item()).toBe(3);
    expect(tensor([4], [1, 1, 1]).item()).toBe(4);
    expect(x.select(0, 1).select(0, 2).item()).toBe(5);
    expect(x.slice(1, 1, 2).slice(0, 1).item()).toBe(4);
  });

  it("item rejects tensors of other sizes", () => {
    expect(() => x.item()).toThrow("item: expected a tensor with one element, got shape [2,3]");
    expect(() => zeros([0]).item()).toThrow("item: expected a tensor with one element, got shape [0]");
  });

  it("get takes a full index; negative indices count from the end", () => {
    expect(x.get(0, 0)).toBe(0);
    expect(x.get(1, 2)).toBe(5);
    expect(x.get(-1, -1)).toBe(5);
    expect(x.get(-2, 1)).toBe(1);
    expect(x.transpose().get(2, 0)).toBe(2);
    expect(scalar(8).get()).toBe(8);
  });

  it("get rejects the wrong number of indices and out-of-range or fractional ones", () => {
    expect(() => x.get(1)).toThrow("get: expected 2 indices for shape [2,3], got 1");
    expect(() => x.get(0, 0, 0)).toThrow("get: expected 2 indices for shape [2,3], got 3");
    expect(() => x.get(0, 3)).toThrow("get: index 3 is out of range for dim 1 of size 3");
    expect(() => x.get(-3, 0)).toThrow("get: index -3 is out of range for dim 0 of size 2");
    expect(() => x.get(0.5, 0)).toThrow("get: index 0.5 is out of range for dim 0 of size 2");
    expect(() => scalar(1).get(0)).toThrow("get: expected 0 indices for shape [], got 1");
  });

  it("toString shows dtype, shape and values", () => {
    expect(tensor([1, 2, 3, 4], [2, 2]).toString()).toBe("Tensor(float32, [2,2]) [[1,2],[3,4]]");
    expect(scalar(5, { dtype: "int32" }).toString()).toBe("Tensor(int32, []) 5");
    expect(zeros([0], { dtype: "float64" }).toString()).toBe("Tensor(float64, [0]) []");
    expect(iota([2, 2]).transpose().toString()).toBe("Tensor(float32, [2,2]) [[0,2],[1,3]]");
  });
});

// ---- layout predicates and copies ------------------------------------------------------

describe("isContiguous / isCompact / contiguous / clone", () => {
  const x = iota([3, 4]);

  it("isContiguous: row-major without gaps; size-1 dims may have any stride; an offset is allowed", () => {
    expect(x.isContiguous()).toBe(true);
    expect(x.transpose().isContiguous()).toBe(false);
    expect(x.slice(0, 1).isContiguous()).toBe(true); // rows 1..2: a contiguous block at offset 4
    expect(x.slice(1, 1).isContiguous()).toBe(false); // columns 1..3: gaps between rows
    expect(x.slice(0, 0, undefined, 2).isContiguous()).toBe(false);
    expect(new Tensor(new Float32Array(3), [1, 3], [100, 1]).isContiguous()).toBe(true);
    expect(tensor([1, 2, 3]).expand([2, 3]).isContiguous()).toBe(false);
    expect(scalar(1).isContiguous()).toBe(true);
  });

  it("isCompact additionally needs offset 0 and storage of exactly size elements", () => {
    expect(x.isCompact()).toBe(true);
    expect(x.slice(0, 1).isCompact()).toBe(false); // offset 4
    expect(x.slice(0, 0, 2).isCompact()).toBe(false); // storage longer than the view
    expect(x.transpose().isCompact()).toBe(false);
  });

  it("contiguous returns the tensor itself when already row-major (even at an offset)", () => {
    expect(x.contiguous()).toBe(x);
    const rows = x.slice(0, 1);
    expect(rows.contiguous()).toBe(rows);
    const unit = x.unsqueeze(0);
    expect(unit.contiguous()).toBe(unit);
  });

  it("contiguous copies a strided layout into a fresh compact row-major tensor", () => {
    const t = x.transpose();
    const c = t.contiguous();
    expect(c).not.toBe(t);
    expect(c.data).not.toBe(t.data);
    expect(c.isCompact()).toBe(true);
    expect(c.shape).toEqual([4, 3]);
    expect(Array.from(c.data)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it("clone always copies, even a contiguous tensor, and keeps dtype", () => {
    const i = tensor([1, 2, 3], [3], { dtype: "int32" });
    const c = i.clone();
    expect(c.data).not.toBe(i.data);
    expect(c.dtype).toBe("int32");
    expect(flat(c)).toEqual([1, 2, 3]);
    c.data[0] = 100;
    expect(i.get(0)).toBe(1);
    const s = x.slice(1, 1, 3).clone();
    expect(s.isCompact()).toBe(true);
    expect(s.toArray()).toEqual([
      [1, 2],
      [5, 6],
      [9, 10],
    ]);
    expect(zeros([0, 3]).clone().shape).toEqual([0, 3]);
  });
});

describe("to(dtype)", () => {
  it("float to int32 truncates toward zero, as PyTorch does", () => {
    const t = tensor([1.7, -1.7, 2.5, -2.5, 0.4, -0.4, 3], [7], { dtype: "float64" });
    const i = t.to("int32");
    expect(i.dtype).toBe("int32");
    expect(flat(i)).toEqual([1, -1, 2, -2, 0, 0, 3]);
    expect(flat(tensor([9.99, -9.99]).to("int32"))).toEqual([9, -9]);
  });

  it("float64 to float32 rounds; int32 and float32 to float64 are exact", () => {
    expect(flat(tensor([0.1], [1], { dtype: "float64" }).to("float32"))).toEqual([Math.fround(0.1)]);
    expect(flat(tensor([-7, 2 ** 30], [2], { dtype: "int32" }).to("float64"))).toEqual([-7, 2 ** 30]);
    expect(flat(tensor([0.1]).to("float64"))).toEqual([Math.fround(0.1)]);
  });

  it("converts a strided view in logical order, into a fresh compact tensor", () => {
    const t = tensor([1.5, 2.5, 3.5, 4.5], [2, 2]).transpose();
    for (const dtype of ["int32", "float64"] as const) {
      const c = t.to(dtype);
      expect(c.isCompact()).toBe(true);
      expect(c.shape).toEqual([2, 2]);
    }
    expect(t.to("int32").toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(t.to("float64").toArray()).toEqual([
      [1.5, 3.5],
      [2.5, 4.5],
    ]);
  });

  it("to the same dtype returns the tensor itself (no copy), as torch does", () => {
    const t = iota([2]);
    expect(t.to("float32")).toBe(t);
  });
});

// ---- reshape and view ------------------------------------------------------------------

describe("reshape", () => {
  it("of a contiguous tensor is a view: same data, row-major strides", () => {
    const t = iota([2, 3]);
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(r.strides).toEqual([2, 1]);
    expect(r.toArray()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  it("infers one -1 dim", () => {
    const t = iota([2, 3]);
    expect(t.reshape([-1]).shape).toEqual([6]);
    expect(t.reshape([-1, 2]).shape).toEqual([3, 2]);
    expect(t.reshape([2, -1, 1]).shape).toEqual([2, 3, 1]);
    expect(t.reshape([1, -1]).shape).toEqual([1, 6]);
  });

  it("moves between scalars and one-element shapes", () => {
    const s = scalar(5);
    expect(s.reshape([1, 1]).shape).toEqual([1, 1]);
    expect(s.reshape([-1]).shape).toEqual([1]);
    const one = tensor([5], [1, 1]);
    expect(one.reshape([]).item()).toBe(5);
    expect(one.reshape([]).data).toBe(one.data);
  });

  it("of a contiguous block at an offset stays a view, keeping the offset", () => {
    const rows = iota([3, 4]).slice(0, 1); // rows 1 and 2, offset 4
    const r = rows.reshape([8]);
    expect(r.data).toBe(rows.data);
    expect(r.offset).toBe(4);
    expect(flat(r)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("of a non-contiguous tensor is still a view when it only splits or adds unit dims", () => {
    const t = iota([2, 3]).transpose(); // shape [3,2], strides [1,3]
    const r = t.reshape([3, 1, 2]);
    expect(r.data).toBe(t.data);
    expect([r.strides[0], r.strides[2]]).toEqual([1, 3]); // a unit dim's stride is never used
    expect(flat(r)).toEqual([0, 3, 1, 4, 2, 5]);
    const stepped = iota([4, 3]).slice(0, 0, undefined, 2); // rows 0 and 2: strides [6,1]
    expect(stepped.reshape([2, 3, 1]).data).toBe(stepped.data);
    expect(stepped.reshape([2, 1, 3]).data).toBe(stepped.data);
    const col = iota([4, 2]).slice(1, 1, 2); // one column of stride 2: shape [4,1], strides [2,1]
    const split = col.reshape([2, 2]);
    expect(split.data).toBe(col.data);
    expect(split.strides).toEqual([4, 2]);
    expect(flat(split)).toEqual([1, 3, 5, 7]);
  });

  it("of a broadcast view splits a stride-0 dim without copying", () => {
    const e = tensor([1, 2, 3], [3, 1]).expand([3, 4]); // strides [1,0]
    const r = e.reshape([3, 2, 2]);
    expect(r.data).toBe(e.data);
    expect(r.strides).toEqual([1, 0, 0]);
    expect(flat(r)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it("copies when dims that are not contiguous with each other must merge", () => {
    const t = iota([2, 3]).transpose();
    const r = t.reshape([6]);
    expect(r.data).not.toBe(t.data);
    expect(r.isCompact()).toBe(true);
    expect(flat(r)).toEqual([0, 3, 1, 4, 2, 5]);
    const stepped = iota([4, 3]).slice(0, 0, undefined, 2);
    const merged = stepped.reshape([6]);
    expect(merged.data).not.toBe(stepped.data);
    expect(flat(merged)).toEqual([0, 1, 2, 6, 7, 8]);
    const e = tensor([1, 2], [2, 1]).expand([2, 2]);
    expect(e.reshape([4]).data).not.toBe(e.data);
    expect(flat(e.reshape([4]))).toEqual([1, 1, 2, 2]);
  });

  it("of an empty tensor works for any shape with zero elements (no -1: it cannot be inferred)", () => {
    const t = zeros([0, 3]);
    expect(t.reshape([3, 0]).shape).toEqual([3, 0]);
    expect(t.reshape([0]).shape).toEqual([0]);
    expect(t.reshape([2, 0, 5]).shape).toEqual([2, 0, 5]);
    expect(() => t.reshape([0, -1])).toThrow("reshape: cannot infer -1 in [0,-1] for 0 elements (from [0,3])");
  });

  it("rejects two -1s, uninferable -1s, wrong element counts and bad dims", () => {
    const t = iota([2, 3]);
    expect(() => t.reshape([-1, -1])).toThrow("reshape: only one dim may be -1, got [-1,-1]");
    expect(() => t.reshape([4, -1])).toThrow("reshape: cannot infer -1 in [4,-1] for 6 elements (from [2,3])");
    expect(() => t.reshape([4])).toThrow("reshape: shape [4] holds 4 elements, but the tensor of shape [2,3] has 6");
    expect(() => t.reshape([])).toThrow("reshape: shape [] holds 1 elements, but the tensor of shape [2,3] has 6");
    expect(() => t.reshape([2, -3])).toThrow("reshape: shape must hold non-negative integers (and at most one -1), got [2,-3]");
    expect(() => t.reshape([2, 1.5])).toThrow("reshape: shape must hold non-negative integers (and at most one -1), got [2,1.5]");
  });

  it("reshape reports a bad shape as given, -1 included: reshape([-1,-2])", () => {
    expect(() => iota([2, 3]).reshape([-1, -2])).toThrow("reshape: shape must hold non-negative integers (and at most one -1), got [-1,-2]");
  });
});

describe("view", () => {
  it("is reshape without the copy: same data when the layout allows", () => {
    const t = iota([2, 3, 4]);
    const v = t.view([6, -1]);
    expect(v.data).toBe(t.data);
    expect(v.shape).toEqual([6, 4]);
    expect(flat(v)).toEqual(flat(t));
    const tr = t.transpose(0, 1); // [3,2,4], the last dim still contiguous
    expect(tr.view([3, 2, 2, 2]).data).toBe(t.data);
    expect(zeros([0, 4]).view([4, 0]).shape).toEqual([4, 0]);
  });

  it("throws, naming shape, strides and target, when a copy would be needed", () => {
    const t = iota([2, 3]).transpose();
    expect(() => t.view([6])).toThrow(
      "view: a tensor of shape [3,2] with strides [1,3] cannot be viewed as [6] without a copy; use reshape() or contiguous()",
    );
    // the message shows the target with -1 resolved
    expect(() => t.view([-1])).toThrow("cannot be viewed as [6] without a copy");
    expect(() => tensor([1, 2]).expand([3, 2]).view([6])).toThrow(
      "view: a tensor of shape [3,2] with strides [0,1] cannot be viewed as [6] without a copy; use reshape() or contiguous()",
    );
    expect(t.contiguous().view([6]).shape).toEqual([6]);
  });

  it("rejects bad shapes with its own name", () => {
    const t = iota([2, 3]);
    expect(() => t.view([5])).toThrow("view: shape [5] holds 5 elements, but the tensor of shape [2,3] has 6");
    expect(() => t.view([-1, -1])).toThrow("view: only one dim may be -1, got [-1,-1]");
    expect(() => t.view([4, -1])).toThrow("view: cannot infer -1 in [4,-1] for 6 elements (from [2,3])");
  });
});

// ---- axis reordering -------------------------------------------------------------------

describe("permute / transpose", () => {
  const t = iota([2, 3, 4]);

  it("permute: output axis i is input axis dims[i]; strides move with their axes; no copy", () => {
    const p = t.permute([2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.strides).toEqual([1, 12, 4]);
    expect(p.data).toBe(t.data);
    expect(p.get(3, 1, 2)).toBe(t.get(1, 2, 3));
    expect(t.permute([-1, 0, -2]).shape).toEqual([4, 2, 3]);
    expect(scalar(2).permute([]).item()).toBe(2);
  });

  it("permute rejects a wrong count, repeats and out-of-range dims", () => {
    expect(() => t.permute([0, 1])).toThrow("permute: dims must list all 3 axes of shape [2,3,4], got [0,1]");
    expect(() => t.permute([0, 1, 1])).toThrow("permute: dims must not repeat, got [0,1,1]");
    expect(() => t.permute([0, 1, -2])).toThrow("permute: dims must not repeat, got [0,1,-2]");
    expect(() => t.permute([0, 1, 3])).toThrow("permute: dim 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
  });

  it("transpose swaps the last two axes by default, or any two", () => {
    const m = iota([2, 3]);
    expect(m.transpose().toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(m.transpose().data).toBe(m.data);
    expect(t.transpose().shape).toEqual([2, 4, 3]);
    expect(t.transpose(0, 2).shape).toEqual([4, 3, 2]);
    expect(t.transpose(0, 2).get(3, 1, 0)).toBe(t.get(0, 1, 3));
    expect(t.transpose(1, 1).strides).toEqual(t.strides);
  });

  it("transpose rejects out-of-range dims, naming which (a 1-D tensor has no dim -2)", () => {
    expect(() => iota([3]).transpose()).toThrow("transpose: dim0 -2 is out of range for a tensor of 1 dims; valid: [-1, 0]");
    expect(() => t.transpose(0, 3)).toThrow("transpose: dim1 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
  });
});

// ---- broadcasting ----------------------------------------------------------------------

describe("expand / broadcastTo", () => {
  it("repeats size-1 and new leading dims with stride 0, copying nothing", () => {
    const row = tensor([1, 2, 3]);
    const e = row.expand([2, 3]);
    expect(e.shape).toEqual([2, 3]);
    expect(e.strides).toEqual([0, 1]);
    expect(e.data).toBe(row.data);
    expect(e.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    const col = tensor([1, 2], [2, 1]).expand([2, 3]);
    expect(col.strides).toEqual([1, 0]);
    expect(col.toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(scalar(4).expand([2, 2]).toArray()).toEqual([
      [4, 4],
      [4, 4],
    ]);
  });

  it("-1 keeps a dim; the same shape is a plain view; a size-1 dim can expand to 0", () => {
    const col = tensor([1, 2], [2, 1]);
    expect(col.expand([-1, 4]).shape).toEqual([2, 4]);
    expect(col.expand([3, -1, 2]).shape).toEqual([3, 2, 2]);
    expect(col.expand([2, 1]).strides).toEqual(col.strides);
    expect(col.expand([2, 0]).shape).toEqual([2, 0]);
  });

  it("broadcastTo is expand", () => {
    const e = tensor([1, 2]).broadcastTo([3, 2]);
    expect(e.strides).toEqual([0, 1]);
    expect(flat(e)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it("is not contiguous; contiguous() materialises the repeats", () => {
    const e = tensor([1, 2]).expand([2, 2]);
    expect(e.isContiguous()).toBe(false);
    const c = e.contiguous();
    expect(c.data).not.toBe(e.data);
    expect(Array.from(c.data)).toEqual([1, 2, 1, 2]);
  });

  it("rejects fewer dims, dims that are neither equal nor 1, and -1 for a new leading dim", () => {
    const t = iota([2, 3]);
    expect(() => t.expand([3])).toThrow("expand: cannot expand shape [2,3] to fewer dims [3]");
    expect(() => t.expand([4, 3])).toThrow("expand: cannot expand shape [2,3] to [4,3]: dim 0 is 2, not 1 or 4");
    expect(() => t.expand([2, 2, 6])).toThrow("expand: cannot expand shape [2,3] to [2,2,6]: dim 1 is 3, not 1 or 6");
    expect(() => tensor([1, 2, 3]).expand([-1, 3])).toThrow("expand: shape must hold non-negative integers, got [-1,3]");
    expect(() => tensor([1]).expand([-2])).toThrow("expand: shape must hold non-negative integers, got [-2]");
  });
});

// ---- slicing -----------------------------------------------------------------------------

describe("slice", () => {
  const v = iota([10]);

  it("takes start:end along a dim as a view at an offset", () => {
    const s = v.slice(0, 2, 5);
    expect(flat(s)).toEqual([2, 3, 4]);
    expect(s.data).toBe(v.data);
    expect(s.offset).toBe(2);
    expect(flat(v.slice(0, 7))).toEqual([7, 8, 9]);
  });

  it("negative start and end count from the end", () => {
    expect(flat(v.slice(0, -3))).toEqual([7, 8, 9]);
    expect(flat(v.slice(0, 1, -1))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flat(v.slice(-1, -4, -2))).toEqual([6, 7]);
  });

  it("a step keeps every step-th element", () => {
    const s = v.slice(0, 1, 8, 3);
    expect(flat(s)).toEqual([1, 4, 7]);
    expect(s.strides).toEqual([3]);
    expect(flat(v.slice(0, 0, undefined, 4))).toEqual([0, 4, 8]);
    expect(flat(v.slice(0, 0, 10, 20))).toEqual([0]);
  });

  it("clamps out-of-range bounds, as Python does", () => {
    expect(flat(v.slice(0, -100, 100))).toEqual(flat(v));
    expect(flat(v.slice(0, 8, 100))).toEqual([8, 9]);
    expect(flat(v.slice(0, -100, 2))).toEqual([0, 1]);
  });

  it("is empty when end <= start (after normalising), keeping the other dims", () => {
    expect(v.slice(0, 5, 2).shape).toEqual([0]);
    expect(v.slice(0, 20).shape).toEqual([0]);
    expect(v.slice(0, -1, -5).shape).toEqual([0]);
    expect(v.slice(0, 10).toArray()).toEqual([]);
    const m = iota([3, 4]);
    expect(m.slice(1, 2, 2).shape).toEqual([3, 0]);
    expect(m.slice(1, 2, 2).toArray()).toEqual([[], [], []]);
  });

  it("works along any dim of a matrix, and on views", () => {
    const m = iota([3, 4]);
    expect(m.slice(-1, 1, 4, 2).toArray()).toEqual([
      [1, 3],
      [5, 7],
      [9, 11],
    ]);
    expect(m.slice(0, 1).toArray()).toEqual([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(m.transpose().slice(0, 2).toArray()).toEqual([
      [2, 6, 10],
      [3, 7, 11],
    ]);
  });

  it("rejects a non-positive or fractional step, fractional bounds and a bad dim", () => {
    expect(() => v.slice(0, 0, 5, 0)).toThrow("slice: step must be a positive integer, got 0");
    expect(() => v.slice(0, 5, 0, -1)).toThrow("slice: step must be a positive integer, got -1");
    expect(() => v.slice(0, 0, 5, 1.5)).toThrow("slice: step must be a positive integer, got 1.5");
    expect(() => v.slice(0, 0.5)).toThrow("slice: start must be an integer, got 0.5");
    expect(() => v.slice(0, 0, Number.NaN)).toThrow("slice: end must be an integer, got NaN");
    expect(() => v.slice(1, 0)).toThrow("slice: dim 1 is out of range for a tensor of 1 dims; valid: [-1, 0]");
    expect(() => scalar(1).slice(0)).toThrow("slice: dim 0 is out of range for a tensor of 0 dims; valid: none (the tensor is a scalar)");
  });
});

describe("narrow", () => {
  const m = iota([3, 4]);

  it("takes length elements from start (negative start counts from the end)", () => {
    expect(m.narrow(0, 1, 2).toArray()).toEqual([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(m.narrow(1, -2, 2).toArray()).toEqual([
      [2, 3],
      [6, 7],
      [10, 11],
    ]);
    expect(m.narrow(1, 4, 0).shape).toEqual([3, 0]);
    expect(m.narrow(0, 0, 3).data).toBe(m.data);
  });

  it("has strict bounds: no clamping", () => {
    expect(() => m.narrow(0, 2, 2)).toThrow("narrow: start 2 and length 2 do not fit dim 0 of size 3");
    expect(() => m.narrow(1, 0, 5)).toThrow("narrow: start 0 and length 5 do not fit dim 1 of size 4");
    expect(() => m.narrow(0, -4, 1)).toThrow("narrow: start -4 and length 1 do not fit dim 0 of size 3");
    expect(() => m.narrow(0, 0, -1)).toThrow("narrow: start 0 and length -1 do not fit dim 0 of size 3");
    expect(() => m.narrow(0, 0.5, 1)).toThrow("narrow: start 0.5 and length 1 do not fit dim 0 of size 3");
    expect(() => m.narrow(-1, 5, 0)).toThrow("narrow: start 5 and length 0 do not fit dim 1 of size 4");
    expect(() => m.narrow(2, 0, 1)).toThrow("narrow: dim 2 is out of range for a tensor of 2 dims; valid: [-2, 1]");
  });
});

describe("select", () => {
  const m = iota([3, 4]);

  it("drops a dim, keeping one index (negative counts from the end)", () => {
    expect(flat(m.select(0, 1))).toEqual([4, 5, 6, 7]);
    expect(m.select(0, 1).data).toBe(m.data);
    expect(flat(m.select(1, -1))).toEqual([3, 7, 11]);
    expect(m.select(1, -1).shape).toEqual([3]);
    const s = iota([5]).select(0, -2);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3);
  });

  it("rejects out-of-range and fractional indices and bad dims", () => {
    expect(() => m.select(0, 3)).toThrow("select: index 3 is out of range for dim 0 of size 3");
    expect(() => m.select(1, -5)).toThrow("select: index -5 is out of range for dim 1 of size 4");
    expect(() => m.select(-1, 1.5)).toThrow("select: index 1.5 is out of range for dim 1 of size 4");
    expect(() => m.select(2, 0)).toThrow("select: dim 2 is out of range for a tensor of 2 dims; valid: [-2, 1]");
    expect(() => zeros([0]).select(0, 0)).toThrow("select: index 0 is out of range for dim 0 of size 0");
  });
});

// ---- unit dims and flattening -------------------------------------------------------------

describe("squeeze / unsqueeze", () => {
  const t = tensor([1, 2, 3, 4, 5, 6], [1, 3, 1, 2]);

  it("squeeze() drops every size-1 dim; squeeze(dims) only the named ones; no copy", () => {
    expect(t.squeeze().shape).toEqual([3, 2]);
    expect(t.squeeze().data).toBe(t.data);
    expect(t.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(t.squeeze(-2).shape).toEqual([1, 3, 2]);
    expect(t.squeeze([0, -2]).shape).toEqual([3, 2]);
    expect(flat(t.squeeze())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([7], [1]).squeeze().shape).toEqual([]);
    expect(iota([2, 3]).squeeze().shape).toEqual([2, 3]);
    expect(scalar(1).squeeze().shape).toEqual([]);
  });

  it("squeeze rejects a named dim whose size is not 1, or out of range", () => {
    expect(() => t.squeeze(1)).toThrow("squeeze: dim 1 has size 3, expected 1 (shape [1,3,1,2])");
    expect(() => t.squeeze([0, -1])).toThrow("squeeze: dim 3 has size 2, expected 1 (shape [1,3,1,2])");
    expect(() => t.squeeze(4)).toThrow("squeeze: dim 4 is out of range for a tensor of 4 dims; valid: [-4, 3]");
    expect(() => scalar(1).squeeze(0)).toThrow("valid: none (the tensor is a scalar)");
  });

  it("unsqueeze inserts a size-1 dim; negative dims count in the output, so -1 appends", () => {
    const m = iota([2, 3]);
    expect(m.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(m.unsqueeze(1).shape).toEqual([2, 1, 3]);
    expect(m.unsqueeze(2).shape).toEqual([2, 3, 1]);
    expect(m.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(m.unsqueeze(-3).shape).toEqual([1, 2, 3]);
    expect(m.unsqueeze(1).data).toBe(m.data);
    expect(m.unsqueeze(1).isContiguous()).toBe(true);
    expect(scalar(5).unsqueeze(0).shape).toEqual([1]);
    expect(scalar(5).unsqueeze(-1).toArray()).toEqual([5]);
    expect(m.transpose().unsqueeze(1).toArray()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });

  it("unsqueeze rejects dims outside [-(ndim+1), ndim]", () => {
    const m = iota([2, 3]);
    expect(() => m.unsqueeze(3)).toThrow("unsqueeze: dim 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
    expect(() => m.unsqueeze(-4)).toThrow("unsqueeze: dim -4 is out of range for a tensor of 3 dims; valid: [-3, 2]");
  });
});

describe("flatten", () => {
  const t = iota([2, 3, 4]);

  it("merges startDim..endDim (default: all) into one dim, as a view when contiguous", () => {
    expect(t.flatten().shape).toEqual([24]);
    expect(t.flatten().data).toBe(t.data);
    expect(t.flatten(1).shape).toEqual([2, 12]);
    expect(t.flatten(0, 1).shape).toEqual([6, 4]);
    expect(t.flatten(-2, -1).shape).toEqual([2, 12]);
    expect(t.flatten(1, 1).shape).toEqual([2, 3, 4]);
    expect(iota([5]).flatten().shape).toEqual([5]);
    expect(zeros([2, 0, 3]).flatten(1).shape).toEqual([2, 0]);
  });

  it("turns a scalar into a one-element 1-D tensor", () => {
    const f = scalar(3).flatten();
    expect(f.shape).toEqual([1]);
    expect(f.item()).toBe(3);
  });

  it("of a non-contiguous tensor copies, in logical order", () => {
    const tr = iota([2, 3]).transpose();
    expect(flat(tr.flatten())).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it("rejects startDim after endDim and out-of-range dims", () => {
    expect(() => t.flatten(2, 1)).toThrow("flatten: startDim 2 comes after endDim 1");
    expect(() => t.flatten(-1, 0)).toThrow("flatten: startDim -1 comes after endDim 0");
    expect(() => t.flatten(3)).toThrow("flatten: startDim 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
    expect(() => t.flatten(0, 5)).toThrow("flatten: endDim 5 is out of range for a tensor of 3 dims; valid: [-3, 2]");
  });
});

// ---- laws over random shapes and layouts ----------------------------------------------------

describe("view laws (random shapes, permuted and sliced layouts)", () => {
  it("law: contiguous() equals the logical values, is row-major, and is `this` exactly when already contiguous", () => {
    fc.assert(
      fc.property(tensorArb(), (t) => {
        const c = t.contiguous();
        expect(flat(c), show(t)).toEqual(naive(t));
        expect(Array.from(c.contiguousData()), show(t)).toEqual(naive(t));
        expect(c.isContiguous(), show(t)).toBe(true);
        expect(c === t, `contiguous() returned this: ${c === t}, isContiguous ${t.isContiguous()}; ${show(t)}`).toBe(t.isContiguous());
        expect(c.toArray(), show(t)).toEqual(t.toArray());
      }),
      RUNS,
    );
  });

  it("law: isContiguous() holds exactly when the row-major walk visits offset, offset+1, ..., offset+size-1", () => {
    fc.assert(
      fc.property(tensorArb(), (t) => {
        const positions = allIndices(t.shape).map((index) => t.offset + index.reduce((acc, k, i) => acc + k * t.strides[i]!, 0));
        const consecutive = positions.every((p, k) => p === t.offset + k);
        expect(t.isContiguous(), `walk [${positions.join(",")}]; ${show(t)}`).toBe(consecutive);
      }),
      RUNS,
    );
  });

  it("law: reshape to a random compatible shape keeps row-major order, and reshaping back is the identity", () => {
    fc.assert(
      fc.property(tensorWithShapeArb, ([t, shape]) => {
        const r = t.reshape(shape);
        const label = `reshape ${fmtShape(shape)} of ${show(t)}`;
        expect(r.shape, label).toEqual(resolve(shape, t.size));
        expect(flat(r), label).toEqual(naive(t));
        const back = r.reshape(t.shape);
        expect(back.shape, label).toEqual(t.shape);
        expect(flat(back), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: view succeeds exactly when reshape need not copy, then shares data and keeps order; else it throws the exact message", () => {
    fc.assert(
      fc.property(tensorWithShapeArb, ([t, shape]) => {
        const label = `view ${fmtShape(shape)} of ${show(t)}`;
        const reshaped = t.reshape(shape);
        const shared = reshaped.data === t.data;
        let viewed: Tensor | undefined;
        try {
          viewed = t.view(shape);
        } catch (e) {
          expect((e as Error).message, label).toBe(
            `view: a tensor of shape ${fmtShape(t.shape)} with strides ${fmtShape(t.strides)} cannot be viewed as ${fmtShape(resolve(shape, t.size))} without a copy; use reshape() or contiguous()`,
          );
        }
        expect(viewed !== undefined, `view succeeded: ${viewed !== undefined}, reshape shared data: ${shared}; ${label}`).toBe(shared);
        if (viewed) {
          expect(viewed.data, label).toBe(t.data);
          expect(flat(viewed), label).toEqual(naive(t));
        }
        // a contiguous tensor can always be viewed
        const c = t.contiguous();
        const cv = c.view(shape);
        expect(cv.data, label).toBe(c.data);
        expect(flat(cv), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: permute moves elements as index (i0..in) -> (i[dims[0]]..), and the inverse permutation restores the tensor", () => {
    const arb = tensorArb({ minDims: 1 }).chain((t) =>
      fc.tuple(fc.constant(t), fc.shuffledSubarray(Array.from({ length: t.ndim }, (_, i) => i), { minLength: t.ndim, maxLength: t.ndim })),
    );
    fc.assert(
      fc.property(arb, ([t, dims]) => {
        const label = `permute [${dims}] of ${show(t)}`;
        const p = t.permute(dims);
        expect(p.data, label).toBe(t.data);
        for (const index of allIndices(p.shape)) {
          const source = new Array<number>(t.ndim);
          dims.forEach((d, i) => (source[d] = index[i]!));
          expect(p.get(...index), `${label} at [${index}]`).toBe(t.get(...source));
        }
        const inverse = new Array<number>(dims.length);
        dims.forEach((d, i) => (inverse[d] = i));
        const back = p.permute(inverse);
        expect(back.shape, label).toEqual(t.shape);
        expect(back.strides, label).toEqual(t.strides);
        expect(flat(back), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: transpose(a, b) twice is the identity", () => {
    const arb = tensorArb({ minDims: 1 }).chain((t) =>
      fc.tuple(fc.constant(t), fc.integer({ min: -t.ndim, max: t.ndim - 1 }), fc.integer({ min: -t.ndim, max: t.ndim - 1 })),
    );
    fc.assert(
      fc.property(arb, ([t, a, b]) => {
        const label = `transpose(${a}, ${b}) twice of ${show(t)}`;
        const twice = t.transpose(a, b).transpose(a, b);
        expect(twice.shape, label).toEqual(t.shape);
        expect(twice.strides, label).toEqual(t.strides);
        expect(twice.data, label).toBe(t.data);
        expect(flat(twice), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: slice(dim, start, end, step) equals picking Python's range(start, end, step) indices by hand", () => {
    /** Python slice semantics for a positive step, written out. */
    const pythonIndices = (d: number, start: number, end: number | undefined, step: number): number[] => {
      const bound = (v: number) => (v < 0 ? Math.max(0, v + d) : Math.min(v, d));
      const out: number[] = [];
      for (let i = bound(start); i < (end === undefined ? d : bound(end)); i += step) out.push(i);
      return out;
    };
    const arb = tensorArb({ minDims: 1 }).chain((t) =>
      fc.tuple(
        fc.constant(t),
        fc.integer({ min: -t.ndim, max: t.ndim - 1 }),
        fc.integer({ min: -7, max: 7 }),
        fc.option(fc.integer({ min: -7, max: 7 }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
      ),
    );
    fc.assert(
      fc.property(arb, ([t, dim, start, end, step]) => {
        const label = `slice(${dim}, ${start}, ${end}, ${step}) of ${show(t)}`;
        const axis = dim < 0 ? dim + t.ndim : dim;
        const picked = pythonIndices(t.shape[axis]!, start, end, step);
        const s = t.slice(dim, start, end, step);
        expect(s.data, label).toBe(t.data);
        expect(s.shape, label).toEqual(t.shape.map((d, i) => (i === axis ? picked.length : d)));
        const expected = allIndices(s.shape).map((index) => t.get(...index.map((k, i) => (i === axis ? picked[k]! : k))));
        expect(flat(s), label).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("law: select(dim, i) equals get with index i pinned, and narrow equals the matching slice", () => {
    const arb = tensorArb({ minDims: 1 }).chain((t) =>
      fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.ndim - 1 })).chain(([t, axis]) =>
        fc.tuple(fc.constant(t), fc.constant(axis), fc.integer({ min: -t.shape[axis]!, max: t.shape[axis]! - 1 }), fc.integer({ min: 0, max: t.shape[axis]! })),
      ),
    );
    fc.assert(
      fc.property(arb, ([t, axis, index, length]) => {
        const label = `select/narrow(${axis}, ${index}, ${length}) of ${show(t)}`;
        const d = t.shape[axis]!;
        const k = index < 0 ? index + d : index;
        const selected = t.select(axis, index);
        const expected = allIndices(selected.shape).map((rest) => t.get(...[...rest.slice(0, axis), k, ...rest.slice(axis)]));
        expect(flat(selected), label).toEqual(expected);
        const n = Math.min(length, d - k);
        expect(flat(t.narrow(axis, index, n)), label).toEqual(flat(t.slice(axis, k, k + n)));
      }),
      RUNS,
    );
  });

  it("law: expand then contiguous equals naive repetition (each target index reads the source with broadcast dims at 0)", () => {
    const arb = shapeArb({ maxDims: 4, maxSize: 3 }).chain((target) =>
      fc
        .tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
        .chain(([drop, ones]) => {
          const source = target.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d));
          return fc.tuple(fc.constant(target), tensorOfShapeArb(source));
        }),
    );
    fc.assert(
      fc.property(arb, ([target, t]) => {
        const label = `expand ${fmtShape(target)} of ${show(t)}`;
        const e = t.expand(target);
        expect(e.shape, label).toEqual(target);
        expect(e.data, label).toBe(t.data);
        const lead = target.length - t.ndim;
        e.strides.forEach((s, i) => {
          if (i < lead || (t.shape[i - lead] === 1 && target[i] !== 1)) expect(s, `${label}: stride of broadcast dim ${i}`).toBe(0);
        });
        const expected = allIndices(target).map((index) => t.get(...t.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!))));
        expect(flat(e.contiguous()), label).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("law: unsqueeze(dim) then squeeze(dim) is the identity (same storage, shape, strides and values)", () => {
    const arb = tensorArb().chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: -(t.ndim + 1), max: t.ndim })));
    fc.assert(
      fc.property(arb, ([t, dim]) => {
        const label = `unsqueeze(${dim}) then squeeze(${dim}) of ${show(t)}`;
        const u = t.unsqueeze(dim);
        expect(u.shape[dim < 0 ? dim + t.ndim + 1 : dim], label).toBe(1);
        expect(u.isContiguous(), label).toBe(t.isContiguous());
        expect(flat(u), label).toEqual(naive(t));
        const back = u.squeeze(dim);
        expect(back.data, label).toBe(t.data);
        expect(back.offset, label).toBe(t.offset);
        expect(back.shape, label).toEqual(t.shape);
        expect(back.strides, label).toEqual(t.strides);
        expect(flat(back), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: flatten(start, end) keeps row-major order and multiplies the merged dims", () => {
    const arb = tensorArb({ minDims: 1 }).chain((t) =>
      fc.tuple(fc.constant(t), fc.integer({ min: 0, max: t.ndim - 1 })).chain(([t, s]) => fc.tuple(fc.constant(t), fc.constant(s), fc.integer({ min: s, max: t.ndim - 1 }))),
    );
    fc.assert(
      fc.property(arb, ([t, s, e]) => {
        const label = `flatten(${s}, ${e}) of ${show(t)}`;
        const f = t.flatten(s, e);
        expect(f.shape, label).toEqual([...t.shape.slice(0, s), sizeOf(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)]);
        expect(flat(f), label).toEqual(naive(t));
      }),
      RUNS,
    );
  });

  it("law: to(float64) is exact on float32 values, and to(int32) truncates each one", () => {
    fc.assert(
      fc.property(tensorArb(), (t) => {
        expect(flat(t.to("float64")), show(t)).toEqual(naive(t));
        expect(flat(t.to("int32")), show(t)).toEqual(naive(t).map((v) => Math.trunc(v) | 0));
      }),
      RUNS,
    );
  });
});
