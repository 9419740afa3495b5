/**
 * 2-D pooling over NCHW images, as torch.nn.functional.{avg_pool2d, max_pool2d,
 * adaptive_avg_pool2d}. Each (n, c) plane is pooled on its own.
 *
 *   x is (N,C,H,W)  ->  out is (N,C,OH,OW),  OH = floor((H + 2*padH - kh) / strideH) + 1
 *   window (p, q) covers rows p*strideH - padH .. + kh-1 and columns q*strideW - padW .. + kw-1
 *
 * avgPool2d:  out = sum of the window / (kh*kw). Padding counts as zeros in the divisor
 *             (count_include_pad = true, torch's default).
 * maxPool2d:  out = max of the window, padding never wins. Also returns `indices` (int32,
 *             same shape as out): the flat position h*W + w of the max inside its (n, c)
 *             plane, as torch's return_indices. Kept because the backward pass routes
 *             each dy to exactly that input: dx[n, c].flat[indices] += dy.
 *             A NaN in the window wins (it propagates, as in torch).
 * adaptiveAvgPool2d: output (oh, ow) chosen; window p covers rows
 *             floor(p*H/oh) .. ceil((p+1)*H/oh) - 1 (torch's start/end formula), columns alike.
 *
 * As in torch, padding may be at most half the kernel, so every window holds at least
 * one real element.
 */

import { allocate, isFloat } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { Tensor } from "../tensor.js";
import { toPair, window2d, type Size2, type Window2d } from "./conv.js";

export interface MaxPool2dResult {
  out: Tensor;
  /** int32, same shape as out: h*W + w of each max within its (n, c) plane */
  indices: Tensor;
}

function checkPool(op: string, x: Tensor, kernel: Size2, stride: Size2, padding: Size2, floatOnly: boolean): Window2d {
  if (x.ndim !== 4) throw new TensorError(op, `x must be 4-D (N,C,H,W), got shape ${fmtShape(x.shape)}`);
  if (floatOnly && !isFloat(x.dtype)) throw new TensorError(op, `x must be float32 or float64, got ${x.dtype}`);
  const win = window2d(op, x.shape, kernel, stride, padding);
  if (2 * win.padH > win.kernelH || 2 * win.padW > win.kernelW) {
    throw new TensorError(op, `padding [${win.padH},${win.padW}] must be at most half the kernel size [${win.kernelH},${win.kernelW}]`);
  }
  return win;
}

/** Average of each window, padding counted as zeros (count_include_pad = true). */
export function avgPool2d(x: Tensor, kernel: Size2, stride: Size2 = kernel, padding: Size2 = 0): Tensor {
  const { kernelH: kh, kernelW: kw, strideH, strideW, padH, padW, outH, outW } = checkPool("avgPool2d", x, kernel, stride, padding, true);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const xd = x.contiguousData();
  const out = allocate(x.dtype, N * C * outH * outW);
  const divisor = kh * kw;
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let p = 0; p < outH; p++) {
      const h0 = Math.max(p * strideH - padH, 0);
      const h1 = Math.min(p * strideH - padH + kh, H);
      for (let q = 0; q < outW; q++) {
        const w0 = Math.max(q * strideW - padW, 0);
        const w1 = Math.min(q * strideW - padW + kw, W);
        let sum = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) sum += xd[base + h * W + w]!;
        }
        out[k++] = sum / divisor;
      }
    }
  }
  return new Tensor(out, [N, C, outH, outW]);
}

/** Maximum of each window, with where it was (for the backward pass). */
export function maxPool2d(x: Tensor, kernel: Size2, stride: Size2 = kernel, padding: Size2 = 0): MaxPool2dResult {
  const { kernelH: kh, kernelW: kw, strideH, strideW, padH, padW, outH, outW } = checkPool("maxPool2d", x, kernel, stride, padding, false);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const xd = x.contiguousData();
  const out = allocate(x.dtype, N * C * outH * outW);
  const indices = allocate("int32", N * C * outH * outW);
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let p = 0; p < outH; p++) {
      const h0 = Math.max(p * strideH - padH, 0);
      const h1 = Math.min(p * strideH - padH + kh, H);
      for (let q = 0; q < outW; q++) {
        const w0 = Math.max(q * strideW - padW, 0);
        const w1 = Math.min(q * strideW - padW + kw, W);
        let best = -Infinity;
        let where = h0 * W + w0; // the first real element, should every value be -Infinity
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const v = xd[base + h * W + w]!;
            if (v > best || Number.isNaN(v)) {
              best = v;
              where = h * W + w;
            }
          }
        }
        out[k] = best;
        indices[k++] = where;
      }
    }
  }
  const shape = [N, C, outH, outW];
  return { out: new Tensor(out, shape), indices: new Tensor(indices, shape) };
}

/** Average pooling to a fixed output size; windows may differ in size and overlap. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor {
  if (x.ndim !== 4) throw new TensorError("adaptiveAvgPool2d", `x must be 4-D (N,C,H,W), got shape ${fmtShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new TensorError("adaptiveAvgPool2d", `x must be float32 or float64, got ${x.dtype}`);
  const [outH, outW] = toPair("adaptiveAvgPool2d", "output size", outputSize, 1);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (H === 0 || W === 0) {
    throw new TensorError("adaptiveAvgPool2d", `x must have non-empty H and W, got shape ${fmtShape(x.shape)}`);
  }
  const xd = x.contiguousData();
  const out = allocate(x.dtype, N * C * outH * outW);
  let k = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let p = 0; p < outH; p++) {
      const h0 = Math.floor((p * H) / outH);
      const h1 = Math.ceil(((p + 1) * H) / outH);
      for (let q = 0; q < outW; q++) {
        const w0 = Math.floor((q * W) / outW);
        const w1 = Math.ceil(((q + 1) * W) / outW);
        let sum = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) sum += xd[base + h * W + w]!;
        }
        out[k++] = sum / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return new Tensor(out, [N, C, outH, outW]);
}
