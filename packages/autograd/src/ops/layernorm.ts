/**
 * layerNorm over the trailing dims, as torch.nn.functional.layer_norm.
 *
 *   x is (...B, ...S) with S = normalizedShape; weight and bias are S; y is x's shape.
 *   Each of the R = prod(B) rows of n = prod(S) elements:
 *     xhat = (x - mean) * rstd,  rstd = 1 / √(var + eps)   (biased variance)
 *     y    = xhat * weight + bias
 *
 * The backward pass is fused, one sweep per row (as llm.c's layernorm_backward), from the
 * mean and rstd the forward kernel returns: T.layerNormBackward. With g = dy * weight:
 *   dx      = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dweight = Σ over rows of dy * xhat
 *   dbias   = Σ over rows of dy
 * Sums run in float64, and are rounded once, to each parameter's dtype.
 */

import * as T from "@duet/tensor";
import { castTo } from "../gradients.js";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const LAYER_NORM = defineOp({
  name: "layerNorm",
  inputs: ["x", "weight", "bias"],
  forward: "y = (x - mean) * rstd * weight + bias,  rstd = 1/√(var + eps), over the normalized (trailing) dims",
  backward: "dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight, xhat = (x - mean) * rstd;  dweight = Σ_rows dy * xhat;  dbias = Σ_rows dy",
  saved: "x, weight, and the per-row mean and rstd from the forward kernel, so the backward pass recomputes xhat without a second reduction",
});
export function layerNorm(x: Input, normalizedShape: readonly number[], weight?: Input, bias?: Input, eps = 1e-5): Variable {
  const xv = asVariable("layerNorm", "x", x);
  const wv = weight === undefined ? null : asVariable("layerNorm", "weight", weight);
  const bv = bias === undefined ? null : asVariable("layerNorm", "bias", bias);
  const { out, mean, rstd } = T.layerNorm(xv.value, normalizedShape, wv?.value, bv?.value, eps);
  const saved = { x: xv.value, weight: wv?.value, mean, rstd, normalizedShape: [...normalizedShape] };
  return record(LAYER_NORM, out, [xv, wv, bv], (dy, need) => {
    const grads = T.layerNormBackward(dy, saved.x, saved.mean, saved.rstd, saved.normalizedShape, saved.weight, { dx: need[0], params: need[1] || need[2] });
    return [
      grads.dx,
      need[1] && wv ? castTo(grads.dweight!, wv.dtype) : null,
      need[2] && bv ? castTo(grads.dbias!, bv.dtype) : null,
    ];
  });
}
