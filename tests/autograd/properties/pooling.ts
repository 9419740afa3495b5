/** Gradient properties of the 2-D poolings: kernels, strides, padding up to half the kernel. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, type FamilyProperties, type GradCase, type ValueKind } from "../support/cases.js";

type Pool = (x: A.Variable, kernel: number | [number, number], stride: number | [number, number], padding: number | [number, number]) => A.Variable;

function windows(f: Pool, kind: ValueKind): fc.Arbitrary<GradCase> {
  return fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 5 }),
      W: fc.integer({ min: 1, max: 5 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      padded: fc.boolean(),
    })
    .map((r) => ({ ...r, ph: r.padded ? Math.floor(r.kh / 2) : 0, pw: r.padded ? Math.floor(r.kw / 2) : 0 }))
    .filter(({ H, W, kh, kw, ph, pw }) => kh <= H + 2 * ph && kw <= W + 2 * pw)
    .chain(({ N, C, H, W, kh, kw, sh, sw, ph, pw }) =>
      f64([N, C, H, W], kind).map((x) => ({
        inputs: [x],
        fn: (v: A.Variable) => f(v, [kh, kw], [sh, sw], [ph, pw]),
        label: `x ${fmt([N, C, H, W])}, kernel [${kh},${kw}], stride [${sh},${sw}], padding [${ph},${pw}]`,
      })),
    );
}

const adaptive: fc.Arbitrary<GradCase> = fc
  .record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }), oh: fc.integer({ min: 1, max: 4 }), ow: fc.integer({ min: 1, max: 4 }) })
  .chain(({ N, C, H, W, oh, ow }) =>
    f64([N, C, H, W]).map((x) => ({ inputs: [x], fn: (v: A.Variable) => A.adaptiveAvgPool2d(v, [oh, ow]), label: `x ${fmt([N, C, H, W])}, output [${oh},${ow}]` })),
  );

export const poolingProperties: FamilyProperties<"pooling"> = {
  avgPool2d: { cases: windows(A.avgPool2d, "smooth"), numRuns: 60 },
  // distinct values: each window has one maximum, and a nudge of h cannot change it
  maxPool2d: { cases: windows((x, k, s, p) => A.maxPool2d(x, k, s, p), "distinct"), numRuns: 60 },
  adaptiveAvgPool2d: { cases: adaptive, numRuns: 60 },
};
