/**
 * The pure-JS ceiling of this machine: how many GFLOP/s plain JavaScript reaches when nothing
 * but multiply-adds run, N independent chains held in registers:
 *
 *   a0 = a0 * m + c;  a1 = a1 * m + c;  ...  a(N-1) = a(N-1) * m + c;   repeated
 *
 * No loads, no stores, no bounds checks: what is left is the floating-point units and V8's
 * scalar code. Each chain waits on its own previous step, so a few chains leave the units
 * idle (latency-bound) and too many spill to the stack; the best N lies between, and its
 * rate is the ceiling `pnpm bench` sets every kernel against. A matmul kernel does loads
 * besides (a tile of A and B per step), so it cannot reach the ceiling; how near it gets is
 * the measure of the kernel, portable across hosts where raw GFLOP/s are not.
 */

/** One function per chain count, generated: N named locals make N registers; an array would not. */
function chainsFunction(chains: number): (steps: number, m: number, c: number) => number {
  const names = Array.from({ length: chains }, (_, i) => `a${i}`);
  const body = [
    `let ${names.map((n, i) => `${n} = ${1 + i / 16}`).join(", ")};`,
    "for (let i = 0; i < steps; i++) {",
    ...names.map((n) => `  ${n} = ${n} * m + c;`),
    "}",
    `return ${names.join(" + ")};`,
  ].join("\n");
  return new Function("steps", "m", "c", body) as (steps: number, m: number, c: number) => number;
}

export interface CeilingResult {
  /** The best rate over the chain counts tried, GFLOP/s (a multiply and an add are 2 flops). */
  gflops: number;
  /** The chain count that reached it. */
  chains: number;
  /** Each chain count's best rate. */
  byChains: Record<number, number>;
  /** The best single timing of the best chain count, ms, and the runs behind it. */
  minMs: number;
  medianMs: number;
  runs: number;
}

/** Times 6, 8, ..., 16 chains, `rounds` times each (interleaved), `steps` steps a call. */
export function measureCeiling(rounds: number, steps = 4_000_000): CeilingResult {
  const counts = [6, 8, 10, 12, 14, 16];
  const fns = counts.map(chainsFunction);
  const times: number[][] = counts.map(() => []);
  let sink = 0;
  for (const fn of fns) sink += fn(steps / 10, 0.999999, 1e-7); // warm-up: optimise every function first
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      sink += fn(steps, 0.999999, 1e-7);
      times[i]!.push(performance.now() - t0);
    });
  }
  if (!Number.isFinite(sink)) throw new Error("measureCeiling: the chains overflowed; the benchmark is broken");
  const byChains: Record<number, number> = {};
  counts.forEach((n, i) => (byChains[n] = (2 * n * steps) / (Math.min(...times[i]!) * 1e6)));
  let best = 0;
  counts.forEach((n, i) => {
    if (byChains[n]! > byChains[counts[best]!]!) best = i;
  });
  const bestTimes = [...times[best]!].sort((a, b) => a - b);
  return {
    gflops: byChains[counts[best]!]!,
    chains: counts[best]!,
    byChains,
    minMs: bestTimes[0]!,
    medianMs: bestTimes[bestTimes.length >> 1]!,
    runs: bestTimes.length,
  };
}
