// The worker pool's chunked jobs: every unit runs exactly once whatever the split, and a
// kernel that throws is reported without hanging the pool, which keeps working afterwards.
// Its worker's code is bundled in memory, once per entry, by the helper the trainer shares.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { add, allocate, bundleWorker, getNumThreads, parallelFor, poolStats, setNumThreads, shutdownThreads, tensor, type KernelName } from "../../packages/tensor/src/index.js";

afterAll(async () => {
  await shutdownThreads();
});

function withTwoThreads(f: () => void): void {
  const before = getNumThreads();
  try {
    setNumThreads(2);
    f();
  } finally {
    setNumThreads(before);
  }
}

describe("pool: chunked jobs", () => {
  it("computes every unit once for awkward sizes (a unary copy, any unit count)", () => {
    withTwoThreads(() => {
      for (const n of [65_537, 100_003, 131_072, 262_147]) {
        const x = allocate("float32", n);
        for (let i = 0; i < n; i++) x[i] = i;
        const jobs = poolStats().parallelJobs;
        const y = add(tensor(x, [n]), 1);
        expect(poolStats().parallelJobs).toBe(jobs + 1);
        const d = y.data;
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) if (d[i] !== i + 1) bad = i;
        expect(bad, `element ${bad} of ${n}`).toBe(-1);
      }
    });
  });

  it("reports a kernel that throws, and keeps working afterwards", () => {
    withTwoThreads(() => {
      const buffers = [allocate("float32", 1 << 16, "shared")];
      expect(() => parallelFor("noSuchKernel" as KernelName, buffers, [], 1000, 1)).toThrow(/unknown kernel "noSuchKernel"/);
      const x = tensor(Array.from({ length: 1 << 17 }, (_, i) => i), [1 << 17]);
      expect(add(x, x).get(12345)).toBe(24690);
    });
  });
});

describe("bundleWorker: a Node worker's entry as one CommonJS script", () => {
  const entry = new URL("../../packages/tensor/src/pool/worker-entry.ts", import.meta.url);

  it("bundles an entry once per process, whether named by URL or by path", () => {
    const source = bundleWorker(entry);
    expect(source).toMatch(/require\("node:worker_threads"\)/); // CommonJS, for new Worker(source, { eval: true })
    expect(source).toContain("receiveMessageOnPort");
    expect(bundleWorker(fileURLToPath(entry))).toBe(source);
  });

  it("names the caller, the entry and esbuild's own error with its line", () => {
    const dir = mkdtempSync(join(tmpdir(), "duet-bundle-"));
    try {
      const bad = join(dir, "bad-worker.ts");
      writeFileSync(bad, "export const x = ;\n");
      expect(() => bundleWorker(bad, { op: "dataParallel" })).toThrow(/^dataParallel: esbuild could not bundle the worker .*bad-worker\.ts: .*bad-worker\.ts:1: /);
      expect(() => bundleWorker(join(dir, "missing.ts"))).toThrow(/^bundleWorker: esbuild could not bundle the worker .*missing\.ts: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
