import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { l2Normalize, l2NormalizeWithNorm, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import { expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const flat = (t: Tensor): number[] => Array.from(t.toFlatArray());

/** Every multi-index of `shape`, row-major. */
function positions(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return out;
}

describe("l2Normalize: hand-checked values", () => {
  it("divides each vector by its length", () => {
    const x = tensor([3, 4, 0, -2], [2, 2]);
    expectClose(l2Normalize(x), [0.6, 0.8, 0, -1], { rtol: 1e-7, atol: 0 });
    const { out, norm } = l2NormalizeWithNorm(x);
    expect(out.shape).toEqual([2, 2]);
    expect(norm.shape).toEqual([2, 1]);
    expect(flat(norm)).toEqual([5, 2]);
  });

  it("normalizes along any axis (columns here)", () => {
    const x = tensor([3, 1, 4, 0], [2, 2]);
    const { out, norm } = l2NormalizeWithNorm(x, 0);
    expect(norm.shape).toEqual([1, 2]);
    expect(flat(norm)).toEqual([5, 1]);
    expectClose(out, [0.6, 1, 0.8, 0], { rtol: 1e-7, atol: 0 });
  });

  it("keeps zero vectors at zero (the eps clamp), and float64", () => {
    expect(flat(l2Normalize(zeros([2, 3])))).toEqual(new Array(6).fill(0));
    // below eps the divisor is eps itself
    const tiny = l2Normalize(tensor([1e-13, 0], [2], { dtype: "float64" }));
    expect(tiny.dtype).toBe("float64");
    expectClose(tiny, [0.1, 0], { rtol: 1e-12, atol: 0 });
    expectClose(l2Normalize(tensor([2, 0], [2]), -1, 4), [0.5, 0], { rtol: 0, atol: 0 });
  });
});

describe("l2Normalize: properties over strided inputs", () => {
  const arb = shapeArb({ minDims: 1, maxDims: 4, maxSize: 5 }).chain((shape) =>
    fc.record({ x: tensorOfShapeArb(shape), axis: fc.integer({ min: -shape.length, max: shape.length - 1 }) }),
  );

  it("vectors with norm > 1e-3 come out with norm 1, and out * norm = x", () => {
    fc.assert(
      fc.property(arb, ({ x, axis }) => {
        const { out, norm } = l2NormalizeWithNorm(x, axis);
        const a = axis < 0 ? axis + x.ndim : axis;
        for (const p of positions(norm.shape)) {
          const n = norm.get(...p);
          let sumSq = 0;
          let outSq = 0;
          for (let k = 0; k < x.shape[a]!; k++) {
            const q = p.map((v, d) => (d === a ? k : v));
            sumSq += x.get(...q) ** 2;
            outSq += out.get(...q) ** 2;
            expectClose([out.get(...q) * Math.max(n, 1e-12)], [x.get(...q)], { rtol: 1e-6, atol: 1e-6, label: `out * norm at [${q}]` });
          }
          expectClose([n], [Math.sqrt(sumSq)], { rtol: 1e-6, atol: 1e-7, label: `norm at [${p}]` });
          if (n > 1e-3) expectClose([Math.sqrt(outSq)], [1], { rtol: 1e-5, atol: 0, label: `|out| at [${p}]` });
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});

describe("l2Normalize: errors", () => {
  it("name the op and what came", () => {
    expect(() => l2Normalize(zeros([2], { dtype: "int32" }))).toThrow(/l2Normalize: x must be float32 or float64, got int32/);
    expect(() => l2Normalize(zeros([2, 2]), 2)).toThrow(/l2Normalize: axis 2 is out of range for a tensor of 2 dims; valid: \[-2, 1\]/);
    expect(() => l2Normalize(zeros([2]), -1, -1)).toThrow(/l2Normalize: eps must be a non-negative number, got -1/);
  });
});
