/**
 * Reductions: sum, prod, mean, max, min, argmax, argmin, logsumexp, var, std.
 *
 *   x is (2,3,4), axis 1        ->  (2,4)     (keepdim: (2,1,4))
 *   x is (2,3,4), axis [0,2]    ->  (3)
 *   axis undefined              ->  every axis: a 0-d tensor (keepdim: (1,1,1))
 *
 * Axes may be negative; duplicates are an error; `axis: []` reduces nothing (NumPy's
 * reading, not torch's). Sums accumulate in float64 whatever the dtype.
 *
 * Fast path: every reduction is seen as a 3-d block (outer, reduced, inner) of a row-major
 * buffer, out[o,i] = reduce_r x[o,r,i]. A contiguous input whose reduced axes are adjacent
 * (ignoring size-1 dims) is already such a block, read in place. Anything else (strided
 * views, reduced axes with kept axes between them) is copied once with the reduced axes
 * moved last, giving inner = 1. Each kernel then has two tight loops: inner = 1 (reduce
 * one contiguous run per output) and inner > 1 (accumulate whole rows of length inner,
 * r = 0, 1, ...). `reduceNaive` below computes the same things from the definitions, one
 * output element at a time, and is what the tests compare against.
 */

import { allocate, type DType } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { normalizeAxes, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";
import { parallelFor, poolReady, willSplit } from "../pool/threads.js";
import { argmaxBlock, argminBlock, logsumexpBlock, prodBlock, sumBlock, varianceBlock, type Block } from "./reduce-kernels.js";

/** One axis, several, or undefined for all of them. */
export type Axes = number | readonly number[];

/** The reductions, by name (used by reduceNaive). */
export type ReduceOp = "sum" | "prod" | "mean" | "max" | "min" | "argmax" | "argmin" | "logsumexp" | "var" | "std";

/** Values and int32 positions along the reduced axis, as torch.max(x, dim) returns. */
export interface ValuesAndIndices {
  values: Tensor;
  indices: Tensor;
}

// ---- sums and products ----------------------------------------------------

/** y = Σ x over `axis`; keeps the dtype (int32 sums wrap like int32). Empty: 0. */
export function sum(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("sum", x, axis, keepdim);
  return run(plan, x.dtype, (acc) => sumInto(plan.block, acc), splitsColumns(plan.block));
}

/** y = Π x over `axis`; keeps the dtype. Empty: 1. */
export function prod(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("prod", x, axis, keepdim);
  return run(plan, x.dtype, (acc) => prodBlock(plan.block, acc));
}

/** y = Σ x / n over `axis`; int32 gives float32. Empty: NaN (0/0, as torch). */
export function mean(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("mean", x, axis, keepdim);
  return run(plan, floatDtype(x.dtype), (acc) => {
    sumInto(plan.block, acc);
    for (let k = 0; k < acc.length; k++) acc[k]! /= plan.count;
  }, splitsColumns(plan.block));
}

/**
 * y = Σ (x - mean)² / (n - correction) over `axis` (torch.var: correction 1 is the unbiased
 * estimate, 0 the population variance). A divisor <= 0 gives NaN or Infinity, as torch.
 * Two passes (mean, then squared deviations), so no cancellation. int32 gives float32.
 * Also exported as `var` (a reserved word in JS: import it as `variance`).
 */
export function variance(x: Tensor, axis?: Axes, keepdim = false, correction = 1): Tensor {
  const plan = prepare("var", x, axis, keepdim);
  checkCorrection("var", correction);
  return run(plan, floatDtype(x.dtype), (acc) => varianceBlock(plan.block, acc, correction));
}
export { variance as var };

/** y = √var(x); same arguments as `variance`. */
export function std(x: Tensor, axis?: Axes, keepdim = false, correction = 1): Tensor {
  const plan = prepare("std", x, axis, keepdim);
  checkCorrection("std", correction);
  return run(plan, floatDtype(x.dtype), (acc) => {
    varianceBlock(plan.block, acc, correction);
    for (let k = 0; k < acc.length; k++) acc[k] = Math.sqrt(acc[k]!);
  });
}

/**
 * y = ln Σ e^x over `axis`, computed as m + ln Σ e^(x - m) with m = max x, so nothing
 * overflows. An all -Infinity (or empty) slice gives -Infinity, not NaN; int32 gives float32.
 */
export function logsumexp(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("logsumexp", x, axis, keepdim);
  return run(plan, floatDtype(x.dtype), (acc) => logsumexpBlock(plan.block, acc));
}

// ---- extremes ------------------------------------------------------------------

/** y = max x over `axis` (torch.amax); NaN if the slice holds a NaN. Empty: an error. */
export function max(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("max", x, axis, keepdim);
  checkNonEmpty("max", x, plan.axes);
  return run(plan, x.dtype, (acc) => argmaxBlock(plan.block, acc, new Int32Array(acc.length)));
}

/** y = min x over `axis` (torch.amin); NaN if the slice holds a NaN. Empty: an error. */
export function min(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const plan = prepare("min", x, axis, keepdim);
  checkNonEmpty("min", x, plan.axes);
  return run(plan, x.dtype, (acc) => argminBlock(plan.block, acc, new Int32Array(acc.length)));
}

/**
 * The int32 index of the maximum along `axis`; with no axis, the index into the flattened
 * (row-major) tensor, as torch. Ties go to the FIRST index; a NaN counts as the maximum
 * (its first occurrence wins), matching `max` propagating NaN.
 */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduce("argmax", x, axis, keepdim, argmaxBlock).indices;
}

/** As argmax, for the minimum (first index on ties, NaN counts as the minimum). */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argReduce("argmin", x, axis, keepdim, argminBlock).indices;
}

/**
 * Max values and their int32 indices along one axis (torch.max(x, dim)). Autograd routes
 * the gradient of max to `indices`. Ties and NaN as in argmax.
 */
export function maxWithIndices(x: Tensor, axis: number, keepdim = false): ValuesAndIndices {
  return argReduce("maxWithIndices", x, requireAxis("maxWithIndices", axis), keepdim, argmaxBlock);
}

/** Min values and their int32 indices along one axis (torch.min(x, dim)). */
export function minWithIndices(x: Tensor, axis: number, keepdim = false): ValuesAndIndices {
  return argReduce("minWithIndices", x, requireAxis("minWithIndices", axis), keepdim, argminBlock);
}

function argReduce(op: string, x: Tensor, axis: number | undefined, keepdim: boolean, kernel: typeof argmaxBlock): ValuesAndIndices {
  if (axis !== undefined && typeof axis !== "number") {
    throw new TensorError(op, `axis must be a single integer (or undefined for the flattened tensor), got ${fmtAxis(axis)}`);
  }
  const plan = prepare(op, x, axis, keepdim);
  checkNonEmpty(op, x, plan.axes);
  const indices = allocate("int32", sizeOf(plan.shape)) as Int32Array;
  const values = run(plan, x.dtype, (acc) => kernel(plan.block, acc, indices));
  return { values, indices: new Tensor(indices, plan.shape) };
}

// ---- the plan: output shape and the block to reduce ----------------------------

interface Plan {
  axes: number[];
  /** output shape (reduced dims dropped, or 1 with keepdim) */
  shape: number[];
  /** elements reduced into each output */
  count: number;
  block: Block;
}

function prepare(op: string, x: Tensor, axis: Axes | undefined, keepdim: boolean): Plan {
  if (!(x instanceof Tensor)) throw new TensorError(op, `x must be a Tensor, got ${x === null ? "null" : typeof x}`);
  if (typeof keepdim !== "boolean") throw new TensorError(op, `keepdim must be a boolean, got ${String(keepdim)}`);
  const axes = normalizeAxes(op, axis, x.ndim);
  const reduced = new Set(axes);
  const shape = keepdim ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  return { axes, shape, count, block: toBlock(x, reduced, count) };
}

/** x as a row-major (outer, reduced, inner) block: in place when possible, else one copy. */
function toBlock(x: Tensor, reduced: Set<number>, count: number): Block {
  if (x.isContiguous()) {
    // in place when the non-1 dims read kept*, reduced*, kept*
    let outer = 1;
    let inner = 1;
    let phase: "before" | "in" | "after" = "before";
    let adjacent = true;
    for (let d = 0; d < x.ndim; d++) {
      const size = x.shape[d]!;
      if (size === 1) continue;
      if (reduced.has(d)) {
        if (phase === "after") adjacent = false;
        else phase = "in";
      } else if (phase === "before") outer *= size;
      else {
        phase = "after";
        inner *= size;
      }
    }
    if (adjacent) return { data: x.data, start: x.offset, outer, reduced: count, inner };
  }
  const kept = x.shape.map((_, d) => d).filter((d) => !reduced.has(d));
  const moved = x.permute([...kept, ...[...reduced].sort((a, b) => a - b)]).contiguous();
  return { data: moved.data, start: moved.offset, outer: sizeOf(kept.map((d) => x.shape[d]!)), reduced: count, inner: 1 };
}

/**
 * A sum over leading axes (outer = 1, inner > 1: a bias gradient, a sum over the batch)
 * splits its columns over the worker pool when large. Each column is still summed over
 * r = 0, 1, ... in order, so the result is sumBlock's exactly, on any thread count.
 */
function splitsColumns(block: Block): boolean {
  return block.outer === 1 && block.inner > 1 && willSplit(block.reduced * block.inner, 2 * PARALLEL_MIN_ELEMENTS);
}

/** acc = sumBlock(block), split by columns over the pool when splitsColumns(block). */
function sumInto(block: Block, acc: Float64Array): void {
  if (!splitsColumns(block)) return sumBlock(block, acc);
  const data = poolReady([block.data], block.reduced * block.inner, 2 * PARALLEL_MIN_ELEMENTS)[0]!;
  parallelFor("sumColumns", [data, acc], [block.start, block.reduced, block.inner], block.inner, Math.ceil(PARALLEL_MIN_ELEMENTS / block.reduced));
}

/** Each thread of a split sum gets at least this many elements. */
const PARALLEL_MIN_ELEMENTS = 1 << 15;

/** Runs `fill` on a float64 accumulator of the output's size and stores it as `dtype` (`shared`: for the pool to write). */
function run(plan: Plan, dtype: DType, fill: (acc: Float64Array) => void, shared = false): Tensor {
  const acc = allocate("float64", sizeOf(plan.shape), shared ? "shared" : "auto") as Float64Array;
  fill(acc);
  if (dtype === "float64") return new Tensor(acc, plan.shape);
  const out = allocate(dtype, acc.length);
  out.set(acc); // rounds to float32, or wraps to int32
  return new Tensor(out, plan.shape);
}

// ---- checks -------------------------------------------------------------------

function floatDtype(dtype: DType): DType {
  return dtype === "int32" ? "float32" : dtype;
}

function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  const empty = axes.find((a) => x.shape[a] === 0);
  if (empty === undefined) return;
  throw new TensorError(op, `cannot reduce over zero elements: axis ${empty} has size 0 in shape ${fmtShape(x.shape)} (the ${op} of nothing is undefined)`);
}

function checkCorrection(op: string, correction: number): void {
  if (typeof correction !== "number" || !Number.isFinite(correction)) {
    throw new TensorError(op, `correction must be a finite number (1 = unbiased, 0 = population), got ${String(correction)}`);
  }
}

function requireAxis(op: string, axis: number): number {
  if (typeof axis !== "number") throw new TensorError(op, `axis must be a single integer, got ${fmtAxis(axis)}`);
  return axis;
}

function fmtAxis(axis: unknown): string {
  return Array.isArray(axis) ? `[${axis.join(",")}]` : String(axis);
}

// ---- the naive reference ------------------------------------------------------

/** Each reduction as its definition over the list of values reduced into one output. */
const DEFINITIONS: Record<ReduceOp, (values: number[], correction: number) => number> = {
  sum: (v) => v.reduce((s, x) => s + x, 0),
  prod: (v) => v.reduce((p, x) => p * x, 1),
  mean: (v) => v.reduce((s, x) => s + x, 0) / v.length,
  max: (v) => v[firstIndexOf(v, (x, best) => x > best)]!,
  min: (v) => v[firstIndexOf(v, (x, best) => x < best)]!,
  argmax: (v) => firstIndexOf(v, (x, best) => x > best),
  argmin: (v) => firstIndexOf(v, (x, best) => x < best),
  logsumexp: (v) => {
    const m = v.reduce((a, x) => (x > a ? x : a), -Infinity);
    const shift = Number.isFinite(m) ? m : 0;
    return shift + Math.log(v.reduce((s, x) => s + Math.exp(x - shift), 0));
  },
  var: (v, correction) => {
    const mu = v.reduce((s, x) => s + x, 0) / v.length;
    return v.reduce((s, x) => s + (x - mu) * (x - mu), 0) / Math.max(0, v.length - correction);
  },
  std: (v, correction) => Math.sqrt(DEFINITIONS.var(v, correction)),
};

/** The first NaN if there is one, else the first index that no later value `beats`. */
function firstIndexOf(v: number[], beats: (x: number, best: number) => boolean): number {
  const nan = v.findIndex((x) => Number.isNaN(x));
  if (nan >= 0) return nan;
  let best = 0;
  for (let k = 1; k < v.length; k++) if (beats(v[k]!, v[best]!)) best = k;
  return best;
}

/**
 * The reference for every reduction: for each output element, walks the reduced axes in
 * row-major order with explicit index arithmetic on x's strides, collects the values and
 * applies the definition above. Slow and obviously right; the oracle for the fast kernels.
 * For argmax/argmin the axis must be one number (or undefined: flattened index).
 */
export function reduceNaive(op: ReduceOp, x: Tensor, axis?: Axes, keepdim = false, correction = 1): Tensor {
  const axes = normalizeAxes(op, axis, x.ndim);
  if (["max", "min", "argmax", "argmin"].includes(op)) checkNonEmpty(op, x, axes);
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const shape = keepdim ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((d) => x.shape[d]!);
  const dtype: DType = op === "argmax" || op === "argmin" ? "int32" : ["sum", "prod", "max", "min"].includes(op) ? x.dtype : floatDtype(x.dtype);
  const out = allocate(dtype, sizeOf(shape));
  const index = new Array<number>(x.ndim).fill(0);
  const keptCount = sizeOf(kept.map((d) => x.shape[d]!));
  const reducedCount = sizeOf(axes.map((d) => x.shape[d]!));
  for (let o = 0; o < keptCount; o++) {
    unravel(o, kept, x.shape, index);
    const values: number[] = [];
    for (let r = 0; r < reducedCount; r++) {
      unravel(r, axes, x.shape, index);
      let position = x.offset;
      for (let d = 0; d < x.ndim; d++) position += index[d]! * x.strides[d]!;
      values.push(x.data[position]!);
    }
    out[o] = DEFINITIONS[op](values, correction);
  }
  return new Tensor(out, shape);
}

/** Writes the row-major multi-index of `flat` over the dims `dims` of `shape` into `index`. */
function unravel(flat: number, dims: readonly number[], shape: readonly number[], index: number[]): void {
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
}
