/**
 * softmax and logSoftmax along any axis (torch.softmax / torch.log_softmax), and their
 * backward passes, fused into one kernel each:
 *
 *   x is (..., n, ...) with n on `axis`; the output has x's shape.
 *   softmaxBackward(y, dy):     dx = y * (dy - Σ dy*y)    (y the softmax; Σ along axis)
 *   logSoftmaxBackward(y, dy):  dx = dy - e^y * Σ dy       (y the log-softmax)
 *
 * The row kernels (softmax-kernel.ts) work on contiguous rows along the last axis. Any
 * other axis is moved last by a permuted copy and moved back afterwards. Large inputs
 * split their rows over the worker pool; a row is always computed whole by one thread,
 * so the result does not depend on the thread count.
 */

import { allocate, type DType } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { normalizeAxis, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { parallelFor, isShared, sharedCopy, willSplit } from "../pool/threads.js";
import { softmaxRowsNaive } from "./softmax-kernel.js";

/** Rows smaller than this many elements in total stay on one thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 15;

/** The permutation that swaps `axis` and the last axis (its own inverse). */
function swapLast(ndim: number, axis: number): number[] {
  const perm = Array.from({ length: ndim }, (_, i) => i);
  perm[axis] = ndim - 1;
  perm[ndim - 1] = axis;
  return perm;
}

/** t with `axis` moved last, as compact row-major data (on shared memory when large). */
function rowsOf(t: Tensor, axis: number): Float32Array | Float64Array {
  const last = t.ndim - 1;
  let input = (axis === last ? t : t.permute(swapLast(t.ndim, axis))).contiguous();
  if (input.offset !== 0 || input.data.length !== input.size) input = input.clone();
  const data = input.data as Float32Array | Float64Array;
  return !isShared(data) && willSplit(input.size, 2 * PARALLEL_MIN_ELEMENTS) ? sharedCopy(data) : data;
}

/** Runs a row kernel over `inputs` (x's shape, `axis` moved last); the output has x's shape. */
function rowwise(op: "softmax" | "logSoftmax" | "softmaxBackward" | "logSoftmaxBackward", inputs: Tensor[], axis: number): Tensor {
  const x = inputs[0]!;
  const ax = normalizeAxis(op, axis, x.ndim);
  const last = x.ndim - 1;
  const n = x.shape[ax]!;
  const rows = n === 0 ? 0 : x.size / n;
  const out = allocate(x.dtype as DType, x.size);
  parallelFor(op, [...inputs.map((t) => rowsOf(t, ax)), out], [n], rows, Math.ceil(PARALLEL_MIN_ELEMENTS / Math.max(1, n)));
  const movedShape = ax === last ? x.shape : swapLast(x.ndim, ax).map((d) => x.shape[d]!);
  const result = new Tensor(out, movedShape);
  return ax === last ? result : result.permute(swapLast(x.ndim, ax)).contiguous();
}

function checkFloat(op: string, x: Tensor): void {
  if (x.dtype === "int32") throw new TensorError(op, `x must be float32 or float64, got int32`);
  if (x.ndim === 0) throw new TensorError(op, `x must have at least 1 dim, got a scalar`);
}

/** Checks the backward pass's operands: y and dy of one shape and float dtype. */
function checkBackward(op: string, y: Tensor, dy: Tensor): void {
  if (y.dtype === "int32" || dy.dtype !== y.dtype) throw new TensorError(op, `y and dy must be float32 or float64 of one dtype, got ${y.dtype} and ${dy.dtype}`);
  if (y.ndim === 0) throw new TensorError(op, `y must have at least 1 dim, got a scalar`);
  if (!shapesEqual(y.shape, dy.shape)) throw new TensorError(op, `y and dy must have one shape, got ${fmtShape(y.shape)} and ${fmtShape(dy.shape)}`);
}

/** y = exp(x - max) / sum(exp(x - max)) along `axis` (default: last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkFloat("softmax", x);
  return rowwise("softmax", [x], axis);
}

/** log(softmax(x)) = x - max - log(sum(exp(x - max))), computed without forming softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkFloat("logSoftmax", x);
  return rowwise("logSoftmax", [x], axis);
}

/** dx = y * (dy - Σ dy*y) along `axis`, for y = softmax(x, axis): the VJP of softmax in one kernel. */
export function softmaxBackward(y: Tensor, dy: Tensor, axis = -1): Tensor {
  checkBackward("softmaxBackward", y, dy);
  return rowwise("softmaxBackward", [y, dy], axis);
}

/** dx = dy - e^y * Σ dy along `axis`, for y = logSoftmax(x, axis). */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, axis = -1): Tensor {
  checkBackward("logSoftmaxBackward", y, dy);
  return rowwise("logSoftmaxBackward", [y, dy], axis);
}

/** The naive reference: Math.exp, per row, in float64, rounded to x's dtype. */
export function softmaxNaive(x: Tensor, axis = -1): Tensor {
  if (x.dtype === "int32") throw new TensorError("softmax", `x must be float32 or float64, got int32`);
  const ax = normalizeAxis("softmax", axis, x.ndim);
  const last = x.ndim - 1;
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  perm[ax] = last;
  perm[last] = ax;
  const input = (ax === last ? x : x.permute(perm)).clone();
  const n = input.shape[last]!;
  const out = allocate(input.dtype, input.size) as Float32Array | Float64Array;
  softmaxRowsNaive(input.data, out, n, n === 0 ? 0 : input.size / n);
  const result = new Tensor(out, input.shape);
  return ax === last ? result : result.permute(perm).contiguous();
}

/**
 * The reference for softmaxBackward: the Jacobian of softmax, J_ij = y_i (δ_ij - y_j),
 * applied to dy one element at a time (O(n²) per row), in float64.
 */
export function softmaxBackwardNaive(y: Tensor, dy: Tensor, axis = -1): Tensor {
  checkBackward("softmaxBackward", y, dy);
  const ax = normalizeAxis("softmaxBackward", axis, y.ndim);
  const perm = swapLast(y.ndim, ax);
  const ys = y.permute(perm).toFlatArray();
  const gs = dy.permute(perm).toFlatArray();
  const n = y.shape[ax]!;
  const out = allocate(y.dtype, y.size);
  for (let start = 0; start < out.length; start += n) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += ys[start + i]! * ((i === j ? 1 : 0) - ys[start + j]!) * gs[start + j]!;
      out[start + i] = sum;
    }
  }
  return new Tensor(out, perm.map((d) => y.shape[d]!)).permute(perm).contiguous();
}
