/** Gradient properties of tril and triu over batches of matrices. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

function triangle(f: (x: A.Variable, diagonal: number) => A.Variable): fc.Arbitrary<GradCase> {
  return shapes(2, 4).chain((shape) =>
    fc.tuple(f64(shape), fc.integer({ min: -3, max: 3 })).map(([x, diagonal]) => ({ inputs: [x], fn: (v: A.Variable) => f(v, diagonal), label: `x ${fmt(shape)}, diagonal ${diagonal}` })),
  );
}

export const triProperties: FamilyProperties<"tri"> = {
  tril: { cases: triangle(A.tril) },
  triu: { cases: triangle(A.triu) },
};
