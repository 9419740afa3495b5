/**
 * A seeded PRNG that gives the same numbers on every machine.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna, 2018), 128 bits of state, period 2^128 - 1,
 * using only 32-bit integer arithmetic (Math.imul, shifts), so results do not depend on
 * the platform. The state is seeded from a 32-bit seed by SplitMix32, so nearby seeds give
 * unrelated streams.
 *
 * - `nextUint32()`  the raw 32-bit output
 * - `nextFloat()`   uniform in [0, 1) with 24 random bits: exactly representable in float32
 * - `nextDouble()`  uniform in [0, 1) with 53 random bits
 * - `nextNormal()`  standard normal by Box–Muller on two doubles (the pair's second value is
 *                   kept for the next call)
 */

import { TensorError } from "./errors.js";

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Resets the stream to the one `seed` names. */
  seed(seed: number): void {
    if (!Number.isInteger(seed)) throw new TensorError("Generator.seed", `seed must be an integer, got ${seed}`);
    let x = seed >>> 0;
    const splitmix32 = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix32();
    this.s1 = splitmix32();
    this.s2 = splitmix32();
    this.s3 = splitmix32();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    this.spareNormal = null;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return (this.nextUint32() >>> 8) * 2 ** -24;
  }

  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * 2 ** -53;
  }

  nextNormal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.nextDouble(); // (0, 1]: log never sees 0
    const u2 = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An integer uniform in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new TensorError("Generator.nextInt", `n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** The full state, to save with a checkpoint and restore with `setState`. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spareNormal ?? Number.NaN];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new TensorError("Generator.setState", `expected 5 numbers, got ${state.length}`);
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
    this.spareNormal = Number.isNaN(state[4]) ? null : state[4]!;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator that creation functions use when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator (as torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
