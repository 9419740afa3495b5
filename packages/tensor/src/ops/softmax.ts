/**
 * softmax and logSoftmax along any axis (torch.softmax / torch.log_softmax).
 *
 *   x is (..., n, ...) with n on `axis`; the output has x's shape.
 *
 * The row kernels (softmax-kernel.ts) work on contiguous rows along the last axis. Any
 * other axis is moved last by a permuted copy and moved back afterwards. Large inputs
 * split their rows over the worker pool.
 */

import { allocate, type DType } from "../dtype.js";
import { TensorError } from "../errors.js";
import { normalizeAxis } from "../shape.js";
import { Tensor } from "../tensor.js";
import { parallelFor, isShared } from "../pool/threads.js";
import { softmaxRowsNaive } from "./softmax-kernel.js";

/** Rows smaller than this many elements in total stay on one thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 15;

function rowwise(op: "softmax" | "logSoftmax", x: Tensor, axis: number): Tensor {
  if (x.dtype === "int32") throw new TensorError(op, `x must be float32 or float64, got int32`);
  if (x.ndim === 0) throw new TensorError(op, `x must have at least 1 dim, got a scalar`);
  const ax = normalizeAxis(op, axis, x.ndim);
  const last = x.ndim - 1;
  // move the axis last, so rows are contiguous
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  perm[ax] = last;
  perm[last] = ax;
  const moved = ax === last ? x : x.permute(perm);
  let input = moved.contiguous();
  if (input.offset !== 0 || input.data.length !== input.size) input = input.clone();
  const n = input.shape[last]!;
  const rows = n === 0 ? 0 : input.size / n;
  const out = allocate(input.dtype as DType, input.size);
  let data = input.data as Float32Array | Float64Array;
  if (!isShared(data) && input.size >= PARALLEL_MIN_ELEMENTS) data = toShared(data);
  parallelFor(op, [data, out], [n], rows, Math.ceil(PARALLEL_MIN_ELEMENTS / Math.max(1, n)));
  const result = new Tensor(out, input.shape);
  return ax === last ? result : result.permute(perm).contiguous();
}

function toShared<T extends Float32Array | Float64Array>(data: T): T {
  const copy = allocate(data instanceof Float32Array ? "float32" : "float64", data.length) as T;
  copy.set(data);
  return copy;
}

/** y = exp(x - max) / sum(exp(x - max)) along `axis` (default: last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return rowwise("softmax", x, axis);
}

/** log(softmax(x)) = x - max - log(sum(exp(x - max))), computed without forming softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return rowwise("logSoftmax", x, axis);
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
