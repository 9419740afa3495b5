/**
 * The shape arithmetic (shape.ts), the strided walkers (iterate.ts) and the element
 * types (dtype.ts) that every op stands on. Nothing here touches a Tensor's methods.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  getNumThreads,
  matmul,
  ones,
  setNumThreads,
  sharesLargeBuffers,
  BYTES_PER_ELEMENT,
  DTYPES,
  SHARED_MIN_BYTES,
  TensorError,
  allocate,
  broadcastShapes,
  broadcastStrides,
  checkShape,
  contiguousStrides,
  copyStrided,
  dtypeOf,
  fmtShape,
  forEachRow,
  isFloat,
  normalizeAxes,
  normalizeAxis,
  promoteTypes,
  shapesEqual,
  sizeOf,
  type DType,
  type TypedArray,
} from "../../packages/tensor/src/index.js";
import { broadcastPairArb, shapeArb } from "../support/arbitraries.js";

const RUNS = { seed: 42, numRuns: 100 };

/** Every full index of `shape` in row-major order (one empty index for a scalar). */
function allIndices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return out;
}

const dot = (index: readonly number[], strides: readonly number[]) => index.reduce((acc, k, i) => acc + k * strides[i]!, 0);

// ---- shape.ts ----------------------------------------------------------------------

describe("sizeOf and contiguousStrides", () => {
  it("sizeOf multiplies the dims; a scalar has one element, a zero dim none", () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([5])).toBe(5);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([2, 0, 4])).toBe(0);
  });

  it("contiguousStrides are row-major: the last axis varies fastest", () => {
    expect(contiguousStrides([])).toEqual([]);
    expect(contiguousStrides([5])).toEqual([1]);
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(contiguousStrides([2, 1, 3])).toEqual([3, 3, 1]);
    expect(contiguousStrides([3, 0, 2])).toEqual([0, 2, 1]);
  });

  it("law: walking every index with contiguous strides visits 0, 1, ..., size-1 in order", () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 4, minSize: 0, maxSize: 4 }), (shape) => {
        const strides = contiguousStrides(shape);
        const offsets = allIndices(shape).map((index) => dot(index, strides));
        expect(offsets, `shape ${fmtShape(shape)}, strides ${fmtShape(strides)}`).toEqual(Array.from({ length: sizeOf(shape) }, (_, i) => i));
      }),
      RUNS,
    );
  });
});

describe("checkShape", () => {
  it("returns a fresh copy of a valid shape", () => {
    const shape = [2, 0, 3];
    const checked = checkShape("zeros", "shape", shape);
    expect(checked).toEqual([2, 0, 3]);
    expect(checked).not.toBe(shape);
    expect(checkShape("zeros", "shape", [])).toEqual([]);
  });

  it("rejects negative, fractional and NaN dims, naming the op and the argument", () => {
    expect(() => checkShape("zeros", "shape", [2, -1])).toThrow(new TensorError("zeros", "shape must hold non-negative integers, got [2,-1]"));
    expect(() => checkShape("eye", "size", [1.5])).toThrow("eye: size must hold non-negative integers, got [1.5]");
    expect(() => checkShape("full", "shape", [Number.NaN])).toThrow("full: shape must hold non-negative integers, got [NaN]");
  });

  it("rejects a non-array", () => {
    expect(() => checkShape("zeros", "shape", 3 as unknown as number[])).toThrow("zeros: shape must be an array of dimensions, got 3");
  });

  it("throws TensorError, whose op field and name say where it came from", () => {
    try {
      checkShape("ones", "shape", [-2]);
      expect.unreachable("checkShape accepted [-2]");
    } catch (e) {
      expect(e).toBeInstanceOf(TensorError);
      expect((e as TensorError).op).toBe("ones");
      expect((e as TensorError).name).toBe("TensorError");
    }
  });
});

describe("normalizeAxis / normalizeAxes", () => {
  it("maps negative axes from the end", () => {
    expect(normalizeAxis("sum", 0, 3)).toBe(0);
    expect(normalizeAxis("sum", 2, 3)).toBe(2);
    expect(normalizeAxis("sum", -1, 3)).toBe(2);
    expect(normalizeAxis("sum", -3, 3)).toBe(0);
  });

  it("rejects out-of-range and fractional axes, stating the valid range", () => {
    expect(() => normalizeAxis("sum", 3, 3)).toThrow("sum: axis 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
    expect(() => normalizeAxis("sum", -4, 3)).toThrow("sum: axis -4 is out of range for a tensor of 3 dims; valid: [-3, 2]");
    expect(() => normalizeAxis("sum", 0.5, 3)).toThrow("sum: axis 0.5 is out of range for a tensor of 3 dims; valid: [-3, 2]");
    expect(() => normalizeAxis("select", 1, 1, "dim")).toThrow("select: dim 1 is out of range for a tensor of 1 dims; valid: [-1, 0]");
  });

  it("a scalar has no valid axis, and the message says so", () => {
    expect(() => normalizeAxis("softmax", 0, 0)).toThrow("softmax: axis 0 is out of range for a tensor of 0 dims; valid: none (the tensor is a scalar)");
    expect(() => normalizeAxis("softmax", -1, 0)).toThrow("valid: none (the tensor is a scalar)");
  });

  it("law: every axis in [-ndim, ndim) maps into [0, ndim), and a and a - ndim map to the same place", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((ndim) => fc.tuple(fc.constant(ndim), fc.integer({ min: 0, max: ndim - 1 }))),
        ([ndim, axis]) => {
          expect(normalizeAxis("op", axis, ndim), `axis ${axis}, ndim ${ndim}`).toBe(axis);
          expect(normalizeAxis("op", axis - ndim, ndim), `axis ${axis - ndim}, ndim ${ndim}`).toBe(axis);
        },
      ),
      RUNS,
    );
  });

  it("normalizeAxes: undefined means all axes; a number means one; lists come back sorted", () => {
    expect(normalizeAxes("sum", undefined, 3)).toEqual([0, 1, 2]);
    expect(normalizeAxes("sum", undefined, 0)).toEqual([]);
    expect(normalizeAxes("sum", -1, 3)).toEqual([2]);
    expect(normalizeAxes("sum", [2, -3], 3)).toEqual([0, 2]);
    expect(normalizeAxes("sum", [-1, 1, 0], 4)).toEqual([0, 1, 3]);
    expect(normalizeAxes("sum", [], 2)).toEqual([]);
  });

  it("normalizeAxes rejects duplicates (also when spelled differently) and out-of-range axes", () => {
    expect(() => normalizeAxes("sum", [1, 1], 3)).toThrow("sum: axis 1 appears twice in [1,1]");
    expect(() => normalizeAxes("sum", [2, -1], 3)).toThrow("sum: axis 2 appears twice in [2,-1]");
    expect(() => normalizeAxes("sum", [0, 3], 3)).toThrow("sum: axis 3 is out of range for a tensor of 3 dims; valid: [-3, 2]");
  });

  it("normalizeAxes does not modify the caller's list", () => {
    const axes = [2, 0];
    normalizeAxes("sum", axes, 3);
    expect(axes).toEqual([2, 0]);
  });
});

describe("broadcastShapes", () => {
  it("aligns from the right; size-1 and missing dims stretch", () => {
    expect(broadcastShapes("add", [2, 3], [3])).toEqual([2, 3]);
    expect(broadcastShapes("add", [2, 1], [1, 4])).toEqual([2, 4]);
    expect(broadcastShapes("add", [5, 1, 3], [4, 1])).toEqual([5, 4, 3]);
    expect(broadcastShapes("add", [], [2, 2])).toEqual([2, 2]);
    expect(broadcastShapes("add", [], [])).toEqual([]);
    expect(broadcastShapes("add", [0, 3], [1, 3])).toEqual([0, 3]);
    expect(broadcastShapes("add", [1], [0])).toEqual([0]);
  });

  it("names the op, both shapes and the clashing dim counted from the right", () => {
    expect(() => broadcastShapes("add", [2, 3], [4])).toThrow("add: shapes cannot broadcast: a is [2,3], b is [4] (dim -1 is 3 vs 4)");
    expect(() => broadcastShapes("mul", [2, 3, 4], [5, 4])).toThrow("mul: shapes cannot broadcast: a is [2,3,4], b is [5,4] (dim -2 is 3 vs 5)");
    expect(() => broadcastShapes("where", [2], [3], ["x", "y"])).toThrow("where: shapes cannot broadcast: x is [2], y is [3] (dim -1 is 2 vs 3)");
    expect(() => broadcastShapes("add", [0], [2])).toThrow("add: shapes cannot broadcast: a is [0], b is [2] (dim -1 is 0 vs 2)");
  });

  it("law: broadcasting is commutative, and each dim of the result is the max of the aligned dims", () => {
    fc.assert(
      fc.property(broadcastPairArb(), ([a, b]) => {
        const ab = broadcastShapes("op", a, b);
        expect(broadcastShapes("op", b, a), `a ${fmtShape(a)}, b ${fmtShape(b)}`).toEqual(ab);
        const ndim = Math.max(a.length, b.length);
        const expected = Array.from({ length: ndim }, (_, i) => Math.max(a[a.length - ndim + i] ?? 1, b[b.length - ndim + i] ?? 1));
        expect(ab, `a ${fmtShape(a)}, b ${fmtShape(b)}`).toEqual(expected);
      }),
      RUNS,
    );
  });
});

describe("broadcastStrides", () => {
  it("gives stride 0 to size-1 dims and to the missing leading dims", () => {
    expect(broadcastStrides([3], [1], [2, 3])).toEqual([0, 1]);
    expect(broadcastStrides([2, 1], [1, 1], [2, 4])).toEqual([1, 0]);
    expect(broadcastStrides([4, 1, 3], [3, 3, 1], [5, 4, 2, 3])).toEqual([0, 3, 0, 1]);
    expect(broadcastStrides([], [], [2])).toEqual([0]);
    expect(broadcastStrides([2, 3], [1, 2], [2, 3])).toEqual([1, 2]); // already the target: strides kept
  });

  it("law: reading index i of the target through the strides gives the source element at i with broadcast dims pinned to 0", () => {
    fc.assert(
      fc.property(broadcastPairArb({ maxDims: 3, maxSize: 3 }), ([a, b]) => {
        const target = broadcastShapes("op", a, b);
        const strides = contiguousStrides(a);
        const read = broadcastStrides(a, strides, target);
        for (const index of allIndices(target)) {
          const sourceIndex = a.map((d, i) => (d === 1 ? 0 : index[target.length - a.length + i]!));
          expect(dot(index, read), `a ${fmtShape(a)} read as ${fmtShape(target)} at [${index}]`).toBe(dot(sourceIndex, strides));
        }
      }),
      RUNS,
    );
  });
});

describe("shapesEqual and fmtShape", () => {
  it("compares lengths and dims", () => {
    expect(shapesEqual([], [])).toBe(true);
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(shapesEqual([2], [2, 1])).toBe(false);
    expect(shapesEqual([1], [])).toBe(false);
  });

  it("formats shapes as [2,3] and scalars as []", () => {
    expect(fmtShape([2, 3])).toBe("[2,3]");
    expect(fmtShape([])).toBe("[]");
    expect(new TensorError("matmul", "inner dimensions differ").message).toBe("matmul: inner dimensions differ");
  });
});

// ---- iterate.ts --------------------------------------------------------------------

/** Records each forEachRow call as [row number, offsets at that call]. */
function rowsOf(shape: number[], strides: number[][], starts: number[]): [number, number[]][] {
  const calls: [number, number[]][] = [];
  forEachRow(shape, strides, starts, (offsets, r) => calls.push([r, [...offsets]]));
  return calls;
}

describe("forEachRow", () => {
  it("a scalar is one row, starting at the given offsets", () => {
    expect(rowsOf([], [[], []], [5, 7])).toEqual([[0, [5, 7]]]);
  });

  it("a 1-D tensor is one row; an empty one has none", () => {
    expect(rowsOf([4], [[1]], [2])).toEqual([[0, [2]]]);
    expect(rowsOf([0], [[1]], [0])).toEqual([]);
  });

  it("empty shapes give no rows, whichever dim is zero", () => {
    expect(rowsOf([0, 3], [[3, 1]], [0])).toEqual([]);
    expect(rowsOf([2, 0], [[0, 1]], [0])).toEqual([]);
    expect(rowsOf([2, 0, 3], [[0, 3, 1]], [0])).toEqual([]);
  });

  it("steps an odometer over all axes but the last, per operand strides", () => {
    // operand 0: contiguous [2,3,4]; operand 1: the same shape transposed in storage (strides [1,2,6])
    const calls = rowsOf([2, 3, 4], [[12, 4, 1], [1, 2, 6]], [0, 100]);
    expect(calls).toEqual([
      [0, [0, 100]],
      [1, [4, 102]],
      [2, [8, 104]],
      [3, [12, 101]],
      [4, [16, 103]],
      [5, [20, 105]],
    ]);
  });

  it("broadcast operands (stride 0) stay on the same row", () => {
    expect(rowsOf([3, 2], [[2, 1], [0, 1]], [0, 10])).toEqual([
      [0, [0, 10]],
      [1, [2, 10]],
      [2, [4, 10]],
    ]);
  });

  it("reuses one offsets array between calls (callers must copy it to keep it)", () => {
    const seen: number[][] = [];
    forEachRow([3, 2], [[2, 1]], [0], (offsets) => seen.push(offsets));
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(seen[2]);
  });

  it("law: row r's offset is the storage offset of index (r's odometer digits, 0)", () => {
    fc.assert(
      fc.property(shapeArb({ minDims: 2, maxDims: 4, maxSize: 3 }), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 4, maxLength: 4 }), (shape, rawStrides) => {
        const strides = shape.map((_, i) => rawStrides[i]!);
        const start = 50;
        const calls = rowsOf(shape, [strides], [start]);
        const rowIndices = allIndices(shape.slice(0, -1));
        expect(calls.map(([r]) => r)).toEqual(rowIndices.map((_, r) => r));
        const expected = rowIndices.map((index) => start + dot(index, strides));
        expect(
          calls.map(([, offsets]) => offsets[0]),
          `shape ${fmtShape(shape)}, strides ${fmtShape(strides)}`,
        ).toEqual(expected);
      }),
      RUNS,
    );
  });
});

describe("copyStrided", () => {
  it("copies a scalar", () => {
    const dst = new Float32Array(1);
    copyStrided(Float32Array.of(9, 8, 7), 2, [], [], dst);
    expect(Array.from(dst)).toEqual([7]);
  });

  it("copies nothing from an empty shape", () => {
    const dst = Float32Array.of(-1, -1);
    copyStrided(Float32Array.of(1, 2, 3), 0, [2, 0], [0, 1], dst);
    copyStrided(Float32Array.of(1, 2, 3), 0, [0], [1], dst);
    expect(Array.from(dst)).toEqual([-1, -1]);
  });

  it("copies 1-D runs with unit and non-unit steps, from an offset, to an offset", () => {
    const src = Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7);
    const dst = new Float64Array(5);
    copyStrided(src, 1, [3], [1], dst, 2);
    expect(Array.from(dst)).toEqual([0, 0, 1, 2, 3]);
    copyStrided(src, 7, [4], [-2], dst, 0);
    expect(Array.from(dst)).toEqual([7, 5, 3, 1, 3]);
  });

  it("gathers a transposed view and a stepped slice in row-major order", () => {
    // storage holds the 2x3 matrix [[0,1,2],[3,4,5]]; its transpose has strides [1,3]
    const src = Int32Array.of(0, 1, 2, 3, 4, 5);
    const dst = new Int32Array(6);
    copyStrided(src, 0, [3, 2], [1, 3], dst);
    expect(Array.from(dst)).toEqual([0, 3, 1, 4, 2, 5]);
    // every other column of the 2x3 matrix: [[0,2],[3,5]]
    const half = new Int32Array(4);
    copyStrided(src, 0, [2, 2], [3, 2], half);
    expect(Array.from(half)).toEqual([0, 2, 3, 5]);
  });

  it("expands broadcast views (stride 0) into repeats", () => {
    const dst = new Float32Array(6);
    copyStrided(Float32Array.of(1, 2), 0, [3, 2], [0, 1], dst);
    expect(Array.from(dst)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it("law: the copy equals reading every index through the strides", () => {
    fc.assert(
      fc.property(shapeArb({ maxDims: 4, minSize: 0, maxSize: 3 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }), (shape, rawStrides) => {
        const strides = shape.map((_, i) => rawStrides[i]!);
        const start = 3;
        const src = Float64Array.from({ length: 200 }, (_, i) => i * 10);
        const dst = new Float64Array(sizeOf(shape));
        copyStrided(src, start, shape, strides, dst);
        const expected = allIndices(shape).map((index) => src[start + dot(index, strides)]!);
        expect(Array.from(dst), `shape ${fmtShape(shape)}, strides ${fmtShape(strides)}, offset ${start}`).toEqual(expected);
      }),
      RUNS,
    );
  });
});

// ---- dtype.ts ----------------------------------------------------------------------

const isShared = (a: TypedArray) => typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer;

describe("allocate", () => {
  it("allocates zero-filled arrays of the right type and length", () => {
    const expectedType: Record<DType, unknown> = { float32: Float32Array, float64: Float64Array, int32: Int32Array };
    for (const dtype of DTYPES) {
      const a = allocate(dtype, 7);
      expect(a).toBeInstanceOf(expectedType[dtype]);
      expect(a.length).toBe(7);
      expect(Array.from(a)).toEqual(new Array(7).fill(0));
      expect(a.BYTES_PER_ELEMENT).toBe(BYTES_PER_ELEMENT[dtype]);
    }
    expect(allocate("float32", 0).length).toBe(0);
  });

  it("with threads, puts buffers of at least SHARED_MIN_BYTES on a SharedArrayBuffer and smaller ones on plain memory", () => {
    expect(SHARED_MIN_BYTES).toBe(16384);
    const before = getNumThreads();
    setNumThreads(2);
    try {
      checkSharing();
    } finally {
      setNumThreads(before);
    }
  });

  it("with threads, \"shared\" and \"plain\" override the size rule; a product too small to split gets plain memory", () => {
    const before = getNumThreads();
    setNumThreads(2);
    try {
      expect(isShared(allocate("float32", 4, "shared"))).toBe(true);
      expect(isShared(allocate("float32", 1 << 20, "plain"))).toBe(false);
      expect(allocate("float64", 1 << 13, "plain").every((v) => v === 0)).toBe(true);
      // 64x64x64 (0.5 MFLOP) stays on this thread: its 16 KB output is plain, though the size rule would share it
      const small = matmul(ones([64, 64]), ones([64, 64]));
      expect(isShared(small.data)).toBe(false);
      expect(small.data[0]).toBe(64);
      // 256x256x256 is split over the pool, which writes its output in place
      expect(isShared(matmul(ones([256, 256]), ones([256, 256])).data)).toBe(true);
    } finally {
      setNumThreads(before);
    }
  });

  it("with one thread, shares nothing (plain memory is cheaper to touch)", () => {
    const before = getNumThreads();
    setNumThreads(1);
    try {
      expect(sharesLargeBuffers()).toBe(false);
      expect(isShared(allocate("float32", 1 << 20))).toBe(false);
    } finally {
      setNumThreads(before);
    }
    expect(sharesLargeBuffers()).toBe(before > 1);
  });

  function checkSharing(): void {
    expect(sharesLargeBuffers()).toBe(true);
    for (const dtype of DTYPES) {
      const threshold = SHARED_MIN_BYTES / BYTES_PER_ELEMENT[dtype]; // elements
      const large = allocate(dtype, threshold);
      const small = allocate(dtype, threshold - 1);
      expect(isShared(large), `${dtype} x ${threshold} (${SHARED_MIN_BYTES} bytes) should be shared`).toBe(true);
      expect(isShared(small), `${dtype} x ${threshold - 1} should be plain`).toBe(false);
      expect(small.buffer).toBeInstanceOf(ArrayBuffer);
      expect(large.length).toBe(threshold);
      expect(large.every((v) => v === 0)).toBe(true);
    }
    expect(isShared(allocate("float32", 0))).toBe(false);
  }
});

describe("dtypeOf, isFloat, promoteTypes", () => {
  it("dtypeOf names each typed array", () => {
    expect(dtypeOf(new Float32Array(1))).toBe("float32");
    expect(dtypeOf(new Float64Array(1))).toBe("float64");
    expect(dtypeOf(new Int32Array(1))).toBe("int32");
  });

  it("dtypeOf rejects other arrays with a TypeError naming what came", () => {
    const bad = (x: unknown) => () => dtypeOf(x as TypedArray);
    expect(bad(new Uint8Array(2))).toThrow(TypeError);
    expect(bad(new Uint8Array(2))).toThrow("dtypeOf: expected a Float32Array, Float64Array or Int32Array, got [object Uint8Array]");
    expect(bad([1, 2])).toThrow("got [object Array]");
    expect(bad(new Uint32Array(1))).toThrow("got [object Uint32Array]");
  });

  it("isFloat: float32 and float64 are floats, int32 is not", () => {
    expect(isFloat("float32")).toBe(true);
    expect(isFloat("float64")).toBe(true);
    expect(isFloat("int32")).toBe(false);
  });

  it("promoteTypes: float64 beats float32, any float beats int32 (the full table)", () => {
    const table: [DType, DType, DType][] = [
      ["float32", "float32", "float32"],
      ["float32", "float64", "float64"],
      ["float32", "int32", "float32"],
      ["float64", "float32", "float64"],
      ["float64", "float64", "float64"],
      ["float64", "int32", "float64"],
      ["int32", "float32", "float32"],
      ["int32", "float64", "float64"],
      ["int32", "int32", "int32"],
    ];
    for (const [a, b, expected] of table) expect(promoteTypes(a, b), `promoteTypes(${a}, ${b})`).toBe(expected);
  });
});
