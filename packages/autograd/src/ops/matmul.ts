/**
 * matmul: the matrix product with torch.matmul's rules.
 *
 *   a is (..., M, K), b is (..., K, N)  ->  y is (..., M, N), batch dims broadcast
 *   a 1-D a is a row (1, K), a 1-D b a column (K, 1), and that dim is dropped from y
 *
 * Backward, with dy (..., M, N):
 *   da = dy @ bᵀ   (..., M, K), summed over the batch dims a was broadcast along
 *   db = aᵀ @ dy   (..., K, N), likewise
 * The transposes are strided views: matmul reads them in place, nothing is copied.
 *
 * A b shared by every matrix of a batch (a weight: x (B, T, D) @ W (D, E)) gets
 *   db = Σ_batch a_iᵀ dy_i = (a as (B·T, D))ᵀ @ (dy as (B·T, E))
 * as one product with a long inner dimension, not B products summed afterwards: the same
 * multiply-adds without a (B, D, E) intermediate (33 MB for a 128 x 65-token batch through a
 * 128 -> 512 layer) and the pass that sums it.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { castTo, sumToShape } from "../gradients.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const MATMUL = defineOp({
  name: "matmul",
  inputs: ["a", "b"],
  forward: "y = a @ b   (a (..., M, K), b (..., K, N), y (..., M, N); batch dims broadcast)",
  backward: "da = dy @ bᵀ,  db = aᵀ @ dy   (each summed over the batch dims it was broadcast along)",
  saved: "a and b: each operand's gradient is a product with the other",
  notes: "1-D operands follow torch.matmul: a vector a is a row, a vector b a column, and the added dim is dropped from y.",
});
/** aᵀ @ dy, summed over the batch dims b was broadcast along (not yet reduced to b's shape when b is batched). */
function weightGrad(a2: T.Tensor, b2: T.Tensor, dy2: T.Tensor): T.Tensor {
  const shared = a2.ndim > 2 && b2.shape.slice(0, -2).every((d) => d === 1) && dy2.ndim === a2.ndim;
  if (!shared) return T.matmul(a2.transpose(-1, -2), dy2);
  const K = a2.shape[a2.ndim - 1]!;
  const N = dy2.shape[dy2.ndim - 1]!;
  return T.matmul(a2.reshape([-1, K]).transpose(0, 1), dy2.reshape([-1, N])).reshape(b2.shape);
}

export function matmul(a: Input, b: Input): Variable {
  const av = asVariable("matmul", "a", a);
  const bv = asVariable("matmul", "b", b);
  const A = av.value;
  const B = bv.value;
  return record(MATMUL, T.matmul(A, B), [av, bv], (dy, need) => {
    // give 1-D operands their matrix shape back, and dy the dims the product dropped
    const a2 = A.ndim === 1 ? A.unsqueeze(0) : A; // (1, K)
    const b2 = B.ndim === 1 ? B.unsqueeze(1) : B; // (K, 1)
    let dy2 = B.ndim === 1 ? dy.unsqueeze(-1) : dy;
    if (A.ndim === 1) dy2 = dy2.unsqueeze(-2); // now (..., M, N)
    const da = need[0] ? T.matmul(dy2, b2.transpose(-1, -2)) : null;
    const db = need[1] ? weightGrad(a2, b2, dy2) : null;
    return [
      da && castTo(sumToShape(da, a2.shape).reshape(A.shape), A.dtype),
      db && castTo(sumToShape(db, b2.shape).reshape(B.shape), B.dtype),
    ];
  });
}
