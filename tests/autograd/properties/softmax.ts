/** Gradient properties of softmax and logSoftmax along any axis. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

function alongAxis(f: (x: A.Variable, axis: number) => A.Variable): fc.Arbitrary<GradCase> {
  return shapes(1, 4).chain((shape) =>
    fc.tuple(f64(shape), fc.integer({ min: -shape.length, max: shape.length - 1 })).map(([x, axis]) => ({
      inputs: [x],
      fn: (v: A.Variable) => f(v, axis),
      label: `x ${fmt(shape)}, axis ${axis}`,
    })),
  );
}

export const softmaxProperties: FamilyProperties<"softmax"> = {
  softmax: { cases: alongAxis(A.softmax) },
  logSoftmax: { cases: alongAxis(A.logSoftmax) },
};
