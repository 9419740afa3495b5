/**
 * Small storage helpers shared by modules and optimizers: fresh compact copies, and
 * in-place writes into a parameter's own storage (the one place nn mutates a tensor).
 */

import type { Variable } from "@duet/autograd";
import { allocate, fmtShape, shapesEqual, Tensor, TensorError, type DType, type TypedArray } from "@duet/tensor";

/** A fresh, compact (row-major, offset 0) copy of `t`, optionally converted to `dtype`. */
export function ownedCopy(t: Tensor, dtype: DType = t.dtype): Tensor {
  if (dtype !== t.dtype) return t.to(dtype); // `to` always copies when converting
  return t.clone();
}

/**
 * The storage of a parameter, for in-place updates. Parameters registered on a Module are
 * compact by construction; anything else is refused rather than written through a view.
 */
export function storageOf(op: string, p: Variable): TypedArray {
  if (!p.value.isCompact()) {
    throw new TensorError(op, `parameter of shape ${fmtShape(p.shape)} does not own compact storage (offset ${p.value.offset}, strides ${fmtShape(p.value.strides)}); register it on a Module or pass a compact tensor`);
  }
  return p.value.data;
}

/** Copies `src` (any layout; converted to the parameter's dtype) into `p`'s storage. */
export function writeInto(op: string, p: Variable, src: Tensor): void {
  if (!shapesEqual(p.shape, src.shape)) {
    throw new TensorError(op, `shape mismatch: parameter is ${fmtShape(p.shape)}, value is ${fmtShape(src.shape)}`);
  }
  storageOf(op, p).set(src.to(p.dtype).contiguousData());
}

/** A zero-filled compact tensor shaped and typed like `t`. */
export function zerosLikeCompact(t: { shape: readonly number[]; dtype: DType }): Tensor {
  let n = 1;
  for (const d of t.shape) n *= d;
  return new Tensor(allocate(t.dtype, n), t.shape);
}
