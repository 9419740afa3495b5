/** Gradient property of conv2d: input, weight and (optional) bias, with strides and padding. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, type FamilyProperties, type GradCase } from "../support/cases.js";

const cases: fc.Arbitrary<GradCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    O: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: 5 }),
    W: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.constantFrom<number | [number, number]>(1, 2, [1, 2], [2, 1]),
    padding: fc.constantFrom<number | [number, number]>(0, 1, [0, 1], [1, 0]),
    bias: fc.boolean(),
  })
  .filter(({ H, W, kh, kw, padding }) => {
    const [ph, pw] = typeof padding === "number" ? [padding, padding] : padding;
    return kh <= H + 2 * ph && kw <= W + 2 * pw;
  })
  .chain(({ N, C, O, H, W, kh, kw, stride, padding, bias }) => {
    const options = { stride, padding };
    const label = `x ${fmt([N, C, H, W])}, weight ${fmt([O, C, kh, kw])}, bias ${bias}, stride ${JSON.stringify(stride)}, padding ${JSON.stringify(padding)}`;
    const xw = fc.tuple(f64([N, C, H, W]), f64([O, C, kh, kw]));
    if (!bias) return xw.map(([x, w]) => ({ inputs: [x, w], fn: (xv: A.Variable, wv: A.Variable) => A.conv2d(xv, wv, undefined, options), label }));
    return fc.tuple(xw, f64([O])).map(([[x, w], b]) => ({
      inputs: [x, w, b],
      fn: (xv: A.Variable, wv: A.Variable, bv: A.Variable) => A.conv2d(xv, wv, bv, options),
      label,
    }));
  });

export const convProperties: FamilyProperties<"conv"> = {
  conv2d: { cases, numRuns: 50 },
};
