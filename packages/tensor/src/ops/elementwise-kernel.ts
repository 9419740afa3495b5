/**
 * The loop behind every elementwise op, as the worker pool runs it: an output of `shape`
 * (row-major) computed from operands read through their own offsets and strides.
 *
 * A Layout is walked in one of two ways, and its work units follow suit:
 *   flat: every operand is row-major of the output's shape or a single element, so one
 *         run covers everything; a unit is one element, and [start, end) is one call of
 *         the row kernel with steps of 1 (or 0).
 *   rows: anything else (broadcasting, strided views); a unit is one row of the output
 *         (its last axis), and each row is one call of the row kernel.
 * Every output element is computed by the same kernel code from the same inputs whichever
 * thread runs its range, so results never depend on the thread count.
 *
 * The pool passes jobs as plain numbers, so a job is encoded as
 *   [kernel index, nArgs, ...args, flat (0|1), ndim, ...shape, nOperands, (offset, ...strides) per operand]
 * and the kernel is looked up by index in the same table on every thread.
 */

import type { TypedArray } from "../dtype.js";
import { forEachRowRange, rowCount } from "../iterate.js";
import { sizeOf } from "../shape.js";
import { ACTIVATION_BACKWARD_KERNELS } from "./activation-backward-kernels.js";
import { BINARY_KERNELS, type BinaryKernel } from "./binary-kernels.js";
import { UNARY_KERNELS, type UnaryKernel } from "./unary-kernels.js";

/** Kernels of one operand (unary ops). */
export const UNARY_TABLE: Record<string, UnaryKernel> = UNARY_KERNELS;
/** Kernels of two operands: the binary ops and the activations' backward passes (saved value, dy). */
export const BINARY_TABLE: Record<string, BinaryKernel> = { ...BINARY_KERNELS, ...ACTIVATION_BACKWARD_KERNELS };
export type BinaryTableName = keyof typeof BINARY_KERNELS | keyof typeof ACTIVATION_BACKWARD_KERNELS;

const UNARY_NAMES = Object.keys(UNARY_TABLE);
const BINARY_NAMES = Object.keys(BINARY_TABLE);

export interface Layout {
  /** the output's shape (row-major) */
  shape: readonly number[];
  /** one run over everything (steps 0 or 1), or one run per row */
  flat: boolean;
  /** per operand: storage offset of the element at index 0 */
  offsets: number[];
  /** per operand: strides broadcast to `shape` (flat: a single step, 0 or 1) */
  strides: number[][];
}

/** How many work units the layout splits into: elements when flat, rows otherwise. */
export function layoutUnits(layout: Layout): number {
  return layout.flat ? sizeOf(layout.shape) : rowCount(layout.shape);
}

/**
 * Calls `run(offsets, steps, o, n)` for the units [start, end) of the layout: output
 * elements [o, o + n) read operand k from offsets[k] in steps of steps[k].
 */
export function forEachRun(
  layout: Layout,
  start: number,
  end: number,
  run: (offsets: number[], steps: number[], o: number, n: number) => void,
): void {
  if (start >= end) return;
  if (layout.flat) {
    const steps = layout.strides.map((s) => s[0]!);
    run(layout.offsets.map((offset, k) => offset + start * steps[k]!), steps, start, end - start);
    return;
  }
  const ndim = layout.shape.length;
  const n = ndim === 0 ? 1 : layout.shape[ndim - 1]!;
  const steps = layout.strides.map((s) => (s.length === 0 ? 0 : s[s.length - 1]!));
  forEachRowRange(layout.shape, layout.strides, layout.offsets, start, end, (offsets, r) => run(offsets, steps, r * n, n));
}

/** y = f(x) over the units [start, end): the kernel on the calling thread. */
export function runUnary(name: string, layout: Layout, src: TypedArray, dst: TypedArray, args: ArrayLike<number>, start: number, end: number): void {
  const kernel = UNARY_TABLE[name]!;
  forEachRun(layout, start, end, (offsets, steps, o, n) => kernel(src, offsets[0]!, steps[0]!, dst, o, n, args));
}

/** z = f(x, y) over the units [start, end). */
export function runBinary(name: string, layout: Layout, x: TypedArray, y: TypedArray, z: TypedArray, args: ArrayLike<number>, start: number, end: number): void {
  const kernel = BINARY_TABLE[name]!;
  forEachRun(layout, start, end, (offsets, steps, o, n) => kernel(x, offsets[0]!, steps[0]!, y, offsets[1]!, steps[1]!, z, o, n, args));
}

// ---- jobs as numbers, for the pool ------------------------------------------------

export function encodeJob(table: "unary" | "binary", name: string, args: readonly number[], layout: Layout): number[] {
  const index = (table === "unary" ? UNARY_NAMES : BINARY_NAMES).indexOf(name);
  if (index < 0) throw new Error(`encodeJob: no ${table} kernel named "${name}"`);
  const params = [index, args.length, ...args, layout.flat ? 1 : 0, layout.shape.length, ...layout.shape, layout.offsets.length];
  layout.offsets.forEach((offset, k) => params.push(offset, ...layout.strides[k]!));
  return params;
}

interface Job {
  name: string;
  args: number[];
  layout: Layout;
}

function decodeJob(table: "unary" | "binary", params: readonly number[]): Job {
  const name = (table === "unary" ? UNARY_NAMES : BINARY_NAMES)[params[0]!]!;
  const nArgs = params[1]!;
  const args = params.slice(2, 2 + nArgs);
  let at = 2 + nArgs;
  const flat = params[at++] === 1;
  const ndim = params[at++]!;
  const shape = params.slice(at, at + ndim);
  at += ndim;
  const operands = params[at++]!;
  const stridesLength = flat ? 1 : ndim;
  const offsets: number[] = [];
  const strides: number[][] = [];
  for (let k = 0; k < operands; k++) {
    offsets.push(params[at++]!);
    strides.push(params.slice(at, at + stridesLength));
    at += stridesLength;
  }
  return { name, args, layout: { shape, flat, offsets, strides } };
}

/** The pool's "unary" kernel: buffers [src, dst]. */
export function unaryUnits(buffers: ArrayBufferView[], params: number[], start: number, end: number): void {
  const job = decodeJob("unary", params);
  runUnary(job.name, job.layout, buffers[0] as TypedArray, buffers[1] as TypedArray, job.args, start, end);
}

/** The pool's "binary" kernel: buffers [x, y, z]. */
export function binaryUnits(buffers: ArrayBufferView[], params: number[], start: number, end: number): void {
  const job = decodeJob("binary", params);
  runBinary(job.name, job.layout, buffers[0] as TypedArray, buffers[1] as TypedArray, buffers[2] as TypedArray, job.args, start, end);
}
