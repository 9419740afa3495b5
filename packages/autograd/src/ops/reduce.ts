/**
 * Reductions over one axis, several, or all (axis undefined):
 *
 *   x is (2,3,4), axis 1  ->  y is (2,4)   (keepdim: (2,1,4))
 *
 * Every VJP first views dy with the reduced axes kept as size 1 (dyk, (2,1,4) above),
 * which broadcasts against x: the gradient of a reduction spreads each dy over the
 * elements it reduced.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { keepdimShape } from "../gradients.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

/** Everything a reduction's VJP needs about its axes. */
interface Reduced {
  xv: Variable;
  x: T.Tensor;
  /** the reduced axes, normalised and sorted */
  axes: number[];
  /** the keepdim shape: x's shape with reduced axes set to 1 */
  kept: number[];
  /** how many elements went into each output */
  count: number;
}

function reduced(op: string, x: Input, axis: T.Axes | undefined): Reduced {
  const xv = asVariable(op, "x", x);
  const axes = T.normalizeAxes(op, axis, xv.ndim);
  const count = axes.reduce((n, a) => n * xv.shape[a]!, 1);
  return { xv, x: xv.value, axes, kept: keepdimShape(xv.shape, axes), count };
}

const SUM = defineOp({ name: "sum", inputs: ["x"], forward: "y = Σ x over axis", backward: "dx = dyk broadcast to x's shape", saved: "nothing but x's shape" });
export function sum(x: Input, axis?: T.Axes, keepdim = false): Variable {
  const r = reduced("sum", x, axis);
  return record(SUM, T.sum(r.x, axis, keepdim), [r.xv], (dy) => [dy.reshape(r.kept).expand(r.x.shape)]);
}

const MEAN = defineOp({ name: "mean", inputs: ["x"], forward: "y = Σ x / n over axis (n elements per output)", backward: "dx = dyk / n, broadcast to x's shape", saved: "nothing but x's shape and n" });
export function mean(x: Input, axis?: T.Axes, keepdim = false): Variable {
  const r = reduced("mean", x, axis);
  return record(MEAN, T.mean(r.x, axis, keepdim), [r.xv], (dy) => [T.div(dy.reshape(r.kept).expand(r.x.shape), r.count)]);
}

// One note, one routing function (routeToExtremes) for both: min is max mirrored, ties included.
const TIES =
  "Ties: every element equal to the extreme (-0 equals 0) shares dy evenly, dy / count, as torch.amax/amin; a single extreme gets all of it. " +
  "min is max mirrored: min(x) = -max(-x), values and gradients, ties included.";

const MAX = defineOp({
  name: "max",
  inputs: ["x"],
  forward: "y = max x over axis",
  backward: "dx = dyk [x = yk] / Σ[x = yk]",
  saved: "x and y, to find where the maximum was",
  notes: TIES,
});
export function max(x: Input, axis?: T.Axes, keepdim = false): Variable {
  const r = reduced("max", x, axis);
  const y = T.max(r.x, axis, keepdim);
  return record(MAX, y, [r.xv], (dy) => [routeToExtremes(r, y, dy)]);
}

const MIN = defineOp({
  name: "min",
  inputs: ["x"],
  forward: "y = min x over axis",
  backward: "dx = dyk [x = yk] / Σ[x = yk]",
  saved: "x and y, to find where the minimum was",
  notes: TIES,
});
export function min(x: Input, axis?: T.Axes, keepdim = false): Variable {
  const r = reduced("min", x, axis);
  const y = T.min(r.x, axis, keepdim);
  return record(MIN, y, [r.xv], (dy) => [routeToExtremes(r, y, dy)]);
}

/** dy spread evenly over the elements equal to the extreme y of their slice. */
function routeToExtremes(r: Reduced, y: T.Tensor, dy: T.Tensor): T.Tensor {
  const isExtreme = T.eq(r.x, y.reshape(r.kept)); // int32 0/1, x's shape
  const ties = T.sum(isExtreme, r.axes, true); // how many share each extreme
  return T.div(T.mul(isExtreme, dy.reshape(r.kept)), ties);
}

const LOGSUMEXP = defineOp({
  name: "logsumexp",
  inputs: ["x"],
  forward: "y = ln Σ e^x over axis",
  backward: "dx = dyk e^(x - yk)  (dyk times the softmax of x)",
  saved: "x and y: e^(x - y) is the softmax, with no second pass for the max",
});
export function logsumexp(x: Input, axis?: T.Axes, keepdim = false): Variable {
  const r = reduced("logsumexp", x, axis);
  const y = T.logsumexp(r.x, axis, keepdim);
  return record(LOGSUMEXP, y, [r.xv], (dy) => [T.mul(dy.reshape(r.kept), T.exp(T.sub(r.x, y.reshape(r.kept))))]);
}

const VARIANCE = defineOp({
  name: "variance",
  inputs: ["x"],
  forward: "y = Σ (x - mean)² / (n - correction) over axis",
  backward: "dx = dyk 2 (x - meank) / (n - correction)",
  saved: "x (the mean is recomputed)",
  notes: "torch.var; correction 1 (default) is the unbiased estimate, 0 the population variance. Also exported as `var`.",
});
export function variance(x: Input, axis?: T.Axes, keepdim = false, correction = 1): Variable {
  const r = reduced("variance", x, axis);
  const y = T.variance(r.x, axis, keepdim, correction);
  return record(VARIANCE, y, [r.xv], (dy) => {
    const centered = T.sub(r.x, T.mean(r.x, r.axes, true));
    return [T.mul(T.mul(dy.reshape(r.kept), centered), 2 / (r.count - correction))];
  });
}

const STD = defineOp({
  name: "std",
  inputs: ["x"],
  forward: "y = √var(x) over axis",
  backward: "dx = dyk (x - meank) / ((n - correction) yk)",
  saved: "x and y",
  notes: "Same arguments as variance. The gradient is infinite where y = 0 (a constant slice).",
});
export function std(x: Input, axis?: T.Axes, keepdim = false, correction = 1): Variable {
  const r = reduced("std", x, axis);
  const y = T.std(r.x, axis, keepdim, correction);
  return record(STD, y, [r.xv], (dy) => {
    const centered = T.sub(r.x, T.mean(r.x, r.axes, true));
    return [T.div(T.mul(dy.reshape(r.kept), centered), T.mul(y.reshape(r.kept), r.count - correction))];
  });
}
