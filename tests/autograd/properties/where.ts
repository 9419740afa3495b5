/** Gradient properties of where and maskedFill: masks and operands broadcast. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, ints, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

/** `shape` with random dims set to 1 and some leading dims dropped. */
const broadcastFrom = (shape: number[]) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }), fc.integer({ min: 0, max: shape.length })).map(([ones, drop]) => shape.map((d, i) => (ones[i] ? 1 : d)).slice(drop));

const whereCases: fc.Arbitrary<GradCase> = shapes(0, 3, 1, 3)
  .chain((shape) => fc.tuple(broadcastFrom(shape), broadcastFrom(shape), broadcastFrom(shape), fc.constantFrom("both", "a", "b")))
  .chain(([sc, sa, sb, which]) =>
    fc.tuple(ints(sc, 2), f64(sa), f64(sb)).map(([cond, a, b]): GradCase => {
      const label = `cond ${fmt(sc)}, a ${fmt(sa)}, b ${fmt(sb)}, differentiating ${which}`;
      if (which === "a") return { inputs: [a], fn: (av) => A.where(cond, av!, 0.5), label: label + " (b = 0.5)" };
      if (which === "b") return { inputs: [b], fn: (bv) => A.where(cond, -0.5, bv!), label: label + " (a = -0.5)" };
      return { inputs: [a, b], fn: (av, bv) => A.where(cond, av!, bv!), label };
    }),
  );

const maskedFillCases: fc.Arbitrary<GradCase> = shapes(0, 3, 1, 3)
  .chain((shape) => fc.tuple(fc.constant(shape), broadcastFrom(shape), fc.constantFrom(-5, 0, 2.5)))
  .chain(([shape, maskShape, value]) =>
    fc.tuple(f64(shape), ints(maskShape, 2)).map(([x, mask]) => ({
      inputs: [x],
      fn: (v: A.Variable) => A.maskedFill(v, mask, value),
      label: `x ${fmt(shape)}, mask ${fmt(maskShape)}, value ${value}`,
    })),
  );

export const whereProperties: FamilyProperties<"where"> = {
  where: { cases: whereCases },
  maskedFill: { cases: maskedFillCases },
};
