/**
 * Triangular parts of matrices, as torch.tril / torch.triu.
 *
 *   x is (..., M, N); tril keeps (i, j) with j - i <= diagonal, triu with j - i >= diagonal.
 *
 * Each is a projection (a mask of 0s and 1s), so it is its own adjoint.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const TRIL = defineOp({ name: "tril", inputs: ["x"], forward: "y[..., i, j] = x[..., i, j] if j - i <= diagonal, else 0", backward: "dx = tril(dy, diagonal)", saved: "diagonal" });
export function tril(x: Input, diagonal = 0): Variable {
  const xv = asVariable("tril", "x", x);
  return record(TRIL, T.tril(xv.value, diagonal), [xv], (dy) => [T.tril(dy, diagonal)]);
}

const TRIU = defineOp({ name: "triu", inputs: ["x"], forward: "y[..., i, j] = x[..., i, j] if j - i >= diagonal, else 0", backward: "dx = triu(dy, diagonal)", saved: "diagonal" });
export function triu(x: Input, diagonal = 0): Variable {
  const xv = asVariable("triu", "x", x);
  return record(TRIU, T.triu(xv.value, diagonal), [xv], (dy) => [T.triu(dy, diagonal)]);
}
