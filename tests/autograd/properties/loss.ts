/** Gradient property of crossEntropy: label smoothing and every reduction. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, ints, type FamilyProperties, type GradCase } from "../support/cases.js";

const cases: fc.Arbitrary<GradCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 5 }),
    C: fc.integer({ min: 1, max: 5 }),
    labelSmoothing: fc.constantFrom(0, 0.1, 0.35, 1),
    reduction: fc.constantFrom<"mean" | "sum" | "none">("mean", "sum", "none"),
  })
  .chain(({ N, C, labelSmoothing, reduction }) =>
    fc.tuple(f64([N, C]), ints([N], C)).map(([logits, targets]) => ({
      inputs: [logits],
      fn: (v: A.Variable) => A.crossEntropy(v, targets, { labelSmoothing, reduction }),
      label: `logits ${fmt([N, C])}, targets ${targets.toFlatArray().join(",")}, labelSmoothing ${labelSmoothing}, reduction ${reduction}`,
    })),
  );

export const lossProperties: FamilyProperties<"loss"> = {
  crossEntropy: { cases },
};
