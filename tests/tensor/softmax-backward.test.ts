// softmaxBackward and logSoftmaxBackward: one kernel each, equal to the Jacobian applied to
// dy (the naive reference) and to the multi-pass compositions they replaced, along any axis
// and layout, and bit-identical on one thread or two.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  exp, getNumThreads, Generator, logSoftmax, logSoftmaxBackward, mul, poolStats, randn, setNumThreads, shutdownThreads, softmax,
  softmaxBackward, softmaxBackwardNaive, sub, sum, tensor, type Tensor,
} from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

/** x and dy of one shape (random layouts each) and an axis of it. */
const caseArb = shapeArb({ minDims: 1, maxDims: 4, maxSize: 6 }).chain((shape) =>
  fc.tuple(
    tensorOfShapeArb(shape, { dtype: "float64", min: -8, max: 8 }),
    tensorOfShapeArb(shape, { dtype: "float64", min: -2, max: 2 }),
    fc.integer({ min: -shape.length, max: shape.length - 1 }),
  ),
);

describe("softmaxBackward", () => {
  it("equals the softmax Jacobian applied to dy, y_i (δ_ij - y_j) dy_j (float64, any axis and layout)", () => {
    fc.assert(
      fc.property(caseArb, ([x, dy, axis]) => {
        const y = softmax(x, axis);
        expectClose(softmaxBackward(y, dy, axis), softmaxBackwardNaive(y, dy, axis), { rtol: 1e-12, atol: 1e-15 });
      }),
      { seed: 81, numRuns: 150 },
    );
  });

  it("equals the composition it replaced, y * (dy - sum(dy * y)), in float32", () => {
    fc.assert(
      fc.property(caseArb, ([x64, dy64, axis]) => {
        const [x, dy] = [x64.to("float32"), dy64.to("float32")];
        const y = softmax(x, axis);
        const composite = mul(y, sub(dy, sum(mul(dy, y), axis, true)));
        expectClose(softmaxBackward(y, dy, axis), composite, { rtol: 1e-5, atol: 1e-6 });
      }),
      { seed: 82, numRuns: 150 },
    );
  });

  it("gives rows that sum to zero (softmax's outputs always sum to 1)", () => {
    fc.assert(
      fc.property(caseArb, ([x, dy, axis]) => {
        const dx = softmaxBackward(softmax(x, axis), dy, axis);
        const sums = sum(dx, axis).contiguousData();
        for (const s of sums) expect(Math.abs(s)).toBeLessThan(1e-12);
      }),
      { seed: 83, numRuns: 100 },
    );
  });

  it("names the op and the shapes when y and dy differ", () => {
    expect(() => softmaxBackward(randn([2, 3]), randn([3, 2]))).toThrow(/softmaxBackward: y and dy must have one shape, got \[2,3\] and \[3,2\]/);
  });
});

describe("logSoftmaxBackward", () => {
  it("equals the composition it replaced, dy - exp(y) * sum(dy)", () => {
    fc.assert(
      fc.property(caseArb, ([x, dy, axis]) => {
        const y = logSoftmax(x, axis);
        const composite = sub(dy, mul(exp(y), sum(dy, axis, true)));
        expectClose(logSoftmaxBackward(y, dy, axis), composite, { rtol: 1e-12, atol: 1e-14 });
      }),
      { seed: 84, numRuns: 150 },
    );
  });
});

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe("softmax backward: threads", () => {
  it("large inputs split their rows over two threads with bit-identical results", () => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
      const g = new Generator(13);
      const x = randn([16, 4, 65, 65], { generator: g });
      const dy = randn([16, 4, 65, 65], { generator: g });
      const y = softmax(x);
      const ly = logSoftmax(x);
      setNumThreads(1);
      const one = [softmaxBackward(y, dy), logSoftmaxBackward(ly, dy), softmaxBackward(y, dy, 1)];
      setNumThreads(2);
      const jobs = poolStats().parallelJobs;
      const two = [softmaxBackward(y, dy), logSoftmaxBackward(ly, dy), softmaxBackward(y, dy, 1)];
      expect(poolStats().parallelJobs).toBeGreaterThanOrEqual(jobs + 3);
      two.forEach((t, k) => expect(sameBits(t, one[k]!)).toBe(true));
    } finally {
      setNumThreads(before);
    }
  });
});

describe("softmaxBackward: hand-checked", () => {
  it("y = [0.5, 0.5], dy = [1, 0] gives dx = y * (dy - 0.5) = [0.25, -0.25]", () => {
    const y = softmax(tensor([0, 0], [2], { dtype: "float64" }));
    const dy = tensor([1, 0], [2], { dtype: "float64" });
    expect(Array.from(softmaxBackward(y, dy).contiguousData())).toEqual([0.25, -0.25]);
    expect(Array.from(softmaxBackwardNaive(y, dy).contiguousData())).toEqual([0.25, -0.25]);
  });
});
