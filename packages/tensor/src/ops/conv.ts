/**
 * conv2d: 2-D cross-correlation over NCHW images, as torch.nn.functional.conv2d
 * (no groups, no dilation).
 *
 *   x is (N,C,H,W), weight is (O,C,kh,kw), bias is (O)  ->  out is (N,O,OH,OW)
 *   OH = floor((H + 2*padH - kh) / strideH) + 1,  OW likewise
 *   out[n,o,p,q] = bias[o] + sum_{c,i,j} weight[o,c,i,j] * x[n, c, p*strideH - padH + i, q*strideW - padW + j]
 *   (x reads outside [0,H)x[0,W) are the zero padding)
 *
 * Two kernels compute it:
 * - `conv2dNaive`: the definition above as seven nested loops. The oracle for tests.
 * - `conv2d`: im2col then one matrix product. Every receptive field is unrolled into a
 *   column, cols is (N, C*kh*kw, OH*OW), and out[n] = weight.reshape(O, C*kh*kw) @ cols[n].
 *   The work moves into `matmul`, which is where the fast tiled kernel lives.
 *
 * The backward pass reuses the same pieces (dy is (N,O,OH,OW), viewed as (N,O,OH*OW)):
 *   dweight = sum_n dy[n] @ cols[n]^T            (needs cols, or x to rebuild them)
 *   dx      = col2im(weight2d^T @ dy)            (col2im sums each column back onto the image)
 *   dbias   = sum over n, p, q of dy
 * so `im2col` and `col2im` are exported for autograd.
 */

import { allocate, isFloat } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { Tensor } from "../tensor.js";
import { matmul } from "./matmul.js";

/** A size given once for both spatial dims, or as [h, w]. */
export type Size2 = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
}

/** Where a sliding window goes over an (H, W) image, and the output size it gives. */
export interface Window2d {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/** Reads a number or an [h, w] pair of integers, each at least `min`. */
export function toPair(op: string, name: string, value: Size2, min: number): [number, number] {
  const pair: [number, number] | null =
    typeof value === "number" ? [value, value] : Array.isArray(value) && value.length === 2 ? [value[0], value[1]] : null;
  if (pair === null || !pair.every((v) => Number.isInteger(v) && v >= min)) {
    const kind = min > 0 ? "positive" : "non-negative";
    const got = Array.isArray(value) ? `[${value.join(",")}]` : String(value);
    throw new TensorError(op, `${name} must be a ${kind} integer or a pair of them, got ${got}`);
  }
  return pair;
}

/**
 * Checks a window against an image of shape `xShape` (..., H, W) and returns its
 * geometry. The kernel must fit inside the padded image.
 */
export function window2d(op: string, xShape: readonly number[], kernel: Size2, stride: Size2, padding: Size2): Window2d {
  const [kernelH, kernelW] = toPair(op, "kernel size", kernel, 1);
  const [strideH, strideW] = toPair(op, "stride", stride, 1);
  const [padH, padW] = toPair(op, "padding", padding, 0);
  const H = xShape[xShape.length - 2]!;
  const W = xShape[xShape.length - 1]!;
  if (kernelH > H + 2 * padH || kernelW > W + 2 * padW) {
    throw new TensorError(
      op,
      `kernel ${kernelH}x${kernelW} is larger than the padded input ${H + 2 * padH}x${W + 2 * padW} (x is ${fmtShape(xShape)}, padding [${padH},${padW}])`,
    );
  }
  const outH = Math.floor((H + 2 * padH - kernelH) / strideH) + 1;
  const outW = Math.floor((W + 2 * padW - kernelW) / strideW) + 1;
  return { kernelH, kernelW, strideH, strideW, padH, padW, outH, outW };
}

interface ConvPlan {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  win: Window2d;
}

function checkConv(op: string, x: Tensor, weight: Tensor, bias: Tensor | undefined, options: Conv2dOptions): ConvPlan {
  if (x.ndim !== 4) throw new TensorError(op, `x must be 4-D (N,C,H,W), got shape ${fmtShape(x.shape)}`);
  if (weight.ndim !== 4) throw new TensorError(op, `weight must be 4-D (O,C,kh,kw), got shape ${fmtShape(weight.shape)}`);
  if (!isFloat(x.dtype)) throw new TensorError(op, `x must be float32 or float64, got ${x.dtype}`);
  if (weight.dtype !== x.dtype) throw new TensorError(op, `dtypes differ: x is ${x.dtype}, weight is ${weight.dtype}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cw, kh, kw] = weight.shape as [number, number, number, number];
  if (C !== Cw) {
    throw new TensorError(op, `channels differ: x has ${C} (shape ${fmtShape(x.shape)}), weight expects ${Cw} (shape ${fmtShape(weight.shape)})`);
  }
  if (bias !== undefined) {
    if (bias.ndim !== 1 || bias.shape[0] !== O) {
      throw new TensorError(op, `bias must have shape [${O}] (one per output channel of weight ${fmtShape(weight.shape)}), got ${fmtShape(bias.shape)}`);
    }
    if (bias.dtype !== x.dtype) throw new TensorError(op, `dtypes differ: x is ${x.dtype}, bias is ${bias.dtype}`);
  }
  const win = window2d(op, x.shape, [kh, kw], options.stride ?? 1, options.padding ?? 0);
  return { N, C, H, W, O, win };
}

/** The reference kernel: out[n,o,p,q] summed straight from the definition. */
export function conv2dNaive(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  const { N, C, H, W, O, win } = checkConv("conv2dNaive", x, weight, bias, options);
  const { kernelH: kh, kernelW: kw, strideH, strideW, padH, padW, outH, outW } = win;
  const xd = x.contiguousData();
  const wd = weight.contiguousData();
  const bd = bias?.contiguousData();
  const out = allocate(x.dtype, N * O * outH * outW);
  let k = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let p = 0; p < outH; p++) {
        for (let q = 0; q < outW; q++) {
          let acc = bd ? bd[o]! : 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < kh; i++) {
              const ih = p * strideH - padH + i;
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < kw; j++) {
                const iw = q * strideW - padW + j;
                if (iw < 0 || iw >= W) continue;
                acc += xd[((n * C + c) * H + ih) * W + iw]! * wd[((o * C + c) * kh + i) * kw + j]!;
              }
            }
          }
          out[k++] = acc;
        }
      }
    }
  }
  return new Tensor(out, [N, O, outH, outW]);
}

/** The fast kernel: im2col, then out[n] = weight2d @ cols[n] in one batched matmul. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  const { N, C, O, win } = checkConv("conv2d", x, weight, bias, options);
  const { kernelH: kh, kernelW: kw, outH, outW } = win;
  const cols = im2col(x, [kh, kw], options); // (N, C*kh*kw, OH*OW)
  const weight2d = weight.reshape([O, C * kh * kw]); // (O, C*kh*kw)
  let out = matmul(weight2d, cols); // (N, O, OH*OW): a fresh tensor we own, so bias is added in place
  if (bias !== undefined) {
    if (!out.isCompact()) out = out.clone();
    const bd = bias.contiguousData();
    const od = out.data;
    const plane = outH * outW;
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) {
        const b = bd[o]!;
        const start = (n * O + o) * plane;
        for (let k = start; k < start + plane; k++) od[k]! += b;
      }
    }
  }
  return out.reshape([N, O, outH, outW]);
}

/**
 * The output columns q in [start, end) for which iw = q*stride - pad + j lands inside
 * [0, size): the rest read zero padding and are skipped.
 */
function validRange(j: number, stride: number, pad: number, size: number, outSize: number): [number, number] {
  const start = Math.max(0, Math.ceil((pad - j) / stride));
  const end = Math.min(outSize, Math.floor((size - 1 + pad - j) / stride) + 1);
  return [start, Math.max(start, end)];
}

/**
 * im2col: unrolls every receptive field of x into a column.
 *
 *   x is (N,C,H,W)  ->  cols is (N, C*kh*kw, OH*OW)
 *   cols[n, (c*kh + i)*kw + j, p*OW + q] = x[n, c, p*strideH - padH + i, q*strideW - padW + j]  (0 in the padding)
 *
 * The row order (c, i, j) matches weight.reshape(O, C*kh*kw), so conv2d is one matmul.
 */
export function im2col(x: Tensor, kernel: Size2, options: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4) throw new TensorError("im2col", `x must be 4-D (N,C,H,W), got shape ${fmtShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const win = window2d("im2col", x.shape, kernel, options.stride ?? 1, options.padding ?? 0);
  const { kernelH: kh, kernelW: kw, strideH, strideW, padH, padW, outH, outW } = win;
  const xd = x.contiguousData();
  const L = outH * outW;
  const rows = C * kh * kw;
  const cols = allocate(x.dtype, N * rows * L); // zero-filled: padding positions are never written
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let i = 0; i < kh; i++) {
        const [p0, p1] = validRange(i, strideH, padH, H, outH);
        for (let j = 0; j < kw; j++) {
          const [q0, q1] = validRange(j, strideW, padW, W, outW);
          const rowBase = (n * rows + (c * kh + i) * kw + j) * L;
          for (let p = p0; p < p1; p++) {
            const src = plane + (p * strideH - padH + i) * W - padW + j;
            const dst = rowBase + p * outW;
            for (let q = q0; q < q1; q++) cols[dst + q] = xd[src + q * strideW]!;
          }
        }
      }
    }
  }
  return new Tensor(cols, [N, rows, L]);
}

/**
 * col2im: the adjoint of im2col. Each column entry is added back onto the image
 * position it was read from; overlapping windows sum, padding entries are dropped.
 *
 *   cols is (N, C*kh*kw, OH*OW), inputShape is [N,C,H,W]  ->  (N,C,H,W)
 *
 * With cols = weight2d^T @ dy this is conv2d's input gradient.
 */
export function col2im(cols: Tensor, inputShape: readonly number[], kernel: Size2, options: Conv2dOptions = {}): Tensor {
  if (inputShape.length !== 4 || !inputShape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TensorError("col2im", `inputShape must be 4 non-negative integers [N,C,H,W], got ${fmtShape(inputShape)}`);
  }
  if (!isFloat(cols.dtype)) throw new TensorError("col2im", `cols must be float32 or float64, got ${cols.dtype}`);
  const [N, C, H, W] = inputShape as [number, number, number, number];
  const win = window2d("col2im", inputShape, kernel, options.stride ?? 1, options.padding ?? 0);
  const { kernelH: kh, kernelW: kw, strideH, strideW, padH, padW, outH, outW } = win;
  const L = outH * outW;
  const rows = C * kh * kw;
  const expected = [N, rows, L];
  if (cols.ndim !== 3 || cols.shape.some((d, k) => d !== expected[k])) {
    throw new TensorError("col2im", `cols must have shape ${fmtShape(expected)} for input ${fmtShape(inputShape)} and kernel ${kh}x${kw}, got ${fmtShape(cols.shape)}`);
  }
  const cd = cols.contiguousData();
  const out = allocate(cols.dtype, N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let i = 0; i < kh; i++) {
        const [p0, p1] = validRange(i, strideH, padH, H, outH);
        for (let j = 0; j < kw; j++) {
          const [q0, q1] = validRange(j, strideW, padW, W, outW);
          const rowBase = (n * rows + (c * kh + i) * kw + j) * L;
          for (let p = p0; p < p1; p++) {
            const dst = plane + (p * strideH - padH + i) * W - padW + j;
            const src = rowBase + p * outW;
            for (let q = q0; q < q1; q++) out[dst + q * strideW]! += cd[src + q]!;
          }
        }
      }
    }
  }
  return new Tensor(out, [N, C, H, W]);
}
