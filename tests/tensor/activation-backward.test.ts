// The fused activation backward kernels: each equals its naive reference (the definition,
// one element at a time), matches a central difference of the forward op, agrees with the
// multi-pass composition it replaced, and gives the same bits on one thread or two.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  abs, absBackward, activationBackwardNaive, add, clamp, clampBackward, erf, gelu, geluBackward, geluTanh, geluTanhBackward,
  getNumThreads, Generator, logSigmoid, logSigmoidBackward, mul, poolStats, quickGelu, quickGeluBackward, randn, relu, reluBackward,
  setNumThreads, shutdownThreads, sigmoid, sigmoidBackward, softplus, softplusBackward, tanh, tanhBackward, tensor,
  type ActivationBackwardName, type DType, type Tensor,
} from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

interface Case {
  name: ActivationBackwardName;
  forward: (x: Tensor) => Tensor;
  /** the fast kernel, given x, the forward output y and dy */
  backward: (x: Tensor, y: Tensor, dy: Tensor) => Tensor;
  /** which of x or y the kernel reads */
  saves: "x" | "y";
  smooth: boolean;
}

const CASES: Case[] = [
  { name: "reluBackward", forward: relu, backward: (_x, y, dy) => reluBackward(y, dy), saves: "y", smooth: false },
  { name: "sigmoidBackward", forward: sigmoid, backward: (_x, y, dy) => sigmoidBackward(y, dy), saves: "y", smooth: true },
  { name: "tanhBackward", forward: tanh, backward: (_x, y, dy) => tanhBackward(y, dy), saves: "y", smooth: true },
  { name: "geluBackward", forward: gelu, backward: (x, _y, dy) => geluBackward(x, dy), saves: "x", smooth: true },
  { name: "geluTanhBackward", forward: geluTanh, backward: (x, _y, dy) => geluTanhBackward(x, dy), saves: "x", smooth: true },
  { name: "quickGeluBackward", forward: quickGelu, backward: (x, _y, dy) => quickGeluBackward(x, dy), saves: "x", smooth: true },
  { name: "absBackward", forward: abs, backward: (x, _y, dy) => absBackward(x, dy), saves: "x", smooth: false },
  { name: "clampBackward", forward: (x) => clamp(x, -1, 1.5), backward: (x, _y, dy) => clampBackward(x, dy, -1, 1.5), saves: "x", smooth: false },
  { name: "softplusBackward", forward: softplus, backward: (x, _y, dy) => softplusBackward(x, dy), saves: "x", smooth: true },
  { name: "logSigmoidBackward", forward: logSigmoid, backward: (x, _y, dy) => logSigmoidBackward(x, dy), saves: "x", smooth: true },
];

/** x and dy of one shape, each with its own random layout (permuted, sliced or plain). */
function pairArb(dtype: DType, min = -6, max = 6): fc.Arbitrary<[Tensor, Tensor]> {
  return shapeArb({ minDims: 0, maxDims: 3, maxSize: 5 }).chain((shape) =>
    fc.tuple(tensorOfShapeArb(shape, { dtype, min, max }), tensorOfShapeArb(shape, { dtype, min: -2, max: 2 })),
  );
}

function naive(c: Case, x: Tensor, y: Tensor, dy: Tensor): Tensor {
  return activationBackwardNaive(c.name, c.saves === "x" ? x : y, dy, [-1, 1.5]);
}

describe("activation backward kernels: equal to the naive reference", () => {
  for (const c of CASES) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${c.name} (${dtype}, any layout)`, () => {
        fc.assert(
          fc.property(pairArb(dtype), ([x, dy]) => {
            const y = c.forward(x);
            const got = c.backward(x, y, dy);
            expect(got.shape).toEqual(x.shape);
            expect(got.dtype).toBe(dtype);
            // gelu shares one exponential between Φ and φ (the reference takes two, and its
            // Math.exp(-x²/2) carries x²'s rounding: ~1e-13 relative at |x| = 6), so it is
            // within float64 rounding; every other kernel is the reference's formula, to the bit
            if (c.name === "geluBackward") expectClose(got, naive(c, x, y, dy), { rtol: dtype === "float64" ? 1e-12 : 1.2e-7, atol: 1e-300, label: c.name });
            else expect(Array.from(got.contiguousData())).toEqual(Array.from(naive(c, x, y, dy).contiguousData()));
          }),
          { seed: 71, numRuns: 60 },
        );
      });
    }
  }
});

describe("activation backward kernels: the derivative of the forward op", () => {
  for (const c of CASES.filter((k) => k.smooth)) {
    it(`${c.name}: dy = 1 gives the central difference of ${c.name.replace("Backward", "")} (float64)`, () => {
      const h = 1e-6;
      fc.assert(
        fc.property(fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 1, maxLength: 20 }), (values) => {
          const x = tensor(values, [values.length], { dtype: "float64" });
          const slope = c.backward(x, c.forward(x), tensor(values.map(() => 1), [values.length], { dtype: "float64" }));
          const up = c.forward(add(x, h)).contiguousData();
          const down = c.forward(add(x, -h)).contiguousData();
          const central = Array.from(up, (u, i) => (u - down[i]!) / (2 * h));
          expectClose(slope, central, { rtol: 1e-6, atol: 1e-8, label: `${c.name} vs central difference at ${values}` });
        }),
        { seed: 72, numRuns: 50 },
      );
    });
  }

  it("geluBackward agrees with the composition it replaced, Φ(x) + x φ(x) from erf and exp tensors", () => {
    const x = randn([4000], { generator: new Generator(5) });
    const dy = randn([4000], { generator: new Generator(6) });
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = x.toFlatArray().map((v) => (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI));
    const composite = mul(dy, add(cdf, tensor(Array.from(pdf), [4000])));
    expectClose(geluBackward(x, dy), composite, { rtol: 1e-6, atol: 1e-7 });
  });

  it("geluBackward is right in the tails and the small-|x| branch, and NaN for NaN", () => {
    const xs = [-40, -27, -10, -5, -0.66, -0.1, 0, 0.1, 0.66, 5, 10, 27, 40];
    const got = geluBackward(tensor(xs, [xs.length], { dtype: "float64" }), tensor(xs.map(() => 1), [xs.length], { dtype: "float64" }));
    const want = activationBackwardNaive("geluBackward", tensor(xs, [xs.length], { dtype: "float64" }), tensor(xs.map(() => 1), [xs.length], { dtype: "float64" }));
    expectClose(got, want, { rtol: 1e-12, atol: 1e-300 });
    expect(Number.isNaN(geluBackward(tensor([Number.NaN], [1]), tensor([1], [1])).item())).toBe(true);
  });
});

describe("activation backward kernels: threads and errors", () => {
  it("two threads give the same bits as one (gelu, relu; a transposed dy)", () => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
      const x = randn([400, 300], { generator: new Generator(8) });
      const dy = randn([300, 400], { generator: new Generator(9) }).transpose();
      for (const f of [() => geluBackward(x, dy), () => reluBackward(relu(x), dy)]) {
        setNumThreads(1);
        const one = f();
        setNumThreads(2);
        const jobs = poolStats().parallelJobs;
        const two = f();
        expect(poolStats().parallelJobs).toBeGreaterThan(jobs);
        expect(Array.from(two.contiguousData())).toEqual(Array.from(one.contiguousData()));
      }
    } finally {
      setNumThreads(before);
    }
  });

  it("names the op and both shapes when saved and dy differ", () => {
    expect(() => geluBackward(randn([2, 3]), randn([3, 2]))).toThrow(/geluBackward: saved and dy must have one shape, got \[2,3\] and \[3,2\]/);
  });
});
