/**
 * Gradient properties of the binary ops: two operands of broadcasting shapes (size-1 and
 * missing leading dims on either side), or one operand and a JS number on either side.
 * Also the cases for maximum's and minimum's tie law (run by ../grad/binary.test.ts).
 */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { Generator, randn, type Tensor } from "../../../packages/tensor/src/index.js";
import { broadcastPairArb } from "../../support/arbitraries.js";
import { drawValues, f64, fmt, type FamilyProperties, type GradCase, type ValueKind } from "../support/cases.js";
import { TIE_GRID, tied } from "./reduce.js";

type Binary = (a: A.Operand, b: A.Operand) => A.Variable;

function binary(f: Binary, kindA: ValueKind, kindB: ValueKind): fc.Arbitrary<GradCase> {
  const both = broadcastPairArb({ maxDims: 3, maxSize: 3 }).chain(([sa, sb]) =>
    fc.tuple(f64(sa, kindA), f64(sb, kindB)).map(([a, b]): GradCase => ({ inputs: [a, b], fn: (x, y) => f(x!, y!), label: `a ${fmt(sa)}, b ${fmt(sb)}` })),
  );
  const number = (kind: ValueKind) => fc.integer({ min: 0, max: 1000 }).map((seed) => drawValues(seed, 1, kind)[0]!);
  const leftTensor = fc
    .tuple(broadcastPairArb({ maxDims: 3, maxSize: 3 }).chain(([sa]) => f64(sa, kindA)), number(kindB))
    .map(([a, b]): GradCase => ({ inputs: [a], fn: (x) => f(x!, b), label: `a ${fmt(a.shape)}, b = ${b}` }));
  const rightTensor = fc
    .tuple(number(kindA), broadcastPairArb({ maxDims: 3, maxSize: 3 }).chain(([, sb]) => f64(sb, kindB)))
    .map(([a, b]): GradCase => ({ inputs: [b], fn: (y) => f(a, y!), label: `a = ${a}, b ${fmt(b.shape)}` }));
  return fc.oneof({ arbitrary: both, weight: 3 }, { arbitrary: leftTensor, weight: 1 }, { arbitrary: rightTensor, weight: 1 });
}

export const binaryProperties: FamilyProperties<"binary"> = {
  add: { cases: binary(A.add, "smooth", "smooth") },
  sub: { cases: binary(A.sub, "smooth", "smooth") },
  mul: { cases: binary(A.mul, "smooth", "smooth") },
  div: { cases: binary(A.div, "smooth", "awayFromZero") },
  pow: { cases: binary(A.pow, "positive", "smooth") },
  // a and b are drawn from interleaved grids, so a never ties b
  maximum: { cases: binary(A.maximum, "gridA", "gridB") },
  minimum: { cases: binary(A.minimum, "gridA", "gridB") },
};

export interface TiedPair {
  /** a tensor, or a JS number on one side */
  a: Tensor | number;
  b: Tensor | number;
  /** the upstream gradient: any values, of the output's shape */
  dz: (outShape: readonly number[]) => Tensor;
  label: string;
}

const show = (t: Tensor | number) => (typeof t === "number" ? String(t) : `${fmt(t.shape)} [${Array.from(t.toFlatArray(), (v) => (Object.is(v, -0) ? "-0" : v)).join(", ")}]`);

/** Operands from one small grid (TIE_GRID), so a = b often, -0 against 0 included; both tensors, or a number on either side. */
export const tiedPairCases: fc.Arbitrary<TiedPair> = fc
  .tuple(
    broadcastPairArb({ maxDims: 3, maxSize: 3 }).chain(([sa, sb]) => fc.tuple(tied(sa), tied(sb))),
    fc.constantFrom("tensors", "number on the left", "number on the right"),
    fc.constantFrom(...TIE_GRID),
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  )
  .map(([[ta, tb], form, c, seed]) => {
    const [a, b] = form === "tensors" ? [ta, tb] : form === "number on the left" ? [c, tb] : [ta, c];
    const dz = (outShape: readonly number[]) => randn([...outShape], { generator: new Generator(seed), dtype: "float64" });
    return { a, b, dz, label: `a = ${show(a)}, b = ${show(b)}, dz seed ${seed}` };
  });
