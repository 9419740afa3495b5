// layerNorm's backward pass: the naive reference is checked once against central
// differences of the naive forward pass; the fused, threaded layerNormBackward is then
// checked against the reference over random shapes, dtypes and layouts, and on one thread
// or two. (The math they both compute is the layerNorm spec in packages/autograd.)
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  add, Generator, getNumThreads, layerNorm, layerNormBackward, mul, poolStats, randn, setNumThreads, shutdownThreads, sum, Tensor,
  tensor, type DType,
} from "../../packages/tensor/src/index.js";
// imported from their module until the package's export list names them
import { layerNormBackwardNaive, layerNormNaive } from "../../packages/tensor/src/ops/layernorm.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

const maxAbs = (t: Tensor) => Array.from(t.contiguousData()).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Tolerance of the fast result against the reference, about 10 times the worst error seen
 * over 2,000 cases. float64: the two differ only by summation order (4e-16 of the largest
 * gradient). float32: the fast pass works from the mean and rstd the forward pass rounded to
 * float32, so its dx is off by a few float32 ulps of the largest gradient (2.4e-7).
 */
function tolerance(dtype: DType, expected: Tensor): { rtol: number; atol: number } {
  const scale = Math.max(1, maxAbs(expected));
  return dtype === "float64" ? { rtol: 1e-14, atol: 5e-15 * scale } : { rtol: 1e-6, atol: 3e-6 * scale };
}

/** (x, dy, normalizedShape, weight): 0-2 leading dims, 1-2 normalized ones, a random layout for each tensor. */
const caseArb = fc
  .tuple(
    shapeArb({ minDims: 0, maxDims: 2, maxSize: 4 }),
    shapeArb({ minDims: 1, maxDims: 2, maxSize: 5 }),
    fc.constantFrom<DType>("float32", "float64"),
    fc.boolean(),
  )
  .chain(([lead, normalized, dtype, withWeight]) =>
    fc.tuple(
      tensorOfShapeArb([...lead, ...normalized], { dtype, min: -4, max: 4 }),
      tensorOfShapeArb([...lead, ...normalized], { dtype, min: -2, max: 2 }),
      fc.constant(normalized),
      withWeight ? tensorOfShapeArb(normalized, { dtype, min: -2, max: 2 }) : fc.constant(undefined),
    ),
  );

/** ∂/∂t of f at t, elementwise, by central differences of step h. */
function centralDifferences(t: Tensor, f: (moved: Tensor) => number, h = 1e-6): number[] {
  return Array.from({ length: t.size }, (_, i) => {
    const bump = (s: number) => {
      const data = t.toFlatArray();
      data[i]! += s;
      return new Tensor(data, t.shape);
    };
    return (f(bump(h)) - f(bump(-h))) / (2 * h);
  });
}

describe("layerNormBackwardNaive, the reference", () => {
  it("is the gradient of Σ layerNormNaive(x, weight, bias) * dy, by central differences (float64)", () => {
    // values from a seeded generator, not fc.double: its bias to boundary values would make
    // rows of near-equal values, where the curvature ruins central differences
    const cases = fc.tuple(shapeArb({ minDims: 0, maxDims: 2, maxSize: 3 }), shapeArb({ minDims: 1, maxDims: 2, maxSize: 4 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
    fc.assert(
      fc.property(cases, ([lead, S, seed]) => {
        const g = new Generator(seed);
        const [x, dy] = [randn([...lead, ...S], { generator: g, dtype: "float64" }), randn([...lead, ...S], { generator: g, dtype: "float64" })];
        const [w, b] = [randn(S, { generator: g, dtype: "float64" }), randn(S, { generator: g, dtype: "float64" })];
        const loss = (xx: Tensor, ww: Tensor, bb: Tensor) => sum(mul(layerNormNaive(xx, S, ww, bb).out, dy)).item();
        const grads = layerNormBackwardNaive(dy, x, S, w);
        const label = `x [${x.shape}], normalizedShape [${S}], seed ${seed}:`;
        const tol = { rtol: 1e-6, atol: 1e-7 };
        expectClose(grads.dx!, centralDifferences(x, (m) => loss(m, w, b)), { ...tol, label: `${label} dx` });
        expectClose(grads.dweight!, centralDifferences(w, (m) => loss(x, m, b)), { ...tol, label: `${label} dweight` });
        expectClose(grads.dbias!, centralDifferences(b, (m) => loss(x, w, m)), { ...tol, label: `${label} dbias` });
      }),
      { seed: 90, numRuns: 60 },
    );
  });
});

describe("layerNormBackward against the reference", () => {
  it("gives the reference's dx, dweight and dbias (any shape, layout and dtype; with and without weight)", () => {
    fc.assert(
      fc.property(caseArb, ([x, dy, S, weight]) => {
        const { mean, rstd } = layerNorm(x, S, weight);
        const fast = layerNormBackward(dy, x, mean, rstd, S, weight);
        const naive = layerNormBackwardNaive(dy, x, S, weight);
        const label = `x ${x.dtype} [${x.shape}], normalizedShape [${S}], weight ${weight !== undefined}:`;
        expect(fast.dx!.dtype).toBe(x.dtype);
        expect([fast.dweight!.dtype, fast.dbias!.dtype]).toEqual(["float64", "float64"]);
        expectClose(fast.dx!, naive.dx!, { ...tolerance(x.dtype, naive.dx!), label: `${label} dx` });
        expectClose(fast.dweight!, naive.dweight!, { ...tolerance(x.dtype, naive.dweight!), label: `${label} dweight` });
        expectClose(fast.dbias!, naive.dbias!, { ...tolerance(x.dtype, naive.dbias!), label: `${label} dbias` });
      }),
      { seed: 91, numRuns: 200 },
    );
  });

  it("skips what is not asked for, and checks dy's shape", () => {
    const x = randn([2, 3]);
    const { mean, rstd } = layerNorm(x, [3]);
    const onlyParams = layerNormBackward(x, x, mean, rstd, [3], undefined, { dx: false });
    expect(onlyParams.dx).toBeNull();
    expect(onlyParams.dbias!.shape).toEqual([3]);
    expect(layerNormBackward(x, x, mean, rstd, [3], undefined, { params: false }).dweight).toBeNull();
    expect(() => layerNormBackward(randn([3, 2]), x, mean, rstd, [3])).toThrow(/layerNormBackward: dy must have x's shape/);
    expect(() => layerNormBackwardNaive(randn([3, 2]), x, [3])).toThrow(/layerNormBackward: dy must have x's shape/);
    expect(() => layerNormBackwardNaive(x, x, [2])).toThrow(/layerNormBackward: x's trailing dims must equal normalizedShape \[2\]/);
  });
});

describe("layerNorm: threads", () => {
  it("forward and backward split over two threads with the same bits as one, and match the reference", () => {
    const before = getNumThreads();
    try {
      const g = new Generator(21);
      const x = add(randn([2000, 128], { generator: g }), 3);
      const dy = randn([2000, 128], { generator: g });
      const w = randn([128], { generator: g });
      const bias = tensor(Array.from({ length: 128 }, (_, i) => i / 100), [128]);
      const run = () => {
        const f = layerNorm(x, [128], w, bias);
        const b = layerNormBackward(dy, x, f.mean, f.rstd, [128], w);
        return [f.out, f.mean, f.rstd, b.dx!, b.dweight!, b.dbias!];
      };
      setNumThreads(1);
      const one = run();
      setNumThreads(2);
      const jobs = poolStats().parallelJobs;
      const two = run();
      expect(poolStats().parallelJobs).toBe(jobs + 3);
      two.forEach((t, k) => expect(sameBits(t, one[k]!), `output ${k}`).toBe(true));
      const forward = layerNormNaive(x, [128], w, bias);
      const backward = layerNormBackwardNaive(dy, x, [128], w);
      [forward.out, forward.mean, forward.rstd, backward.dx!, backward.dweight!, backward.dbias!].forEach((expected, k) =>
        expectClose(two[k]!, expected, { ...tolerance("float32", expected), label: `output ${k} against the reference:` }),
      );
    } finally {
      setNumThreads(before);
    }
  });
});
