/**
 * layerNorm over the trailing dims, as torch.nn.functional.layer_norm.
 *
 *   x is (...B, ...S) with S = normalizedShape; weight and bias are S; y is x's shape.
 *   Each of the R = prod(B) rows of n = prod(S) elements:
 *     xhat = (x - mean) * rstd,  rstd = 1 / √(var + eps)   (biased variance)
 *     y    = xhat * weight + bias
 *
 * The backward pass is fused, one sweep per row (as llm.c's layernorm_backward), from the
 * mean and rstd the forward kernel returns. With g = dy * weight:
 *   dx      = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dweight = Σ over rows of dy * xhat
 *   dbias   = Σ over rows of dy
 * Sums run in float64.
 */

import * as T from "@duet/tensor";
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
  return record(LAYER_NORM, out, [xv, wv, bv], (dy, need) => layerNormBackward(dy, saved, need, bv?.value.dtype));
}

interface Saved {
  x: T.Tensor;
  weight: T.Tensor | undefined;
  mean: T.Tensor;
  rstd: T.Tensor;
  normalizedShape: number[];
}

function layerNormBackward(dy: T.Tensor, s: Saved, need: readonly boolean[], biasDtype: T.DType | undefined): (T.Tensor | null)[] {
  const rows = s.mean.size;
  const n = rows === 0 ? 0 : s.x.size / rows;
  const xd = s.x.contiguousData();
  const gd = dy.contiguousData();
  const wd = s.weight?.contiguousData();
  const md = s.mean.contiguousData();
  const rd = s.rstd.contiguousData();
  const dx = T.allocate(s.x.dtype, s.x.size);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const mu = md[r]!;
    const rstd = rd[r]!;
    // pass 1: mean(g) and mean(g * xhat); the affine gradients on the way
    let sumG = 0;
    let sumGX = 0;
    for (let i = 0; i < n; i++) {
      const xhat = (xd[base + i]! - mu) * rstd;
      const d = gd[base + i]!;
      const g = wd ? d * wd[i]! : d;
      sumG += g;
      sumGX += g * xhat;
      dw[i]! += d * xhat;
      db[i]! += d;
    }
    const meanG = sumG / n;
    const meanGX = sumGX / n;
    // pass 2: dx
    for (let i = 0; i < n; i++) {
      const xhat = (xd[base + i]! - mu) * rstd;
      const g = wd ? gd[base + i]! * wd[i]! : gd[base + i]!;
      dx[base + i] = rstd * (g - meanG - xhat * meanGX);
    }
  }
  return [
    need[0] ? new T.Tensor(dx, s.x.shape) : null,
    need[1] && s.weight ? T.tensor(dw, s.normalizedShape, { dtype: s.weight.dtype }) : null,
    need[2] && biasDtype ? T.tensor(db, s.normalizedShape, { dtype: biasDtype }) : null,
  ];
}
