/**
 * Scalar special functions behind the elementwise kernels: sigmoid, softplus, erf, erfc, and the
 * pieces of erfc that the GELU's derivative shares (internal: not exported from the package).
 *
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


/** 1 / (1 + e^-v), as e^v / (1 + e^v) for v < 0 so that e^(-v) never overflows. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** ln(1 + e^v) = max(v, 0) + ln(1 + e^-|v|), which never overflows. */
export function softplusScalar(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

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
export const ERFC_ZERO_BEYOND = 26.543;
/** Below this |x|, erf is the small-argument rational function (no exponential). */
export const ERF_SMALL_MAX = 0.46875;

/** erf(x) for |x| <= 0.46875. */
export function erfSmall(x: number): number {
  const t = x * x;
  let num = ERF_A[4]! * t;
  let den = t;
  for (let k = 0; k < 3; k++) {
    num = (num + ERF_A[k]!) * t;
    den = (den + ERF_B[k]!) * t;
  }
  return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
}

/** erfc(y) / e^(-y²) for y > 0.46875: the rational part of Cody's erfc. */
export function erfcRatio(y: number): number {
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let k = 0; k < 7; k++) {
      num = (num + ERFC_C[k]!) * y;
      den = (den + ERFC_D[k]!) * y;
    }
    return (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  }
  const t = 1 / (y * y);
  let num = ERFC_P[5]! * t;
  let den = t;
  for (let k = 0; k < 4; k++) {
    num = (num + ERFC_P[k]!) * t;
    den = (den + ERFC_Q[k]!) * t;
  }
  return (ONE_OVER_SQRT_PI - (t * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!)) / y;
}

/** e^(-y²) without the rounding error of y² (see the header). */
export function expMinusSquare(y: number): number {
  const s = Math.trunc(16 * y) / 16;
  return Math.exp(-s * s - (y - s) * (y + s));
}

/** erfc(y) for y > 0.46875. */
export function erfcLarge(y: number): number {
  if (y >= ERFC_ZERO_BEYOND) return 0;
  return expMinusSquare(y) * erfcRatio(y);
}

export function erfScalar(x: number): number {
  const y = Math.abs(x);
  if (y <= ERF_SMALL_MAX) return erfSmall(x);
  if (y !== y) return NaN;
  const r = 1 - erfcLarge(y);
  return x < 0 ? -r : r;
}

export function erfcScalar(x: number): number {
  const y = Math.abs(x);
  if (y <= ERF_SMALL_MAX) return 1 - erfSmall(x);
  if (y !== y) return NaN;
  const r = erfcLarge(y);
  return x < 0 ? 2 - r : r;
}

/**
 * erfc(a) for a >= 0 to float32 accuracy, given e = e^(-a²), with no branch: the GELU's
 * forward and backward for float32 results, where Cody's three-way split (erfSmall below
 * 0.46875, two rationals above) cost a mispredicted branch on about half the inputs of a
 * N(0, 1)-like activation and a division.
 *
 *   erfc(a) = t e^(-a²) R(t),   t = 1 / (1 + a/2)
 *
 * R(t) = erfc(a) e^(a²) / t is smooth and bounded for t in (0, 1] (it tends to 1/(2√π) as
 * a → ∞), so one polynomial of degree 11 in t covers the half-line: fitted by weighted least
 * squares over a in [0, 10] (tools/fit_erfc_float32.py), relative error at most 5.5e-10
 * there (R(1) = 1 exactly: erfc(0) = 1), far below fastExp's 2.7e-8 and float32's half-ulp of 6e-8. Beyond a = 10 the
 * product is below e^-100: a float32 GELU's tail has underflowed. NaN gives NaN.
 */
export function erfcTailFloat32(a: number, e: number): number {
  const t = 1 / (1 + 0.5 * a);
  // R(t) = sum of c_k t^k, k = 0..11, by Estrin's scheme: pairs, then pairs of pairs, so
  // the multiply-adds overlap instead of waiting on one another as in Horner's rule (a
  // GELU element took 12.2 ns with Horner, 11.2 with this; same values to 7e-16)
  const t2 = t * t;
  const t4 = t2 * t2;
  const t8 = t4 * t4;
  const c01 = 0.2820990807425641 + 0.2819609216119116 * t;
  const c23 = 0.24868019942435082 + 0.1614263535651355 * t;
  const c45 = 0.1615492907025973 - 0.281204255095486 * t;
  const c67 = 0.6242241975441196 - 1.198512579985034 * t;
  const c89 = 1.2469274557865637 - 0.7236358801153515 * t;
  const c1011 = 0.22680914428886184 - 0.030323928470232953 * t;
  const r = c01 + t2 * c23 + t4 * (c45 + t2 * c67) + t8 * (c89 + t2 * c1011);
  return t * e * r;
}
