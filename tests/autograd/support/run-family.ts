/**
 * Runs the gradient property of every op of one family, one `it` per op. The list of ops
 * comes from the registry, not from the property table, so a registered op without a
 * property fails here as well as in the registry test.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ones } from "../../../packages/tensor/src/index.js";
import { gradcheck, graphOps, OP_FAMILIES, Variable, type Family, type OpName } from "../../../packages/autograd/src/index.js";
import { expectClose } from "../../support/arbitraries.js";
import { PROPERTIES } from "../properties/index.js";
import { DEFAULT_RUNS, propertyTitle, SEED, type GradProperty } from "./cases.js";

export function runFamily(family: Family): void {
  describe(`gradients of the ${family} ops`, () => {
    for (const op of OP_FAMILIES[family] as readonly OpName[]) {
      it(propertyTitle(op), () => {
        const property = PROPERTIES[op];
        expect(property, `${op} has no gradient property in tests/autograd/properties/`).toBeDefined();
        checkGradProperty(op, property);
      });
      it(`${op}: float32 inputs get float32 gradients that match float64`, () => checkFloat32(op, PROPERTIES[op]));
    }
  });
}

/** gradcheck on every case, and the op present in every case's graph. */
function checkGradProperty(op: OpName, property: GradProperty): void {
  fc.assert(
    fc.property(property.cases, (c) => {
      const seen = new Set<string>();
      const traced = (...inputs: Variable[]) => {
        const out = c.fn(...inputs);
        for (const name of graphOps(out)) seen.add(name);
        return out;
      };
      const result = gradcheck(traced, c.inputs, { name: `${op} (${c.label})`, atol: property.atol, rtol: property.rtol });
      expect(seen.has(op), `${op} (${c.label}): the case's graph holds [${[...seen].join(", ")}], not ${op}`).toBe(true);
      expect(result.checked).toBeGreaterThan(0);
    }),
    { seed: SEED, numRuns: property.numRuns ?? DEFAULT_RUNS },
  );
}

/**
 * Models train in float32: the first cases of the property, run in float32, must give
 * float32 gradients (the backward loop checks each op's dtype) close to the float64 ones.
 */
function checkFloat32(op: OpName, property: GradProperty): void {
  for (const c of fc.sample(property.cases, { seed: SEED, numRuns: 10 })) {
    const grads = (dtype: "float32" | "float64") => {
      const leaves = c.inputs.map((x) => new Variable(x.to(dtype), { requiresGrad: true }));
      const out = c.fn(...leaves);
      out.backward(ones(out.shape, { dtype: out.dtype }));
      return leaves.map((v) => v.grad);
    };
    const wide = grads("float64");
    grads("float32").forEach((g, k) => {
      expect(g === null, `${op} (${c.label}): gradient ${k} is missing in one dtype only`).toBe(wide[k] === null);
      if (g === null) return;
      expect(g.dtype, `${op} (${c.label}): gradient ${k}`).toBe("float32");
      expectClose(g, wide[k]!, { rtol: 1e-3, atol: 1e-3, label: `${op} (${c.label}) float32 vs float64 gradient ${k}:` });
    });
  }
}
