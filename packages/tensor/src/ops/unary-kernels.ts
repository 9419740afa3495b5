/**
 * The row kernels of the unary ops, by name: each maps n elements read from
 * src[i], src[i+step], ... to dst[j], dst[j+1], ..., with one line of math inside its own
 * loop (no per-element callbacks, so V8 inlines the math). `args` holds an op's numbers
 * (clamp's bounds, powScalar's exponent). They are module-level functions in one table
 * because the worker pool runs them by name: the main thread and the workers look up
 * the very same code (see elementwise-kernel.ts).
 */

import type { TypedArray } from "../dtype.js";
import { fastExp } from "./fastexp.js";
import { erfcScalar, erfcTailFloat32, erfScalar, sigmoidScalar, softplusScalar } from "./special.js";

/** dst[j + k] = f(src[i + k*step]) for k in [0, n). */
export type UnaryKernel = (src: TypedArray, i: number, step: number, dst: TypedArray, j: number, n: number, args: ArrayLike<number>) => void;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export const UNARY_KERNELS = {
  /** y = -x */
  neg(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = -src[i]!;
  },
  /** y = |x| */
  abs(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.abs(src[i]!);
  },
  /** y = x² */
  square(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * v; }
  },
  /** y = max(x, 0), NaN stays NaN */
  relu(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v < 0 ? 0 : v; }
  },
  /** y = min(max(x, lo), hi), args = [lo, hi] */
  clamp(src, i, step, dst, j, n, args) {
    const lo = args[0]!, hi = args[1]!;
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.min(Math.max(src[i]!, lo), hi);
  },
  /** y = e^x */
  exp(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.exp(src[i]!);
  },
  /** y = ln x */
  log(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.log(src[i]!);
  },
  /** y = √x */
  sqrt(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.sqrt(src[i]!);
  },
  /** y = 1/√x */
  rsqrt(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = 1 / Math.sqrt(src[i]!);
  },
  /** y = x^p, args = [p] */
  pow(src, i, step, dst, j, n, args) {
    const p = args[0]!;
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.pow(src[i]!, p);
  },
  /** y = sin x */
  sin(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.sin(src[i]!);
  },
  /** y = cos x */
  cos(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.cos(src[i]!);
  },
  /** y = tanh x */
  tanh(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = Math.tanh(src[i]!);
  },
  /** y = 1 / (1 + e^-x) */
  sigmoid(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = sigmoidScalar(src[i]!);
  },
  /** y = 0.5 x erfc(-x/√2) = x Φ(x) */
  gelu(src, i, step, dst, j, n) {
    if (dst instanceof Float32Array) {
      // float32 results: h = Φ(-|x|) = erfc(|x|/√2)/2 without a branch (special.ts,
      // erfcTailFloat32), then x Φ(x) = max(x, 0) - |x| h, which is x h for x < 0 and
      // x (1 - h) otherwise with no branch on the sign: the sign of an activation is a coin
      // flip the branch predictor loses half the time (12.2 ns an element with
      // `x < 0 ? h : 1 - h`, 8 ns without). max(x, 0) = (x + |x|) / 2 exactly.
      for (const end = j + n; j < end; j++, i += step) {
        const v = src[i]!;
        const m = Math.abs(v);
        const a = m * Math.SQRT1_2;
        const h = 0.5 * erfcTailFloat32(a, fastExp(-a * a));
        // ±∞ apart (∞ h would be ∞ · 0): GELU(∞) = ∞, GELU(-∞) = -∞ · 0 = NaN, as in float64
        dst[j] = a < Infinity ? 0.5 * (v + m) - m * h : v > 0 ? v : NaN;
      }
      return;
    }
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = 0.5 * v * erfcScalar(-v * Math.SQRT1_2); }
  },
  /** y = x sigmoid(2 √(2/π) (x + 0.044715 x³)) */
  geluTanh(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * sigmoidScalar(2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)); }
  },
  /** y = x sigmoid(1.702 x) */
  quickGelu(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) { const v = src[i]!; dst[j] = v * sigmoidScalar(1.702 * v); }
  },
  /** y = ln(1 + e^x) */
  softplus(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = softplusScalar(src[i]!);
  },
  /** y = ln σ(x) = -softplus(-x) */
  logSigmoid(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = -softplusScalar(-src[i]!);
  },
  /** y = erf x */
  erf(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = erfScalar(src[i]!);
  },
  /** y = x (a strided copy) */
  copy(src, i, step, dst, j, n) {
    for (const end = j + n; j < end; j++, i += step) dst[j] = src[i]!;
  },
} satisfies Record<string, UnaryKernel>;

export type UnaryKernelName = keyof typeof UNARY_KERNELS;
