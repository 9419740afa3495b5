/**
 * Gradient properties of the reductions: any axis set (or all), with and without keepdim.
 * Also the cases for max's and min's tie law (run by ../grad/reduce.test.ts), where ties
 * are the point rather than something to avoid.
 */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { Generator, randn, type Axes, type Tensor } from "../../../packages/tensor/src/index.js";
import { withLayout } from "../../support/arbitraries.js";
import { axesArb, f64, fmt, layoutArb, shapes, type FamilyProperties, type GradCase, type ValueKind } from "../support/cases.js";

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

/** Few values, so small slices often repeat their extreme; -0 and 0 are both there, and tie (-0 === 0, as torch). */
export const TIE_GRID = [-1, -0.5, -0, 0, 0.5, 1];

/** A float64 tensor of `shape` drawn from TIE_GRID, in a random layout. */
export function tied(shape: readonly number[]): fc.Arbitrary<Tensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc
    .tuple(fc.array(fc.constantFrom(...TIE_GRID), { minLength: n, maxLength: n }), layoutArb(shape.length))
    .map(([values, layout]) => withLayout([...shape], values, "float64", layout));
}

export interface TiedReduction {
  x: Tensor;
  axis: Axes | undefined;
  keepdim: boolean;
  /** the upstream gradient: any values, of the output's shape */
  dy: (outShape: readonly number[]) => Tensor;
  label: string;
}

/** x with repeated values (so ties), an axis set, keepdim, and a seeded upstream gradient. */
export const tiedReductionCases: fc.Arbitrary<TiedReduction> = shapes(0, 3, 1, 4).chain((shape) =>
  fc.tuple(tied(shape), axesArb(shape.length), fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 })).map(([x, axis, keepdim, seed]) => ({
    x,
    axis,
    keepdim,
    dy: (outShape: readonly number[]) => randn([...outShape], { generator: new Generator(seed), dtype: "float64" }),
    label: `x ${fmt(shape)} = [${Array.from(x.toFlatArray(), (v) => (Object.is(v, -0) ? "-0" : v)).join(", ")}], axis ${JSON.stringify(axis)}, keepdim ${keepdim}, dy seed ${seed}`,
  })),
);
