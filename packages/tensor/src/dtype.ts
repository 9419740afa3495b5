/**
 * Element types and their storage.
 *
 * float32 is the default: it is what models train in. float64 exists for precise
 * gradient checks (central differences need the extra digits), int32 for indices
 * and token ids.
 */

import { newSharedArrayBuffer } from "./shared-memory.js";

export type DType = "float32" | "float64" | "int32";
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

/** Bytes per element of each dtype. */
export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

/**
 * Buffers at least this large are allocated on a SharedArrayBuffer, so the worker
 * pool can read and write them in place. Small tensors stay on ordinary memory:
 * they never go to the pool, and ordinary allocations are cheaper.
 */
export const SHARED_MIN_BYTES = 1 << 14;

const hasShared = typeof SharedArrayBuffer !== "undefined";

/**
 * Whether large buffers go on shared memory at all. The thread pool turns this off when
 * it runs one thread: nothing is shared then, and fresh SharedArrayBuffer pages cost more
 * to touch than ordinary ones (measured here: a 1024x1024 softmax into a fresh shared
 * output took 6.3 ns/element, into a fresh ordinary one 4.9).
 */
let shareLargeBuffers = hasShared;

/** @internal Called by the thread pool when the thread count changes. */
export function setShareLargeBuffers(enabled: boolean): void {
  shareLargeBuffers = enabled && hasShared;
}

/** True when `allocate` puts large buffers on shared memory. */
export function sharesLargeBuffers(): boolean {
  return shareLargeBuffers;
}

/**
 * A zero-filled buffer of `length` elements of `dtype`. `memory` says where: "shared" (an output
 * the worker pool will write, however small, such as LayerNorm's per-row mean), "plain" (an
 * output its op computes on this thread: a fresh SharedArrayBuffer costs more to allocate and
 * to collect than an ArrayBuffer, and a later job copies what it needs), or "auto": shared
 * when large (SHARED_MIN_BYTES and up) and threads are on.
 */
export function allocate(dtype: DType, length: number, memory: "auto" | "shared" | "plain" = "auto"): TypedArray {
  const bytes = length * BYTES_PER_ELEMENT[dtype];
  if ((memory === "shared" && hasShared) || (memory === "auto" && shareLargeBuffers && bytes >= SHARED_MIN_BYTES)) {
    const buffer = newSharedArrayBuffer(bytes); // counted: see shared-memory.ts
    switch (dtype) {
      case "float32":
        return new Float32Array(buffer);
      case "float64":
        return new Float64Array(buffer);
      case "int32":
        return new Int32Array(buffer);
    }
  }
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    case "int32":
      return new Int32Array(length);
  }
}

/** The dtype of a typed array. */
export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  throw new TypeError(`dtypeOf: expected a Float32Array, Float64Array or Int32Array, got ${Object.prototype.toString.call(data)}`);
}

export function isFloat(dtype: DType): boolean {
  return dtype !== "int32";
}

/** The dtype two operands compute in: float64 wins over float32, any float over int32. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  return "float32";
}
