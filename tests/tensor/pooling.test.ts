import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adaptiveAvgPool2d, arange, avgPool2d, full, maxPool2d, ones, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

describe("pooling: hand-checked values", () => {
  const x = arange(1, 17).reshape([1, 1, 4, 4]); // 1..16, row-major

  it("maxPool2d takes each window's max and its flat position in the plane", () => {
    const { out, indices } = maxPool2d(x, 2);
    expect(flat(out)).toEqual([6, 8, 14, 16]);
    expect(indices.dtype).toBe("int32");
    expect(indices.shape).toEqual([1, 1, 2, 2]);
    expect(flat(indices)).toEqual([5, 7, 13, 15]);
  });

  it("avgPool2d averages each window", () => {
    expect(flat(avgPool2d(x, 2))).toEqual([3.5, 5.5, 11.5, 13.5]);
    // overlapping windows (stride 1 < kernel 2)
    expect(flat(avgPool2d(x, 3, 1))).toEqual([6, 7, 10, 11]);
  });

  it("avgPool2d counts padding in the divisor (count_include_pad)", () => {
    // every 3x3 window over a padded 2x2 of ones covers the 4 ones
    expect(flat(avgPool2d(ones([1, 1, 2, 2]), 3, 1, 1))).toEqual(new Array(4).fill(4 / 9).map(Math.fround));
  });

  it("maxPool2d never picks padding; ties go to the first position", () => {
    const { out, indices } = maxPool2d(full([1, 1, 2, 2], -5), 2, 1, 1);
    expect(flat(out)).toEqual(new Array(9).fill(-5));
    expect(indices.toArray()).toEqual([[[[0, 0, 1], [0, 0, 1], [2, 2, 3]]]]);
  });

  it("maxPool2d propagates NaN, and keeps -Infinity windows pointing at a real element", () => {
    const { out, indices } = maxPool2d(tensor([1, NaN, 3, 4, -Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 2]), 2);
    expect(flat(out)).toEqual([NaN, -Infinity]);
    expect(flat(indices)).toEqual([1, 0]);
  });

  it("maxPool2d works on int32 and per (n, c) plane", () => {
    const xi = tensor([1, 9, 2, 3, 7, 0, 4, 5], [2, 1, 2, 2], { dtype: "int32" });
    const { out, indices } = maxPool2d(xi, 2);
    expect(out.dtype).toBe("int32");
    expect(flat(out)).toEqual([9, 7]);
    expect(flat(indices)).toEqual([1, 0]);
  });

  it("adaptiveAvgPool2d uses torch's floor/ceil windows", () => {
    // 5 -> 3: windows [0,2), [1,4), [3,5)
    const row = tensor([1, 2, 3, 4, 5], [1, 1, 1, 5]);
    expect(flat(adaptiveAvgPool2d(row, [1, 3]))).toEqual([1.5, 3, 4.5]);
    expect(flat(adaptiveAvgPool2d(x, 1))).toEqual([8.5]);
  });
});

/** Straightforward reference: every window position checked against the padded bounds. */
function poolReference(x: Tensor, k: [number, number], s: [number, number], p: [number, number], kind: "max" | "avg"): { out: number[]; idx: number[] } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const out: number[] = [];
  const idx: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let best = -Infinity;
          let where = -1;
          let sum = 0;
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const h = oh * s[0] - p[0] + i;
              const w = ow * s[1] - p[1] + j;
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              const v = x.get(n, c, h, w);
              sum += v;
              if (where < 0 || v > best) [best, where] = [v, h * W + w];
            }
          out.push(kind === "max" ? best : sum / (k[0] * k[1]));
          idx.push(where);
        }
  return { out, idx };
}

const poolCaseArb = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 7 }),
    W: fc.integer({ min: 1, max: 7 }),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    p: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  })
  .filter(({ H, W, k, p }) => 2 * p[0] <= k[0] && 2 * p[1] <= k[1] && k[0] <= H + 2 * p[0] && k[1] <= W + 2 * p[1])
  .chain((c) => fc.record({ x: tensorOfShapeArb([c.N, c.C, c.H, c.W]), k: fc.constant(c.k), s: fc.constant(c.s), p: fc.constant(c.p) }));

describe("pooling: properties over strided inputs", () => {
  it("maxPool2d matches a straightforward loop, and out = x.plane.flat[indices]", () => {
    fc.assert(
      fc.property(poolCaseArb, ({ x, k, s, p }) => {
        const { out, indices } = maxPool2d(x, k, s, p);
        const ref = poolReference(x, k, s, p, "max");
        expect(flat(out)).toEqual(ref.out);
        expect(flat(indices)).toEqual(ref.idx);
        const [N, C, H, W] = x.shape as [number, number, number, number];
        const planes = x.contiguous().reshape([N * C, H * W]);
        const per = out.size / (N * C);
        flat(indices).forEach((where, e) => expect(planes.get(Math.floor(e / per), where)).toBe(out.contiguousData()[e]));
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("avgPool2d matches a straightforward loop", () => {
    fc.assert(
      fc.property(poolCaseArb, ({ x, k, s, p }) => {
        expectClose(avgPool2d(x, k, s, p), poolReference(x, k, s, p, "avg").out, { rtol: 1e-5, atol: 1e-6 });
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it("adaptiveAvgPool2d equals avgPool2d when the output size divides the input", () => {
    const arb = fc
      .record({ oh: fc.integer({ min: 1, max: 3 }), ow: fc.integer({ min: 1, max: 3 }), fh: fc.integer({ min: 1, max: 3 }), fw: fc.integer({ min: 1, max: 3 }) })
      .chain((c) => fc.record({ c: fc.constant(c), x: tensorOfShapeArb([2, 2, c.oh * c.fh, c.ow * c.fw]) }));
    fc.assert(
      fc.property(arb, ({ c, x }) => {
        expectClose(adaptiveAvgPool2d(x, [c.oh, c.ow]), avgPool2d(x, [c.fh, c.fw]), { rtol: 1e-5, atol: 1e-6 });
      }),
      { seed: 42, numRuns: 50 },
    );
  });
});

describe("pooling: errors", () => {
  it("rank, dtype, kernel, stride and padding", () => {
    expect(() => maxPool2d(zeros([4, 4]), 2)).toThrow(/maxPool2d: x must be 4-D \(N,C,H,W\), got shape \[4,4\]/);
    expect(() => avgPool2d(zeros([1, 1, 4, 4], { dtype: "int32" }), 2)).toThrow(/avgPool2d: x must be float32 or float64, got int32/);
    expect(() => avgPool2d(zeros([1, 1, 2, 2]), 3)).toThrow(/avgPool2d: kernel 3x3 is larger than the padded input 2x2/);
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), 2, 0)).toThrow(/maxPool2d: stride must be a positive integer/);
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), 0)).toThrow(/maxPool2d: kernel size must be a positive integer/);
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), 2, 2, 2)).toThrow(/maxPool2d: padding \[2,2\] must be at most half the kernel size \[2,2\]/);
    expect(() => avgPool2d(zeros([1, 1, 4, 4]), 2, 2, -1)).toThrow(/avgPool2d: padding must be a non-negative integer/);
  });
  it("adaptiveAvgPool2d", () => {
    expect(() => adaptiveAvgPool2d(zeros([1, 4, 4]), 2)).toThrow(/adaptiveAvgPool2d: x must be 4-D/);
    expect(() => adaptiveAvgPool2d(zeros([1, 1, 4, 4]), [0, 2])).toThrow(/adaptiveAvgPool2d: output size must be a positive integer or a pair of them, got \[0,2\]/);
    expect(() => adaptiveAvgPool2d(zeros([1, 1, 0, 4]), 2)).toThrow(/adaptiveAvgPool2d: x must have non-empty H and W/);
  });
});
