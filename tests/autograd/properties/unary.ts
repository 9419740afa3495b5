/** Gradient properties of the elementwise unary ops. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase, type ValueKind } from "../support/cases.js";

/** x of 0 to 3 dims (size-1 dims included), any layout; y = f(x). */
export function elementwise(f: (x: A.Variable) => A.Variable, kind: ValueKind = "smooth", label = ""): fc.Arbitrary<GradCase> {
  return shapes(0, 3)
    .chain((shape) => f64(shape, kind))
    .map((x) => ({ inputs: [x], fn: f, label: `x ${fmt(x.shape)}${label}` }));
}

const BOUNDS: [number | undefined, number | undefined][] = [
  [-1, 1],
  [-1, undefined],
  [undefined, 1],
];

export const unaryProperties: FamilyProperties<"unary"> = {
  neg: { cases: elementwise(A.neg) },
  abs: { cases: elementwise(A.abs, "awayFromZero") },
  square: { cases: elementwise(A.square) },
  sqrt: { cases: elementwise(A.sqrt, "positive") },
  rsqrt: { cases: elementwise(A.rsqrt, "positive") },
  exp: { cases: elementwise(A.exp) },
  log: { cases: elementwise(A.log, "positive") },
  sin: { cases: elementwise(A.sin) },
  cos: { cases: elementwise(A.cos) },
  erf: { cases: elementwise(A.erf) },
  powScalar: {
    cases: fc.constantFrom(2, 3, -1, 0.5, 1.5, -2.5).chain((p) => elementwise((x) => A.powScalar(x, p), "positive", `, p ${p}`)),
  },
  clamp: {
    // values stay 0.05 away from the bounds: the gradient is a step there
    cases: fc.constantFrom(...BOUNDS).chain(([min, max]) => elementwise((x) => A.clamp(x, min, max), { avoid: [-1, 1], margin: 0.05 }, `, min ${min}, max ${max}`)),
  },
};
