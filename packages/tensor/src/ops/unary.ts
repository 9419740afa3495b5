/**
 * Elementwise unary ops: y = f(x), one output element per input element.
 *
 * Each op names its row kernel in unary-kernels.ts, where the math is one line inside the
 * kernel's own loop. `mapUnary` runs it once over the whole tensor when its layout is
 * row-major and once per row when it is strided, on the worker pool when the tensor is
 * large (see elementwise.ts): the result is the same on any number of threads.
 *
 * Dtypes: ops whose result is not an integer (exp, log, sqrt, ..., erf, powScalar) turn an
 * int32 input into float32; neg, abs, relu, square and clamp keep the input's dtype. The
 * math runs in float64 and is rounded once, when stored into the output array.
 * The output is always a fresh row-major tensor of the input's shape.
 */

import { allocate, type DType } from "../dtype.js";
import { TensorError } from "../errors.js";
import { Tensor } from "../tensor.js";
import { unaryInto } from "./elementwise.js";
import type { UnaryKernelName } from "./unary-kernels.js";

/** "float": int32 inputs give float32 (exp, log, ...); "same": the input's dtype (neg, abs, ...). */
type ResultKind = "float" | "same";

function mapUnary(op: string, x: Tensor, kind: ResultKind, kernel: UnaryKernelName, args?: number[]): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TensorError(op, `x must be a Tensor, got ${x === null ? "null" : typeof x}`);
  }
  const dtype: DType = kind === "float" && x.dtype === "int32" ? "float32" : x.dtype;
  const out = allocate(dtype, x.size);
  unaryInto(kernel, x, out, args);
  return new Tensor(out, x.shape);
}

// ---- sign and magnitude ---------------------------------------------------

/** y = -x */
export function neg(x: Tensor): Tensor {
  return mapUnary("neg", x, "same", "neg");
}

/** y = |x| */
export function abs(x: Tensor): Tensor {
  return mapUnary("abs", x, "same", "abs");
}

/** y = x^2 */
export function square(x: Tensor): Tensor {
  return mapUnary("square", x, "same", "square");
}

/** y = max(x, 0); NaN stays NaN, as in torch. */
export function relu(x: Tensor): Tensor {
  return mapUnary("relu", x, "same", "relu");
}

/**
 * y = min(max(x, min), max); either bound may be omitted, not both. When min > max every
 * element becomes max (as torch). NaN stays NaN. For int32 the bounds are rounded inward
 * (min up, max down), so the result stays inside [min, max] and int32.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new TensorError("clamp", "at least one of min and max must be given, got neither");
  for (const [name, bound] of [["min", min], ["max", max]] as const) {
    if (bound !== undefined && typeof bound !== "number") throw new TensorError("clamp", `${name} must be a number, got ${typeof bound}`);
  }
  const isInt = x instanceof Tensor && x.dtype === "int32";
  const lo = min === undefined ? -Infinity : isInt ? Math.ceil(min) : min;
  const hi = max === undefined ? Infinity : isInt ? Math.floor(max) : max;
  return mapUnary("clamp", x, "same", "clamp", [lo, hi]);
}

// ---- exponentials and powers ----------------------------------------------

/** y = e^x */
export function exp(x: Tensor): Tensor {
  return mapUnary("exp", x, "float", "exp");
}

/** y = ln x; ln 0 = -Infinity, ln of a negative number = NaN. */
export function log(x: Tensor): Tensor {
  return mapUnary("log", x, "float", "log");
}

/** y = √x; NaN for x < 0. */
export function sqrt(x: Tensor): Tensor {
  return mapUnary("sqrt", x, "float", "sqrt");
}

/** y = 1/√x; rsqrt(0) = Infinity. */
export function rsqrt(x: Tensor): Tensor {
  return mapUnary("rsqrt", x, "float", "rsqrt");
}

/** y = x^p for a number p (always a float result, even for an int32 x and integer p). */
export function powScalar(x: Tensor, p: number): Tensor {
  if (typeof p !== "number") throw new TensorError("powScalar", `p must be a number, got ${typeof p}`);
  if (p === 2) return mapUnary("powScalar", x, "float", "square"); // x * x: exact where Math.pow may not be
  return mapUnary("powScalar", x, "float", "pow", [p]);
}

// ---- trigonometric and hyperbolic -----------------------------------------

/** y = sin x */
export function sin(x: Tensor): Tensor {
  return mapUnary("sin", x, "float", "sin");
}

/** y = cos x */
export function cos(x: Tensor): Tensor {
  return mapUnary("cos", x, "float", "cos");
}

/** y = tanh x */
export function tanh(x: Tensor): Tensor {
  return mapUnary("tanh", x, "float", "tanh");
}

// ---- activations ----------------------------------------------------------

/**
 * y = 1 / (1 + e^-x), computed as e^x / (1 + e^x) for x < 0 so that e^(-x) never
 * overflows: sigmoid(-1000) is exactly 0, sigmoid(1000) exactly 1, never NaN.
 */
export function sigmoid(x: Tensor): Tensor {
  return mapUnary("sigmoid", x, "float", "sigmoid");
}

/**
 * y = x * Φ(x) = 0.5 x (1 + erf(x/√2)), torch's default (exact) GELU.
 * Evaluated as 0.5 x erfc(-x/√2), the same value without the cancellation in 1 + erf for
 * x << 0 (so gelu(-10) is -7.6e-23, not 0).
 */
export function gelu(x: Tensor): Tensor {
  return mapUnary("gelu", x, "float", "gelu");
}

/**
 * y = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), torch's gelu(approximate="tanh").
 * Uses the identity 0.5 (1 + tanh u) = sigmoid(2u), which avoids the cancellation for x << 0.
 */
export function geluTanh(x: Tensor): Tensor {
  return mapUnary("geluTanh", x, "float", "geluTanh");
}

/** y = x * sigmoid(1.702 x), the GELU approximation of OpenAI's CLIP. */
export function quickGelu(x: Tensor): Tensor {
  return mapUnary("quickGelu", x, "float", "quickGelu");
}

/**
 * y = ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|) so it never overflows:
 * softplus(1000) is 1000, softplus(-1000) is e^-1000 (0), not NaN.
 */
export function softplus(x: Tensor): Tensor {
  return mapUnary("softplus", x, "float", "softplus");
}

/** y = ln σ(x) = -softplus(-x), stable for large negative x (SigLIP's loss needs it). */
export function logSigmoid(x: Tensor): Tensor {
  return mapUnary("logSigmoid", x, "float", "logSigmoid");
}

/** y = erf(x) = 2/√π ∫₀ˣ e^(-t²) dt, accurate to ~1e-16 (see special.ts). */
export function erf(x: Tensor): Tensor {
  return mapUnary("erf", x, "float", "erf");
}
