/** Gradient properties of the reductions: any axis set (or all), with and without keepdim. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import type { Axes } from "../../../packages/tensor/src/index.js";
import { axesArb, f64, fmt, shapes, type FamilyProperties, type GradCase, type ValueKind } from "../support/cases.js";

type Reduction = (x: A.Variable, axis: Axes | undefined, keepdim: boolean) => A.Variable;

function reduction(f: Reduction, kind: ValueKind, minDims = 0, minSize = 1): fc.Arbitrary<GradCase> {
  return shapes(minDims, 4, minSize, 4).chain((shape) =>
    fc.tuple(f64(shape, kind), axesArb(shape.length), fc.boolean()).map(([x, axis, keepdim]) => ({
      inputs: [x],
      fn: (v: A.Variable) => f(v, axis, keepdim),
      label: `x ${fmt(shape)}, axis ${JSON.stringify(axis)}, keepdim ${keepdim}`,
    })),
  );
}

/** variance and std: every reduced slice holds at least 2 elements, so n - correction > 0 and std > 0. */
function spread(f: (x: A.Variable, axis: Axes | undefined, keepdim: boolean, correction: number) => A.Variable): fc.Arbitrary<GradCase> {
  return fc.constantFrom(0, 1).chain((correction) => reduction((x, axis, keepdim) => f(x, axis, keepdim, correction), "smooth", 1, 2).map((c) => ({ ...c, label: `${c.label}, correction ${correction}` })));
}

export const reduceProperties: FamilyProperties<"reduce"> = {
  sum: { cases: reduction(A.sum, "smooth") },
  mean: { cases: reduction(A.mean, "smooth") },
  // distinct values: a unique extreme per slice, so max is differentiable there
  max: { cases: reduction(A.max, "distinct") },
  min: { cases: reduction(A.min, "distinct") },
  logsumexp: { cases: reduction(A.logsumexp, "smooth") },
  variance: { cases: spread(A.variance) },
  std: { cases: spread(A.std) },
};
