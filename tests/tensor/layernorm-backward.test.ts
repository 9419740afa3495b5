// layerNormBackward (moved from autograd into the tensor package, and threaded): the same
// bits as the single-threaded loop autograd used before, the gradient of the forward pass
// by central differences, and the same bits on one thread or two (forward too).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  add, allocate, getNumThreads, Generator, layerNorm, layerNormBackward, mul, poolStats, randn, setNumThreads, shutdownThreads, sum,
  Tensor, tensor,
} from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** The loop autograd's layerNorm VJP ran before the kernel moved: the reference, to the bit. */
function layerNormBackwardBefore(dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, n: number, weight?: Tensor): [Tensor, Float64Array, Float64Array] {
  const rows = mean.size;
  const xd = x.contiguousData();
  const gd = dy.contiguousData();
  const wd = weight?.contiguousData();
  const md = mean.contiguousData();
  const rd = rstd.contiguousData();
  const dx = allocate(x.dtype, x.size);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const mu = md[r]!;
    const rs = rd[r]!;
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < n; i++) {
      const xhat = (xd[base + i]! - mu) * rs;
      const d = gd[base + i]!;
      const g = wd ? d * wd[i]! : d;
      sumG += g;
      sumGX += g * xhat;
      dw[i]! += d * xhat;
      db[i]! += d;
    }
    const meanG = sumG / n;
    const meanGX = sumGX / n;
    for (let i = 0; i < n; i++) {
      const xhat = (xd[base + i]! - mu) * rs;
      const g = wd ? gd[base + i]! * wd[i]! : gd[base + i]!;
      dx[base + i] = rs * (g - meanG - xhat * meanGX);
    }
  }
  return [new Tensor(dx, x.shape), dw, db];
}

/** (x, dy, weight) with x (..., n): a random layout for x and dy; weight present or not. */
const caseArb = fc
  .tuple(shapeArb({ minDims: 0, maxDims: 2, maxSize: 4 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom("float32", "float64") as fc.Arbitrary<"float32" | "float64">, fc.boolean())
  .chain(([lead, n, dtype, withWeight]) =>
    fc.tuple(
      tensorOfShapeArb([...lead, n], { dtype, min: -4, max: 4 }),
      tensorOfShapeArb([...lead, n], { dtype, min: -2, max: 2 }),
      withWeight ? tensorOfShapeArb([n], { dtype, min: -2, max: 2, strided: false }) : fc.constant(undefined),
    ),
  );

describe("layerNormBackward", () => {
  it("gives exactly the bits of the loop it replaced (dx, dweight, dbias; any layout, with and without weight)", () => {
    fc.assert(
      fc.property(caseArb, ([x, dy, weight]) => {
        const n = x.shape[x.ndim - 1]!;
        const { mean, rstd } = layerNorm(x, [n], weight);
        const got = layerNormBackward(dy, x, mean, rstd, [n], weight);
        const [dx, dw, db] = layerNormBackwardBefore(dy, x, mean, rstd, n, weight);
        expect(sameBits(got.dx!, dx)).toBe(true);
        expect(Array.from(got.dweight!.contiguousData())).toEqual(Array.from(dw));
        expect(Array.from(got.dbias!.contiguousData())).toEqual(Array.from(db));
      }),
      { seed: 91, numRuns: 150 },
    );
  });

  it("is the gradient of Σ layerNorm(x) * dy, by central differences (float64)", () => {
    const g = new Generator(4);
    const x = randn([3, 5], { generator: g, dtype: "float64" });
    const dy = randn([3, 5], { generator: g, dtype: "float64" });
    const w = randn([5], { generator: g, dtype: "float64" });
    const b = randn([5], { generator: g, dtype: "float64" });
    const loss = (xx: Tensor, ww: Tensor, bb: Tensor) => sum(mul(layerNorm(xx, [5], ww, bb).out, dy)).item();
    const { mean, rstd } = layerNorm(x, [5], w, b);
    const grads = layerNormBackward(dy, x, mean, rstd, [5], w);
    const h = 1e-6;
    const numeric = (t: Tensor, f: (moved: Tensor) => number) =>
      Array.from({ length: t.size }, (_, i) => {
        const bump = (s: number) => {
          const data = t.toFlatArray();
          data[i]! += s;
          return new Tensor(data, t.shape);
        };
        return (f(bump(h)) - f(bump(-h))) / (2 * h);
      });
    expectClose(grads.dx!, numeric(x, (m) => loss(m, w, b)), { rtol: 1e-6, atol: 1e-8, label: "dx" });
    expectClose(grads.dweight!, numeric(w, (m) => loss(x, m, b)), { rtol: 1e-6, atol: 1e-8, label: "dweight" });
    expectClose(grads.dbias!, numeric(b, (m) => loss(x, w, m)), { rtol: 1e-6, atol: 1e-8, label: "dbias" });
  });

  it("skips what is not asked for, and checks dy's shape", () => {
    const x = randn([2, 3]);
    const { mean, rstd } = layerNorm(x, [3]);
    const onlyParams = layerNormBackward(x, x, mean, rstd, [3], undefined, { dx: false });
    expect(onlyParams.dx).toBeNull();
    expect(onlyParams.dbias!.shape).toEqual([3]);
    expect(layerNormBackward(x, x, mean, rstd, [3], undefined, { params: false }).dweight).toBeNull();
    expect(() => layerNormBackward(randn([3, 2]), x, mean, rstd, [3])).toThrow(/layerNormBackward: dy must have x's shape/);
  });
});

describe("layerNorm: threads", () => {
  it("forward and backward split over two threads with the same bits as one", () => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
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
    } finally {
      setNumThreads(before);
    }
  });
});
