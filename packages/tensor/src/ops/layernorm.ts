/**
 * layerNorm: normalise over the trailing dims, as torch.nn.functional.layer_norm.
 *
 *   x is (...B, ...S) where S = normalizedShape; weight and bias, if given, are S
 *   each of the prod(B) rows of n = prod(S) elements:
 *     mean = sum(x) / n
 *     var  = sum((x - mean)^2) / n            (biased, as torch)
 *     rstd = 1 / sqrt(var + eps)
 *     out  = (x - mean) * rstd * weight + bias
 *   out is x's shape; mean and rstd are B (x's shape without S), in x's dtype.
 *
 * mean and rstd are returned because the fused backward needs exactly these
 * (as llm.c's layernorm_forward caches them): with xhat = (x - mean) * rstd and
 * g = dy * weight,
 *   dx      = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dweight = sum over rows of dy * xhat,   dbias = sum over rows of dy
 *
 * Sums run in float64 whatever the dtype, and the variance is taken about the mean
 * (two passes), not as E[x^2] - E[x]^2, which cancels badly when |mean| >> std.
 */

import { allocate, isFloat } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { shapesEqual, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

export interface LayerNormResult {
  /** x's shape */
  out: Tensor;
  /** per-row mean, shape x.shape without the normalized dims */
  mean: Tensor;
  /** per-row 1 / sqrt(var + eps), same shape as mean */
  rstd: Tensor;
}

function checkAffine(name: string, t: Tensor | undefined, normalizedShape: readonly number[]): void {
  if (t === undefined) return;
  if (!isFloat(t.dtype)) throw new TensorError("layerNorm", `${name} must be float32 or float64, got ${t.dtype}`);
  if (!shapesEqual(t.shape, normalizedShape)) {
    throw new TensorError("layerNorm", `${name} must have the normalized shape ${fmtShape(normalizedShape)}, got ${fmtShape(t.shape)}`);
  }
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): LayerNormResult {
  if (!isFloat(x.dtype)) throw new TensorError("layerNorm", `x must be float32 or float64, got ${x.dtype}`);
  const S = [...normalizedShape];
  if (S.length === 0 || !S.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TensorError("layerNorm", `normalizedShape must be a non-empty list of non-negative integers, got ${fmtShape(S)}`);
  }
  const lead = x.ndim - S.length;
  if (lead < 0 || !shapesEqual(x.shape.slice(lead), S)) {
    throw new TensorError("layerNorm", `x's trailing dims must equal normalizedShape ${fmtShape(S)}, got x of shape ${fmtShape(x.shape)}`);
  }
  checkAffine("weight", weight, S);
  checkAffine("bias", bias, S);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new TensorError("layerNorm", `eps must be a finite non-negative number, got ${eps}`);

  const n = sizeOf(S);
  const rows = sizeOf(x.shape.slice(0, lead));
  const xd = x.contiguousData();
  const wd = weight?.contiguousData();
  const bd = bias?.contiguousData();
  const out = allocate(x.dtype, rows * n);
  const means = allocate(x.dtype, rows);
  const rstds = allocate(x.dtype, rows);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += xd[base + i]!;
    const mean = sum / n;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const centered = xd[base + i]! - mean;
      sumSq += centered * centered;
    }
    const rstd = 1 / Math.sqrt(sumSq / n + eps);
    for (let i = 0; i < n; i++) {
      let y = (xd[base + i]! - mean) * rstd;
      if (wd) y *= wd[i]!;
      if (bd) y += bd[i]!;
      out[base + i] = y;
    }
    means[r] = mean;
    rstds[r] = rstd;
  }
  const statShape = x.shape.slice(0, lead);
  return { out: new Tensor(out, x.shape), mean: new Tensor(means, statShape), rstd: new Tensor(rstds, statShape) };
}
