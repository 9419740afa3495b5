/**
 * LayerNorm's row kernels, forward and backward, as the worker pool runs them: x is
 * (rows, n) row-major, weight and bias are (n) or absent, mean and rstd are (rows).
 * Rows (forward, dx) are independent, so ranges of rows go to threads; the parameter
 * gradients sum over rows, so they are split by columns instead, each column summed over
 * rows 0, 1, ... in order. Either way the result does not depend on the thread count.
 * Sums run in float64. See layernorm.ts for the math.
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
 * dx for rows [rowStart, rowEnd), with xhat = (x - mean) * rstd and g = dy * weight:
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
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
 * The parameter gradients for columns [colStart, colEnd), summed over all rows in order:
 *   dweight[i] = Σ_r dy[r,i] * xhat[r,i],   dbias[i] = Σ_r dy[r,i]
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
