/**
 * The fast reduction kernels behind reduce.ts (internal: not exported from the package).
 *
 * Each reduces a row-major block x[o, r, i] (outer × reduced × inner, starting at `start`)
 * over r into a float64 accumulator acc[o, i] = acc[o*inner + i]. Two loops each:
 *   inner = 1: one contiguous run per output, reduced into a local variable;
 *   inner > 1: whole rows x[o, r, :] folded into acc[o, :] for r = 0, 1, ..., a tight
 *              unit-stride loop over i (the layout of reducing a leading or middle axis).
 * Both visit r in increasing order, as the naive reference does.
 */

import type { TypedArray } from "../dtype.js";

export interface Block {
  data: TypedArray;
  start: number;
  outer: number;
  reduced: number;
  inner: number;
}

/** acc[o,i] = Σ_r x[o,r,i] (acc must start at 0) */
export function sumBlock({ data, start, outer, reduced, inner }: Block, acc: Float64Array): void {
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let total = 0;
      for (let r = 0; r < reduced; r++) total += data[s + r]!;
      acc[o] = total;
      continue;
    }
    const base = o * inner;
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) acc[base + i] += data[row + i]!;
    }
  }
}

/**
 * The columns [colStart, colEnd) of sumBlock's inner > 1 loop for a block with outer = 1
 * (a sum over leading axes, as a bias gradient): acc[i] = Σ_r x[r,i], r in order, so a
 * range of columns can go to each thread and the sums are exactly sumBlock's.
 */
export function sumColumns(data: TypedArray, start: number, reduced: number, inner: number, acc: Float64Array, colStart: number, colEnd: number): void {
  for (let r = 0, row = start; r < reduced; r++, row += inner) {
    for (let i = colStart; i < colEnd; i++) acc[i] += data[row + i]!;
  }
}

/** acc[o,i] = Π_r x[o,r,i] */
export function prodBlock({ data, start, outer, reduced, inner }: Block, acc: Float64Array): void {
  acc.fill(1);
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let product = 1;
      for (let r = 0; r < reduced; r++) product *= data[s + r]!;
      acc[o] = product;
      continue;
    }
    const base = o * inner;
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) acc[base + i] *= data[row + i]!;
    }
  }
}

/**
 * best[o,i] = max_r x[o,r,i] and at[o,i] = the r it came from. A later value replaces the
 * best only if strictly greater, so ties keep the first index; the first NaN wins and is
 * never replaced (v > NaN is false). Needs reduced >= 1.
 */
export function argmaxBlock({ data, start, outer, reduced, inner }: Block, best: Float64Array, at: Int32Array): void {
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let m = data[s]!;
      let k = 0;
      for (let r = 1; r < reduced; r++) {
        const v = data[s + r]!;
        if (v > m || (v !== v && m === m)) {
          m = v;
          k = r;
        }
      }
      best[o] = m;
      at[o] = k;
      continue;
    }
    const base = o * inner;
    for (let i = 0; i < inner; i++) best[base + i] = data[s + i]!; // at[] starts at 0
    for (let r = 1, row = s + inner; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) {
        const v = data[row + i]!;
        const m = best[base + i]!;
        if (v > m || (v !== v && m === m)) {
          best[base + i] = v;
          at[base + i] = r;
        }
      }
    }
  }
}

/** As argmaxBlock, for the minimum. */
export function argminBlock({ data, start, outer, reduced, inner }: Block, best: Float64Array, at: Int32Array): void {
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let m = data[s]!;
      let k = 0;
      for (let r = 1; r < reduced; r++) {
        const v = data[s + r]!;
        if (v < m || (v !== v && m === m)) {
          m = v;
          k = r;
        }
      }
      best[o] = m;
      at[o] = k;
      continue;
    }
    const base = o * inner;
    for (let i = 0; i < inner; i++) best[base + i] = data[s + i]!;
    for (let r = 1, row = s + inner; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) {
        const v = data[row + i]!;
        const m = best[base + i]!;
        if (v < m || (v !== v && m === m)) {
          best[base + i] = v;
          at[base + i] = r;
        }
      }
    }
  }
}

/**
 * acc[o,i] = m + ln Σ_r e^(x[o,r,i] - m), m = max_r x[o,r,i]. m is replaced by 0 when it is
 * ±Infinity: all -Infinity then gives 0 + ln 0 = -Infinity and a +Infinity gives +Infinity,
 * where x - m would have been NaN. A NaN in x makes the sum, and the result, NaN.
 */
export function logsumexpBlock({ data, start, outer, reduced, inner }: Block, acc: Float64Array): void {
  const shift = new Float64Array(inner);
  const total = new Float64Array(inner);
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let m = -Infinity;
      for (let r = 0; r < reduced; r++) if (data[s + r]! > m) m = data[s + r]!;
      if (!Number.isFinite(m)) m = 0;
      let t = 0;
      for (let r = 0; r < reduced; r++) t += Math.exp(data[s + r]! - m);
      acc[o] = m + Math.log(t);
      continue;
    }
    shift.fill(-Infinity);
    total.fill(0);
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) if (data[row + i]! > shift[i]!) shift[i] = data[row + i]!;
    }
    for (let i = 0; i < inner; i++) if (!Number.isFinite(shift[i]!)) shift[i] = 0;
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) total[i] += Math.exp(data[row + i]! - shift[i]!);
    }
    const base = o * inner;
    for (let i = 0; i < inner; i++) acc[base + i] = shift[i]! + Math.log(total[i]!);
  }
}

/**
 * acc[o,i] = Σ_r (x[o,r,i] - μ)² / max(0, reduced - correction), μ = Σ_r x[o,r,i] / reduced.
 * Two passes, so large means do not cancel the variance away.
 */
export function varianceBlock({ data, start, outer, reduced, inner }: Block, acc: Float64Array, correction: number): void {
  const divisor = Math.max(0, reduced - correction);
  const mu = new Float64Array(inner);
  for (let o = 0, s = start; o < outer; o++, s += reduced * inner) {
    if (inner === 1) {
      let total = 0;
      for (let r = 0; r < reduced; r++) total += data[s + r]!;
      const m = total / reduced;
      let squares = 0;
      for (let r = 0; r < reduced; r++) {
        const d = data[s + r]! - m;
        squares += d * d;
      }
      acc[o] = squares / divisor;
      continue;
    }
    const base = o * inner;
    mu.fill(0);
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) mu[i] += data[row + i]!;
    }
    for (let i = 0; i < inner; i++) mu[i] /= reduced;
    for (let r = 0, row = s; r < reduced; r++, row += inner) {
      for (let i = 0; i < inner; i++) {
        const d = data[row + i]! - mu[i]!;
        acc[base + i] += d * d;
      }
    }
    for (let i = 0; i < inner; i++) acc[base + i] /= divisor;
  }
}
