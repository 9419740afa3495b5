/**
 * 2-D pooling over NCHW images, as torch.nn.functional.{avg_pool2d, max_pool2d,
 * adaptive_avg_pool2d}.
 *
 *   x is (N,C,H,W)  ->  y is (N,C,OH,OW); each (n, c) plane is pooled on its own.
 *
 * Backward passes reuse the tensor kernels: average pooling's gradient is col2im of dy
 * spread evenly over each window; max pooling's is a scatter-add of dy to the positions
 * the forward kernel recorded.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const AVG_POOL = defineOp({
  name: "avgPool2d",
  inputs: ["x"],
  forward: "y[n,c,p,q] = Σ over the kh×kw window at (p·sh - ph, q·sw - pw) of x / (kh·kw)   (padding counts as zeros)",
  backward: "dx = col2im(dy / (kh·kw) repeated over each window's kh·kw positions)   (overlaps sum, padding drops)",
  saved: "nothing but x's shape and the window",
});
export function avgPool2d(x: Input, kernel: T.Size2, stride: T.Size2 = kernel, padding: T.Size2 = 0): Variable {
  const xv = asVariable("avgPool2d", "x", x);
  const shape = xv.shape;
  return record(AVG_POOL, T.avgPool2d(xv.value, kernel, stride, padding), [xv], (dy) => {
    const [N, C, H, W] = shape as [number, number, number, number];
    const [kh, kw] = T.toPair("avgPool2d", "kernel size", kernel, 1);
    const planes = N * C;
    const L = dy.shape[2]! * dy.shape[3]!;
    // every plane is a one-channel image whose columns all hold dy / (kh*kw)
    const cols = T.div(dy.reshape([planes, 1, L]).expand([planes, kh * kw, L]), kh * kw);
    return [T.col2im(cols, [planes, 1, H, W], [kh, kw], { stride, padding }).reshape(shape)];
  });
}

const MAX_POOL = defineOp({
  name: "maxPool2d",
  inputs: ["x"],
  forward: "y[n,c,p,q] = max over the kh×kw window at (p·sh - ph, q·sw - pw) of x   (padding never wins)",
  backward: "dx[n,c].flat[indices[n,c,p,q]] += dy[n,c,p,q]",
  saved: "indices (int32, y's shape): where each maximum was, from the forward kernel",
  notes: "Ties inside a window go to the first maximum in row-major order (the forward kernel's argmax); overlapping windows that pick the same element add their gradients.",
});
export function maxPool2d(x: Input, kernel: T.Size2, stride: T.Size2 = kernel, padding: T.Size2 = 0): Variable {
  const xv = asVariable("maxPool2d", "x", x);
  const { out, indices } = T.maxPool2d(xv.value, kernel, stride, padding);
  const shape = xv.shape;
  return record(MAX_POOL, out, [xv], (dy) => {
    const [N, C, H, W] = shape as [number, number, number, number];
    const planes = N * C;
    const L = dy.shape[2]! * dy.shape[3]!;
    const zeros = T.zeros([planes, H * W], { dtype: dy.dtype });
    return [T.scatterAdd(zeros, 1, indices.reshape([planes, L]), dy.reshape([planes, L])).reshape(shape)];
  });
}

const ADAPTIVE_AVG_POOL = defineOp({
  name: "adaptiveAvgPool2d",
  inputs: ["x"],
  forward: "y[n,c,p,q] = mean of x over rows ⌊pH/OH⌋..⌈(p+1)H/OH⌉-1, columns ⌊qW/OW⌋..⌈(q+1)W/OW⌉-1",
  backward: "dx[n,c,h,w] += dy[n,c,p,q] / (window area), for every window (p, q) covering (h, w)",
  saved: "nothing but x's shape and the output size",
});
export function adaptiveAvgPool2d(x: Input, outputSize: T.Size2): Variable {
  const xv = asVariable("adaptiveAvgPool2d", "x", x);
  const shape = xv.shape;
  return record(ADAPTIVE_AVG_POOL, T.adaptiveAvgPool2d(xv.value, outputSize), [xv], (dy) => [adaptiveAvgPoolBackward(dy, shape)]);
}

/** The adaptive windows differ in size, so no col2im: each dy is spread over its own window. */
function adaptiveAvgPoolBackward(dy: T.Tensor, shape: readonly number[]): T.Tensor {
  const [N, C, H, W] = shape as [number, number, number, number];
  const [OH, OW] = [dy.shape[2]!, dy.shape[3]!];
  const g = dy.contiguousData();
  const dx = T.allocate(dy.dtype, N * C * H * W);
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let p = 0; p < OH; p++) {
      const h0 = Math.floor((p * H) / OH);
      const h1 = Math.ceil(((p + 1) * H) / OH);
      for (let q = 0; q < OW; q++) {
        const w0 = Math.floor((q * W) / OW);
        const w1 = Math.ceil(((q + 1) * W) / OW);
        const share = g[k++]! / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) dx[base + h * W + w]! += share;
        }
      }
    }
  }
  return new T.Tensor(dx, shape);
}
