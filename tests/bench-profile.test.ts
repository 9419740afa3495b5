/**
 * The pure parts of `pnpm bench` and `pnpm bench:profile`: the pure-JS ceiling's share column
 * in bench's table, the profile's categories, self times and matmul flops. Nothing here
 * asserts a timing: the ceiling test only checks that a measurement is a finite rate.
 */

import { describe, expect, it } from "vitest";
import { measureCeiling } from "../bench/ceiling.js";
import { categoryOf, flopsOf, selfTimes } from "../bench/profile-report.js";
import { ceilingOf, renderTable, type BenchRecord } from "../bench/report.js";

const record = (r: Partial<BenchRecord>): BenchRecord => ({ bench: "matmul", shape: "64x64x64", impl: "duet", threads: 1, runs: 1, min_ms: 1, median_ms: 1, ...r });

describe("bench: the pure-JS ceiling", () => {
  it("measures a finite positive rate with the chain count that reached it", () => {
    const c = measureCeiling(1, 20_000);
    expect(c.gflops).toBeGreaterThan(0);
    expect(Number.isFinite(c.gflops)).toBe(true);
    expect(c.byChains[c.chains]).toBe(c.gflops);
    expect(Math.max(...Object.values(c.byChains))).toBe(c.gflops);
  });

  it("the table gives each matmul row its share of the ceiling times its threads; softmax rows get none", () => {
    const records = [
      record({ bench: "ceiling", shape: "14 chains, first", impl: "js-ceiling", gflops: 10 }),
      record({ threads: 1, gflops: 5 }),
      record({ threads: 2, gflops: 5 }),
      record({ bench: "softmax", shape: "4x4", ns_per_element: 1 }),
      record({ bench: "ceiling", shape: "14 chains, last", impl: "js-ceiling", gflops: 12 }),
    ];
    expect(ceilingOf(records)).toBe(12);
    const rows = renderTable(records).split("\n");
    expect(rows[0]).toContain("| of ceiling |");
    expect(rows[3]).toContain("| 5.00 | 42% |"); // 5 / 12
    expect(rows[4]).toContain("| 5.00 | 21% |"); // 5 / (2 x 12)
    expect(rows[5]).toMatch(/\| softmax \| 4x4 \| duet 1T \| 1\.000 \| 1\.000 \|  \|  \| 1\.00 \|/);
    expect(ceilingOf(records.filter((r) => r.bench !== "ceiling"))).toBeNull();
  });
});

describe("bench:profile: categories, self times, flops", () => {
  it("puts each frame in its category, the specific kernels before their packages", () => {
    expect(categoryOf("gemmPacked", "file:///repo/packages/tensor/src/ops/gemm.ts")).toBe("matmul (gemm, packing)");
    expect(categoryOf("(garbage collector)", "")).toBe("garbage collection");
    expect(categoryOf("geluBackward", "file:///repo/packages/tensor/src/ops/activation-backward-kernels.ts")).toBe("GELU and other activations");
    expect(categoryOf("layerNormRows", "file:///repo/packages/tensor/src/ops/layernorm-kernel.ts")).toBe("layerNorm");
    expect(categoryOf("step", "file:///repo/packages/nn/src/optim/adamw.ts")).toBe("optimizer and gradient clipping");
    expect(categoryOf("runBackward", "file:///repo/packages/autograd/src/backward.ts")).toBe("autograd bookkeeping (graph, backward sweep, VJP glue)");
    expect(categoryOf("somethingElse", "node:internal/x")).toBe("other (V8 builtins, tensor glue)");
  });

  it("self time of a sample is the time delta that follows it", () => {
    const profile = { nodes: [], startTime: 0, endTime: 0, samples: [1, 2, 1, 3], timeDeltas: [0, 1000, 2000, 4000] };
    const self = selfTimes(profile);
    expect(self.get(1)).toBe(1 + 4); // ms: samples 0 and 2 are followed by 1000 and 4000 µs
    expect(self.get(2)).toBe(2);
    expect(self.get(3)).toBe(0); // the last sample has no delta after it
  });

  it("reads a product's flops from its key, batch and transposes included", () => {
    expect(flopsOf("(64x2944ᵀ @ 2944x256)")).toBe(2 * 64 * 2944 * 256);
    expect(flopsOf("128 x (23x64 @ 64x256ᵀ)")).toBe(2 * 128 * 23 * 64 * 256);
    expect(Number.isNaN(flopsOf("not a key"))).toBe(true);
  });
});
