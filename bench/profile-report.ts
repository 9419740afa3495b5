/**
 * The pure parts of `pnpm bench:profile` (bench/profile-step.ts), apart so tests can import
 * them: which category a profile frame's self time goes to, self times from V8's samples,
 * and the flops of a matrix product from its key.
 */

import type { Profiler } from "node:inspector";

/**
 * The category of a profile frame, from its function and source file. The first match wins,
 * so the specific kernels come before the packages that call them.
 */
const CATEGORIES: readonly [string, (fn: string, url: string) => boolean][] = [
  ["garbage collection", (fn) => fn === "(garbage collector)"],
  ["matmul (gemm, packing)", (_fn, url) => /ops\/(gemm|matmul)\.ts/.test(url)],
  ["softmax", (_fn, url) => /ops\/softmax|softmax-kernel/.test(url)],
  ["layerNorm", (_fn, url) => /layernorm/.test(url)],
  ["GELU and other activations", (_fn, url) => /activation|ops\/unary|unary-kernels|special\.ts|fastexp/.test(url)],
  ["add, mul and other binary ops", (_fn, url) => /binary/.test(url)],
  ["reductions (sum, mean, max)", (_fn, url) => /reduce/.test(url)],
  ["copies of strided views (contiguous, concat, gather)", (_fn, url) => /iterate\.ts|ops\/join|ops\/gather|tensor\/src\/tensor\.ts|ops\/tri|ops\/elementwise/.test(url)],
  ["conv (patch embedding)", (_fn, url) => /conv/.test(url)],
  ["optimizer and gradient clipping", (_fn, url) => /nn\/src\/optim|train\/step\.ts|clip-grad/.test(url)],
  ["allocation (zero-filled storage)", (fn, url) => /dtype\.ts/.test(url) || fn === "TypedArrayConstructor" || fn === "Float32Array"],
  ["autograd bookkeeping (graph, backward sweep, VJP glue)", (_fn, url) => /packages\/autograd\//.test(url)],
  ["nn layers (module glue)", (_fn, url) => /packages\/nn\//.test(url)],
  ["vlm model and loss glue", (_fn, url) => /packages\/vlm\//.test(url)],
  ["idle / program (outside JS)", (fn) => fn === "(idle)" || fn === "(program)"],
];

export function categoryOf(fn: string, url: string): string {
  for (const [name, test] of CATEGORIES) if (test(fn, url)) return name;
  return "other (V8 builtins, tensor glue)";
}

/** Self time per profile node, from the sample counts and time deltas. */
export function selfTimes(profile: Profiler.Profile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // the delta before sample i+1 is the time spent in sample i
    const ms = (deltas[i + 1] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + ms);
  }
  return self;
}

export const shortUrl = (url: string) => url.replace(/^.*\/(packages|bench)\//, "$1/").replace(/^file:\/\//, "");

/** 2·batch·M·K·N from a key "batch x (MxK @ KxN)" (ᵀ marks ignored). */
export function flopsOf(key: string): number {
  const m = /^(?:(\d+) x )?\((\d+)x(\d+)ᵀ? @ (\d+)x(\d+)ᵀ?\)$/.exec(key);
  if (!m) return NaN;
  const batch = Number(m[1] ?? 1);
  return 2 * batch * Number(m[2]) * Number(m[3]) * Number(m[5]);
}
