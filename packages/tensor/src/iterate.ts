/**
 * Walking strided layouts. Kernels spend their time in an inner loop over the last
 * axis; these helpers step an odometer over all the other axes, so each kernel writes
 * only that inner loop.
 */

import type { TypedArray } from "./dtype.js";

/**
 * For each "row" (every index of all axes but the last) of a tensor of `shape`, calls
 * `row(offsets, r)` where `offsets[k]` is the storage offset of the row's first element
 * in operand k (operand k laid out by `strides[k]` from `starts[k]`) and r counts rows.
 * The row's length is `shape[ndim-1]` and its step in operand k is `strides[k][ndim-1]`.
 * A scalar (ndim 0) is one row of length 1. `offsets` is reused between calls.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  starts: readonly number[],
  row: (offsets: number[], r: number) => void,
): void {
  forEachRowRange(shape, strides, starts, 0, rowCount(shape), row);
}

/** The number of rows forEachRow visits: the product of all dims but the last (1 for ndim <= 1). */
export function rowCount(shape: readonly number[]): number {
  const ndim = shape.length;
  if (ndim === 0) return 1;
  if (shape[ndim - 1] === 0) return 0;
  let rows = 1;
  for (let i = 0; i < ndim - 1; i++) rows *= shape[i]!;
  return rows;
}

/**
 * forEachRow restricted to rows [rowStart, rowEnd): the odometer starts at row rowStart,
 * so a range of rows can be handed to another thread.
 */
export function forEachRowRange(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  starts: readonly number[],
  rowStart: number,
  rowEnd: number,
  row: (offsets: number[], r: number) => void,
): void {
  if (rowStart >= rowEnd || rowCount(shape) === 0) return;
  const ndim = shape.length;
  const operands = strides.length;
  const offsets = [...starts];
  if (ndim <= 1) {
    row(offsets, 0);
    return;
  }
  const index = new Array<number>(ndim - 1).fill(0);
  let rest = rowStart;
  for (let axis = ndim - 2; axis >= 0; axis--) {
    index[axis] = rest % shape[axis]!;
    rest = Math.floor(rest / shape[axis]!);
    for (let k = 0; k < operands; k++) offsets[k]! += index[axis]! * strides[k]![axis]!;
  }
  for (let r = rowStart; r < rowEnd; r++) {
    row(offsets, r);
    // advance the odometer over axes ndim-2 .. 0
    for (let axis = ndim - 2; axis >= 0; axis--) {
      index[axis]!++;
      if (index[axis]! < shape[axis]!) {
        for (let k = 0; k < operands; k++) offsets[k]! += strides[k]![axis]!;
        break;
      }
      index[axis] = 0;
      for (let k = 0; k < operands; k++) offsets[k]! -= strides[k]![axis]! * (shape[axis]! - 1);
    }
  }
}

/** Copies a strided layout into `dst` in row-major order. */
export function copyStrided(
  src: TypedArray,
  srcOffset: number,
  shape: readonly number[],
  strides: readonly number[],
  dst: TypedArray,
  dstOffset = 0,
): void {
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const step = shape.length === 0 ? 0 : strides[strides.length - 1]!;
  forEachRow(shape, [strides], [srcOffset], (offsets, r) => {
    let s = offsets[0]!;
    let d = dstOffset + r * n;
    if (step === 1) {
      for (let i = 0; i < n; i++) dst[d++] = src[s++]!;
    } else {
      for (let i = 0; i < n; i++, s += step) dst[d++] = src[s]!;
    }
  });
}
