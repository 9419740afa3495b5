// autograd == float64 central differences, for every op of ops/reduce.ts (properties: ../properties/reduce.ts)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as A from "../../../packages/autograd/src/index.js";
import { normalizeAxes, type Tensor } from "../../../packages/tensor/src/index.js";
import { expectClose } from "../../support/arbitraries.js";
import { tiedReductionCases, type TiedReduction } from "../properties/reduce.js";
import { runFamily } from "../support/run-family.js";

runFamily("reduce");

/**
 * The tie law, element by element: within each reduced slice, the elements equal (===, so
 * -0 ties 0) to the slice's extreme share its dy evenly; every other element gets 0.
 */
function routedByHand(x: Tensor, axes: number[], dy: Tensor, extreme: "max" | "min"): number[] {
  const xs = Array.from(x.toFlatArray());
  const dys = dy.toFlatArray();
  // the output slot of each element of x: its index with the reduced axes left out
  const slot = new Array<number>(xs.length);
  const index = new Array<number>(x.ndim).fill(0);
  for (let k = 0; k < xs.length; k++) {
    slot[k] = index.reduce((s, i, d) => (axes.includes(d) ? s : s * x.shape[d]! + i), 0);
    for (let d = x.ndim - 1; d >= 0 && ++index[d]! === x.shape[d]!; d--) index[d] = 0;
  }
  const best = new Array<number>(dys.length).fill(extreme === "max" ? -Infinity : Infinity);
  xs.forEach((v, k) => (best[slot[k]!] = extreme === "max" ? Math.max(best[slot[k]!]!, v) : Math.min(best[slot[k]!]!, v)));
  const count = new Array<number>(dys.length).fill(0);
  xs.forEach((v, k) => (count[slot[k]!]! += v === best[slot[k]!] ? 1 : 0));
  return xs.map((v, k) => (v === best[slot[k]!] ? dys[slot[k]!]! / count[slot[k]!]! : 0));
}

/** x's gradient through `f` (a reduction with the case's axes), with the case's upstream gradient. */
function gradThrough(c: TiedReduction, f: (v: A.Variable) => A.Variable): { y: Tensor; dy: Tensor; dx: Tensor } {
  const x = new A.Variable(c.x, { requiresGrad: true });
  const y = f(x);
  const dy = c.dy(y.shape);
  y.backward(dy);
  return { y: y.value, dy, dx: x.grad! };
}

describe("max and min route ties alike (x drawn from a few values, so slices repeat their extremes)", () => {
  const exact = { rtol: 0, atol: 0 };

  for (const extreme of ["max", "min"] as const) {
    it(`${extreme}: the elements equal to their slice's ${extreme === "max" ? "maximum" : "minimum"} share its dy evenly, the others get 0`, () => {
      fc.assert(
        fc.property(tiedReductionCases, (c) => {
          const { dy, dx } = gradThrough(c, (v) => A[extreme](v, c.axis, c.keepdim));
          const axes = normalizeAxes(extreme, c.axis, c.x.ndim);
          expectClose(dx, routedByHand(c.x, axes, dy, extreme), { ...exact, label: `${extreme} (${c.label}): dx` });
        }),
        { seed: 61, numRuns: 150 },
      );
    });
  }

  it("min(x) == -max(-x): values and gradients, ties included", () => {
    fc.assert(
      fc.property(tiedReductionCases, (c) => {
        const direct = gradThrough(c, (v) => A.min(v, c.axis, c.keepdim));
        const mirrored = gradThrough(c, (v) => A.neg(A.max(A.neg(v), c.axis, c.keepdim)));
        expect(mirrored.y.shape).toEqual(direct.y.shape);
        expectClose(direct.y, mirrored.y, { ...exact, label: `min (${c.label}): value` });
        expectClose(direct.dx, mirrored.dx, { ...exact, label: `min (${c.label}): dx` });
      }),
      { seed: 62, numRuns: 150 },
    );
  });
});
