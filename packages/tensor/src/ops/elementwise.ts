/**
 * Running elementwise kernels: plan how the output's elements map onto the operands
 * (elementwise-kernel.ts's Layout), then run the kernel on this thread or, when the output
 * is large and every buffer is shared memory, split it over the worker pool. Each element
 * is computed by the same code either way: results never depend on the thread count.
 */

import type { TypedArray } from "../dtype.js";
import { isShared, parallelFor, poolReady, willSplit } from "../pool/threads.js";
import { broadcastStrides, shapesEqual, sizeOf } from "../shape.js";
import { encodeJob, layoutUnits, runBinary, runUnary, type BinaryTableName, type Layout } from "./elementwise-kernel.js";
import type { UnaryKernelName } from "./unary-kernels.js";

/**
 * Outputs smaller than this stay on one thread, and a split gives each thread at least
 * half of it (as softmax and layerNorm do). Waking a worker costs tens of µs; one thread
 * adds 32K float32s in ~80 µs here (2.4 ns/element, memory-bound), so a smaller split
 * cannot pay. (gelu, at ~30 ns/element, would pay from a few thousand elements; one
 * threshold for all keeps it simple, and a training step's big tensors are far above it.)
 */
export const ELEMENTWISE_PARALLEL_MIN = 1 << 16;

/** An operand's storage, as the loops read it (a number becomes a one-element array). */
export interface Source {
  data: TypedArray;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/**
 * The layout of an output of `shape` over `sources`: flat when each operand is a single
 * element (step 0) or row-major of `shape` (step 1), rows otherwise.
 */
export function planLayout(shape: readonly number[], sources: readonly Source[]): Layout {
  const steps: number[] = [];
  for (const s of sources) {
    if (sizeOf(s.shape) === 1) steps.push(0);
    else if (shapesEqual(s.shape, shape) && isRowMajor(s)) steps.push(1);
    else break;
  }
  const offsets = sources.map((s) => s.offset);
  if (steps.length === sources.length) return { shape, flat: true, offsets, strides: steps.map((step) => [step]) };
  return { shape, flat: false, offsets, strides: sources.map((s) => broadcastStrides(s.shape, s.strides, shape)) };
}

function isRowMajor(s: Source): boolean {
  let expected = 1;
  for (let i = s.shape.length - 1; i >= 0; i--) {
    const d = s.shape[i]!;
    if (d === 1) continue;
    if (s.strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** Units per thread so that each thread gets at least ELEMENTWISE_PARALLEL_MIN / 2 elements. */
function minUnitsPerThread(layout: Layout): number {
  const perUnit = layout.flat ? 1 : Math.max(1, layout.shape[layout.shape.length - 1] ?? 1);
  return Math.ceil(ELEMENTWISE_PARALLEL_MIN / 2 / perUnit);
}

/**
 * The job's buffers for the pool (inputs, then the output), or null to run it on this
 * thread: small, one thread, or a buffer the workers cannot see.
 */
function poolBuffers(layout: Layout, inputs: TypedArray[], out: TypedArray): TypedArray[] | null {
  const size = sizeOf(layout.shape);
  if (!willSplit(size, ELEMENTWISE_PARALLEL_MIN)) return null;
  const buffers = [...poolReady(inputs, size, ELEMENTWISE_PARALLEL_MIN), out];
  return buffers.every(isShared) ? buffers : null;
}

/** dst (row-major, `shape`) = f(src) by the named unary kernel. */
export function unaryInto(name: UnaryKernelName, src: Source, dst: TypedArray, args: readonly number[] = []): void {
  const layout = planLayout(src.shape, [src]);
  const units = layoutUnits(layout);
  const buffers = poolBuffers(layout, [src.data], dst);
  if (buffers) parallelFor("unary", buffers, encodeJob("unary", name, args, layout), units, minUnitsPerThread(layout));
  else runUnary(name, layout, src.data, dst, args, 0, units);
}

/** out (row-major, `shape`) = f(a, b) by the named two-operand kernel, a and b broadcast to `shape`. */
export function binaryInto(name: BinaryTableName, shape: readonly number[], a: Source, b: Source, out: TypedArray, args: readonly number[] = []): void {
  const layout = planLayout(shape, [a, b]);
  const units = layoutUnits(layout);
  const buffers = poolBuffers(layout, [a.data, b.data], out);
  if (buffers) parallelFor("binary", buffers, encodeJob("binary", name, args, layout), units, minUnitsPerThread(layout));
  else runBinary(name, layout, a.data, b.data, out, args, 0, units);
}
