/**
 * F16 and BF16 (packages/nn/src/safetensors/half.ts): decoding checked on all 65,536 bit
 * patterns of each against a bit-level oracle, encoding checked as round to nearest even
 * against the neighbouring values. Python's numpy/ml_dtypes rounding is checked in
 * safetensors-python.test.ts.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bf16ToNumber, f16ToNumber, numberToBf16, numberToF16 } from "../../packages/nn/src/index.js";

const scratch = new DataView(new ArrayBuffer(4));
const f32FromBits = (bits: number): number => {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
};

/** F16 bits → float32 bits, the way hardware widens: renormalise subnormals, widen the exponent. */
function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent === 0) {
    if (mantissa === 0) return sign >>> 0;
    exponent = 1;
    while ((mantissa & 0x400) === 0) {
      mantissa <<= 1;
      exponent--;
    }
    mantissa &= 0x3ff;
  }
  return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
}

const same = (a: number, b: number) => Object.is(a, b);

describe("F16", () => {
  it("decodes all 65,536 patterns exactly (subnormals, infinities, NaN, -0)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const expected = f32FromBits(f16ToF32Bits(h));
      const actual = f16ToNumber(h);
      if (!same(actual, expected)) throw new Error(`F16 0x${h.toString(16)} decodes to ${actual}, expected ${expected}`);
    }
  });

  it("encoding a decoded value gives back the same bits (NaNs become 0x7e00)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const value = f16ToNumber(h);
      const back = numberToF16(value);
      const expected = Number.isNaN(value) ? 0x7e00 : h;
      if (back !== expected) throw new Error(`F16 0x${h.toString(16)} (${value}) re-encodes to 0x${back.toString(16)}`);
    }
  });

  it("rounds to nearest, ties to even, and overflows at 65520 as IEEE does", () => {
    expect(numberToF16(1 + 2 ** -11)).toBe(0x3c00); // tie, even mantissa below
    expect(numberToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, odd below → up
    expect(numberToF16(65519.99)).toBe(0x7bff);
    expect(numberToF16(65520)).toBe(0x7c00);
    expect(numberToF16(-1e9)).toBe(0xfc00);
    expect(numberToF16(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(numberToF16(3 * 2 ** -26)).toBe(0x0001); // 0.75 of the smallest subnormal rounds up to it
    expect(numberToF16(-(2 ** -26))).toBe(0x8000); // rounds to -0
    expect(numberToF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // tie between largest subnormal (odd) and smallest normal
  });

  it("rounds from the float64 value directly, not through float32 (no double rounding)", () => {
    // float32 would round this to the tie 1 + 2^-11, which then rounds to even (1.0)
    expect(Math.fround(1 + 2 ** -11 + 2 ** -40)).toBe(1 + 2 ** -11);
    expect(numberToF16(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
  });
});

describe("BF16", () => {
  it("decodes all 65,536 patterns as the top half of a float32", () => {
    for (let b = 0; b < 0x10000; b++) {
      const expected = f32FromBits(b << 16);
      const actual = bf16ToNumber(b);
      if (!same(actual, expected)) throw new Error(`BF16 0x${b.toString(16)} decodes to ${actual}, expected ${expected}`);
    }
  });

  it("encoding a decoded value gives back the same bits (NaNs become 0x7fc0)", () => {
    for (let b = 0; b < 0x10000; b++) {
      const value = bf16ToNumber(b);
      const expected = Number.isNaN(value) ? 0x7fc0 : b;
      if (numberToBf16(value) !== expected) throw new Error(`BF16 0x${b.toString(16)} re-encodes to 0x${numberToBf16(value).toString(16)}`);
    }
  });

  it("property: from float32, equals the classic round-to-nearest-even bit trick (PyTorch's)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const value = f32FromBits(bits);
        if (Number.isNaN(value)) return;
        const expected = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
        const actual = numberToBf16(value);
        if (actual !== expected) throw new Error(`float32 0x${bits.toString(16)} (${value}): got BF16 0x${actual.toString(16)}, expected 0x${expected.toString(16)}`);
      }),
      { seed: 11, numRuns: 20_000 },
    );
  });
});

describe.each([
  { name: "F16", encode: numberToF16, decode: f16ToNumber, maxFinite: 0x7bff, topExponent: 16 },
  { name: "BF16", encode: numberToBf16, decode: bf16ToNumber, maxFinite: 0x7f7f, topExponent: 128 },
])("$name encoding of any float64", ({ name, encode, decode, maxFinite, topExponent }) => {
  /** Throws unless encode(x) is the nearest value, ties going to the even pattern. */
  const checkNearest = (x: number): void => {
    const bits = encode(x);
    const magnitude = bits & 0x7fff;
    if (magnitude > maxFinite) {
      // ±Infinity: only when |x| is at least halfway past the largest finite value
      const largest = decode(maxFinite);
      const ulp = largest - decode(maxFinite - 1);
      if (!(Math.abs(x) >= largest + ulp / 2)) throw new Error(`${name}(${x}) overflowed to 0x${bits.toString(16)}`);
      return;
    }
    const value = decode(bits);
    if (value !== 0 && Math.sign(value) !== Math.sign(x)) throw new Error(`${name}(${x}) = ${value} has the wrong sign`);
    const error = Math.abs(value - x);
    for (const neighbour of [magnitude - 1, magnitude + 1]) {
      if (neighbour < 0 || neighbour > maxFinite) continue;
      const other = Math.abs(decode((bits & 0x8000) | neighbour) - x);
      if (other < error || (other === error && magnitude % 2 === 1)) {
        throw new Error(`${name}(${x}) = 0x${bits.toString(16)} (${value}), but 0x${neighbour.toString(16)} is as near or nearer and even`);
      }
    }
  };

  it("is the nearest representable value, ties to the even pattern (any double)", () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), checkNearest), { seed: 5, numRuns: 5000 });
  });

  it("is the nearest representable value for doubles spread over its exponent range, and exact halfway points", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2, noNaN: true }), fc.integer({ min: -topExponent - 12, max: topExponent }), fc.boolean(), (m, e, negative) => {
        checkNearest((negative ? -m : m) * 2 ** e);
      }),
      { seed: 6, numRuns: 5000 },
    );
    // every halfway point between neighbours must go to the even one
    for (let bits = 0; bits < maxFinite; bits++) {
      const halfway = (decode(bits) + decode(bits + 1)) / 2;
      const expected = bits % 2 === 0 ? bits : bits + 1;
      if (encode(halfway) !== expected) throw new Error(`${name}: halfway ${halfway} between 0x${bits.toString(16)} and the next encodes to 0x${encode(halfway).toString(16)}`);
    }
  });
});
