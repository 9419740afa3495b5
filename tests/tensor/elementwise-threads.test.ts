// Elementwise ops on the worker pool: a large op splits its elements (flat layouts) or its
// rows (broadcast and strided layouts) over threads, and the result must be bit-identical
// to one thread's. Also the row-range odometer the split relies on.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  add, clamp, div, eq, exp, forEachRow, forEachRowRange, gelu, getNumThreads, Generator, maximum, mul, poolStats, powScalar,
  randn, setNumThreads, shutdownThreads, sigmoid, sub, tanh, tensor, where, type Tensor,
} from "../../packages/tensor/src/index.js";
import { shapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return x.dtype === y.dtype && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Runs `f` on one thread, then on two, and checks the pool really ran the second. */
function oneAndTwo(f: () => Tensor): [Tensor, Tensor] {
  const before = getNumThreads();
  try {
    setNumThreads(1);
    const one = f();
    setNumThreads(2);
    const jobs = poolStats().parallelJobs;
    const two = f();
    expect(poolStats().parallelJobs, "the pool did not run the op").toBeGreaterThan(jobs);
    return [one, two];
  } finally {
    setNumThreads(before);
  }
}

describe("elementwise ops: two threads equal one, bit for bit", () => {
  // inputs are made while two threads run, so large ones sit on shared memory
  const threads = getNumThreads();
  setNumThreads(2);
  const g = new Generator(11);
  const x = randn([600, 257], { generator: g }); // 154,200 elements: above the threshold
  const y = randn([600, 257], { generator: g });
  const bias = randn([257], { generator: g });
  const column = randn([600, 1], { generator: g });
  const x64 = randn([600, 257], { generator: g, dtype: "float64" });
  const ints = tensor(Array.from({ length: 600 * 257 }, (_, i) => ((i * 7919) % 1000) - 500), [600, 257], { dtype: "int32" });

  const cases: [string, () => Tensor][] = [
    ["add, same shape (flat)", () => add(x, y)],
    ["sub, tensor - number (flat, scalar)", () => sub(x, 0.25)],
    ["mul, number * tensor", () => mul(3, x)],
    ["div, broadcast bias (rows)", () => div(x, bias)],
    ["add, broadcast column (rows)", () => add(x, column)],
    ["maximum, transposed operand (rows, strided)", () => maximum(x, y.transpose().contiguous().transpose())],
    ["eq, int32 mask", () => eq(ints, 0)],
    ["mul, int32 wraparound", () => mul(ints, ints)],
    ["add, float64", () => add(x64, x64)],
    ["exp (flat)", () => exp(x)],
    ["gelu on a transposed view (rows)", () => gelu(x.transpose())],
    ["tanh on a strided slice", () => tanh(x.slice(1, 0, 257, 2))],
    ["sigmoid, float64", () => sigmoid(x64)],
    ["clamp with bounds", () => clamp(x, -0.5, 0.5)],
    ["powScalar", () => powScalar(x, 3)],
  ];
  setNumThreads(threads);

  for (const [name, f] of cases) {
    it(name, () => {
      const [one, two] = oneAndTwo(f);
      expect(sameBits(one, two)).toBe(true);
    });
  }

  it("small ops stay on the calling thread", () => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
      const small = randn([100, 100], { generator: g });
      const jobs = poolStats().parallelJobs;
      add(small, small);
      expect(poolStats().parallelJobs).toBe(jobs);
    } finally {
      setNumThreads(before);
    }
  });

  it("where (three operands) still broadcasts on one thread", () => {
    const z = where(tensor([1, 0], [2, 1]), tensor([1, 2, 3], [3]), -1);
    expect(z.toArray()).toEqual([[1, 2, 3], [-1, -1, -1]]);
  });
});

describe("forEachRowRange", () => {
  it("ranges [0, k) and [k, rows) visit exactly forEachRow's rows, with its offsets", () => {
    const layoutArb = shapeArb({ minDims: 0, maxDims: 4, minSize: 0, maxSize: 4 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: shape.length, maxLength: shape.length }),
        fc.integer({ min: 0, max: 100 }),
      ),
    );
    fc.assert(
      fc.property(layoutArb, fc.double({ min: 0, max: 1, noNaN: true }), ([shape, strides, start], cut) => {
        const whole: string[] = [];
        forEachRow(shape, [strides], [start], (offsets, r) => whole.push(`${r}:${offsets[0]}`));
        const rows = whole.length;
        const k = Math.floor(cut * rows);
        const parts: string[] = [];
        forEachRowRange(shape, [strides], [start], 0, k, (offsets, r) => parts.push(`${r}:${offsets[0]}`));
        forEachRowRange(shape, [strides], [start], k, rows, (offsets, r) => parts.push(`${r}:${offsets[0]}`));
        expect(parts).toEqual(whole);
      }),
      { seed: 61, numRuns: 300 },
    );
  });
});
