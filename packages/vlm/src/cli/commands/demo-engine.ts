/**
 * The engine tour, `duet demo --engine`. It exercises the
 * tensor engine end to end on seeded data and checks every fast kernel against its
 * naive reference, so a fresh clone proves in seconds that the engine works here.
 */

import { join } from "node:path";
import {
  Generator, add, getNumThreads, matmul, matmulNaive, mean, randn, shutdownThreads, softmax, softmaxNaive, sum, type Tensor,
} from "@duet/tensor";
import { writeFileAtomic } from "../../data/atomic.js";
import type { Io } from "../io.js";
import { claimOutDir } from "../out-dir.js";

function bestOf(reps: number, fn: () => void): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.contiguousData();
  const y = b.contiguousData();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

export async function runEngineDemo({ outDir, json }: { outDir: string; json: boolean }, io: Io): Promise<void> {
  const log = json ? () => undefined : (line: string) => io.out(line);
  // claimed before the tour, so a folder of something else (a demo's run) is refused up front
  claimOutDir("demo", "out", outDir, "engine");
  const g = new Generator(0);
  log(`Duet engine tour (seed 0, ${getNumThreads()} threads)`);

  // broadcasting and views: a [3,1] column plus a [4] row is a [3,4] grid, no copies
  const column = randn([3, 1], { generator: g });
  const row = randn([4], { generator: g });
  const grid = add(column, row);
  log(`  broadcast: [3,1] + [4] -> [${grid.shape}], mean ${mean(grid).item().toFixed(4)}`);
  const t = grid.transpose();
  log(`  transpose is a view: shape [${t.shape}], strides [${t.strides}], shares storage: ${t.data === grid.data}`);

  // matmul: tiled kernel on the worker pool vs the naive definition
  const size = 256;
  const a = randn([size, size], { generator: g });
  const b = randn([size, size], { generator: g });
  const fastMs = bestOf(5, () => void matmul(a, b));
  const naiveMs = bestOf(2, () => void matmulNaive(a, b));
  const matmulError = maxAbsDiff(matmul(a, b), matmulNaive(a, b));
  const gflops = (2 * size ** 3) / (fastMs * 1e6);
  log(`  matmul ${size}^3: ${fastMs.toFixed(2)} ms (${gflops.toFixed(2)} GFLOP/s), naive ${naiveMs.toFixed(2)} ms, ${(naiveMs / fastMs).toFixed(1)}x faster, max |diff| ${matmulError.toExponential(2)}`);

  // softmax: fast exp vs Math.exp
  const logits = randn([1024, 1024], { generator: g });
  const softMs = bestOf(5, () => void softmax(logits));
  const softNaiveMs = bestOf(2, () => void softmaxNaive(logits));
  const probs = softmax(logits);
  const exact = softmaxNaive(logits.to("float64"));
  let relError = 0;
  const p = probs.data;
  const e = exact.data;
  for (let i = 0; i < p.length; i++) relError = Math.max(relError, Math.abs(p[i]! - e[i]!) / e[i]!);
  const rowSum = sum(probs, -1).contiguousData();
  const worstRowSum = Math.max(...Array.from(rowSum, (s) => Math.abs(s - 1)));
  log(`  softmax 1024x1024: ${softMs.toFixed(2)} ms (${((softMs * 1e6) / 2 ** 20).toFixed(2)} ns/element), naive ${softNaiveMs.toFixed(2)} ms, max relative error ${relError.toExponential(2)}, worst |row sum - 1| ${worstRowSum.toExponential(2)}`);

  const metrics = {
    threads: getNumThreads(),
    matmul: { size, fast_ms: fastMs, naive_ms: naiveMs, gflops, max_abs_diff: matmulError },
    softmax: { shape: [1024, 1024], fast_ms: softMs, naive_ms: softNaiveMs, ns_per_element: (softMs * 1e6) / 2 ** 20, max_rel_error: relError },
  };
  const ok = matmulError < 1e-3 && relError <= 2e-7 && worstRowSum < 1e-4;
  const path = join(outDir, "metrics.json");
  writeFileAtomic(path, JSON.stringify(metrics, null, 2) + "\n");
  await shutdownThreads();
  if (json) io.out(JSON.stringify(metrics));
  else log(`  ${ok ? "all checks passed" : "CHECKS FAILED"}; wrote ${path}`);
  if (!ok) throw new Error("engine tour: a fast kernel disagreed with its reference (see above)");
}
