/** Gradient property of matmul: plain, batched with broadcast batch dims, and the 1-D cases. */

import fc from "fast-check";
import * as A from "../../../packages/autograd/src/index.js";
import { broadcastPairArb } from "../../support/arbitraries.js";
import { f64, fmt, type FamilyProperties, type GradCase } from "../support/cases.js";

const dim = fc.integer({ min: 1, max: 4 });

const products: fc.Arbitrary<GradCase> = fc
  .record({ M: dim, K: dim, N: dim, batches: broadcastPairArb({ maxDims: 2, maxSize: 3 }), aVector: fc.boolean(), bVector: fc.boolean() })
  .chain(({ M, K, N, batches: [batchA, batchB], aVector, bVector }) => {
    const sa = aVector ? [K] : [...batchA, M, K];
    const sb = bVector ? [K] : [...batchB, K, N];
    return fc.tuple(f64(sa), f64(sb)).map(([a, b]) => ({ inputs: [a, b], fn: (x: A.Variable, y: A.Variable) => A.matmul(x, y), label: `a ${fmt(sa)}, b ${fmt(sb)}` }));
  });

export const matmulProperties: FamilyProperties<"matmul"> = {
  matmul: { cases: products },
};
