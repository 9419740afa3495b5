/**
 * LayerNorm's row kernels, forward and backward: x is (rows, n) row-major, weight and bias
 * are (n) or absent, mean and rstd are (rows). The math is written once, in the layerNorm
 * spec (packages/autograd/src/ops/layernorm.ts, printed in docs/ops.md); the comments here
 * name its terms and say how each kernel computes them.
 *
 * The fast kernels run on the worker pool. Rows (forward, dx) are independent, so ranges of
 * rows go to threads; the parameter gradients sum over rows, so they are split by columns
 * instead, each column summed over rows 0, 1, ... in order. Either way the result does not
 * depend on the thread count. Sums run in float64, and the variance is taken about the
 * mean (two passes), not as E[x²] - E[x]², which cancels badly when |mean| >> std.
 *
 * The naive kernels at the end are the references the tests compare against: one thread,
 * plain loops, every statistic recomputed from x in float64, and the backward pass as the
 * Jacobian applied element by element rather than the fused formula.
 */

import type { TypedArray } from "../dtype.js";

/** out, mean, rstd for rows [rowStart, rowEnd). */
export function layerNormRows(
  x: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  out: TypedArray, means: TypedArray, rstds: TypedArray,
  n: number, eps: number, rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const base = r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[base + i]!;
    const mean = sum / n;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const centered = x[base + i]! - mean;
      sumSq += centered * centered;
    }
    const rstd = 1 / Math.sqrt(sumSq / n + eps);
    for (let i = 0; i < n; i++) {
      let y = (x[base + i]! - mean) * rstd;
      if (weight) y *= weight[i]!;
      if (bias) y += bias[i]!;
      out[base + i] = y;
    }
    means[r] = mean;
    rstds[r] = rstd;
  }
}

/**
 * dx for rows [rowStart, rowEnd), the spec's fused formula in two sweeps per row (as llm.c's
 * layernorm_backward): the row means of g and g * xhat, then dx, rounded once.
 */
export function layerNormBackwardRows(
  x: TypedArray, weight: TypedArray | null, dy: TypedArray, means: TypedArray, rstds: TypedArray,
  dx: TypedArray, n: number, rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const base = r * n;
    const mu = means[r]!;
    const rstd = rstds[r]!;
    // pass 1: mean(g) and mean(g * xhat)
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < n; i++) {
      const xhat = (x[base + i]! - mu) * rstd;
      const d = dy[base + i]!;
      const g = weight ? d * weight[i]! : d;
      sumG += g;
      sumGX += g * xhat;
    }
    const meanG = sumG / n;
    const meanGX = sumGX / n;
    // pass 2: dx
    for (let i = 0; i < n; i++) {
      const xhat = (x[base + i]! - mu) * rstd;
      const g = weight ? dy[base + i]! * weight[i]! : dy[base + i]!;
      dx[base + i] = rstd * (g - meanG - xhat * meanGX);
    }
  }
}

/**
 * dweight and dbias for columns [colStart, colEnd), each summed over all rows in order,
 * into float64 accumulators that start at 0.
 */
export function layerNormParamGradColumns(
  x: TypedArray, dy: TypedArray, means: TypedArray, rstds: TypedArray,
  dweight: Float64Array, dbias: Float64Array, n: number, rows: number, colStart: number, colEnd: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const mu = means[r]!;
    const rstd = rstds[r]!;
    for (let i = colStart; i < colEnd; i++) {
      const xhat = (x[base + i]! - mu) * rstd;
      const d = dy[base + i]!;
      dweight[i]! += d * xhat;
      dbias[i]! += d;
    }
  }
}

/** A row's mean and rstd, from scratch in float64: the references share nothing with the fast kernels. */
function rowStatsNaive(x: ArrayLike<number>, base: number, n: number, eps: number): { mean: number; rstd: number } {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[base + i]!;
  const mean = sum / n;
  let sumSq = 0;
  for (let i = 0; i < n; i++) sumSq += (x[base + i]! - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(sumSq / n + eps) };
}

/** The reference forward pass: out, mean and rstd for all rows, rounded once to the outputs' dtype. */
export function layerNormRowsNaive(
  x: ArrayLike<number>, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
  out: TypedArray, means: TypedArray, rstds: TypedArray, n: number, rows: number, eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const { mean, rstd } = rowStatsNaive(x, r * n, n, eps);
    for (let i = 0; i < n; i++) {
      const xhat = (x[r * n + i]! - mean) * rstd;
      out[r * n + i] = xhat * (weight ? weight[i]! : 1) + (bias ? bias[i]! : 0);
    }
    means[r] = mean;
    rstds[r] = rstd;
  }
}

/**
 * The reference backward pass for all rows. dx applies the Jacobian of xhat,
 *   ∂xhat_j/∂x_i = rstd (δ_ij - 1/n - xhat_i xhat_j / n),
 * to g = dy * weight one element at a time (O(n²) per row): an independent derivation, so
 * it checks the spec's fused formula rather than repeating it. dweight and dbias accumulate
 * dy * xhat and dy row by row, into float64 accumulators that start at 0.
 */
export function layerNormBackwardRowsNaive(
  x: ArrayLike<number>, weight: ArrayLike<number> | null, dy: ArrayLike<number>,
  dx: TypedArray, dweight: Float64Array, dbias: Float64Array, n: number, rows: number, eps: number,
): void {
  const xhat = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const { mean, rstd } = rowStatsNaive(x, base, n, eps);
    for (let j = 0; j < n; j++) xhat[j] = (x[base + j]! - mean) * rstd;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const g = dy[base + j]! * (weight ? weight[j]! : 1);
        sum += g * rstd * ((i === j ? 1 : 0) - 1 / n - (xhat[i]! * xhat[j]!) / n);
      }
      dx[base + i] = sum;
    }
    for (let j = 0; j < n; j++) {
      dweight[j]! += dy[base + j]! * xhat[j]!;
      dbias[j]! += dy[base + j]!;
    }
  }
}
