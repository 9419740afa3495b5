// autograd == float64 central differences, for every op of ops/binary.ts (properties: ../properties/binary.ts)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as A from "../../../packages/autograd/src/index.js";
import { tensor, type Tensor } from "../../../packages/tensor/src/index.js";
import { expectClose } from "../../support/arbitraries.js";
import { tiedPairCases, type TiedPair } from "../properties/binary.js";
import { runFamily } from "../support/run-family.js";

runFamily("binary");

/** The flat index in `shape` (right-aligned, size-1 dims broadcast) that output index `at` reads. */
function sourceIndex(shape: readonly number[], at: readonly number[]): number {
  const lead = at.length - shape.length;
  return shape.reduce((s, d, i) => s * d + (d === 1 ? 0 : at[lead + i]!), 0);
}

/**
 * The tie law, element by element: each dz goes whole to the operand that wins (the larger
 * for maximum, the smaller for minimum), half to each on a tie (===, so -0 ties 0), and is
 * summed over the dims an operand was broadcast along.
 */
function routedByHand(a: Tensor, b: Tensor, dz: Tensor, winner: "larger" | "smaller"): [number[], number[]] {
  const [as, bs, dzs] = [a.toFlatArray(), b.toFlatArray(), dz.toFlatArray()];
  const da = new Array<number>(a.size).fill(0);
  const db = new Array<number>(b.size).fill(0);
  const at = new Array<number>(dz.ndim).fill(0);
  for (let k = 0; k < dz.size; k++) {
    const [i, j] = [sourceIndex(a.shape, at), sourceIndex(b.shape, at)];
    const aWins = winner === "larger" ? as[i]! > bs[j]! : as[i]! < bs[j]!;
    const share = as[i] === bs[j] ? 0.5 : aWins ? 1 : 0;
    da[i]! += dzs[k]! * share;
    db[j]! += dzs[k]! * (1 - share);
    for (let d = dz.ndim - 1; d >= 0 && ++at[d]! === dz.shape[d]!; d--) at[d] = 0;
  }
  return [da, db];
}

/** Each operand as a leaf (a number stays a number), z = f(a, b), and the gradients for the case's dz. */
function gradThrough(c: TiedPair, f: (a: A.Operand, b: A.Operand) => A.Variable) {
  const leaf = (t: Tensor | number) => (typeof t === "number" ? t : new A.Variable(t, { requiresGrad: true }));
  const [a, b] = [leaf(c.a), leaf(c.b)];
  const z = f(a, b);
  const dz = c.dz(z.shape);
  z.backward(dz);
  const grad = (v: A.Variable | number) => (typeof v === "number" ? null : v.grad!);
  return { z: z.value, dz, da: grad(a), db: grad(b) };
}

/** A JS number as the 0-dim tensor it broadcasts as. */
const asTensor = (t: Tensor | number): Tensor => (typeof t === "number" ? tensor([t], [], { dtype: "float64" }) : t);

describe("maximum and minimum route ties alike (operands from a few values, so a = b often)", () => {
  for (const [op, winner] of [["maximum", "larger"], ["minimum", "smaller"]] as const) {
    it(`${op}: dz goes to the ${winner} operand, half to each on a tie, summed over broadcast dims`, () => {
      fc.assert(
        fc.property(tiedPairCases, (c) => {
          const { dz, da, db } = gradThrough(c, A[op]);
          const [a, b] = [asTensor(c.a), asTensor(c.b)];
          const [wantA, wantB] = routedByHand(a, b, dz, winner);
          // the backward pass sums over broadcast dims in its own order: allow float64 rounding
          const tol = { rtol: 1e-14, atol: 1e-14 };
          if (da) expectClose(da, wantA, { ...tol, label: `${op} (${c.label}): da` });
          if (db) expectClose(db, wantB, { ...tol, label: `${op} (${c.label}): db` });
        }),
        { seed: 71, numRuns: 150 },
      );
    });
  }

  it("minimum(a, b) == -maximum(-a, -b): values and gradients, ties included", () => {
    fc.assert(
      fc.property(tiedPairCases, (c) => {
        const direct = gradThrough(c, A.minimum);
        const neg = (v: A.Operand) => (typeof v === "number" ? -v : A.neg(v));
        const mirrored = gradThrough(c, (a, b) => A.neg(A.maximum(neg(a), neg(b))));
        const exact = { rtol: 0, atol: 0 };
        expect(mirrored.z.shape).toEqual(direct.z.shape);
        expectClose(direct.z, mirrored.z, { ...exact, label: `minimum (${c.label}): value` });
        if (direct.da) expectClose(direct.da, mirrored.da!, { ...exact, label: `minimum (${c.label}): da` });
        if (direct.db) expectClose(direct.db, mirrored.db!, { ...exact, label: `minimum (${c.label}): db` });
      }),
      { seed: 72, numRuns: 150 },
    );
  });
});
