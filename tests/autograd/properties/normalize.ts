/** Gradient property of l2Normalize along any axis. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

const cases: fc.Arbitrary<GradCase> = shapes(1, 3).chain((shape) =>
  fc.tuple(f64(shape, "awayFromZero"), fc.integer({ min: -shape.length, max: shape.length - 1 })).map(([x, axis]) => ({
    inputs: [x],
    fn: (v: A.Variable) => A.l2Normalize(v, axis),
    label: `x ${fmt(shape)}, axis ${axis}`,
  })),
);

export const normalizeProperties: FamilyProperties<"normalize"> = {
  l2Normalize: { cases },
};
