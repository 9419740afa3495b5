/**
 * Triangular parts of matrices, as torch.tril / torch.triu, and the causal attention mask.
 *
 *   x is (..., M, N); every leading dim is a batch of matrices
 *   tril(x, k)[..., i, j] = x[..., i, j] if j - i <= k, else 0   (k = 0: on and below the diagonal)
 *   triu(x, k)[..., i, j] = x[..., i, j] if j - i >= k, else 0   (k = 0: on and above the diagonal)
 *
 * Positive k moves the boundary up and right, negative k down and left. Each is its own
 * adjoint: the gradient of tril(x, k) is tril(dy, k).
 *
 *   causalMask(n) is (n, n): 0 where j <= i, -Infinity where j > i.
 * Attention adds it to the scores before softmax, so position i attends only to
 * positions 0..i (exp(-Infinity) = 0 exactly; a large negative sentinel would not be).
 */

import { allocate, type DType } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { Tensor } from "../tensor.js";

/** Copies x, keeping element (i, j) of each matrix where keep(j - i) holds and zeroing the rest. */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x.ndim < 2) throw new TensorError(op, `x must have at least 2 dims (..., M, N), got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new TensorError(op, `diagonal must be an integer, got ${diagonal}`);
  const M = x.shape[x.ndim - 2]!;
  const N = x.shape[x.ndim - 1]!;
  const src = x.contiguousData();
  const out = allocate(x.dtype, src.length);
  for (let base = 0; base < src.length; base += M * N) {
    for (let i = 0; i < M; i++) {
      // the kept columns of row i: [0, i + diagonal] for tril, [i + diagonal, N) for triu
      const from = lower ? 0 : Math.min(Math.max(i + diagonal, 0), N);
      const to = lower ? Math.min(Math.max(i + diagonal + 1, 0), N) : N;
      const row = base + i * N;
      out.set(src.subarray(row + from, row + to), row + from);
    }
  }
  return new Tensor(out, x.shape);
}

/** The lower triangle of each matrix (j - i <= diagonal), the rest zero. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle("tril", x, diagonal, true);
}

/** The upper triangle of each matrix (j - i >= diagonal), the rest zero. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle("triu", x, diagonal, false);
}

/** The additive causal attention mask: (n, n), 0 on and below the diagonal, -Infinity above. */
export function causalMask(n: number, options: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new TensorError("causalMask", `n must be a non-negative integer, got ${n}`);
  const dtype = options.dtype ?? "float32";
  if (dtype === "int32") throw new TensorError("causalMask", `dtype must be float32 or float64 (the mask holds -Infinity), got int32`);
  const out = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) out.fill(-Infinity, i * n + i + 1, (i + 1) * n);
  return new Tensor(out, [n, n]);
}
