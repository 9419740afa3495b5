/**
 * conv2d: 2-D cross-correlation over NCHW images (no groups, no dilation), as
 * torch.nn.functional.conv2d.
 *
 *   x is (N,C,H,W), weight is (O,C,kh,kw), bias is (O)  ->  y is (N,O,OH,OW)
 *
 * The forward kernel is im2col then one matmul: cols = im2col(x) is (N, C*kh*kw, L) with
 * L = OH*OW, and y[n] = weight2d @ cols[n], weight2d = weight viewed as (O, C*kh*kw).
 * The backward pass is the same two pieces transposed, with dy viewed as (N, O, L):
 *   dx      = col2im(weight2dᵀ @ dy)         col2im adds each column back where im2col read it
 *   dweight = Σ_n dy[n] @ cols[n]ᵀ
 *   dbias   = Σ over n, p, q of dy
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const CONV2D = defineOp({
  name: "conv2d",
  inputs: ["x", "weight", "bias"],
  forward: "y[n,o,p,q] = bias[o] + Σ_{c,i,j} weight[o,c,i,j] x[n, c, p·sh - ph + i, q·sw - pw + j]   (as im2col + matmul)",
  backward: "dx = col2im(weight2dᵀ @ dy);  dweight = Σ_n dy[n] @ im2col(x)[n]ᵀ;  dbias = Σ_{n,p,q} dy",
  saved: "x and weight; the im2col columns are rebuilt from x in the backward pass rather than kept, since they are kh·kw times larger than x",
});
export function conv2d(x: Input, weight: Input, bias?: Input, options: T.Conv2dOptions = {}): Variable {
  const xv = asVariable("conv2d", "x", x);
  const wv = asVariable("conv2d", "weight", weight);
  const bv = bias === undefined ? null : asVariable("conv2d", "bias", bias);
  const X = xv.value;
  const Wt = wv.value;
  const y = T.conv2d(X, Wt, bv?.value, options);
  return record(CONV2D, y, [xv, wv, bv], (dy, need) => {
    const [N, O, OH, OW] = dy.shape as [number, number, number, number];
    const [, C, kh, kw] = Wt.shape as [number, number, number, number];
    const dy3 = dy.reshape([N, O, OH * OW]);
    const weight2d = Wt.reshape([O, C * kh * kw]);
    const dx = need[0] ? T.col2im(T.matmul(weight2d.transpose(), dy3), X.shape, [kh, kw], options) : null;
    let dw: T.Tensor | null = null;
    if (need[1]) {
      const cols = T.im2col(X, [kh, kw], options); // (N, C*kh*kw, L)
      dw = T.sum(T.matmul(dy3, cols.transpose(-1, -2)), 0).reshape(Wt.shape);
    }
    const db = need[2] ? T.sum(dy, [0, 2, 3]) : null;
    return [dx, dw, db];
  });
}
