/**
 * 16-bit floats: IEEE half (F16: 1 sign, 5 exponent, 10 mantissa bits) and bfloat16
 * (BF16: 1 sign, 8 exponent, 7 mantissa bits — float32's top half).
 *
 * Decoding is exact: every F16 and BF16 value is a float32 (and a float64).
 * Encoding rounds to nearest, ties to even, straight from the float64 value (rounding
 * through float32 first could round twice); values past the largest finite number
 * (by half an ulp or more) become ±Infinity, as IEEE rounding and PyTorch do; NaN
 * becomes the canonical quiet NaN (0x7E00 in F16, 0x7FC0 in BF16).
 */

interface SmallFloat {
  /** mantissa bits */
  readonly mantissa: number;
  /** largest biased exponent field value (all ones: inf and NaN) */
  readonly expMax: number;
  /** exponent bias */
  readonly bias: number;
}

/** Both formats are 16 bits wide with the sign on top. */
const SIGN_BIT = 0x8000;
const F16: SmallFloat = { mantissa: 10, expMax: 31, bias: 15 };
const BF16: SmallFloat = { mantissa: 7, expMax: 255, bias: 127 };

/**
 * value = (-1)^s × 2^(e - bias) × (1 + m / 2^M)   for 0 < e < expMax (normal)
 *       = (-1)^s × 2^(1 - bias) × (m / 2^M)      for e = 0 (zero and subnormals)
 */
function decode(bits: number, f: SmallFloat): number {
  const sign = bits & SIGN_BIT ? -1 : 1;
  const e = (bits >> f.mantissa) & f.expMax;
  const m = bits & ((1 << f.mantissa) - 1);
  if (e === f.expMax) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.mantissa);
  return sign * (2 ** f.mantissa + m) * 2 ** (e - f.bias - f.mantissa);
}

/** Rounds a non-negative number to the nearest integer, ties to even. */
function roundHalfEven(q: number): number {
  const floor = Math.floor(q);
  const rest = q - floor; // exact: q < 2^53 and floor shares its exponent range
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function encode(value: number, f: SmallFloat): number {
  const sign = value < 0 || Object.is(value, -0) ? SIGN_BIT : 0;
  const infinity = sign | (f.expMax << f.mantissa);
  if (Number.isNaN(value)) return infinity | (1 << (f.mantissa - 1)); // quiet NaN
  const a = Math.abs(value);
  const eMin = 1 - f.bias; // exponent of the smallest normal
  if (a < 2 ** eMin) {
    // subnormal or zero: count units of the smallest subnormal, 2^(eMin - M); the scaling
    // by a power of two is exact. A result of 2^M is the smallest normal, and its bit
    // pattern is exactly that integer, so no special case.
    return sign | roundHalfEven(a * 2 ** (f.mantissa - eMin));
  }
  if (a === Infinity) return infinity;
  let e = Math.floor(Math.log2(a));
  // log2 may be off by one next to a power of two; settle e with exact comparisons
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven(a * 2 ** (f.mantissa - e)); // in [2^M, 2^(M+1)]
  if (m === 2 ** (f.mantissa + 1)) {
    m /= 2;
    e++;
  }
  const biased = e + f.bias;
  if (biased >= f.expMax) return infinity;
  return sign | (biased << f.mantissa) | (m - 2 ** f.mantissa);
}

/** The value of F16 bits (exact). */
export function f16ToNumber(bits: number): number {
  return decode(bits & 0xffff, F16);
}

/** F16 bits of a number, rounded to nearest even. */
export function numberToF16(value: number): number {
  return encode(value, F16);
}

/** The value of BF16 bits (exact). */
export function bf16ToNumber(bits: number): number {
  return decode(bits & 0xffff, BF16);
}

/** BF16 bits of a number, rounded to nearest even. */
export function numberToBf16(value: number): number {
  return encode(value, BF16);
}
