/**
 * Row kernels of the activations' backward passes, by name: dx = dy * f'(x), one pass over
 * (saved, dy). `saved` is x or y, whichever makes f' cheapest (see activation-backward.ts
 * for the math of each). Same signature as the binary kernels, with saved in the first
 * operand and dy in the second, so the same loops (and the worker pool) run them.
 */

import type { BinaryKernel } from "./binary-kernels.js";
import { fastExp } from "./fastexp.js";
import { ERF_SMALL_MAX, erfcRatio, erfcTailFloat32, erfSmall, expMinusSquare, sigmoidScalar } from "./special.js";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;
const QUICK = 1.702;

/**
 * Φ(x) + x φ(x), the derivative of x Φ(x). With u = x/√2: Φ(x) = (1 + erf u)/2 and
 * φ(x) = e^(-u²)/√(2π); beyond |u| = 0.46875, erfc(|u|) = e^(-u²) R(|u|) (special.ts),
 * so one exponential serves both Φ and φ.
 */
function geluSlope(v: number): number {
  const u = v * Math.SQRT1_2;
  const a = Math.abs(u);
  if (a <= ERF_SMALL_MAX) return 0.5 + 0.5 * erfSmall(u) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
  if (a !== a) return NaN;
  const e = expMinusSquare(a);
  const tail = 0.5 * e * erfcRatio(a); // Φ(-|x|) = erfc(|u|) / 2
  return (u > 0 ? 1 - tail : tail) + v * INV_SQRT_2PI * e;
}

/**
 * geluSlope to float32 accuracy: one exponential, e = e^(-u²) by fastExp, serves both
 * Φ(x) (through erfcTailFloat32, special.ts: no branch on |u|) and φ(x) = e / √(2π).
 */
function geluSlopeFloat32(v: number): number {
  const m = Math.abs(v);
  const a = m * Math.SQRT1_2;
  if (!(a < Infinity)) return NaN; // NaN, and ±∞ (∞ · φ(∞) is ∞ · 0), as the float64 path and PyTorch give
  const e = fastExp(-a * a);
  // The slope crosses zero at x = -0.7518: there it is the difference of two nearly equal
  // terms, and the fitted R's 5.5e-10 would become a large relative error (3e-6 was
  // measured on a 1e-4 grid). In that window Cody's rationals, exact to float64, as before;
  // it holds ~7% of N(0, 1) inputs, so its branch is mostly predicted.
  if (v > -0.95 && v < -0.55) {
    if (a <= ERF_SMALL_MAX) return 0.5 + 0.5 * erfSmall(-a) + v * INV_SQRT_2PI * e;
    return 0.5 * e * erfcRatio(a) + v * INV_SQRT_2PI * e;
  }
  const h = 0.5 * erfcTailFloat32(a, e); // Φ(-|x|)
  // Φ(x) = h for x < 0, 1 - h for x > 0, 1/2 at 0: h + step (1 - 2h) with step = 0, 1 or 0
  // (at 0, where h = 1/2 anyway), computed without a branch on the sign (see gelu in
  // unary-kernels.ts): 12.2 ns an element with a select, 8.8 with this division
  const step = (v + m) / (2 * m + 1e-300);
  return h + step * (1 - 2 * h) + v * INV_SQRT_2PI * e;
}

export const ACTIVATION_BACKWARD_KERNELS = {
  /** dx = dy where y > 0, else 0 (saved: y) */
  reluBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) z[zi] = s[si]! > 0 ? g[gi]! : 0;
  },
  /** dx = dy y (1 - y) (saved: y) */
  sigmoidBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) { const y = s[si]!; z[zi] = g[gi]! * y * (1 - y); }
  },
  /** dx = dy (1 - y²) (saved: y) */
  tanhBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) { const y = s[si]!; z[zi] = g[gi]! * (1 - y * y); }
  },
  /** dx = dy (Φ(x) + x φ(x)) (saved: x) */
  geluBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    if (z instanceof Float32Array) {
      for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) z[zi] = g[gi]! * geluSlopeFloat32(s[si]!);
      return;
    }
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) z[zi] = g[gi]! * geluSlope(s[si]!);
  },
  /** dx = dy ((1 + t)/2 + x (1 - t²) √(2/π) (1 + 3·0.044715 x²) / 2), t = tanh(√(2/π) (x + 0.044715 x³)) (saved: x) */
  geluTanhBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) {
      const v = s[si]!;
      const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
      z[zi] = g[gi]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v));
    }
  },
  /** dx = dy (σ + 1.702 x σ (1 - σ)), σ = sigmoid(1.702 x) (saved: x) */
  quickGeluBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) {
      const v = s[si]!;
      const sig = sigmoidScalar(QUICK * v);
      z[zi] = g[gi]! * (sig + QUICK * v * sig * (1 - sig));
    }
  },
  /** dx = dy sign(x), sign(0) = 0 (saved: x) */
  absBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) { const v = s[si]!; z[zi] = v > 0 ? g[gi]! : v < 0 ? -g[gi]! : 0; }
  },
  /** dx = dy where lo < x < hi, else 0; args = [lo, hi] (saved: x) */
  clampBackward(s, si, sStep, g, gi, gStep, z, zi, n, args) {
    const lo = args[0]!, hi = args[1]!;
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) { const v = s[si]!; z[zi] = v > lo && v < hi ? g[gi]! : 0; }
  },
  /** dx = dy σ(x), the derivative of softplus (saved: x) */
  softplusBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) z[zi] = g[gi]! * sigmoidScalar(s[si]!);
  },
  /** dx = dy σ(-x), the derivative of ln σ(x) (saved: x) */
  logSigmoidBackward(s, si, sStep, g, gi, gStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, si += sStep, gi += gStep) z[zi] = g[gi]! * sigmoidScalar(-s[si]!);
  },
} satisfies Record<string, BinaryKernel>;

export type ActivationBackwardName = keyof typeof ACTIVATION_BACKWARD_KERNELS;
