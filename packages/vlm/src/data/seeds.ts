/**
 * Deterministic randomness for data: every random choice (the order of an epoch, a caption
 * template, a crop) draws from a Generator seeded by a hash of *where* it happens — the run's
 * seed, the epoch, the sample's position in the epoch — never from a stream shared across
 * samples. So the result cannot depend on timing, on prefetch depth, on the batch size a run
 * is resumed with, or on which samples were loaded first.
 */

import { Generator } from "@duet/tensor";

/** A 32-bit seed mixed from integers (murmur3's finaliser after each one). */
export function deriveSeed(...parts: readonly number[]): number {
  let h = 0x6a09e667;
  for (const part of parts) {
    // Fold in the low and high 32 bits, so positions past 2^32 still differ.
    h = mix32(h ^ mix32(part >>> 0));
    h = mix32(h ^ mix32(Math.floor(part / 2 ** 32) >>> 0));
  }
  return h >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Tags that keep the streams of different uses apart, for the same seed and epoch. */
export const STREAM = { order: 1, sample: 2 } as const;

/** A fresh Generator for the named place. */
export function generatorAt(...parts: readonly number[]): Generator {
  return new Generator(deriveSeed(...parts));
}

/** 0 .. n-1 in a uniformly random order (Fisher–Yates, drawing from `generator`). */
export function permutation(n: number, generator: Generator): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.nextInt(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
