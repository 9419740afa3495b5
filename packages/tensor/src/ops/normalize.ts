/**
 * l2Normalize: unit vectors along an axis, as torch.nn.functional.normalize(p=2).
 *
 *   x is (..., d, ...) with d at `axis`
 *   norm = ||x||_2 along axis, kept as a size-1 dim: (..., 1, ...)
 *   out  = x / max(norm, eps)                    (eps keeps all-zero vectors at zero, not NaN)
 *
 * `l2NormalizeWithNorm` also returns `norm` (the unclamped ||x||_2), which the backward
 * pass needs. With n = max(norm, eps) and y = out:
 *   dx = (dy - y * sum(dy * y)) / n     where norm > eps  (the radial part of dy is removed)
 *   dx = dy / eps                       where norm <= eps (the clamp is constant there)
 *
 * Squares are summed in float64 whatever the input dtype.
 */

import { allocate, isFloat } from "../dtype.js";
import { TensorError } from "../errors.js";
import { normalizeAxis, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

export interface L2NormalizeResult {
  out: Tensor;
  /** ||x||_2 along axis (before the eps clamp), x's shape with that dim set to 1 */
  norm: Tensor;
}

/** x / max(||x||_2, eps) along `axis`, and the norms. */
export function l2NormalizeWithNorm(x: Tensor, axis = -1, eps = 1e-12): L2NormalizeResult {
  if (!isFloat(x.dtype)) throw new TensorError("l2Normalize", `x must be float32 or float64, got ${x.dtype}`);
  if (!(eps >= 0)) throw new TensorError("l2Normalize", `eps must be a non-negative number, got ${eps}`);
  const a = normalizeAxis("l2Normalize", axis, x.ndim, "axis");
  // x viewed as (outer, d, inner) row-major: vector (o, i) is x[o, :, i]
  const outer = sizeOf(x.shape.slice(0, a));
  const d = x.shape[a]!;
  const inner = sizeOf(x.shape.slice(a + 1));
  const xd = x.contiguousData();
  const out = allocate(x.dtype, xd.length);
  const norms = allocate(x.dtype, outer * inner);
  const sumSq = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * d * inner;
    // sum the squares of `inner` vectors at once, walking memory in order
    sumSq.fill(0);
    for (let k = 0; k < d; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) sumSq[i]! += xd[row + i]! * xd[row + i]!;
    }
    for (let i = 0; i < inner; i++) {
      const norm = Math.sqrt(sumSq[i]!);
      norms[o * inner + i] = norm;
      sumSq[i] = Math.max(norm, eps); // reused as the denominator
    }
    for (let k = 0; k < d; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) out[row + i] = xd[row + i]! / sumSq[i]!;
    }
  }
  const normShape = [...x.shape];
  normShape[a] = 1;
  return { out: new Tensor(out, x.shape), norm: new Tensor(norms, normShape) };
}

/** x / max(||x||_2, eps) along `axis` (torch.nn.functional.normalize). */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  return l2NormalizeWithNorm(x, axis, eps).out;
}
