/**
 * Softmax and log-softmax over contiguous rows, forward and backward: the kernels behind
 * `softmax`, `logSoftmax` and their backward passes, run by the worker pool on ranges of rows.
 *
 *   y_i = exp(x_i - m) / sum_j exp(x_j - m),      m = max_j x_j
 *   log y_i = x_i - m - log(sum_j exp(x_j - m))
 *
 * Subtracting the row max makes every exponent <= 0: no overflow, and the largest term
 * is exactly 1, so the sum is >= 1 and its log is safe. Three passes over each row:
 * 1. the max, with two running maxima (one chain of compares is latency-bound);
 * 2. the exponentials, into a float64 scratch row, and their sum;
 * 3. scale by 1/sum, rounding to the output's dtype once.
 * float32 rows use the fast exp of fastexp.ts, inlined (a call per element costs more than
 * the exp). Keeping exponentials in float64 until the end means one float32 rounding, so
 * the result is within 2.7e-8 + 2.7e-8 + 6e-8 < 1.2e-7 of the exact softmax (relative).
 * float64 rows use Math.exp: gradient checks need float64's full precision.
 * A NaN anywhere in a row makes the row NaN; a row of -Infinity gives NaN (as torch).
 */

import { EXP2_TABLE, FAST_EXP } from "./fastexp.js";

const { ROUND, SCALE, STEP, MIN_X, K_MIN } = FAST_EXP;

let scratch = new Float64Array(256);

function scratchRow(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** The max of x[start, end), NaNs ignored (they surface through the exponentials). */
function rowMax(x: Float32Array | Float64Array, start: number, end: number): number {
  let m0 = -Infinity;
  let m1 = -Infinity;
  let i = start;
  for (; i + 2 <= end; i += 2) {
    const v0 = x[i]!;
    const v1 = x[i + 1]!;
    m0 = v0 > m0 ? v0 : m0;
    m1 = v1 > m1 ? v1 : m1;
  }
  if (i < end) {
    const v = x[i]!;
    m0 = v > m0 ? v : m0;
  }
  return m0 > m1 ? m0 : m1;
}

/** exp(x[start + j] - max) into scratch[j] for j < n; returns their sum. */
function expRow(x: Float32Array | Float64Array, start: number, n: number, max: number, fast: boolean, sc: Float64Array): number {
  let sum = 0;
  if (fast) {
    const table = EXP2_TABLE;
    for (let j = 0; j < n; j++) {
      let d = x[start + j]! - max;
      d = d < MIN_X ? MIN_X : d;
      const kf = d * SCALE + ROUND - ROUND;
      const r = d - kf * STEP;
      const e = table[(kf | 0) - K_MIN]! * (1 + r * (1 + r * 0.5));
      sc[j] = e;
      sum += e;
    }
  } else {
    for (let j = 0; j < n; j++) {
      const e = Math.exp(x[start + j]! - max);
      sc[j] = e;
      sum += e;
    }
  }
  return sum;
}

/** Softmax of rows [rowStart, rowEnd) of length n, x -> out (both row-major). */
export function softmaxRows(x: Float32Array | Float64Array, out: Float32Array | Float64Array, n: number, rowStart: number, rowEnd: number): void {
  const fast = out instanceof Float32Array;
  const sc = scratchRow(n);
  for (let row = rowStart; row < rowEnd; row++) {
    const start = row * n;
    const max = rowMax(x, start, start + n);
    const inv = 1 / expRow(x, start, n, max, fast, sc);
    for (let j = 0; j < n; j++) out[start + j] = sc[j]! * inv;
  }
}

/** log-softmax of rows [rowStart, rowEnd) of length n. */
export function logSoftmaxRows(x: Float32Array | Float64Array, out: Float32Array | Float64Array, n: number, rowStart: number, rowEnd: number): void {
  const fast = out instanceof Float32Array;
  const sc = scratchRow(n);
  for (let row = rowStart; row < rowEnd; row++) {
    const start = row * n;
    const max = rowMax(x, start, start + n);
    const shift = max + Math.log(expRow(x, start, n, max, fast, sc));
    for (let j = 0; j < n; j++) out[start + j] = x[start + j]! - shift;
  }
}

/**
 * The backward pass of softmax for rows [rowStart, rowEnd) of length n (all row-major):
 *   dx = y * (dy - Σ dy*y)
 * the Jacobian diag(y) - y yᵀ applied to dy. Two sweeps per row: the dot product (float64),
 * then dx, rounded once.
 */
export function softmaxBackwardRows(
  y: Float32Array | Float64Array, dy: Float32Array | Float64Array, dx: Float32Array | Float64Array,
  n: number, rowStart: number, rowEnd: number,
): void {
  for (let row = rowStart; row < rowEnd; row++) {
    const start = row * n;
    const end = start + n;
    let dot = 0;
    for (let i = start; i < end; i++) dot += dy[i]! * y[i]!;
    for (let i = start; i < end; i++) dx[i] = y[i]! * (dy[i]! - dot);
  }
}

/**
 * The backward pass of log-softmax for rows [rowStart, rowEnd):
 *   dx = dy - e^y * Σ dy
 * (e^y is the softmax; the Jacobian is I - 1 softmaxᵀ). Math.exp, as float64 needs.
 */
export function logSoftmaxBackwardRows(
  y: Float32Array | Float64Array, dy: Float32Array | Float64Array, dx: Float32Array | Float64Array,
  n: number, rowStart: number, rowEnd: number,
): void {
  for (let row = rowStart; row < rowEnd; row++) {
    const start = row * n;
    const end = start + n;
    let total = 0;
    for (let i = start; i < end; i++) total += dy[i]!;
    for (let i = start; i < end; i++) dx[i] = dy[i]! - Math.exp(y[i]!) * total;
  }
}

/** The reference: Math.exp, one row at a time, no tricks. Oracle for tests, baseline for benchmarks. */
export function softmaxRowsNaive(x: ArrayLike<number>, out: Float32Array | Float64Array, n: number, rows: number): void {
  for (let row = 0; row < rows; row++) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, x[row * n + i]!);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(x[row * n + i]! - max);
    for (let i = 0; i < n; i++) out[row * n + i] = Math.exp(x[row * n + i]! - max) / sum;
  }
}
