/**
 * Making tensors (creation.ts): constants, ranges, identity, nested arrays, flat values
 * and seeded random draws.
 */

import { describe, expect, it } from "vitest";
import {
  Generator,
  Tensor,
  arange,
  eye,
  fromArray,
  full,
  linspace,
  manualSeed,
  normal,
  ones,
  onesLike,
  rand,
  randn,
  scalar,
  tensor,
  uniform,
  zeros,
  zerosLike,
  type DType,
  type NestedArray,
} from "../../packages/tensor/src/index.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

function moments(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

/**
 * A generator whose next raw 32-bit outputs are `first` and then `second`, found by inverting
 * xoshiro128**'s output scrambler (result = rotl(s1 * 5, 7) * 9); with s0 = 0 the next s1 is s1 ^ s2.
 */
function generatorWithOutputs(first: number, second = 0): Generator {
  const s1For = (output: number) => {
    const y = Math.imul(output, 0x38e38e39) >>> 0; // times 9^-1 mod 2^32
    const x = ((y >>> 7) | (y << 25)) >>> 0; // rotr 7
    return Math.imul(x, 0xcccccccd) >>> 0; // times 5^-1 mod 2^32
  };
  const a = s1For(first);
  const g = new Generator();
  g.setState([0, a, (a ^ s1For(second)) >>> 0, 0, Number.NaN]);
  return g;
}

// ---- constants -----------------------------------------------------------------------

describe("zeros / ones / full / scalar / zerosLike / onesLike", () => {
  it("fill a fresh compact tensor, float32 by default", () => {
    const z = zeros([2, 3]);
    expect(z.dtype).toBe("float32");
    expect(z.shape).toEqual([2, 3]);
    expect(z.isCompact()).toBe(true);
    expect(flat(z)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(flat(ones([4]))).toEqual([1, 1, 1, 1]);
    expect(full([2, 2], 7.5).toArray()).toEqual([
      [7.5, 7.5],
      [7.5, 7.5],
    ]);
  });

  it("honour the dtype option, converting the fill value as the typed array does", () => {
    expect(ones([2], { dtype: "int32" }).data).toBeInstanceOf(Int32Array);
    expect(zeros([2], { dtype: "float64" }).data).toBeInstanceOf(Float64Array);
    expect(flat(full([2], 2.9, { dtype: "int32" }))).toEqual([2, 2]);
    expect(flat(full([2], -2.9, { dtype: "int32" }))).toEqual([-2, -2]);
    expect(flat(full([1], 0.1))).toEqual([Math.fround(0.1)]);
    expect(flat(full([1], 0.1, { dtype: "float64" }))).toEqual([0.1]);
    expect(flat(full([2], Number.NEGATIVE_INFINITY))).toEqual([-Infinity, -Infinity]);
  });

  it("make scalars (0-d) and empty tensors", () => {
    const s = scalar(3);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.item()).toBe(3);
    expect(scalar(2.5, { dtype: "float64" }).dtype).toBe("float64");
    expect(zeros([]).item()).toBe(0);
    const empty = ones([2, 0, 3]);
    expect(empty.size).toBe(0);
    expect(empty.data.length).toBe(0);
    expect(empty.toArray()).toEqual([[], []]);
  });

  it("zerosLike / onesLike copy shape and dtype, not values or layout", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: "int32" }).transpose();
    const z = zerosLike(x);
    expect(z.shape).toEqual([3, 2]);
    expect(z.dtype).toBe("int32");
    expect(z.isCompact()).toBe(true);
    expect(flat(z)).toEqual([0, 0, 0, 0, 0, 0]);
    const o = onesLike(scalar(9, { dtype: "float64" }));
    expect(o.shape).toEqual([]);
    expect(o.dtype).toBe("float64");
    expect(o.item()).toBe(1);
  });

  it("reject a bad shape (the error names full, which zeros and ones call)", () => {
    expect(() => zeros([2, -1])).toThrow("zeros: shape must hold non-negative integers, got [2,-1]");
    expect(() => ones([1.5])).toThrow("ones: shape must hold non-negative integers, got [1.5]");
    expect(() => full([2], 1, { dtype: "int64" as DType })).toThrow("full: dtype must be one of float32, float64, int32, got int64");
  });

  it("return a new buffer each call (tensors are values)", () => {
    expect(zeros([2]).data).not.toBe(zeros([2]).data);
  });
});

// ---- ranges --------------------------------------------------------------------------

describe("arange", () => {
  it("one argument: 0 .. n-1", () => {
    expect(flat(arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).shape).toEqual([5]);
    expect(arange(5).dtype).toBe("float32");
  });

  it("two arguments: start .. end-1", () => {
    expect(flat(arange(2, 6))).toEqual([2, 3, 4, 5]);
    expect(flat(arange(-2, 1))).toEqual([-2, -1, 0]);
  });

  it("three arguments: a step, fractional or negative; the end is excluded", () => {
    expect(flat(arange(0, 1, 0.25))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(flat(arange(0, 10, 3))).toEqual([0, 3, 6, 9]);
    expect(flat(arange(5, 0, -1))).toEqual([5, 4, 3, 2, 1]);
    expect(flat(arange(1, -1, -0.5))).toEqual([1, 0.5, 0, -0.5]);
    expect(arange(0, 1, 0.1, { dtype: "float64" }).size).toBe(10);
  });

  it("is empty when the step points away from the end, or start equals end", () => {
    expect(arange(0).shape).toEqual([0]);
    expect(arange(3, 3).shape).toEqual([0]);
    expect(arange(5, 0).shape).toEqual([0]);
    expect(arange(0, 5, -1).shape).toEqual([0]);
    expect(arange(-4).shape).toEqual([0]);
  });

  it("takes a dtype (int32 truncates fractional values)", () => {
    const i = arange(4, undefined, 1, { dtype: "int32" });
    expect(i.data).toBeInstanceOf(Int32Array);
    expect(flat(i)).toEqual([0, 1, 2, 3]);
    expect(flat(arange(0, 2, 0.5, { dtype: "int32" }))).toEqual([0, 0, 1, 1]);
    expect(arange(3, undefined, 1, { dtype: "float64" }).dtype).toBe("float64");
  });

  it("rejects step 0 and non-finite arguments", () => {
    expect(() => arange(0, 5, 0)).toThrow("arange: start, end and step must be finite with step != 0, got 0, 5, 0");
    expect(() => arange(Number.POSITIVE_INFINITY)).toThrow("arange: start, end and step must be finite with step != 0, got 0, Infinity, 1");
    expect(() => arange(Number.NaN, 3)).toThrow("arange: start, end and step must be finite with step != 0, got NaN, 3, 1");
    expect(() => arange(0, 3, Number.NaN)).toThrow("got 0, 3, NaN");
    expect(() => arange(3, undefined, 1, { dtype: "bool" as DType })).toThrow("arange: dtype must be one of float32, float64, int32, got bool");
  });
});

describe("linspace", () => {
  it("includes both endpoints, evenly spaced", () => {
    expect(flat(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(flat(linspace(2, -2, 3))).toEqual([2, 0, -2]);
    expect(linspace(0, 1, 5).shape).toEqual([5]);
  });

  it("the endpoints are exact even when start + (steps-1)*delta would round", () => {
    const t = linspace(0.1, 0.7, 7, { dtype: "float64" });
    expect(t.data[0]).toBe(0.1);
    expect(t.data[6]).toBe(0.7);
    const delta = (0.7 - 0.1) / 6;
    for (let i = 1; i < 6; i++) expect(Math.abs(t.data[i]! - (0.1 + i * delta)), `index ${i}`).toBeLessThan(1e-15);
  });

  it("one step gives [start]; zero steps give an empty tensor", () => {
    expect(flat(linspace(3, 9, 1))).toEqual([3]);
    expect(linspace(3, 9, 0).shape).toEqual([0]);
    expect(flat(linspace(4, 4, 3))).toEqual([4, 4, 4]);
  });

  it("rejects negative and fractional step counts", () => {
    expect(() => linspace(0, 1, -1)).toThrow("linspace: steps must be a non-negative integer, got -1");
    expect(() => linspace(0, 1, 2.5)).toThrow("linspace: steps must be a non-negative integer, got 2.5");
  });
});

describe("eye", () => {
  it("square and rectangular identities", () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(eye(3, 2).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(eye(2, 2, { dtype: "int32" }).dtype).toBe("int32");
  });

  it("rejects negative or fractional sizes", () => {
    expect(() => eye(-1)).toThrow("eye: size must hold non-negative integers, got [-1,-1]");
    expect(() => eye(2, 1.5)).toThrow("eye: size must hold non-negative integers, got [2,1.5]");
  });
});

// ---- from JavaScript values ----------------------------------------------------------

describe("fromArray", () => {
  it("reads the shape from nesting and the values row-major", () => {
    const t = fromArray([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(flat(t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fromArray([[[1], [2]]]).shape).toEqual([1, 2, 1]);
  });

  it("a number is a scalar; [] is empty; [[], []] is 2x0", () => {
    const s = fromArray(4);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(4);
    expect(fromArray([]).shape).toEqual([0]);
    expect(fromArray([[], []]).shape).toEqual([2, 0]);
  });

  it("round-trips through toArray", () => {
    const values: NestedArray = [
      [
        [1, -2],
        [3.5, 0],
      ],
      [
        [9, 8],
        [7, 6],
      ],
    ];
    expect(fromArray(values, { dtype: "float64" }).toArray()).toEqual(values);
  });

  it("honours dtype", () => {
    expect(flat(fromArray([1.7, -1.7], { dtype: "int32" }))).toEqual([1, -1]);
    expect(() => fromArray([1], { dtype: "uint8" as DType })).toThrow("fromArray: dtype must be one of float32, float64, int32, got uint8");
  });

  it("rejects ragged arrays, naming the position and both lengths", () => {
    expect(() => fromArray([[1, 2], [3]])).toThrow("fromArray: ragged array: expected length 2 at [1], got length 1");
    expect(() =>
      fromArray([
        [
          [1, 2],
          [3, 4],
        ],
        [[5, 6], [7]],
      ]),
    ).toThrow("fromArray: ragged array: expected length 2 at [1][1], got length 1");
    expect(() => fromArray([[1], 2] as NestedArray)).toThrow("fromArray: ragged array: expected length 1 at [1], got number");
  });

  it("rejects non-numbers, naming the position, what came and the shape", () => {
    expect(() => fromArray([[1, "a" as unknown as number]])).toThrow('fromArray: expected a number at [0][1], got string (shape [1,2])');
    expect(() => fromArray([1, [2]])).toThrow("fromArray: expected a number at [1], got an array (shape [2])");
    expect(() => fromArray([null as unknown as number])).toThrow("fromArray: expected a number at [0], got object (shape [1])");
    expect(() => fromArray(undefined as unknown as number)).toThrow("fromArray: expected a number at [], got undefined (shape [])");
  });
});

describe("tensor(flat, shape)", () => {
  it("copies flat values into the given shape (default: 1-D)", () => {
    const source = [1, 2, 3, 4, 5, 6];
    const t = tensor(source, [2, 3]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    source[0] = 100;
    expect(t.get(0, 0)).toBe(1);
    expect(tensor([7, 8]).shape).toEqual([2]);
    expect(tensor([5], []).item()).toBe(5);
    expect(tensor([]).shape).toEqual([0]);
  });

  it("accepts any array-like, e.g. a typed array, and converts to the dtype", () => {
    const t = tensor(Float64Array.of(1.5, -2.5), [2], { dtype: "int32" });
    expect(t.dtype).toBe("int32");
    expect(flat(t)).toEqual([1, -2]);
  });

  it("rejects a shape the values do not fill, and bad shapes", () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow("tensor: 3 values do not fill shape [2,2] (4 elements)");
    expect(() => tensor([1], [])).not.toThrow();
    expect(() => tensor([1, 2], [])).toThrow("tensor: 2 values do not fill shape [] (1 elements)");
    expect(() => tensor([1, 2], [2, -1])).toThrow("tensor: shape must hold non-negative integers, got [2,-1]");
    expect(() => tensor([1], [1], { dtype: "float16" as DType })).toThrow("tensor: dtype must be one of float32, float64, int32, got float16");
  });
});

// ---- random --------------------------------------------------------------------------

describe("rand / randn / uniform / normal: shapes, dtypes, generators", () => {
  it("make tensors of the given shape, float32 by default or float64", () => {
    const g = new Generator(1);
    for (const make of [rand, randn]) {
      const t = make([2, 3, 4], { generator: g });
      expect(t.shape).toEqual([2, 3, 4]);
      expect(t.dtype).toBe("float32");
      expect(t.isCompact()).toBe(true);
      expect(make([5], { generator: g, dtype: "float64" }).dtype).toBe("float64");
      expect(make([], { generator: g }).shape).toEqual([]);
      expect(make([3, 0], { generator: g }).size).toBe(0);
    }
    expect(uniform([7], -1, 1, { generator: g }).shape).toEqual([7]);
    expect(normal([7], 0, 1, { generator: g }).shape).toEqual([7]);
  });

  it("without a generator, draw from the default one (manualSeed makes them reproducible)", () => {
    manualSeed(123);
    const a = flat(rand([4]));
    manualSeed(123);
    expect(flat(rand([4]))).toEqual(a);
    expect(flat(rand([4], { generator: new Generator(123) }))).toEqual(a);
  });

  it("float32 draws are float32 roundings of float64-quality values", () => {
    const t = rand([1000], { generator: new Generator(2) });
    for (const v of t.data) if (!Number.isInteger(v * 2 ** 24)) expect.fail(`rand float32 value ${v} is not a multiple of 2^-24`);
  });

  it("uniform(shape, low, high) stays in [low, high), and low == high gives a constant", () => {
    const cases: [number, number, DType][] = [
      [0, 1, "float32"],
      [-3, 5, "float32"],
      [2, 2.5, "float64"],
      [-1e-3, 1e-3, "float64"],
    ];
    for (const [low, high, dtype] of cases) {
      const t = uniform([20_000], low, high, { dtype, generator: new Generator(3) });
      for (const v of t.data) if (!(v >= low && v < high)) expect.fail(`uniform(${low}, ${high}, ${dtype}) gave ${v}`);
    }
    expect(flat(uniform([3], 4, 4, { generator: new Generator(3) }))).toEqual([4, 4, 4]);
  });

  it("rand and randn moments over 100k draws: mean within 0.01, std within 0.01", () => {
    const n = 100_000;
    const u = moments(rand([n], { generator: new Generator(4) }).data);
    expect(Math.abs(u.mean - 0.5), `rand mean ${u.mean} vs 0.5 (tol 0.01)`).toBeLessThan(0.01);
    expect(Math.abs(u.std - Math.sqrt(1 / 12)), `rand std ${u.std} vs ${Math.sqrt(1 / 12)} (tol 0.01)`).toBeLessThan(0.01);
    const z = moments(randn([n], { generator: new Generator(5), dtype: "float64" }).data);
    expect(Math.abs(z.mean), `randn mean ${z.mean} vs 0 (tol 0.01)`).toBeLessThan(0.01);
    expect(Math.abs(z.std - 1), `randn std ${z.std} vs 1 (tol 0.01)`).toBeLessThan(0.01);
  });

  it("uniform and normal moments scale with their parameters (checked in standard units, tol 0.01)", () => {
    const n = 100_000;
    const [low, high] = [-2, 3];
    const u = moments(uniform([n], low, high, { generator: new Generator(6) }).data.map((v) => (v - low) / (high - low)));
    expect(Math.abs(u.mean - 0.5), `uniform(${low}, ${high}) standardized mean ${u.mean} vs 0.5`).toBeLessThan(0.01);
    expect(Math.abs(u.std - Math.sqrt(1 / 12)), `uniform(${low}, ${high}) standardized std ${u.std}`).toBeLessThan(0.01);
    const [mean, std] = [3, 2];
    const z = moments(normal([n], mean, std, { generator: new Generator(7), dtype: "float64" }).data.map((v) => (v - mean) / std));
    expect(Math.abs(z.mean), `normal(${mean}, ${std}) standardized mean ${z.mean} vs 0`).toBeLessThan(0.01);
    expect(Math.abs(z.std - 1), `normal(${mean}, ${std}) standardized std ${z.std} vs 1`).toBeLessThan(0.01);
    expect(flat(normal([3], 1.5, 0, { generator: new Generator(7) }))).toEqual([1.5, 1.5, 1.5]); // std 0: the mean
  });

  it("reject int32 (random draws are floats), naming uniform/normal, which rand/randn call", () => {
    expect(() => rand([2], { dtype: "int32" })).toThrow("uniform: dtype must be float32 or float64, got int32");
    expect(() => randn([2], { dtype: "int32" })).toThrow("normal: dtype must be float32 or float64, got int32");
    expect(() => uniform([2], 0, 1, { dtype: "int32" })).toThrow("uniform: dtype must be float32 or float64, got int32");
    expect(() => rand([2], { dtype: "half" as DType })).toThrow("uniform: dtype must be one of float32, float64, int32, got half");
  });

  it("reject low > high and non-finite bounds", () => {
    expect(() => uniform([2], 2, 1)).toThrow("uniform: expected finite low <= high, got low 2, high 1");
    expect(() => uniform([2], 0, Number.POSITIVE_INFINITY)).toThrow("uniform: expected finite low <= high, got low 0, high Infinity");
    expect(() => uniform([2], Number.NaN, 1)).toThrow("uniform: expected finite low <= high, got low NaN, high 1");
  });

  it("reject std < 0 and non-finite parameters", () => {
    expect(() => normal([2], 0, -1)).toThrow("normal: expected finite mean and std >= 0, got mean 0, std -1");
    expect(() => normal([2], Number.NaN, 1)).toThrow("normal: expected finite mean and std >= 0, got mean NaN, std 1");
    expect(() => normal([2], 0, Number.POSITIVE_INFINITY)).toThrow("normal: expected finite mean and std >= 0, got mean 0, std Infinity");
  });

  it("reject bad shapes", () => {
    expect(() => rand([-1])).toThrow("uniform: shape must hold non-negative integers, got [-1]");
    expect(() => randn([2, 0.5])).toThrow("normal: shape must hold non-negative integers, got [2,0.5]");
  });

  // low + (high - low) * u is rounded to the dtype, and rounding can land on high: with low 1,
  // high 2 and the largest float32 draw u = 1 - 2^-24, 1 + u = 2 - 2^-24 is halfway between
  // 2 - 2^-23 and 2, and ties-to-even picks 2. uniform folds such a draw onto low.
  it("uniform float32 never returns high, even when rounding ties onto it (u = 1 - 2^-24)", () => {
    const g = generatorWithOutputs(0xffffffff); // nextFloat() = 1 - 2^-24
    const v = uniform([1], 1, 2, { generator: g }).data[0]!;
    expect(v, `uniform(1, 2) float32 at u = 1 - 2^-24 gave ${v}; must be < 2`).toBeLessThan(2);
  });

  // the same in float64: 1 + (1 - 2^-53) = 2 - 2^-53 rounds (ties-to-even) to 2.
  it("uniform float64 never returns high, even when rounding ties onto it (u = 1 - 2^-53)", () => {
    const g = generatorWithOutputs(0xffffffff, 0xffffffff); // nextDouble() = 1 - 2^-53
    const v = uniform([1], 1, 2, { dtype: "float64", generator: g }).data[0]!;
    expect(v, `uniform(1, 2) float64 at u = 1 - 2^-53 gave ${v}; must be < 2`).toBeLessThan(2);
  });

  it("the crafted generators above really produce the extreme draws (so the tests above test what they say)", () => {
    expect(generatorWithOutputs(0xffffffff).nextFloat()).toBe(1 - 2 ** -24);
    expect(generatorWithOutputs(0xffffffff, 0xffffffff).nextDouble()).toBe(1 - 2 ** -53);
    expect(uniform([1], 0, 1, { generator: generatorWithOutputs(0xffffffff) }).data[0]).toBe(1 - 2 ** -24); // fine when no rounding
  });
});
