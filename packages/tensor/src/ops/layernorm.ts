/**
 * layerNorm: normalise over the trailing dims, as torch.nn.functional.layer_norm.
 *
 *   x is (...B, ...S) where S = normalizedShape; weight and bias, if given, are S
 *   each of the prod(B) rows of n = prod(S) elements:
 *     mean = sum(x) / n
 *     var  = sum((x - mean)^2) / n            (biased, as torch)
 *     rstd = 1 / sqrt(var + eps)
 *     out  = (x - mean) * rstd * weight + bias
 *   out is x's shape; mean and rstd are B (x's shape without S), in x's dtype.
 *
 * mean and rstd are returned because the fused backward, `layerNormBackward`, needs
 * exactly these (as llm.c's layernorm_forward caches them): with xhat = (x - mean) * rstd
 * and g = dy * weight,
 *   dx      = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dweight = sum over rows of dy * xhat,   dbias = sum over rows of dy
 *
 * Sums run in float64 whatever the dtype, and the variance is taken about the mean
 * (two passes), not as E[x^2] - E[x]^2, which cancels badly when |mean| >> std.
 * The kernels are in layernorm-kernel.ts; large inputs split over the worker pool, by rows
 * (forward, dx) or by columns (dweight, dbias), with the same result on any thread count.
 */

import { allocate, isFloat, type TypedArray } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { parallelFor, poolReady, willSplit } from "../pool/threads.js";
import { shapesEqual, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

/** Each thread gets at least this many elements: smaller inputs stay on one thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 15;

function minRows(n: number): number {
  return Math.ceil(PARALLEL_MIN_ELEMENTS / Math.max(1, n));
}

export interface LayerNormResult {
  /** x's shape */
  out: Tensor;
  /** per-row mean, shape x.shape without the normalized dims */
  mean: Tensor;
  /** per-row 1 / sqrt(var + eps), same shape as mean */
  rstd: Tensor;
}

function checkAffine(name: string, t: Tensor | undefined, normalizedShape: readonly number[]): void {
  if (t === undefined) return;
  if (!isFloat(t.dtype)) throw new TensorError("layerNorm", `${name} must be float32 or float64, got ${t.dtype}`);
  if (!shapesEqual(t.shape, normalizedShape)) {
    throw new TensorError("layerNorm", `${name} must have the normalized shape ${fmtShape(normalizedShape)}, got ${fmtShape(t.shape)}`);
  }
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): LayerNormResult {
  if (!isFloat(x.dtype)) throw new TensorError("layerNorm", `x must be float32 or float64, got ${x.dtype}`);
  const S = [...normalizedShape];
  if (S.length === 0 || !S.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TensorError("layerNorm", `normalizedShape must be a non-empty list of non-negative integers, got ${fmtShape(S)}`);
  }
  const lead = x.ndim - S.length;
  if (lead < 0 || !shapesEqual(x.shape.slice(lead), S)) {
    throw new TensorError("layerNorm", `x's trailing dims must equal normalizedShape ${fmtShape(S)}, got x of shape ${fmtShape(x.shape)}`);
  }
  checkAffine("weight", weight, S);
  checkAffine("bias", bias, S);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new TensorError("layerNorm", `eps must be a finite non-negative number, got ${eps}`);

  const n = sizeOf(S);
  const rows = sizeOf(x.shape.slice(0, lead));
  const parallel = willSplit(rows * n, 2 * PARALLEL_MIN_ELEMENTS);
  const out = allocate(x.dtype, rows * n, parallel);
  const means = allocate(x.dtype, rows, parallel);
  const rstds = allocate(x.dtype, rows, parallel);
  const xd = x.contiguousData();
  const wd = weight?.contiguousData();
  const bd = bias?.contiguousData();
  const inputs = poolReady([xd, wd ?? xd, bd ?? xd], rows * n, 2 * PARALLEL_MIN_ELEMENTS);
  parallelFor("layerNorm", [...inputs, out, means, rstds], [n, eps, wd ? 1 : 0, bd ? 1 : 0], rows, minRows(n));
  const statShape = x.shape.slice(0, lead);
  return { out: new Tensor(out, x.shape), mean: new Tensor(means, statShape), rstd: new Tensor(rstds, statShape) };
}

export interface LayerNormGrads {
  /** x's shape and dtype, or null when not asked for */
  dx: Tensor | null;
  /** Σ over rows of dy * xhat, the normalized shape, float64 (cast it to the weight's dtype), or null */
  dweight: Tensor | null;
  /** Σ over rows of dy, the normalized shape, float64, or null */
  dbias: Tensor | null;
}

/**
 * The backward pass of layerNorm, fused (as llm.c's layernorm_backward), from the mean and
 * rstd the forward pass returned. With xhat = (x - mean) * rstd and g = dy * weight:
 *   dx      = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   dweight = Σ over rows of dy * xhat,   dbias = Σ over rows of dy
 * `normalizedShape` is that of the forward call; `weight` is absent when it had none.
 * `options.dx` / `options.params` (default true) skip what is not needed.
 */
export function layerNormBackward(
  dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, normalizedShape: readonly number[], weight?: Tensor,
  options: { dx?: boolean; params?: boolean } = {},
): LayerNormGrads {
  if (!shapesEqual(dy.shape, x.shape) || dy.dtype !== x.dtype) {
    throw new TensorError("layerNormBackward", `dy must have x's shape and dtype ${x.dtype} ${fmtShape(x.shape)}, got ${dy.dtype} ${fmtShape(dy.shape)}`);
  }
  const rows = mean.size;
  const n = sizeOf(normalizedShape);
  if (rows * n !== x.size || rstd.size !== rows) {
    throw new TensorError("layerNormBackward", `mean and rstd must hold one value per row of ${n} elements: x ${fmtShape(x.shape)}, mean ${fmtShape(mean.shape)}, rstd ${fmtShape(rstd.shape)}`);
  }
  const work = rows * n;
  const parallel = willSplit(work, 2 * PARALLEL_MIN_ELEMENTS);
  const wd = weight?.contiguousData();
  const inputs = [x.contiguousData(), dy.contiguousData(), mean.contiguousData(), rstd.contiguousData(), wd ?? mean.contiguousData()];
  const [xd, gd, md, rd, w] = poolReady(inputs, work, 2 * PARALLEL_MIN_ELEMENTS) as [TypedArray, TypedArray, TypedArray, TypedArray, TypedArray];
  let dx: Tensor | null = null;
  if (options.dx ?? true) {
    const out = allocate(x.dtype, x.size, parallel);
    parallelFor("layerNormBackward", [xd, w, gd, md, rd, out], [n, wd ? 1 : 0], rows, minRows(n));
    dx = new Tensor(out, x.shape);
  }
  if (!(options.params ?? true)) return { dx, dweight: null, dbias: null };
  const dw = allocate("float64", n, parallel);
  const db = allocate("float64", n, parallel);
  // split by columns, each summed over every row: a thread gets at least PARALLEL_MIN_ELEMENTS elements
  parallelFor("layerNormParamGrads", [xd, gd, md, rd, dw, db], [n, rows], n, Math.ceil(PARALLEL_MIN_ELEMENTS / Math.max(1, rows)));
  const shape = [...normalizedShape];
  return { dx, dweight: new Tensor(dw, shape), dbias: new Tensor(db, shape) };
}
