/**
 * softmax and logSoftmax along one axis (default: the last).
 *
 *   x is (..., n, ...) with n on `axis`; y, dy and dx have x's shape.
 *
 * Both VJPs are written in terms of the saved output alone: the Jacobian of softmax is
 * diag(y) - y yᵀ, so dx = y * (dy - Σ dy*y), and log-softmax's is I - 1 yᵀ with
 * y = e^(log y). Nothing about x is kept. Each is one fused tensor kernel, a sweep per row
 * (T.softmaxBackward, T.logSoftmaxBackward), split over threads by rows like the forward pass.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const SOFTMAX = defineOp({
  name: "softmax",
  inputs: ["x"],
  forward: "y = e^(x - max x) / Σ e^(x - max x)   along axis",
  backward: "dx = y * (dy - Σ(dy * y))   (the sum along axis, kept as a size-1 dim)",
  saved: "y, the output: the Jacobian diag(y) - y yᵀ needs nothing else",
});
export function softmax(x: Input, axis = -1): Variable {
  const xv = asVariable("softmax", "x", x);
  const y = T.softmax(xv.value, axis);
  return record(SOFTMAX, y, [xv], (dy) => [T.softmaxBackward(y, dy, axis)]);
}

const LOG_SOFTMAX = defineOp({
  name: "logSoftmax",
  inputs: ["x"],
  forward: "y = x - max x - ln Σ e^(x - max x)   along axis",
  backward: "dx = dy - e^y * Σ dy   (e^y is the softmax)",
  saved: "y, the output: its exponential is the softmax",
});
export function logSoftmax(x: Input, axis = -1): Variable {
  const xv = asVariable("logSoftmax", "x", x);
  const y = T.logSoftmax(xv.value, axis);
  return record(LOG_SOFTMAX, y, [xv], (dy) => [T.logSoftmaxBackward(y, dy, axis)]);
}
