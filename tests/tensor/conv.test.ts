import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator, col2im, conv2d, conv2dNaive, im2col, randn, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

/** sum of a * b over all elements (both row-major) */
function dot(a: Tensor, b: Tensor): number {
  const x = a.contiguousData();
  const y = b.contiguousData();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

describe("conv2d: hand-checked values", () => {
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);

  it("a 2x2 box filter sums each window", () => {
    const w = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
    for (const conv of [conv2d, conv2dNaive]) {
      const out = conv(x, w);
      expect(out.shape).toEqual([1, 1, 2, 2]);
      expect(flat(out)).toEqual([12, 16, 24, 28]);
      expect(flat(conv(x, w, tensor([1], [1])))).toEqual([13, 17, 25, 29]);
    }
  });

  it("padding reads zeros and stride skips windows", () => {
    // windows start at -1 and 1 on each axis: {1}, {2,3}, {4,7}, {5,6,8,9}
    const w = tensor([1, 1, 1, 1], [1, 1, 2, 2]);
    for (const conv of [conv2d, conv2dNaive]) {
      expect(flat(conv(x, w, undefined, { stride: 2, padding: 1 }))).toEqual([1, 5, 11, 28]);
    }
  });

  it("a 1x1 conv mixes channels", () => {
    const x2 = tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const w = tensor([1, 0, 1, -1], [2, 2, 1, 1]); // out0 = ch0, out1 = ch0 - ch1
    for (const conv of [conv2d, conv2dNaive]) {
      const out = conv(x2, w);
      expect(out.shape).toEqual([1, 2, 2, 2]);
      expect(flat(out)).toEqual([1, 2, 3, 4, -4, -4, -4, -4]);
    }
  });

  it("stride and padding may differ per axis", () => {
    const w = tensor([1, 1, 1], [1, 1, 1, 3]); // a row of 3
    const out = conv2d(x, w, undefined, { stride: [2, 1], padding: [0, 1] });
    // rows 0 and 2; each column q sums x[r, q-1..q+1]
    expect(out.shape).toEqual([1, 1, 2, 3]);
    expect(flat(out)).toEqual([3, 6, 5, 15, 24, 17]);
  });

  it("keeps float64", () => {
    const out = conv2d(x.to("float64"), tensor([0.1], [1, 1, 1, 1], { dtype: "float64" }));
    expect(out.dtype).toBe("float64");
    expect(out.get(0, 0, 2, 2)).toBe(0.9);
  });
});

interface ConvCase {
  x: Tensor;
  w: Tensor;
  bias: Tensor | undefined;
  stride: [number, number];
  padding: [number, number];
}

/** Random shapes with the kernel fitting the padded input; strided x, weight and bias. */
const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    O: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    withBias: fc.boolean(),
  })
  .filter((s) => s.kh <= s.H + 2 * s.padding[0] && s.kw <= s.W + 2 * s.padding[1])
  .chain((s) =>
    fc.record({
      x: tensorOfShapeArb([s.N, s.C, s.H, s.W]),
      w: tensorOfShapeArb([s.O, s.C, s.kh, s.kw]),
      bias: s.withBias ? tensorOfShapeArb([s.O]) : fc.constant(undefined),
      stride: fc.constant(s.stride),
      padding: fc.constant(s.padding),
    }),
  );

describe("conv2d: properties", () => {
  it("the im2col kernel equals the naive definition", () => {
    fc.assert(
      fc.property(convCaseArb, ({ x, w, bias, stride, padding }) => {
        const fast = conv2d(x, w, bias, { stride, padding });
        const naive = conv2dNaive(x, w, bias, { stride, padding });
        expectClose(fast, naive, { rtol: 1e-5, atol: 1e-5, label: `x ${x.shape} w ${w.shape} stride ${stride} padding ${padding}` });
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>", () => {
    fc.assert(
      fc.property(convCaseArb, fc.integer({ min: 0, max: 1000 }), ({ x, w, stride, padding }, seed) => {
        const kernel: [number, number] = [w.shape[2]!, w.shape[3]!];
        const x64 = x.to("float64");
        const cols = im2col(x64, kernel, { stride, padding });
        const c = randn(cols.shape, { dtype: "float64", generator: new Generator(seed) });
        const back = col2im(c, x.shape, kernel, { stride, padding });
        expect(back.shape).toEqual(x.shape);
        expectClose([dot(cols, c)], [dot(x64, back)], { rtol: 1e-10, atol: 1e-10 });
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe("im2col / col2im", () => {
  it("unrolls each receptive field into a column, in weight's (c, i, j) row order", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const cols = im2col(x, 2);
    expect(cols.shape).toEqual([1, 4, 4]);
    // rows (i,j) = (0,0),(0,1),(1,0),(1,1); columns = the 4 windows
    expect(cols.toArray()).toEqual([
      [
        [1, 2, 4, 5],
        [2, 3, 5, 6],
        [4, 5, 7, 8],
        [5, 6, 8, 9],
      ],
    ]);
  });

  it("col2im sums overlapping windows: on ones it counts how many windows cover each pixel", () => {
    const ones = tensor(new Array(16).fill(1), [1, 4, 4]);
    expect(flat(col2im(ones, [1, 1, 3, 3], 2))).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
  });

  it("col2im checks the column shape", () => {
    expect(() => col2im(zeros([1, 4, 3]), [1, 1, 3, 3], 2)).toThrow(/col2im: cols must have shape \[1,4,4\] for input \[1,1,3,3\] and kernel 2x2, got \[1,4,3\]/);
    expect(() => col2im(zeros([1, 4, 4]), [1, 3, 3], 2)).toThrow(/col2im: inputShape must be 4 non-negative integers/);
  });
});

describe("conv2d: errors name the op, the argument and what came", () => {
  const x = zeros([1, 3, 8, 8]);
  it("ranks", () => {
    expect(() => conv2d(zeros([3, 8, 8]), zeros([2, 3, 3, 3]))).toThrow(/conv2d: x must be 4-D \(N,C,H,W\), got shape \[3,8,8\]/);
    expect(() => conv2d(x, zeros([2, 3, 3]))).toThrow(/conv2d: weight must be 4-D \(O,C,kh,kw\), got shape \[2,3,3\]/);
    expect(() => conv2d(x, zeros([2, 3, 3, 3]), zeros([3]))).toThrow(/conv2d: bias must have shape \[2\].*got \[3\]/);
    expect(() => im2col(zeros([3, 8, 8]), 2)).toThrow(/im2col: x must be 4-D/);
  });
  it("channel mismatch", () => {
    expect(() => conv2d(x, zeros([2, 4, 3, 3]))).toThrow(
      "conv2d: channels differ: x has 3 (shape [1,3,8,8]), weight expects 4 (shape [2,4,3,3])",
    );
    expect(() => conv2dNaive(x, zeros([2, 4, 3, 3]))).toThrow(/conv2dNaive: channels differ/);
  });
  it("kernel larger than the padded input", () => {
    expect(() => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 5, 5]), undefined, { padding: 1 })).toThrow(
      /conv2d: kernel 5x5 is larger than the padded input 4x4 \(x is \[1,1,2,2\], padding \[1,1\]\)/,
    );
  });
  it("stride and padding", () => {
    const w = zeros([2, 3, 3, 3]);
    expect(() => conv2d(x, w, undefined, { stride: 0 })).toThrow(/conv2d: stride must be a positive integer or a pair of them, got 0/);
    expect(() => conv2d(x, w, undefined, { stride: [1, -2] })).toThrow(/conv2d: stride must be a positive integer or a pair of them, got \[1,-2\]/);
    expect(() => conv2d(x, w, undefined, { stride: 1.5 })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => conv2d(x, w, undefined, { padding: -1 })).toThrow(/conv2d: padding must be a non-negative integer or a pair of them, got -1/);
  });
  it("dtypes", () => {
    expect(() => conv2d(x.to("int32"), zeros([2, 3, 3, 3], { dtype: "int32" }))).toThrow(/conv2d: x must be float32 or float64, got int32/);
    expect(() => conv2d(x, zeros([2, 3, 3, 3], { dtype: "float64" }))).toThrow(/conv2d: dtypes differ: x is float32, weight is float64/);
    expect(() => conv2d(x, zeros([2, 3, 3, 3]), zeros([2], { dtype: "float64" }))).toThrow(/conv2d: dtypes differ: x is float32, bias is float64/);
  });
});
