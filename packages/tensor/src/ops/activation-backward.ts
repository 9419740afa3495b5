/**
 * The activations' backward passes as single elementwise kernels: dx = dy * f'(x) in one
 * pass over (saved, dy), where a composition of tensor ops would make several passes and
 * round to float32 after each. autograd's VJPs call these.
 *
 *   saved and dy have one shape (any layout); dx is row-major of that shape, in dy's dtype.
 *
 *   relu       y = max(x, 0)                 dx = dy [y > 0]                               saved y
 *   sigmoid    y = σ(x)                      dx = dy y (1 - y)                             saved y
 *   tanh       y = tanh x                    dx = dy (1 - y²)                              saved y
 *   gelu       y = x Φ(x)                    dx = dy (Φ(x) + x φ(x)),  φ(x) = e^(-x²/2)/√(2π)  saved x
 *   geluTanh   y = x (1 + tanh u)/2          dx = dy ((1 + t)/2 + x (1 - t²) u'(x)/2),      saved x
 *              u = √(2/π)(x + 0.044715 x³)   t = tanh u, u'(x) = √(2/π)(1 + 3·0.044715 x²)
 *   quickGelu  y = x σ(1.702 x)              dx = dy (s + 1.702 x s (1 - s)),  s = σ(1.702 x)  saved x
 *   abs        y = |x|                       dx = dy sign(x)  (0 at 0)                     saved x
 *   clamp      y = min(max(x, lo), hi)       dx = dy [lo < x < hi]                         saved x
 *   softplus   y = ln(1 + e^x)               dx = dy σ(x)                                  saved x
 *   logSigmoid y = ln σ(x)                   dx = dy σ(-x)                                 saved x
 *
 * The math runs in float64 and is rounded once, on store. The GELU's kernel shares one
 * exponential between Φ and φ (see activation-backward-kernels.ts), so it differs from
 * `activationBackwardNaive` (separate erfc and exp) by float64 rounding only: e^(-x²/2) from
 * Math.exp loses ~x² ulps to the rounding of x², the kernel's does not.
 */

import { allocate } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import type { ActivationBackwardName } from "./activation-backward-kernels.js";

export type { ActivationBackwardName };
import { binaryInto } from "./elementwise.js";
import { erfcScalar, sigmoidScalar } from "./special.js";

function backward(op: ActivationBackwardName, saved: Tensor, dy: Tensor, args: number[] = []): Tensor {
  if (!(saved instanceof Tensor) || !(dy instanceof Tensor)) throw new TensorError(op, `saved and dy must be Tensors`);
  if (!shapesEqual(saved.shape, dy.shape)) {
    throw new TensorError(op, `saved and dy must have one shape, got ${fmtShape(saved.shape)} and ${fmtShape(dy.shape)}`);
  }
  if (dy.dtype === "int32") throw new TensorError(op, `dy must be float32 or float64, got int32`);
  const out = allocate(dy.dtype, dy.size);
  binaryInto(op, dy.shape, saved, dy, out, args);
  return new Tensor(out, dy.shape);
}

/** dx = dy where y > 0, else 0 (y = relu(x)). */
export function reluBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("reluBackward", y, dy);
}

/** dx = dy y (1 - y) (y = sigmoid(x)). */
export function sigmoidBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("sigmoidBackward", y, dy);
}

/** dx = dy (1 - y²) (y = tanh(x)). */
export function tanhBackward(y: Tensor, dy: Tensor): Tensor {
  return backward("tanhBackward", y, dy);
}

/** dx = dy (Φ(x) + x φ(x)), the exact GELU's. */
export function geluBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("geluBackward", x, dy);
}

/** The tanh-approximated GELU's (torch's approximate="tanh"). */
export function geluTanhBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("geluTanhBackward", x, dy);
}

/** dx = dy (s + 1.702 x s (1 - s)), s = σ(1.702 x). */
export function quickGeluBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("quickGeluBackward", x, dy);
}

/** dx = dy sign(x), 0 at x = 0. */
export function absBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("absBackward", x, dy);
}

/** dx = dy where min < x < max, else 0 (an omitted bound is ±Infinity). */
export function clampBackward(x: Tensor, dy: Tensor, min = -Infinity, max = Infinity): Tensor {
  return backward("clampBackward", x, dy, [min, max]);
}

/** dx = dy σ(x). */
export function softplusBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("softplusBackward", x, dy);
}

/** dx = dy σ(-x). */
export function logSigmoidBackward(x: Tensor, dy: Tensor): Tensor {
  return backward("logSigmoidBackward", x, dy);
}

// ---- the naive reference ------------------------------------------------------

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** f'(v) (or the whole dx for the masks) per activation, written from the definitions. */
const DERIVATIVES: Record<ActivationBackwardName, (v: number, g: number, args: number[]) => number> = {
  reluBackward: (y, g) => (y > 0 ? g : 0),
  sigmoidBackward: (y, g) => g * y * (1 - y),
  tanhBackward: (y, g) => g * (1 - y * y),
  // Φ(x) as 0.5 erfc(-x/√2), not 0.5 (1 + erf(x/√2)), which cancels to 0 for x << 0
  geluBackward: (x, g) => g * (0.5 * erfcScalar(-x * Math.SQRT1_2) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI)),
  geluTanhBackward: (x, g) => {
    const t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3));
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x));
  },
  quickGeluBackward: (x, g) => {
    const s = sigmoidScalar(1.702 * x);
    return g * (s + 1.702 * x * s * (1 - s));
  },
  absBackward: (x, g) => (x > 0 ? g : x < 0 ? -g : 0),
  clampBackward: (x, g, [lo, hi]) => (x > lo! && x < hi! ? g : 0),
  softplusBackward: (x, g) => g * sigmoidScalar(x),
  logSigmoidBackward: (x, g) => g * sigmoidScalar(-x),
};

/** The reference: the definitions above, one element at a time. The tests' oracle. */
export function activationBackwardNaive(op: ActivationBackwardName, saved: Tensor, dy: Tensor, args: number[] = [-Infinity, Infinity]): Tensor {
  const s = saved.toFlatArray();
  const g = dy.toFlatArray();
  const out = allocate(dy.dtype, dy.size);
  for (let i = 0; i < out.length; i++) out[i] = DERIVATIVES[op](s[i]!, g[i]!, args);
  return new Tensor(out, dy.shape);
}
