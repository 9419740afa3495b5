/** Gradient properties of the shape ops (views), on inputs in any layout. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

/** A case over x of a random shape, with the op's arguments drawn from that shape. */
function onShape<T>(shapeArb: fc.Arbitrary<number[]>, argsOf: (shape: number[]) => fc.Arbitrary<T>, f: (x: A.Variable, args: T) => A.Variable): fc.Arbitrary<GradCase> {
  return shapeArb.chain((shape) =>
    fc.tuple(f64(shape), argsOf(shape)).map(([x, args]) => ({ inputs: [x], fn: (v: A.Variable) => f(v, args), label: `x ${fmt(shape)}, args ${JSON.stringify(args)}` })),
  );
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const axis = (ndim: number) => fc.integer({ min: -ndim, max: ndim - 1 });

/** Target shapes with x's element count: flat, -1, reversed dims, a 1 inserted. */
const reshapeTargets = (s: number[]) => fc.constantFrom([size(s)], [-1], [...s].reverse(), [1, ...s], [...s, 1]);

/** x's shape with random dims set to 1, to be expanded back (and given new leading dims). */
const expandable = shapes(0, 3).chain((target) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }), shapes(0, 1, 1, 3)).map(([ones, lead]) => ({
    source: target.map((d, i) => (ones[i] ? 1 : d)),
    target: [...lead, ...target],
  })),
);

export const shapeProperties: FamilyProperties<"shape"> = {
  reshape: { cases: onShape(shapes(0, 3), reshapeTargets, (x, to) => A.reshape(x, to)) },
  permute: {
    cases: onShape(
      shapes(1, 4),
      (s) => fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }).chain((perm) => fc.constantFrom(perm, perm.map((p) => p - s.length))),
      (x, perm) => A.permute(x, perm),
    ),
  },
  transpose: { cases: onShape(shapes(1, 4), (s) => fc.tuple(axis(s.length), axis(s.length)), (x, [d0, d1]) => A.transpose(x, d0, d1)) },
  expand: {
    cases: expandable.chain(({ source, target }) =>
      f64(source).map((x) => ({ inputs: [x], fn: (v: A.Variable) => A.expand(v, target), label: `x ${fmt(source)} to ${fmt(target)}` })),
    ),
  },
  slice: {
    cases: onShape(
      shapes(1, 3),
      (s) => fc.tuple(axis(s.length), fc.integer({ min: -5, max: 5 }), fc.option(fc.integer({ min: -5, max: 6 }), { nil: undefined }), fc.integer({ min: 1, max: 3 })),
      (x, [dim, start, end, step]) => A.slice(x, dim, start, end, step),
    ),
  },
  select: {
    cases: onShape(
      shapes(1, 3),
      (s) => axis(s.length).chain((dim) => fc.tuple(fc.constant(dim), fc.integer({ min: -s.at(dim)!, max: s.at(dim)! - 1 }))),
      (x, [dim, index]) => A.select(x, dim, index),
    ),
  },
  squeeze: {
    cases: onShape(
      shapes(0, 4, 1, 2),
      (s) => fc.oneof(fc.constant(undefined), fc.subarray(s.flatMap((d, i) => (d === 1 ? [i] : [])))),
      (x, dims) => A.squeeze(x, dims),
    ),
  },
  unsqueeze: { cases: onShape(shapes(0, 3), (s) => fc.integer({ min: -(s.length + 1), max: s.length }), (x, dim) => A.unsqueeze(x, dim)) },
  flatten: {
    cases: onShape(
      shapes(1, 4),
      (s) => fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 0, max: s.length - 1 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      (x, [startDim, endDim]) => A.flatten(x, startDim, endDim),
    ),
  },
};
