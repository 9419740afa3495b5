/** Gradient properties of concat, stack, split and chunk. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

/** 1-3 tensors equal in every dim but `dim`. */
const concatCases: fc.Arbitrary<GradCase> = shapes(1, 3)
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })))
  .chain(([shape, dim, sizes]) => {
    const axis = dim < 0 ? dim + shape.length : dim;
    const partShapes = sizes.map((d) => shape.map((s, i) => (i === axis ? d : s)));
    return fc.tuple(...partShapes.map((s) => f64(s))).map((parts) => ({
      inputs: parts,
      fn: (...vs: A.Variable[]) => A.concat(vs, dim),
      label: `parts ${partShapes.map(fmt).join(" ")}, dim ${dim}`,
    }));
  });

const stackCases: fc.Arbitrary<GradCase> = shapes(0, 3)
  .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -(shape.length + 1), max: shape.length }), fc.integer({ min: 1, max: 3 })))
  .chain(([shape, dim, n]) =>
    fc.tuple(...Array.from({ length: n }, () => f64(shape))).map((parts) => ({
      inputs: parts,
      fn: (...vs: A.Variable[]) => A.stack(vs, dim),
      label: `${n} parts ${fmt(shape)}, dim ${dim}`,
    })),
  );

/**
 * Splits x, then either keeps one part (the others get no gradient) or concatenates the
 * parts in reverse order (every part's gradient lands in its own range of dx).
 */
function partsCases(name: string, split: (x: A.Variable, arg: number | number[], dim: number) => A.Variable[], argOf: (d: number) => fc.Arbitrary<number | number[]>): fc.Arbitrary<GradCase> {
  return shapes(1, 3, 1, 5)
    .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 })))
    .chain(([shape, dim]) => fc.tuple(fc.constant(shape), fc.constant(dim), argOf(shape.at(dim)!), fc.nat(), fc.boolean(), f64(shape)))
    .map(([shape, dim, arg, pick, keepOne, x]) => ({
      inputs: [x],
      fn: (v: A.Variable) => {
        const parts = split(v, arg, dim);
        return keepOne ? parts[pick % parts.length]! : A.concat([...parts].reverse(), dim);
      },
      label: `x ${fmt(shape)}, ${name} ${JSON.stringify(arg)}, dim ${dim}, ${keepOne ? `keep part ${pick}` : "all parts reversed"}`,
    }));
}

/** A fixed part size, or a list of sizes summing to d. */
const splitArg = (d: number): fc.Arbitrary<number | number[]> =>
  fc.oneof(
    fc.integer({ min: 1, max: d }),
    fc.array(fc.integer({ min: 1, max: d }), { minLength: 1, maxLength: d }).map((cuts) => {
      const sizes: number[] = [];
      let left = d;
      for (const c of cuts) {
        if (left === 0) break;
        const s = Math.min(c, left);
        sizes.push(s);
        left -= s;
      }
      if (left > 0) sizes.push(left);
      return sizes;
    }),
  );

export const joinProperties: FamilyProperties<"join"> = {
  concat: { cases: concatCases },
  stack: { cases: stackCases },
  split: { cases: partsCases("split", (x, arg, dim) => A.split(x, arg, dim), splitArg) },
  chunk: { cases: partsCases("chunk", (x, n, dim) => A.chunk(x, n as number, dim), () => fc.integer({ min: 1, max: 4 })) },
};
