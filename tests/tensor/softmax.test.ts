import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  EXP2_TABLE, causalMask, fastExp, fromArray, full, add, Generator, getNumThreads, logSoftmax, poolStats, randn, setNumThreads, shutdownThreads, softmax, softmaxNaive, type Tensor,
} from "../../packages/tensor/src/index.js";
import { expectClose, tensorArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

describe("fastExp", () => {
  it("is within 2e-7 relative of exp after rounding to float32, over the whole range [-104, 0]", () => {
    // a dense sweep: 2 million points plus the table's knots and their neighbours.
    // Normal float32 results (x >= ln 2^-126) are held to 2e-7 relative; subnormal ones,
    // whose spacing is a fixed 2^-149, to one subnormal step.
    const minNormalX = Math.log(2 ** -126);
    let worst = 0;
    let worstAt = 0;
    const check = (x: number) => {
      const exact = Math.exp(x);
      const got = Math.fround(fastExp(x));
      if (x < minNormalX) {
        expect(Math.abs(got - exact), `subnormal result at x = ${x}`).toBeLessThanOrEqual(2 ** -149);
        return;
      }
      const rel = Math.abs(got - exact) / exact;
      if (rel > worst) {
        worst = rel;
        worstAt = x;
      }
    };
    const n = 2_000_000;
    for (let i = 0; i <= n; i++) check(-104 * (i / n));
    for (let k = -9600; k <= 0; k++) {
      const x = (k * Math.LN2) / 64;
      check(x);
      check(x + Math.LN2 / 128 - 1e-12);
      check(x - Math.LN2 / 128 + 1e-12);
    }
    expect(worst, `worst relative error ${worst} at x = ${worstAt}`).toBeLessThanOrEqual(2e-7);
  });

  it("is exact at 0, 0 below float32's range, and NaN for NaN", () => {
    expect(fastExp(0)).toBe(1);
    expect(Math.fround(fastExp(-200))).toBe(0);
    expect(Math.fround(fastExp(-Infinity))).toBe(0);
    expect(fastExp(Number.NaN)).toBeNaN();
  });

  it("its table holds exact powers of two at multiples of 64", () => {
    expect(EXP2_TABLE[EXP2_TABLE.length - 1]).toBe(1);
    expect(EXP2_TABLE[EXP2_TABLE.length - 1 - 64]).toBe(0.5);
  });
});

describe("softmax: values", () => {
  it("hand-checked row", () => {
    const y = softmax(fromArray([[1, 2, 3]], { dtype: "float64" }));
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expectClose(y, fromArray([[e[0]! / s, e[1]! / s, e[2]! / s]], { dtype: "float64" }), { rtol: 1e-15, atol: 0 });
  });

  it("large logits do not overflow", () => {
    const y = softmax(fromArray([1000, 1000]));
    expect(Array.from(y.data)).toEqual([0.5, 0.5]);
  });

  it("a causal mask zeroes the future", () => {
    const y = softmax(add(full([3, 3], 0), causalMask(3)));
    expect(y.toArray()).toEqual([[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3].map(Math.fround)]);
  });

  it("a row of -Infinity gives NaN, as torch; a NaN poisons only its row", () => {
    const y = softmax(fromArray([[-Infinity, -Infinity], [0, 0]]));
    expect(Number.isNaN(y.get(0, 0))).toBe(true);
    expect(y.get(1, 0)).toBe(0.5);
    const z = softmax(fromArray([[Number.NaN, 1], [0, 0]]));
    expect(Number.isNaN(z.get(0, 1))).toBe(true);
    expect(z.get(1, 1)).toBe(0.5);
  });

  it("logSoftmax is log(softmax) and stays finite where softmax underflows", () => {
    const x = fromArray([0, -200, 3], { dtype: "float64" });
    const l = logSoftmax(x);
    const lse = 3 + Math.log(Math.exp(-3) + Math.exp(-203) + 1);
    expectClose(l, fromArray([-lse, -200 - lse, 3 - lse], { dtype: "float64" }), { rtol: 1e-14, atol: 1e-14 });
    expect(Number.isFinite(logSoftmax(fromArray([0, -200])).get(1))).toBe(true);
  });
});

describe("softmax: errors", () => {
  it("rejects int32, scalars and bad axes by name", () => {
    expect(() => softmax(fromArray([1], { dtype: "int32" }))).toThrow(/softmax: x must be float32 or float64, got int32/);
    expect(() => logSoftmax(full([], 1))).toThrow(/logSoftmax: x must have at least 1 dim/);
    expect(() => softmax(randn([2, 3]), 2)).toThrow(/softmax: axis 2 is out of range for a tensor of 2 dims; valid: \[-2, 1\]/);
  });
});

function maxRelError(got: Tensor, exact: Tensor): number {
  const g = got.contiguousData();
  const e = exact.contiguousData();
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    const denom = Math.abs(e[i]!);
    if (denom < 1e-30) continue;
    worst = Math.max(worst, Math.abs(g[i]! - e[i]!) / denom);
  }
  return worst;
}

describe("softmax: properties", () => {
  const axisCase = tensorArb({ minDims: 1, maxDims: 4, maxSize: 6 }, { min: -20, max: 20 }).chain((x) =>
    fc.tuple(fc.constant(x), fc.integer({ min: -x.ndim, max: x.ndim - 1 })),
  );

  it("float32 softmax is within 2e-7 relative of float64 softmax, along any axis and layout", () => {
    fc.assert(
      fc.property(axisCase, ([x, axis]) => {
        const exact = softmaxNaive(x.to("float64"), axis);
        const rel = maxRelError(softmax(x, axis), exact);
        expect(rel).toBeLessThanOrEqual(2e-7);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it("float64 softmax equals the naive reference to 1e-14", () => {
    fc.assert(
      fc.property(axisCase, ([x, axis]) => {
        const x64 = x.to("float64");
        expectClose(softmax(x64, axis), softmaxNaive(x64, axis), { rtol: 1e-14, atol: 1e-300 });
      }),
      { seed: 43, numRuns: 100 },
    );
  });

  it("rows sum to 1", () => {
    fc.assert(
      fc.property(axisCase, ([x, axis]) => {
        const y = softmax(x, axis);
        const ax = axis < 0 ? axis + x.ndim : axis;
        const moved = y.transpose(ax, -1).contiguous();
        const n = moved.shape[moved.ndim - 1]!;
        const d = moved.data;
        for (let r = 0; r < d.length / n; r++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += d[r * n + i]!;
          expect(Math.abs(s - 1)).toBeLessThan(n * 2e-7);
        }
      }),
      { seed: 44, numRuns: 100 },
    );
  });

  it("softmax(x + c) = softmax(x)", () => {
    fc.assert(
      fc.property(axisCase, fc.double({ min: -50, max: 50, noNaN: true }), ([x, axis], c) => {
        const x64 = x.to("float64");
        expectClose(softmax(add(x64, c), axis), softmax(x64, axis), { rtol: 1e-12, atol: 1e-15 });
      }),
      { seed: 45, numRuns: 100 },
    );
  });

  it("logSoftmax = log(softmax) where softmax is not tiny", () => {
    fc.assert(
      fc.property(axisCase, ([x, axis]) => {
        const x64 = x.to("float64");
        const l = logSoftmax(x64, axis).contiguousData();
        const s = softmax(x64, axis).contiguousData();
        for (let i = 0; i < l.length; i++) if (s[i]! > 1e-300) expect(Math.abs(l[i]! - Math.log(s[i]!))).toBeLessThan(1e-12);
        const l32 = logSoftmax(x, axis).contiguousData();
        for (let i = 0; i < l.length; i++) expect(Math.abs(l32[i]! - l[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(l[i]!)));
      }),
      { seed: 46, numRuns: 100 },
    );
  });
});

describe("softmax: threads", () => {
  it("large inputs split over two threads with bit-identical results", () => {
    const before = getNumThreads();
    try {
      const x = randn([300, 1024], { generator: new Generator(3) });
      setNumThreads(1);
      const one = softmax(x);
      const oneLog = logSoftmax(x);
      setNumThreads(2);
      const jobs = poolStats().parallelJobs;
      const two = softmax(x);
      const twoLog = logSoftmax(x);
      expect(poolStats().parallelJobs).toBe(jobs + 2);
      expect(Array.from(two.data)).toEqual(Array.from(one.data));
      expect(Array.from(twoLog.data)).toEqual(Array.from(oneLog.data));
    } finally {
      setNumThreads(before);
    }
  });
});
