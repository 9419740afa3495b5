/**
 * A fast exp for float32 results, for x <= 0 (what softmax feeds it after subtracting
 * the row max). Math.exp costs 7.5-12 ns a call on this project's machines and was
 * softmax's bottleneck; this costs about a quarter of that.
 *
 *   exp(x) = 2^(k/64) * exp(r),   k = round(x * 64/ln2),   r = x - k * ln2/64,   |r| <= ln2/128
 *
 * - 2^(k/64) comes from one table of 9,700 float64 values covering every k the clamped
 *   range can produce (78 KB: it stays in L2). The table is exact to float64 rounding.
 * - exp(r) ~ 1 + r + r^2/2. On |r| <= 0.00542 the truncation error is below
 *   |r|^3/6 * 1.01 < 2.7e-8 (relative).
 * - round(t) without Math.round (about 12 ns here): adding and subtracting 1.5 * 2^52
 *   rounds a double to the nearest integer in two adds.
 * - r's own rounding error (k * ulp(ln2/64) < 2e-14) is far below the polynomial's.
 * - Below x = -104 every float32 result is 0 (the smallest float32 subnormal is e^-103.3),
 *   so x is clamped there; NaN passes through as NaN.
 *
 * Error budget after rounding to float32: 2.7e-8 (polynomial) + 6e-8 (half a float32 ulp)
 * < 9e-8 relative; the test sweeps the range and asserts <= 2e-7.
 * float64 callers must use Math.exp: this is accurate to ~3e-8, not to 1e-16.
 */

const ROUND = 6755399441055744; // 1.5 * 2^52
const SCALE = 64 / Math.LN2;
const STEP = Math.LN2 / 64;
const MIN_X = -104;
/** The smallest k that x >= MIN_X can produce (with a margin). */
const K_MIN = -9700;

/** 2^(k/64) for k in [K_MIN, 0], indexed by k - K_MIN. */
export const EXP2_TABLE = Float64Array.from({ length: -K_MIN + 1 }, (_, i) => 2 ** ((i + K_MIN) / 64));

/** exp(x) for x <= 0, to float32 accuracy. Exported for tests; kernels inline the same steps. */
export function fastExp(x: number): number {
  const d = x < MIN_X ? MIN_X : x;
  const kf = d * SCALE + ROUND - ROUND;
  const r = d - kf * STEP;
  return EXP2_TABLE[(kf | 0) - K_MIN]! * (1 + r * (1 + r * 0.5));
}

export const FAST_EXP = { ROUND, SCALE, STEP, MIN_X, K_MIN } as const;
