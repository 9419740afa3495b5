import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Tensor,
  abs,
  clamp,
  cos,
  erf,
  exp,
  gelu,
  geluTanh,
  log,
  neg,
  powScalar,
  quickGelu,
  relu,
  rsqrt,
  sigmoid,
  sin,
  sqrt,
  square,
  tanh,
  tensor,
  type DType,
} from "../../packages/tensor/src/index.js";
import { expectClose, tensorArb } from "../support/arbitraries.js";

const RUNS = { numRuns: 100, seed: 42 };

const f64 = (values: number[]) => tensor(values, [values.length], { dtype: "float64" });
const i32 = (values: number[]) => tensor(values, [values.length], { dtype: "int32" });
const values = (t: Tensor) => Array.from(t.contiguousData());

// ---- a 60-digit erf, the oracle for our float64 erf ------------------------------
// erf(x) = 2/√π Σ_n (-1)^n x^(2n+1) / (n! (2n+1)), summed in BigInt fixed point with enough
// digits that the alternating terms (up to e^(x²)) cancel without losing the 60 we keep.

const PI_100 = 31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679n; // π × 10^100

function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** x × scale, exactly (truncated), from the double's mantissa and exponent. */
function toFixed(x: number, scale: bigint): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return sign * (exponent >= 0 ? (mantissa << BigInt(exponent)) * scale : (mantissa * scale) >> BigInt(-exponent));
}

/** erf(x) and erfc(x) from the series, rounded once to float64. */
function erfReference(x: number): { erf: number; erfc: number } {
  const scale = 10n ** BigInt(Math.ceil((x * x) / Math.LN10) + 60);
  const X = toFixed(x, scale);
  const X2 = (X * X) / scale;
  let term = X;
  let total = X;
  for (let n = 1n; ; n++) {
    term = (-term * X2) / scale / n;
    const t = term / (2n * n + 1n);
    if (t === 0n) break;
    total += t;
  }
  const sqrtPi = isqrt(((PI_100 * scale) / 10n ** 100n) * scale);
  const erfFixed = (2n * total * scale) / sqrtPi;
  const toDouble = (v: bigint) => Number((v << 200n) / scale) / 2 ** 200;
  return { erf: toDouble(erfFixed), erfc: toDouble(scale - erfFixed) };
}

// ---- hand-checked values ---------------------------------------------------------

describe("unary ops: hand-checked values", () => {
  it("neg, abs, square, relu keep the dtype", () => {
    expect(values(neg(f64([1, -2, 0])))).toEqual([-1, 2, -0]);
    expect(values(abs(f64([-1.5, 2, -0])))).toEqual([1.5, 2, 0]);
    expect(values(square(f64([-3, 0.5])))).toEqual([9, 0.25]);
    expect(values(relu(f64([-1, 0, 2, NaN])))).toEqual([0, 0, 2, NaN]);
    for (const op of [neg, abs, square, relu]) {
      const y = op(i32([-3, 4]));
      expect(y.dtype).toBe("int32");
    }
    expect(values(neg(i32([-3, 4])))).toEqual([3, -4]);
    expect(values(square(i32([-3, 4])))).toEqual([9, 16]);
  });

  it("exp, log, sqrt, rsqrt at their edges", () => {
    expect(values(exp(f64([0, 1, -Infinity, 1000])))).toEqual([1, Math.E, 0, Infinity]);
    expect(values(log(f64([1, 0, -1, Math.E])))).toEqual([0, -Infinity, NaN, 1]);
    expect(values(sqrt(f64([4, 2, -1])))).toEqual([2, Math.SQRT2, NaN]);
    expect(values(rsqrt(f64([4, 0, 2])))).toEqual([0.5, Infinity, 1 / Math.SQRT2]);
  });

  it("sin, cos, tanh", () => {
    expect(values(sin(f64([0, Math.PI / 2])))).toEqual([0, 1]);
    expect(values(cos(f64([0, Math.PI])))).toEqual([1, -1]);
    expect(values(tanh(f64([0, 1, -40])))).toEqual([0, Math.tanh(1), -1]);
  });

  it("sigmoid is exact at the extremes and never NaN", () => {
    expect(values(sigmoid(f64([0, -1000, 1000, 1, -1])))).toEqual([0.5, 0, 1, 1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1))]);
    expect(values(sigmoid(tensor([-1000, 1000, -Infinity, Infinity])))).toEqual([0, 1, 0, 1]);
  });

  it("gelu is torch's exact (erf) form", () => {
    // gelu(x) = x Φ(x); Φ(1) = 0.8413447460685429, Φ(-1) = 0.15865525393145707
    expectClose(gelu(f64([1, -1, 0, 3])), [0.8413447460685429, -0.15865525393145707, 0, 3 * 0.9986501019683699], { rtol: 1e-15, atol: 0 });
    // far left: no cancellation to 0, the true tiny value (x Φ(x) with Φ(-10) = 7.619853024160527e-24)
    expectClose(gelu(f64([-10])), [-7.619853024160527e-23], { rtol: 1e-13, atol: 0 });
    // -Infinity × Φ(-Infinity) = -Infinity × 0 is NaN, as in torch
    expect(values(gelu(f64([Infinity, -Infinity, NaN])))).toEqual([Infinity, NaN, NaN]);
    expect(gelu(tensor([1])).item()).toBe(Math.fround(0.8413447460685429));
  });

  it("geluTanh and quickGelu follow their formulas", () => {
    const torchTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expectClose(geluTanh(f64([1, -1, 0, 2.5, -3])), [1, -1, 0, 2.5, -3].map(torchTanh), { rtol: 1e-14, atol: 1e-16 });
    expectClose(geluTanh(f64([1])), [0.8411919906082768], { rtol: 1e-15, atol: 0 });
    expectClose(quickGelu(f64([1, -2])), [1 / (1 + Math.exp(-1.702)), -2 / (1 + Math.exp(3.404))], { rtol: 1e-15, atol: 0 });
    expect(values(quickGelu(f64([-1000, 1000])))).toEqual([-0, 1000]);
  });

  it("erf matches a 60-digit series to 1e-15 on [-6, 6]", () => {
    let worst = 0;
    const xs: number[] = [];
    for (let k = -600; k <= 600; k += 3) xs.push(k / 100 + 0.003 * Math.sin(k));
    const y = erf(f64(xs));
    xs.forEach((x, k) => (worst = Math.max(worst, Math.abs(y.get(k) - erfReference(x).erf))));
    expect(worst).toBeLessThanOrEqual(1e-15);
    expect(values(erf(f64([0, Infinity, -Infinity, NaN, 30, -30])))).toEqual([0, 1, -1, NaN, 1, -1]);
  });

  it("gelu for x < 0 keeps full relative precision (erfc, not 1 + erf)", () => {
    for (let x = -0.3; x > -12; x -= 0.37) {
      const u = -x * Math.SQRT1_2;
      const expected = 0.5 * x * erfReference(u).erfc;
      const got = gelu(f64([x])).item();
      expect(Math.abs(got - expected) / Math.abs(expected), `gelu(${x}) = ${got}, expected ${expected}`).toBeLessThanOrEqual(1e-13);
    }
  });

  it("powScalar and clamp", () => {
    expect(values(powScalar(f64([2, 4, -8]), 0.5))).toEqual([Math.SQRT2, 2, NaN]);
    expect(values(powScalar(f64([2, -3]), 2))).toEqual([4, 9]);
    expect(values(powScalar(f64([2, 0]), -1))).toEqual([0.5, Infinity]);
    expect(values(clamp(f64([-2, 0.5, 3, NaN]), 0, 1))).toEqual([0, 0.5, 1, NaN]);
    expect(values(clamp(f64([-2, 0.5, 3]), undefined, 0))).toEqual([-2, 0, 0]);
    expect(values(clamp(f64([-2, 0.5, 3]), 1))).toEqual([1, 1, 3]);
    expect(values(clamp(f64([-2, 0.5, 3]), 2, 1))).toEqual([1, 1, 1]); // min > max: all max, as torch
    const ints = clamp(i32([-3, 0, 1, 5]), 0.5, 4.5); // bounds round inward: [1, 4]
    expect(ints.dtype).toBe("int32");
    expect(values(ints)).toEqual([1, 1, 1, 4]);
  });
});

// ---- dtypes and layout ----------------------------------------------------------

describe("unary ops: dtypes and outputs", () => {
  const floatOps = { exp, log, sqrt, rsqrt, tanh, sigmoid, gelu, geluTanh, quickGelu, sin, cos, erf, pow3: (x: Tensor) => powScalar(x, 3) };
  const sameOps = { neg, abs, relu, square, clamp: (x: Tensor) => clamp(x, -1, 1) };

  it("float ops turn int32 into float32; float dtypes are kept", () => {
    for (const [name, op] of Object.entries(floatOps)) {
      expect(op(i32([1, 2])).dtype, name).toBe("float32");
      expect(op(f64([1, 2])).dtype, name).toBe("float64");
      expect(op(tensor([1, 2])).dtype, name).toBe("float32");
    }
    expect(values(exp(i32([0, 1])))).toEqual([1, Math.fround(Math.E)]);
    expect(values(powScalar(i32([2, 3]), 2))).toEqual([4, 9]);
  });

  it("sign ops keep every dtype", () => {
    for (const [name, op] of Object.entries(sameOps)) {
      for (const dtype of ["float32", "float64", "int32"] as DType[]) {
        expect(op(tensor([1, -2], [2], { dtype })).dtype, `${name} ${dtype}`).toBe(dtype);
      }
    }
  });

  it("the output is a fresh row-major tensor and the input is untouched", () => {
    const base = tensor([1, -2, 3, -4, 5, -6], [2, 3]);
    const view = base.transpose(); // [3,2], strides [1,3]
    const y = neg(view);
    expect(y.shape).toEqual([3, 2]);
    expect(y.isCompact()).toBe(true);
    expect(y.data).not.toBe(base.data);
    expect(y.toArray()).toEqual([[-1, 4], [2, -5], [-3, 6]]);
    expect(Array.from(base.data)).toEqual([1, -2, 3, -4, 5, -6]);
    expect(exp(tensor([0], [])).shape).toEqual([]); // 0-d in, 0-d out
    expect(exp(tensor([], [2, 0])).shape).toEqual([2, 0]);
  });
});

// ---- properties: the kernel (contiguous or strided) equals Math.* per element -----

describe("unary ops: kernel equals the per-element definition on any layout", () => {
  const sigmoidRef = (v: number) => 1 / (1 + Math.exp(-v));
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
    ["neg", neg, (v) => -v],
    ["abs", abs, Math.abs],
    ["square", square, (v) => v * v],
    ["relu", relu, (v) => Math.max(v, 0)],
    ["exp", exp, Math.exp],
    ["log", log, Math.log],
    ["sqrt", sqrt, Math.sqrt],
    ["rsqrt", rsqrt, (v) => 1 / Math.sqrt(v)],
    ["tanh", tanh, Math.tanh],
    ["sin", sin, Math.sin],
    ["cos", cos, Math.cos],
    ["sigmoid", sigmoid, sigmoidRef],
    ["gelu", gelu, (v) => 0.5 * v * (1 + erfReference(v * Math.SQRT1_2).erf)],
    ["geluTanh", geluTanh, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
    ["quickGelu", quickGelu, (v) => v * sigmoidRef(1.702 * v)],
    ["erf", erf, (v) => erfReference(v).erf],
    ["powScalar(x, 1.5)", (x) => powScalar(x, 1.5), (v) => Math.pow(v, 1.5)],
    ["powScalar(x, 2)", (x) => powScalar(x, 2), (v) => v ** 2],
    ["clamp(x, -1, 0.5)", (x) => clamp(x, -1, 0.5), (v) => Math.min(Math.max(v, -1), 0.5)],
  ];

  for (const [name, op, reference] of cases) {
    it(name, () => {
      for (const dtype of ["float64", "float32"] as DType[]) {
        const tol = dtype === "float64" ? { rtol: 1e-13, atol: 1e-15 } : { rtol: 1e-6, atol: 1e-7 };
        fc.assert(
          fc.property(tensorArb({ maxDims: 4, maxSize: 4 }, { dtype }), (x) => {
            const y = op(x);
            expect(y.shape).toEqual(x.shape);
            expect(y.isCompact()).toBe(true);
            const expected = Float64Array.from(x.toFlatArray(), reference);
            expectClose(y, dtype === "float32" ? Float32Array.from(expected) : expected, { ...tol, label: `${name} ${dtype} of shape [${x.shape}]` });
          }),
          RUNS,
        );
      }
    });
  }

  it("int32 inputs give the same values as their float64 conversion", () => {
    fc.assert(
      fc.property(tensorArb({ maxDims: 3 }, { dtype: "int32", min: -5, max: 5 }), (x) => {
        const asFloat = x.to("float64");
        expectClose(square(x), square(asFloat), { rtol: 0, atol: 0 });
        expectClose(sigmoid(x), Float32Array.from(sigmoid(asFloat).contiguousData()), { rtol: 0, atol: 0 });
      }),
      RUNS,
    );
  });
});

// ---- errors ----------------------------------------------------------------------

describe("unary ops: errors name the op and the argument", () => {
  it("rejects a non-tensor input", () => {
    expect(() => exp(3 as unknown as Tensor)).toThrow("exp: x must be a Tensor, got number");
    expect(() => gelu(null as unknown as Tensor)).toThrow("gelu: x must be a Tensor, got null");
  });

  it("clamp needs a bound, and numbers", () => {
    expect(() => clamp(f64([1]))).toThrow("clamp: at least one of min and max must be given, got neither");
    expect(() => clamp(f64([1]), "0" as unknown as number)).toThrow("clamp: min must be a number, got string");
  });

  it("powScalar needs a number exponent", () => {
    expect(() => powScalar(f64([1]), f64([2]) as unknown as number)).toThrow("powScalar: p must be a number, got object");
  });
});
