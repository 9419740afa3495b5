/**
 * Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_.
 *
 *   total = ‖(‖g_1‖, ‖g_2‖, ...)‖   (p-norms, p = normType; "inf" takes the max |g|)
 *   coef  = maxNorm / (total + 1e-6), clamped to at most 1
 *   g_i   = g_i * coef   (in place, for every parameter that has a gradient)
 * Returns `total`, the norm before clipping. Parameters without a gradient are skipped.
 * With `errorIfNonfinite` a NaN or infinite total throws instead of scaling every gradient
 * into NaN (torch's option; off by default, as torch).
 */

import type { Variable } from "@duet/autograd";
import { TensorError } from "@duet/tensor";

export interface ClipGradNormOptions {
  /** The p of the p-norm (default 2), or "inf" for the max-norm. */
  normType?: number | "inf";
  errorIfNonfinite?: boolean;
}

export function clipGradNorm(parameters: Iterable<Variable>, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const normType = options.normType ?? 2;
  if (!(maxNorm >= 0)) throw new TensorError("clipGradNorm", `maxNorm must be >= 0, got ${maxNorm}`);
  if (normType !== "inf" && !(normType > 0)) throw new TensorError("clipGradNorm", `normType must be a positive number or "inf", got ${normType}`);
  const grads = [...parameters].flatMap((p) => (p.grad === null ? [] : [p.grad]));
  if (grads.length === 0) return 0;
  let total: number;
  if (normType === "inf") {
    total = 0;
    for (const g of grads) {
      for (const v of g.contiguousData()) {
        const a = Math.abs(v);
        if (a > total || Number.isNaN(a)) total = a;
      }
    }
  } else {
    // Σ over tensors of ‖g‖_p^p, then the p-th root: the same number as the norm of the norms
    let acc = 0;
    for (const g of grads) for (const v of g.contiguousData()) acc += normType === 2 ? v * v : Math.abs(v) ** normType;
    total = normType === 2 ? Math.sqrt(acc) : acc ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new TensorError("clipGradNorm", `the total norm of order ${normType} of the gradients is ${total}; they cannot be clipped (errorIfNonfinite)`);
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads) {
    const data = g.data;
    if (!g.isCompact()) throw new TensorError("clipGradNorm", `a gradient does not own compact storage; cannot scale it in place`);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * coef;
  }
  return total;
}
