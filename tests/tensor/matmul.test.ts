import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { fromArray, matmul, matmulNaive, randn, setNumThreads, getNumThreads, shutdownThreads, poolStats, Generator, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, tensorOfShapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

describe("matmul: hand-checked values", () => {
  it("2x2 times 2x2", () => {
    const c = matmul(fromArray([[1, 2], [3, 4]]), fromArray([[5, 6], [7, 8]]));
    expect(c.toArray()).toEqual([[19, 22], [43, 50]]);
  });

  it("vector cases follow torch.matmul: the 1-D dim is dropped", () => {
    const m = fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(matmul(fromArray([1, 1]), m).toArray()).toEqual([5, 7, 9]);
    expect(matmul(m, fromArray([1, 0, -1])).toArray()).toEqual([-2, -2]);
    const dot = matmul(fromArray([1, 2, 3]), fromArray([4, 5, 6]));
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(32);
  });

  it("transposed operands are read in place", () => {
    const a = fromArray([[1, 2], [3, 4], [5, 6]]); // [3,2]
    const c = matmul(a.transpose(), a); // [2,3]@[3,2]
    expect(c.toArray()).toEqual([[35, 44], [44, 56]]);
  });

  it("batch dims broadcast", () => {
    const g = new Generator(1);
    const a = randn([2, 1, 3, 4], { generator: g });
    const b = randn([5, 4, 2], { generator: g });
    const c = matmul(a, b);
    expect(c.shape).toEqual([2, 5, 3, 2]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 5; j++) {
        expectClose(c.select(0, i).select(0, j), matmulNaive(a.select(0, i).select(0, 0), b.select(0, j)), { rtol: 1e-6 });
      }
    }
  });

  it("empty dims give empty or zero results", () => {
    expect(matmul(randn([0, 3]), randn([3, 4])).shape).toEqual([0, 4]);
    expect(matmul(randn([2, 0]), randn([0, 4])).toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it("float64 operands compute in float64; mixed operands promote", () => {
    const a = fromArray([[1 + 1e-12]], { dtype: "float64" });
    const c = matmul(a, fromArray([[1]], { dtype: "float64" }));
    expect(c.dtype).toBe("float64");
    expect(c.item()).toBe(1 + 1e-12);
    expect(matmul(a, fromArray([[1]])).dtype).toBe("float64");
  });
});

describe("matmul: errors name the op and the shapes", () => {
  it("inner dimensions differ", () => {
    expect(() => matmul(randn([2, 3]), randn([4, 5]))).toThrow("matmul: inner dimensions differ: a is [2,3], b is [4,5]");
  });
  it("scalars are rejected", () => {
    expect(() => matmul(randn([]), randn([2]))).toThrow(/matmul: both operands need at least 1 dim, got a \[\] and b \[2\]/);
  });
  it("int32 is rejected", () => {
    expect(() => matmul(fromArray([[1]], { dtype: "int32" }), randn([1, 1]))).toThrow(/matmul: operands must be float32 or float64, got a int32/);
  });
  it("batch dims that cannot broadcast", () => {
    expect(() => matmul(randn([2, 3, 4]), randn([3, 4, 5]))).toThrow(/matmul: shapes cannot broadcast: a's batch dims is \[2\], b's batch dims is \[3\]/);
  });
});

const dims = fc.integer({ min: 1, max: 13 });

describe("matmul: properties", () => {
  it("the tiled kernel equals the naive one, for any layout of either operand", () => {
    fc.assert(
      fc.property(
        fc.tuple(dims, dims, dims).chain(([m, k, n]) => fc.tuple(tensorOfShapeArb([m, k]), tensorOfShapeArb([k, n]))),
        ([a, b]) => {
          expectClose(matmul(a, b), matmulNaive(a, b), { rtol: 1e-5, atol: 1e-5 });
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it("float64: tiled equals naive to 1e-12", () => {
    fc.assert(
      fc.property(
        fc.tuple(dims, dims, dims).chain(([m, k, n]) => fc.tuple(tensorOfShapeArb([m, k], { dtype: "float64" }), tensorOfShapeArb([k, n], { dtype: "float64" }))),
        ([a, b]) => {
          expectClose(matmul(a, b), matmulNaive(a, b), { rtol: 1e-12, atol: 1e-12 });
        },
      ),
      { seed: 43, numRuns: 100 },
    );
  });

  it("long inner dims (sliced by 512, each slice adding into C) equal the naive product, any layout", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 500, max: 1700 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom("float32" as const, "float64" as const)).chain(([m, k, n, dtype]) =>
          fc.tuple(tensorOfShapeArb([m, k], { dtype }), tensorOfShapeArb([k, n], { dtype })),
        ),
        ([a, b]) => {
          const tol = a.dtype === "float64" ? 1e-12 : 2e-5;
          expectClose(matmul(a, b), matmulNaive(a, b), { rtol: tol, atol: tol });
        },
      ),
      { seed: 44, numRuns: 40 },
    );
  });

  it("(AB)^T = B^T A^T", () => {
    fc.assert(
      fc.property(
        fc.tuple(dims, dims, dims).chain(([m, k, n]) => fc.tuple(tensorOfShapeArb([m, k]), tensorOfShapeArb([k, n]))),
        ([a, b]) => {
          expectClose(matmul(a, b).transpose().contiguous(), matmul(b.transpose(), a.transpose()), { rtol: 1e-5, atol: 1e-5 });
        },
      ),
      { seed: 44, numRuns: 100 },
    );
  });

  it("batched with broadcast batch dims equals a loop of 2-D products", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), dims, dims, dims, fc.boolean()),
        ([b1, b2, m, k, n, broadcastA]) => {
          const g = new Generator(b1 * 100 + b2 * 10 + m);
          const a = randn(broadcastA ? [1, b2, m, k] : [b1, b2, m, k], { generator: g });
          const b = randn([b2, k, n], { generator: g });
          const c = matmul(a, b);
          expect(c.shape).toEqual([broadcastA ? 1 : b1, b2, m, n]);
          for (let i = 0; i < c.shape[0]!; i++) {
            for (let j = 0; j < b2; j++) {
              expectClose(c.select(0, i).select(0, j), matmulNaive(a.select(0, i).select(0, j), b.select(0, j)), { rtol: 1e-5, atol: 1e-5 });
            }
          }
        },
      ),
      { seed: 45, numRuns: 50 },
    );
  });
});

describe("matmul: threads", () => {
  function exactlyEqual(x: Tensor, y: Tensor): boolean {
    const a = x.contiguousData();
    const b = y.contiguousData();
    return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  }

  it("two threads give bit-identical results to one thread", () => {
    const before = getNumThreads();
    const g = new Generator(7);
    const cases: [number[], number[]][] = [
      [[150, 128], [128, 128]],
      [[257, 96], [96, 131]],
      [[6, 70, 64], [6, 64, 70]], // batched: work split over batches
    ];
    try {
      for (const [sa, sb] of cases) {
        const a = randn(sa, { generator: g });
        const b = randn(sb, { generator: g });
        setNumThreads(1);
        const one = matmul(a, b);
        setNumThreads(2);
        const jobs = poolStats().parallelJobs;
        const two = matmul(a, b);
        expect(poolStats().parallelJobs).toBe(jobs + 1); // the pool really ran it
        const twoT = matmul(a, b.transpose().contiguous().transpose());
        expect(exactlyEqual(one, two)).toBe(true);
        expectClose(twoT, one, { rtol: 1e-6, atol: 1e-6 });
        expectClose(two, matmulNaive(a, b), { rtol: 1e-5, atol: 1e-4 });
      }
    } finally {
      setNumThreads(before);
    }
  });
});

describe("matmul: a batch times one shared matrix", () => {
  function exactlyEqual(x: Tensor, y: Tensor): boolean {
    const a = x.contiguousData();
    const b = y.contiguousData();
    return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  }

  it("runs as one tall product with exactly the bits of one product per matrix (Linear's x @ Wᵀ)", () => {
    const g = new Generator(17);
    const cases: [Tensor, Tensor][] = [
      [randn([5, 7, 16], { generator: g }), randn([9, 16], { generator: g }).transpose()], // (B, L, in) @ Wᵀ
      [randn([2, 3, 7, 16], { generator: g }), randn([16, 9], { generator: g })], // two batch dims
      [randn([7, 5, 16], { generator: g }).transpose(0, 1), randn([16, 9], { generator: g })], // batches not stacked: per matrix
      [randn([4, 1, 16], { generator: g }), randn([16, 130], { generator: g })], // M = 1
      [randn([4, 7, 16], { generator: g }).slice(2, 0, 16, 2), randn([8, 6], { generator: g })], // strided columns
    ];
    for (const [a, b] of cases) {
      const c = matmul(a, b);
      const M = a.shape[a.ndim - 2]!;
      const flatA = a.reshape([-1, M, a.shape[a.ndim - 1]!]);
      const perMatrix = Array.from({ length: flatA.shape[0]! }, (_, n) => matmul(flatA.select(0, n), b));
      const expected = perMatrix.flatMap((t) => Array.from(t.contiguousData()));
      expect(exactlyEqual(c, fromArray(expected).reshape(c.shape))).toBe(true);
      expectClose(c, matmulNaive(a, b), { rtol: 1e-5, atol: 1e-5 });
    }
  });
});
