/**
 * layerNorm over the trailing dims, as torch.nn.functional.layer_norm.
 *
 *   x is (...B, ...S) with S = normalizedShape; weight and bias are S; y is x's shape.
 *   Each of the prod(B) rows of n = prod(S) elements is normalized on its own.
 *
 * The spec below is the one place the math is written, forward and backward; docs/ops.md
 * prints it, and the tensor kernels refer to it. Each pass is one fused kernel over rows:
 * T.layerNorm returns the per-row mean and rstd with y, and T.layerNormBackward takes them
 * back, so the backward pass needs no second reduction over x. Their references,
 * T.layerNormNaive and T.layerNormBackwardNaive (plain float64 loops, the backward through
 * the Jacobian), sit beside them and are what tests/tensor/layernorm*.test.ts compare against.
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
  forward: "y = xhat * weight + bias,  xhat = (x - mean) * rstd,  mean = Σ x / n,  rstd = 1/√(Σ (x - mean)² / n + eps),  Σ over each row's n normalized (trailing) elements",
  backward: "dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight, means over the row;  dweight = Σ_rows dy * xhat;  dbias = Σ_rows dy",
  saved: "x, weight, and the per-row mean and rstd from the forward kernel, so the backward pass recomputes xhat without a second reduction",
  notes: "The variance is biased (÷ n), as torch. weight and bias are optional: without weight, g = dy. Sums run in float64; dweight and dbias are rounded once, to each parameter's dtype.",
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
