// Sums over leading axes (bias gradients, sums over a batch) split their columns over the
// worker pool: each column is still summed over rows in order, so the bits are the
// one-thread sum's, and the naive reference's to rounding.
import { afterAll, describe, expect, it } from "vitest";
import { getNumThreads, Generator, mean, poolStats, randn, reduceNaive, setNumThreads, shutdownThreads, sum, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose } from "../support/arbitraries.js";

afterAll(async () => {
  await shutdownThreads();
});

function sameBits(x: Tensor, y: Tensor): boolean {
  const a = x.contiguousData();
  const b = y.contiguousData();
  return x.dtype === y.dtype && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe("sum over leading axes: threads", () => {
  it("two threads give the same bits as one, and the reference's values", () => {
    const before = getNumThreads();
    try {
      setNumThreads(2);
      const g = new Generator(31);
      const x = randn([64, 65, 96], { generator: g });
      const x64 = randn([300, 257], { generator: g, dtype: "float64" });
      const run = () => [sum(x, [0, 1]), sum(x, 0, true), mean(x, [0, 1]), sum(x64, 0)];
      setNumThreads(1);
      const one = run();
      setNumThreads(2);
      const jobs = poolStats().parallelJobs;
      const two = run();
      expect(poolStats().parallelJobs).toBe(jobs + 4);
      two.forEach((t, k) => expect(sameBits(t, one[k]!), `result ${k}`).toBe(true));
      expectClose(two[0]!, reduceNaive("sum", x, [0, 1]), { rtol: 1e-6, atol: 1e-4 });
      expectClose(two[3]!, reduceNaive("sum", x64, 0), { rtol: 1e-12, atol: 1e-12 });
    } finally {
      setNumThreads(before);
    }
  });
});
