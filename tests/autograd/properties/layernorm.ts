/** Gradient property of layerNorm: 1-2 normalized dims, 0-2 leading dims, with or without weight and bias. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { f64, fmt, shapes, type FamilyProperties, type GradCase } from "../support/cases.js";

const cases: fc.Arbitrary<GradCase> = fc
  .record({ lead: shapes(0, 2, 1, 3), normalized: shapes(1, 2, 2, 5), affine: fc.constantFrom("none", "weight", "both") })
  .chain(({ lead, normalized, affine }) => {
    const x = f64([...lead, ...normalized]);
    const label = `x ${fmt([...lead, ...normalized])}, normalizedShape ${fmt(normalized)}, affine ${affine}`;
    if (affine === "none") return x.map((xt) => ({ inputs: [xt], fn: (v: A.Variable) => A.layerNorm(v, normalized), label }));
    if (affine === "weight") return fc.tuple(x, f64(normalized)).map(([xt, w]) => ({ inputs: [xt, w], fn: (v: A.Variable, wv: A.Variable) => A.layerNorm(v, normalized, wv), label }));
    return fc.tuple(x, f64(normalized), f64(normalized)).map(([xt, w, b]) => ({
      inputs: [xt, w, b],
      fn: (v: A.Variable, wv: A.Variable, bv: A.Variable) => A.layerNorm(v, normalized, wv, bv),
      label,
    }));
  });

export const layernormProperties: FamilyProperties<"layernorm"> = {
  layerNorm: { cases },
};
