/**
 * Joining and splitting along a dim: concat, stack, split, chunk.
 *
 *   concat([x0 (..,d0,..), x1 (..,d1,..)], dim)  ->  (.., d0+d1, ..);   dx_k = dy narrowed to x_k's range
 *   stack([x0, x1] all S, dim)                   ->  S with a new dim of 2; dx_k = dy selected at k
 *   split(x, sizes, dim) / chunk(x, n, dim)      ->  parts of x;          dx = each dpart written at its range
 *
 * split and concat are each other's adjoints. Each part of a split is its own node, so
 * a part that no loss depends on contributes nothing (its gradient is never formed).
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { scatterIntoView } from "../gradients.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp, type OpSpec } from "../registry.js";
import type { Variable } from "../variable.js";

function variables(op: string, tensors: readonly Input[]): Variable[] {
  if (!Array.isArray(tensors)) throw new T.TensorError(op, `tensors must be an array of Variables or Tensors, got ${typeof tensors}`);
  return tensors.map((t, k) => asVariable(op, `tensors[${k}]`, t));
}

const CONCAT = defineOp({
  name: "concat",
  inputs: ["tensors"],
  forward: "y = x_0, x_1, ... joined along dim (torch.cat)",
  backward: "dx_k = dy[..., start_k : start_k + d_k, ...] along dim",
  saved: "each input's size along dim",
});
export function concat(tensors: readonly Input[], dim = 0): Variable {
  const vs = variables("concat", tensors);
  const y = T.concat(
    vs.map((v) => v.value),
    dim,
  );
  const axis = T.normalizeAxis("concat", dim, y.ndim, "dim");
  const sizes = vs.map((v) => v.shape[axis]!);
  return record(CONCAT, y, vs, (dy, need) => {
    let start = 0;
    return sizes.map((size, k) => {
      const part = need[k] ? dy.narrow(axis, start, size) : null;
      start += size;
      return part;
    });
  });
}

const STACK = defineOp({
  name: "stack",
  inputs: ["tensors"],
  forward: "y = x_0, x_1, ... (all one shape) joined along a new dim",
  backward: "dx_k = dy[..., k, ...] at dim",
  saved: "nothing but dim",
});
export function stack(tensors: readonly Input[], dim = 0): Variable {
  const vs = variables("stack", tensors);
  const y = T.stack(
    vs.map((v) => v.value),
    dim,
  );
  const axis = T.normalizeAxis("stack", dim, y.ndim, "dim");
  return record(STACK, y, vs, (dy, need) => vs.map((_, k) => (need[k] ? dy.select(axis, k) : null)));
}

const SPLIT = defineOp({
  name: "split",
  inputs: ["x"],
  forward: "parts = views of x along dim of the given size (the last may be smaller) or of the listed sizes",
  backward: "dx = zeros(x.shape) with each dpart written at its range along dim (a part nothing used adds nothing)",
  saved: "x's shape and each part's range",
});
export function split(x: Input, sizeOrSizes: number | readonly number[], dim = 0): Variable[] {
  const xv = asVariable("split", "x", x);
  return recordParts(SPLIT, xv, T.split(xv.value, sizeOrSizes, dim), dim);
}

const CHUNK = defineOp({
  name: "chunk",
  inputs: ["x"],
  forward: "parts = split of x along dim into at most n parts of ⌈d/n⌉",
  backward: "dx = zeros(x.shape) with each dpart written at its range along dim",
  saved: "x's shape and each part's range",
});
export function chunk(x: Input, n: number, dim = 0): Variable[] {
  const xv = asVariable("chunk", "x", x);
  return recordParts(CHUNK, xv, T.chunk(xv.value, n, dim), dim);
}

/** Each part as its own node whose gradient is written into zeros of x's shape at the part's range. */
function recordParts(spec: OpSpec, xv: Variable, parts: T.Tensor[], dim: number): Variable[] {
  const axis = T.normalizeAxis(spec.name, dim, xv.ndim, "dim");
  let start = 0;
  return parts.map((part) => {
    const from = start;
    const size = part.shape[axis]!;
    start += size;
    return record(spec, part, [xv], (dy) => [scatterIntoView(xv.shape, xv.dtype, dy, (base) => base.narrow(axis, from, size))]);
  });
}
