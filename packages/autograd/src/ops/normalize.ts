/**
 * l2Normalize: unit vectors along an axis, as torch.nn.functional.normalize(p=2).
 *
 *   x is (..., d, ...) with d on `axis`; y has x's shape; norm is x's shape with d -> 1.
 *   y = x / n,  n = max(||x||, eps)
 *
 * Backward: the Jacobian of x / ||x|| is (I - y yᵀ) / ||x||: dy loses its component along
 * y (a unit vector cannot grow), then scales by 1/||x||. Where the norm is below eps the
 * denominator is the constant eps, so dx = dy / eps there.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const L2_NORMALIZE = defineOp({
  name: "l2Normalize",
  inputs: ["x"],
  forward: "y = x / max(||x||₂, eps)   along axis",
  backward: "dx = (dy - y Σ(dy * y)) / ||x||  where ||x|| > eps;  dx = dy / eps  elsewhere",
  saved: "y, the output, and the norms from the forward kernel",
});
export function l2Normalize(x: Input, axis = -1, eps = 1e-12): Variable {
  const xv = asVariable("l2Normalize", "x", x);
  const { out: y, norm } = T.l2NormalizeWithNorm(xv.value, axis, eps);
  return record(L2_NORMALIZE, y, [xv], (dy) => {
    const tangent = T.sub(dy, T.mul(y, T.sum(T.mul(dy, y), axis, true)));
    return [T.where(T.gt(norm, eps), T.div(tangent, T.maximum(norm, eps)), T.div(dy, eps))];
  });
}
