/**
 * Elementwise unary ops: y = f(x), and dx = dy * f'(x).
 *
 *   x is any shape; y and dx have x's shape and dtype.
 *
 * Each VJP is written with whichever of x or y makes f' cheapest (exp saves y, since
 * exp' = exp; log saves x, since log' = 1/x). Both are alive anyway while the graph is:
 * x as the op's input, y as its output.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const NEG = defineOp({ name: "neg", inputs: ["x"], forward: "y = -x", backward: "dx = -dy", saved: "nothing" });
export function neg(x: Input): Variable {
  const xv = asVariable("neg", "x", x);
  return record(NEG, T.neg(xv.value), [xv], (dy) => [T.neg(dy)]);
}

const ABS = defineOp({
  name: "abs",
  inputs: ["x"],
  forward: "y = |x|",
  backward: "dx = dy * sign(x)",
  saved: "x, for its sign",
  notes: "At x = 0 the gradient is 0 (sign(0) = 0, as torch).",
});
export function abs(x: Input): Variable {
  const xv = asVariable("abs", "x", x);
  const saved = xv.value;
  return record(ABS, T.abs(saved), [xv], (dy) => [T.absBackward(saved, dy)]);
}

const SQUARE = defineOp({ name: "square", inputs: ["x"], forward: "y = x^2", backward: "dx = 2 x dy", saved: "x" });
export function square(x: Input): Variable {
  const xv = asVariable("square", "x", x);
  const saved = xv.value;
  return record(SQUARE, T.square(saved), [xv], (dy) => [T.mul(T.mul(dy, saved), 2)]);
}

const SQRT = defineOp({ name: "sqrt", inputs: ["x"], forward: "y = √x", backward: "dx = dy / (2 y)", saved: "y, the output: the derivative is 1/(2√x) = 1/(2y)" });
export function sqrt(x: Input): Variable {
  const xv = asVariable("sqrt", "x", x);
  const y = T.sqrt(xv.value);
  return record(SQRT, y, [xv], (dy) => [T.div(dy, T.mul(y, 2))]);
}

const RSQRT = defineOp({ name: "rsqrt", inputs: ["x"], forward: "y = 1/√x", backward: "dx = -dy y^3 / 2", saved: "y, the output: d(x^-1/2)/dx = -x^-3/2 / 2 = -y^3 / 2" });
export function rsqrt(x: Input): Variable {
  const xv = asVariable("rsqrt", "x", x);
  const y = T.rsqrt(xv.value);
  return record(RSQRT, y, [xv], (dy) => [T.mul(T.mul(dy, T.powScalar(y, 3)), -0.5)]);
}

const EXP = defineOp({ name: "exp", inputs: ["x"], forward: "y = e^x", backward: "dx = dy * y", saved: "y, the output: exp is its own derivative" });
export function exp(x: Input): Variable {
  const xv = asVariable("exp", "x", x);
  const y = T.exp(xv.value);
  return record(EXP, y, [xv], (dy) => [T.mul(dy, y)]);
}

const LOG = defineOp({ name: "log", inputs: ["x"], forward: "y = ln x", backward: "dx = dy / x", saved: "x" });
export function log(x: Input): Variable {
  const xv = asVariable("log", "x", x);
  const saved = xv.value;
  return record(LOG, T.log(saved), [xv], (dy) => [T.div(dy, saved)]);
}

const SIN = defineOp({ name: "sin", inputs: ["x"], forward: "y = sin x", backward: "dx = dy cos x", saved: "x" });
export function sin(x: Input): Variable {
  const xv = asVariable("sin", "x", x);
  const saved = xv.value;
  return record(SIN, T.sin(saved), [xv], (dy) => [T.mul(dy, T.cos(saved))]);
}

const COS = defineOp({ name: "cos", inputs: ["x"], forward: "y = cos x", backward: "dx = -dy sin x", saved: "x" });
export function cos(x: Input): Variable {
  const xv = asVariable("cos", "x", x);
  const saved = xv.value;
  return record(COS, T.cos(saved), [xv], (dy) => [T.neg(T.mul(dy, T.sin(saved)))]);
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

const ERF = defineOp({ name: "erf", inputs: ["x"], forward: "y = erf x = 2/√π ∫₀ˣ e^(-t²) dt", backward: "dx = dy 2/√π e^(-x²)", saved: "x" });
export function erf(x: Input): Variable {
  const xv = asVariable("erf", "x", x);
  const saved = xv.value;
  return record(ERF, T.erf(saved), [xv], (dy) => [T.mul(T.mul(dy, T.exp(T.neg(T.square(saved)))), TWO_OVER_SQRT_PI)]);
}

const POW_SCALAR = defineOp({
  name: "powScalar",
  inputs: ["x"],
  forward: "y = x^p (p a number)",
  backward: "dx = dy p x^(p-1)",
  saved: "x (and p)",
  notes: "For non-integer p, x must be positive (x^p is NaN below 0, as in torch).",
});
export function powScalar(x: Input, p: number): Variable {
  const xv = asVariable("powScalar", "x", x);
  const saved = xv.value;
  return record(POW_SCALAR, T.powScalar(saved, p), [xv], (dy) => [T.mul(T.mul(dy, T.powScalar(saved, p - 1)), p)]);
}

const CLAMP = defineOp({
  name: "clamp",
  inputs: ["x"],
  forward: "y = min(max(x, min), max)",
  backward: "dx = dy where min < x < max, else 0",
  saved: "x, to tell which elements were inside the bounds",
  notes: "The gradient passes strictly inside the bounds only: an element sitting exactly on a bound gets 0, so a clamped parameter (CLIP's logit scale at ln 100) stops moving outward.",
});
export function clamp(x: Input, min?: number, max?: number): Variable {
  const xv = asVariable("clamp", "x", x);
  const saved = xv.value;
  const y = T.clamp(saved, min, max); // validates the bounds
  return record(CLAMP, y, [xv], (dy) => [T.clampBackward(saved, dy, min, max)]);
}
