/**
 * Shape arithmetic shared by every op: sizes, contiguous strides, axis normalisation
 * and NumPy broadcasting. Nothing here touches data.
 */

import { TensorError, fmtShape } from "./errors.js";

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the last axis varies fastest. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Validates that `shape` is a list of non-negative integers. */
export function checkShape(op: string, arg: string, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new TensorError(op, `${arg} must be an array of dimensions, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TensorError(op, `${arg} must hold non-negative integers, got [${shape.join(",")}]`);
    }
  }
  return [...shape];
}

/** Maps a possibly negative axis into [0, ndim). */
export function normalizeAxis(op: string, axis: number, ndim: number, arg = "axis"): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    const range = ndim === 0 ? "none (the tensor is a scalar)" : `[${-ndim}, ${ndim - 1}]`;
    throw new TensorError(op, `${arg} ${axis} is out of range for a tensor of ${ndim} dims; valid: ${range}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalises a list of axes (undefined = all), sorted, rejecting duplicates. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const seen = new Set<number>();
  for (const a of out) {
    if (seen.has(a)) throw new TensorError(op, `axis ${a} appears twice in [${list.join(",")}]`);
    seen.add(a);
  }
  return out.sort((x, y) => x - y);
}

/** NumPy broadcasting: align from the right; each pair of dims must match or one must be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape, names: [string, string] = ["a", "b"]): number[] {
  const ndim = Math.max(a.length, b.length);
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    const da = a[a.length - ndim + i] ?? 1;
    const db = b[b.length - ndim + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new TensorError(
        op,
        `shapes cannot broadcast: ${names[0]} is ${fmtShape(a)}, ${names[1]} is ${fmtShape(b)} (dim ${i - ndim} is ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if it had `target` shape:
 * broadcast dims (size 1, or missing on the left) get stride 0.
 */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    out[lead + i] = shape[i] === 1 ? 0 : strides[i]!;
  }
  return out;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
