/** Gradient properties of the index reads; indices repeat, so the scatter-add must sum. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, ints, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

const embedding: fc.Arbitrary<GradCase> = fc
  .record({ V: fc.integer({ min: 1, max: 5 }), D: fc.integer({ min: 1, max: 4 }), idShape: shapes(0, 2, 1, 4) })
  .chain(({ V, D, idShape }) =>
    fc.tuple(f64([V, D]), ints(idShape, V)).map(([w, ids]) => ({ inputs: [w], fn: (wv: A.Variable) => A.embedding(wv, ids), label: `weight ${fmt([V, D])}, ids ${fmt(idShape)} = ${ids.toFlatArray().join(",")}` })),
  );

/** index has x's rank, no larger on any other dim, any size along dim, values in [0, x.shape[dim]). */
const gather: fc.Arbitrary<GradCase> = shapes(1, 3, 1, 4)
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.tuple(...shape.map((d) => fc.integer({ min: 1, max: d })))))
  .chain(([shape, dim, bounds]) => {
    const indexShape = bounds.map((b, d) => (d === dim ? b + 1 : b));
    return fc.tuple(f64(shape), ints(indexShape, shape[dim]!)).map(([x, index]) => ({
      inputs: [x],
      fn: (v: A.Variable) => A.gather(v, dim, index),
      label: `x ${fmt(shape)}, dim ${dim}, index ${fmt(indexShape)}`,
    }));
  });

const indexSelect: fc.Arbitrary<GradCase> = shapes(1, 3, 1, 4)
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.integer({ min: 1, max: 5 })))
  .chain(([shape, dim, K]) => {
    const axis = dim < 0 ? dim + shape.length : dim;
    return fc.tuple(f64(shape), ints([K], shape[axis]!)).map(([x, index]) => ({
      inputs: [x],
      fn: (v: A.Variable) => A.indexSelect(v, dim, index),
      label: `x ${fmt(shape)}, dim ${dim}, index ${index.toFlatArray().join(",")}`,
    }));
  });

export const gatherProperties: FamilyProperties<"gather"> = {
  embedding: { cases: embedding },
  gather: { cases: gather },
  indexSelect: { cases: indexSelect },
};
