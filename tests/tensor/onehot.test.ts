import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { oneHot, tensor, zeros } from "../../packages/tensor/src/index.js";
import { shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const ints = (values: number[], shape: number[]) => tensor(values, shape, { dtype: "int32" });

describe("oneHot", () => {
  it("hand-checked values", () => {
    const out = oneHot(ints([2, 0, 1], [3]), 3);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(oneHot(ints([1, 0], [2, 1]), 2).shape).toEqual([2, 1, 2]);
    expect(oneHot(ints([0], []), 4).toArray()).toEqual([1, 0, 0, 0]);
    expect(oneHot(ints([], [0]), 4).shape).toEqual([0, 4]);
  });

  it("each row sums to 1 with its 1 at the index (strided indices)", () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((numClasses) =>
      shapeArb({ minDims: 0, maxDims: 3, maxSize: 4 }).chain((shape) =>
        fc.record({ numClasses: fc.constant(numClasses), indices: tensorOfShapeArb(shape, { dtype: "int32", min: 0, max: numClasses - 1 }) }),
      ),
    );
    fc.assert(
      fc.property(arb, ({ numClasses, indices }) => {
        const out = oneHot(indices, numClasses);
        expect(out.shape).toEqual([...indices.shape, numClasses]);
        const rows = out.toFlatArray();
        Array.from(indices.toFlatArray()).forEach((c, r) => {
          const row = Array.from(rows.subarray(r * numClasses, (r + 1) * numClasses));
          expect(row).toEqual(row.map((_, k) => (k === c ? 1 : 0)));
        });
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it("errors", () => {
    expect(() => oneHot(zeros([2]), 3)).toThrow(/oneHot: indices must be an int32 tensor, got float32/);
    expect(() => oneHot(ints([0], [1]), 0)).toThrow(/oneHot: numClasses must be a positive integer, got 0/);
    expect(() => oneHot(ints([0, 1, 3], [3]), 3)).toThrow(
      "oneHot: index 3 at flat position 2 of indices [3] is out of range for 3 classes; valid: [0, 2]",
    );
    expect(() => oneHot(ints([-1], [1]), 3)).toThrow(/oneHot: index -1 at flat position 0 of indices \[1\] is out of range for 3 classes/);
  });
});
