/**
 * Shape ops: the same elements seen differently. Forward passes are views (no copy when
 * the layout allows), and each backward pass maps dy back through the inverse view:
 * a reshape reshapes back, a permutation permutes back, a broadcast sums, a slice writes
 * dy into zeros of the original shape. Nothing is saved but shapes and view arguments.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { scatterIntoView, sumToShape } from "../gradients.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const RESHAPE = defineOp({ name: "reshape", inputs: ["x"], forward: "y = x viewed with the given shape (one dim may be -1)", backward: "dx = dy reshaped to x's shape", saved: "x's shape" });
export function reshape(x: Input, shape: readonly number[]): Variable {
  const xv = asVariable("reshape", "x", x);
  return record(RESHAPE, xv.value.reshape(shape), [xv], (dy) => [dy.reshape(xv.shape)]);
}

const PERMUTE = defineOp({ name: "permute", inputs: ["x"], forward: "y = x with axes reordered: y axis i is x axis dims[i]", backward: "dx = dy permuted by the inverse permutation", saved: "the permutation" });
export function permute(x: Input, dims: readonly number[]): Variable {
  const xv = asVariable("permute", "x", x);
  const y = xv.value.permute(dims); // validates dims
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => (inverse[T.normalizeAxis("permute", d, xv.ndim, "dim")] = i));
  return record(PERMUTE, y, [xv], (dy) => [dy.permute(inverse)]);
}

const TRANSPOSE = defineOp({ name: "transpose", inputs: ["x"], forward: "y = x with axes dim0 and dim1 swapped (default: the last two)", backward: "dx = dy with the same two axes swapped back", saved: "the two axes" });
export function transpose(x: Input, dim0 = -2, dim1 = -1): Variable {
  const xv = asVariable("transpose", "x", x);
  return record(TRANSPOSE, xv.value.transpose(dim0, dim1), [xv], (dy) => [dy.transpose(dim0, dim1)]);
}

const EXPAND = defineOp({
  name: "expand",
  inputs: ["x"],
  forward: "y = x broadcast to the given shape (stride 0 on repeated dims, no copy)",
  backward: "dx = dy summed over the broadcast dims, to x's shape",
  saved: "x's shape",
});
export function expand(x: Input, shape: readonly number[]): Variable {
  const xv = asVariable("expand", "x", x);
  return record(EXPAND, xv.value.expand(shape), [xv], (dy) => [sumToShape(dy, xv.shape)]);
}

const SLICE = defineOp({
  name: "slice",
  inputs: ["x"],
  forward: "y = x[start:end:step] along dim (Python slice rules)",
  backward: "dx = zeros(x.shape) with dx[start:end:step] = dy along dim",
  saved: "x's shape and the slice",
});
export function slice(x: Input, dim: number, start = 0, end?: number, step = 1): Variable {
  const xv = asVariable("slice", "x", x);
  return record(SLICE, xv.value.slice(dim, start, end, step), [xv], (dy) => [
    scatterIntoView(xv.shape, xv.dtype, dy, (base) => base.slice(dim, start, end, step)),
  ]);
}

const SELECT = defineOp({
  name: "select",
  inputs: ["x"],
  forward: "y = x[..., index, ...] at dim (the dim is dropped)",
  backward: "dx = zeros(x.shape) with dx[..., index, ...] = dy",
  saved: "x's shape, dim and index",
});
export function select(x: Input, dim: number, index: number): Variable {
  const xv = asVariable("select", "x", x);
  return record(SELECT, xv.value.select(dim, index), [xv], (dy) => [scatterIntoView(xv.shape, xv.dtype, dy, (base) => base.select(dim, index))]);
}

const SQUEEZE = defineOp({ name: "squeeze", inputs: ["x"], forward: "y = x without its size-1 dims (all, or the given ones)", backward: "dx = dy reshaped to x's shape", saved: "x's shape" });
export function squeeze(x: Input, dims?: number | readonly number[]): Variable {
  const xv = asVariable("squeeze", "x", x);
  return record(SQUEEZE, xv.value.squeeze(dims), [xv], (dy) => [dy.reshape(xv.shape)]);
}

const UNSQUEEZE = defineOp({ name: "unsqueeze", inputs: ["x"], forward: "y = x with a size-1 dim inserted at dim", backward: "dx = dy reshaped to x's shape", saved: "x's shape" });
export function unsqueeze(x: Input, dim: number): Variable {
  const xv = asVariable("unsqueeze", "x", x);
  return record(UNSQUEEZE, xv.value.unsqueeze(dim), [xv], (dy) => [dy.reshape(xv.shape)]);
}

const FLATTEN = defineOp({ name: "flatten", inputs: ["x"], forward: "y = x with dims startDim..endDim merged into one", backward: "dx = dy reshaped to x's shape", saved: "x's shape" });
export function flatten(x: Input, startDim = 0, endDim = -1): Variable {
  const xv = asVariable("flatten", "x", x);
  return record(FLATTEN, xv.value.flatten(startDim, endDim), [xv], (dy) => [dy.reshape(xv.shape)]);
}
