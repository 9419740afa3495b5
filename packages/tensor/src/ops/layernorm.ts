/**
 * layerNorm over the trailing dims (torch.nn.functional.layer_norm) and its fused backward
 * pass, with the naive references the tests compare them against.
 *
 *   x is (...B, ...S) with S = normalizedShape; weight and bias, if given, are S.
 *   out is x's shape; mean and rstd are B (one per row of n = prod(S) elements), x's dtype.
 *
 * The math, forward and backward, is written once: in the layerNorm spec,
 * packages/autograd/src/ops/layernorm.ts, printed in docs/ops.md. The forward pass returns
 * mean and rstd because they are exactly what the backward pass needs (as llm.c's
 * layernorm_forward caches them): `layerNormBackward` recomputes xhat from them without a
 * second reduction.
 *
 * The kernels are in layernorm-kernel.ts. The fast ones split large inputs over the worker
 * pool, by rows (forward, dx) or by columns (dweight, dbias), with the same result on any
 * thread count. `layerNormNaive` and `layerNormBackwardNaive` run plain float64 loops on one
 * thread, recompute every statistic, and take the backward pass through the Jacobian: the
 * oracle for tests, the baseline for benchmarks.
 */

import { allocate, isFloat, type TypedArray } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { parallelFor, poolReady, willSplit } from "../pool/threads.js";
import { shapesEqual, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";
import { layerNormBackwardRowsNaive, layerNormRowsNaive } from "./layernorm-kernel.js";

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

function checkAffine(op: string, name: string, t: Tensor | undefined, normalizedShape: readonly number[]): void {
  if (t === undefined) return;
  if (!isFloat(t.dtype)) throw new TensorError(op, `${name} must be float32 or float64, got ${t.dtype}`);
  if (!shapesEqual(t.shape, normalizedShape)) {
    throw new TensorError(op, `${name} must have the normalized shape ${fmtShape(normalizedShape)}, got ${fmtShape(t.shape)}`);
  }
}

/** Checks the forward pass's arguments (for `op`); returns how many leading dims x has. */
function checkForward(op: string, x: Tensor, S: readonly number[], weight: Tensor | undefined, bias: Tensor | undefined, eps: number): number {
  if (!isFloat(x.dtype)) throw new TensorError(op, `x must be float32 or float64, got ${x.dtype}`);
  if (S.length === 0 || !S.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TensorError(op, `normalizedShape must be a non-empty list of non-negative integers, got ${fmtShape(S)}`);
  }
  const lead = x.ndim - S.length;
  if (lead < 0 || !shapesEqual(x.shape.slice(lead), S)) {
    throw new TensorError(op, `x's trailing dims must equal normalizedShape ${fmtShape(S)}, got x of shape ${fmtShape(x.shape)}`);
  }
  checkAffine(op, "weight", weight, S);
  checkAffine(op, "bias", bias, S);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new TensorError(op, `eps must be a finite non-negative number, got ${eps}`);
  return lead;
}

/** The forward pass: out, with each row's mean and rstd for the backward pass. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): LayerNormResult {
  const S = [...normalizedShape];
  const lead = checkForward("layerNorm", x, S, weight, bias, eps);
  const n = sizeOf(S);
  const rows = sizeOf(x.shape.slice(0, lead));
  const parallel = willSplit(rows * n, 2 * PARALLEL_MIN_ELEMENTS);
  const out = allocate(x.dtype, rows * n, parallel ? "shared" : "auto");
  const means = allocate(x.dtype, rows, parallel ? "shared" : "auto");
  const rstds = allocate(x.dtype, rows, parallel ? "shared" : "auto");
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
  /** the normalized shape, float64 (cast it to the weight's dtype), or null */
  dweight: Tensor | null;
  /** the normalized shape, float64 (cast it to the bias's dtype), or null */
  dbias: Tensor | null;
}

/**
 * The backward pass of layerNorm (dx, dweight, dbias as the spec states them), fused as
 * llm.c's layernorm_backward, from the mean and rstd the forward pass returned.
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
    const out = allocate(x.dtype, x.size, parallel ? "shared" : "auto");
    parallelFor("layerNormBackward", [xd, w, gd, md, rd, out], [n, wd ? 1 : 0], rows, minRows(n));
    dx = new Tensor(out, x.shape);
  }
  if (!(options.params ?? true)) return { dx, dweight: null, dbias: null };
  const dw = allocate("float64", n, parallel ? "shared" : "auto");
  const db = allocate("float64", n, parallel ? "shared" : "auto");
  // split by columns, each summed over every row: a thread gets at least PARALLEL_MIN_ELEMENTS elements
  parallelFor("layerNormParamGrads", [xd, gd, md, rd, dw, db], [n, rows], n, Math.ceil(PARALLEL_MIN_ELEMENTS / Math.max(1, rows)));
  const shape = [...normalizedShape];
  return { dx, dweight: new Tensor(dw, shape), dbias: new Tensor(db, shape) };
}

/** The reference forward pass: plain float64 loops on one thread, rounded once to x's dtype. */
export function layerNormNaive(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): LayerNormResult {
  const S = [...normalizedShape];
  const lead = checkForward("layerNorm", x, S, weight, bias, eps);
  const n = sizeOf(S);
  const rows = sizeOf(x.shape.slice(0, lead));
  const out = allocate(x.dtype, rows * n);
  const means = allocate(x.dtype, rows);
  const rstds = allocate(x.dtype, rows);
  layerNormRowsNaive(x.toFlatArray(), weight?.toFlatArray() ?? null, bias?.toFlatArray() ?? null, out, means, rstds, n, rows, eps);
  const statShape = x.shape.slice(0, lead);
  return { out: new Tensor(out, x.shape), mean: new Tensor(means, statShape), rstd: new Tensor(rstds, statShape) };
}

/**
 * The reference backward pass: from x itself (not a saved mean and rstd), through the
 * Jacobian, in float64 on one thread. Same outputs as `layerNormBackward`: dx in x's dtype,
 * dweight and dbias float64 (dweight is given without a weight too, as there).
 */
export function layerNormBackwardNaive(dy: Tensor, x: Tensor, normalizedShape: readonly number[], weight?: Tensor, eps = 1e-5): LayerNormGrads {
  const S = [...normalizedShape];
  const lead = checkForward("layerNormBackward", x, S, weight, undefined, eps);
  if (!shapesEqual(dy.shape, x.shape) || dy.dtype !== x.dtype) {
    throw new TensorError("layerNormBackward", `dy must have x's shape and dtype ${x.dtype} ${fmtShape(x.shape)}, got ${dy.dtype} ${fmtShape(dy.shape)}`);
  }
  const n = sizeOf(S);
  const rows = sizeOf(x.shape.slice(0, lead));
  const dx = allocate(x.dtype, x.size);
  const dweight = new Float64Array(n);
  const dbias = new Float64Array(n);
  layerNormBackwardRowsNaive(x.toFlatArray(), weight?.toFlatArray() ?? null, dy.toFlatArray(), dx, dweight, dbias, n, rows, eps);
  return { dx: new Tensor(dx, x.shape), dweight: new Tensor(dweight, S), dbias: new Tensor(dbias, S) };
}
