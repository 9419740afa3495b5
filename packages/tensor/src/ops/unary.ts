/**
 * Elementwise unary ops: y = f(x), one output element per input element.
 *
 * Each op is one line of math inside a row kernel `(src, i, step, dst, j, n)` that maps
 * `n` elements read from `src[i], src[i+step], ...` to `dst[j], dst[j+1], ...`. `mapUnary`
 * calls the kernel once over the whole tensor when its layout is row-major, and once per
 * row (via forEachRow) when it is strided. No per-element callbacks: each kernel's loop is
 * its own, so V8 can inline the math into it.
 *
 * Dtypes: ops whose result is not an integer (exp, log, sqrt, ..., erf, powScalar) turn an
 * int32 input into float32; neg, abs, relu, square and clamp keep the input's dtype. The
 * math runs in float64 and is rounded once, when stored into the output array.
 * The output is always a fresh row-major tensor of the input's shape.
 */

import { allocate, type DType, type TypedArray } from "../dtype.js";
import { TensorError } from "../errors.js";
import { forEachRow } from "../iterate.js";
import { Tensor } from "../tensor.js";

/** Maps n elements: dst[j + k] = f(src[i + k*step]) for k in [0, n). */
type RowKernel = (src: TypedArray, i: number, step: number, dst: TypedArray, j: number, n: number) => void;

/** "float": int32 inputs give float32 (exp, log, ...); "same": the input's dtype (neg, abs, ...). */
type ResultKind = "float" | "same";

function mapUnary(op: string, x: Tensor, kind: ResultKind, kernel: RowKernel): Tensor {
  if (!(x instanceof Tensor)) {
    throw new TensorError(op, `x must be a Tensor, got ${x === null ? "null" : typeof x}`);
  }
  const dtype: DType = kind === "float" && x.dtype === "int32" ? "float32" : x.dtype;
  const out = allocate(dtype, x.size);
  if (x.isContiguous()) {
    kernel(x.data, x.offset, 1, out, 0, x.size);
  } else {
    const n = x.shape[x.ndim - 1]!;
    const step = x.strides[x.ndim - 1]!;
    forEachRow(x.shape, [x.strides], [x.offset], (offsets, r) => kernel(x.data, offsets[0]!, step, out, r * n, n));
  }
  return new Tensor(out, x.shape);
}

// ---- sign and magnitude ---------------------------------------------------

/** y = -x */
export function neg(x: Tensor): Tensor {
  return mapUnary("neg", x, "same", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = -src[i]!;
  });
}

/** y = |x| */
export function abs(x: Tensor): Tensor {
  return mapUnary("abs", x, "same", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.abs(src[i]!);
  });
}

/** y = x^2 */
export function square(x: Tensor): Tensor {
  return mapUnary("square", x, "same", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * v; }
  });
}

/** y = max(x, 0); NaN stays NaN, as in torch. */
export function relu(x: Tensor): Tensor {
  return mapUnary("relu", x, "same", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v < 0 ? 0 : v; }
  });
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
  return mapUnary("clamp", x, "same", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.min(Math.max(src[i]!, lo), hi);
  });
}

// ---- exponentials and powers ----------------------------------------------

/** y = e^x */
export function exp(x: Tensor): Tensor {
  return mapUnary("exp", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.exp(src[i]!);
  });
}

/** y = ln x; ln 0 = -Infinity, ln of a negative number = NaN. */
export function log(x: Tensor): Tensor {
  return mapUnary("log", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.log(src[i]!);
  });
}

/** y = √x; NaN for x < 0. */
export function sqrt(x: Tensor): Tensor {
  return mapUnary("sqrt", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.sqrt(src[i]!);
  });
}

/** y = 1/√x; rsqrt(0) = Infinity. */
export function rsqrt(x: Tensor): Tensor {
  return mapUnary("rsqrt", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = 1 / Math.sqrt(src[i]!);
  });
}

/** y = x^p for a number p (always a float result, even for an int32 x and integer p). */
export function powScalar(x: Tensor, p: number): Tensor {
  if (typeof p !== "number") throw new TensorError("powScalar", `p must be a number, got ${typeof p}`);
  if (p === 2) {
    return mapUnary("powScalar", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * v; }
  });
  }
  return mapUnary("powScalar", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.pow(src[i]!, p);
  });
}

// ---- trigonometric and hyperbolic -----------------------------------------

/** y = sin x */
export function sin(x: Tensor): Tensor {
  return mapUnary("sin", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.sin(src[i]!);
  });
}

/** y = cos x */
export function cos(x: Tensor): Tensor {
  return mapUnary("cos", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.cos(src[i]!);
  });
}

/** y = tanh x */
export function tanh(x: Tensor): Tensor {
  return mapUnary("tanh", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.tanh(src[i]!);
  });
}

// ---- activations ----------------------------------------------------------

/**
 * y = 1 / (1 + e^-x), computed as e^x / (1 + e^x) for x < 0 so that e^(-x) never
 * overflows: sigmoid(-1000) is exactly 0, sigmoid(1000) exactly 1, never NaN.
 */
export function sigmoid(x: Tensor): Tensor {
  return mapUnary("sigmoid", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = sigmoidScalar(src[i]!);
  });
}

/**
 * y = x * Φ(x) = 0.5 x (1 + erf(x/√2)), torch's default (exact) GELU.
 * Evaluated as 0.5 x erfc(-x/√2), the same value without the cancellation in 1 + erf for
 * x << 0 (so gelu(-10) is -7.6e-23, not 0).
 */
export function gelu(x: Tensor): Tensor {
  return mapUnary("gelu", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = 0.5 * v * erfcScalar(-v * Math.SQRT1_2); }
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * y = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), torch's gelu(approximate="tanh").
 * Uses the identity 0.5 (1 + tanh u) = sigmoid(2u), which avoids the cancellation for x << 0.
 */
export function geluTanh(x: Tensor): Tensor {
  return mapUnary("geluTanh", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * sigmoidScalar(2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)); }
  });
}

/** y = x * sigmoid(1.702 x), the GELU approximation of OpenAI's CLIP. */
export function quickGelu(x: Tensor): Tensor {
  return mapUnary("quickGelu", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * sigmoidScalar(1.702 * v); }
  });
}

/** y = erf(x) = 2/√π ∫₀ˣ e^(-t²) dt, accurate to ~1e-16 (see erfScalar). */
export function erf(x: Tensor): Tensor {
  return mapUnary("erf", x, "float", (src, i, step, dst, j, n) => {
    for (const end = j + n; j < end; j++, i += step) dst[j] = erfScalar(src[i]!);
  });
}

// ---- scalar math ------------------------------------------------------------

function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/*
 * erf and erfc by W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23 (1969) 631-638), coefficients
 * as in Netlib SPECFUN's CALERF. Three intervals of |x|:
 *   [0, 0.46875]  erf(x)  = x P(x²)/Q(x²)
 *   (0.46875, 4]  erfc(x) = e^(-x²) P(x)/Q(x)
 *   (4, ∞)        erfc(x) = e^(-x²)/x (1/√π + 1/x² P(1/x²)/Q(1/x²))
 * Cody reports relative errors below 1e-18 for the approximations themselves; in float64
 * the result is within a few ulps (the tests check |error| <= 1e-15 against a 60-digit
 * series). e^(-x²) is computed as e^(-s² - (x-s)(x+s)) with s = x rounded down to a
 * multiple of 1/16, so s² is exact and x² loses no precision. Abramowitz-Stegun 7.1.26 (error 1.5e-7) is not enough
 * for gradient checks in float64.
 */
const ERF_A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const ERF_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const ERFC_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909, 1712.04761263407058,
  2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const ERFC_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963, 4362.61909014324716,
  3439.36767414372164, 1230.33935480374942,
];
const ERFC_P = [0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978];
const ERFC_Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];
const ONE_OVER_SQRT_PI = 0.56418958354775628695;
/** erfc(x) underflows to 0 beyond this. */
const ERFC_ZERO_BEYOND = 26.543;

/** erf(x) for |x| <= 0.46875. */
function erfSmall(x: number): number {
  const t = x * x;
  let num = ERF_A[4]! * t;
  let den = t;
  for (let k = 0; k < 3; k++) {
    num = (num + ERF_A[k]!) * t;
    den = (den + ERF_B[k]!) * t;
  }
  return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
}

/** erfc(y) for y > 0.46875. */
function erfcLarge(y: number): number {
  if (y >= ERFC_ZERO_BEYOND) return 0;
  let ratio: number;
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let k = 0; k < 7; k++) {
      num = (num + ERFC_C[k]!) * y;
      den = (den + ERFC_D[k]!) * y;
    }
    ratio = (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  } else {
    const t = 1 / (y * y);
    let num = ERFC_P[5]! * t;
    let den = t;
    for (let k = 0; k < 4; k++) {
      num = (num + ERFC_P[k]!) * t;
      den = (den + ERFC_Q[k]!) * t;
    }
    ratio = (ONE_OVER_SQRT_PI - (t * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!)) / y;
  }
  const s = Math.trunc(16 * y) / 16;
  return Math.exp(-s * s - (y - s) * (y + s)) * ratio;
}

function erfScalar(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  if (y !== y) return NaN;
  const r = 1 - erfcLarge(y);
  return x < 0 ? -r : r;
}

function erfcScalar(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  if (y !== y) return NaN;
  const r = erfcLarge(y);
  return x < 0 ? 2 - r : r;
}
