/**
 * Reading and writing by integer index, as torch.gather, torch.index_select,
 * torch.scatter_add and torch.nn.functional.embedding.
 *
 * gather(x, dim, index):      out has index's shape; for dim = 1 of a 3-D x
 *                             out[i][j][k] = x[i][index[i][j][k]][k]
 * indexSelect(x, dim, index): index is 1-D (K); out is x's shape with dim replaced by K,
 *                             out[..., k, ...] = x[..., index[k], ...]
 * scatterAdd(x, dim, index, src): a copy of x, then for dim = 1
 *                             out[i][index[i][j][k]][k] += src[i][j][k]
 *                             (gather's adjoint: scatterAdd(zeros, dim, index, dy) is gather's dx)
 * embedding(weight, ids):     weight is (V,D), ids any shape  ->  (...ids.shape, D),
 *                             out[..., :] = weight[ids[...], :]
 *
 * Indices are int32 tensors. As in torch.gather, negative indices are errors, not
 * counted from the end; an out-of-range index names its value, its position and the
 * valid range, because a silent wrong row is the worst bug a model can have.
 */

import { allocate } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { normalizeAxis, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

function checkIndexDtype(op: string, name: string, index: Tensor): void {
  if (index.dtype !== "int32") throw new TensorError(op, `${name} must be an int32 tensor, got ${index.dtype}`);
}

/** The multi-index, like [1,0,2], of flat row-major position `flat` in `shape`. */
function positionOf(flat: number, shape: readonly number[]): string {
  const pos = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    pos[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${pos.join(",")}]`;
}

function outOfRange(op: string, what: string, value: number, flat: number, shape: readonly number[], size: number, of: string): TensorError {
  const valid = size === 0 ? "none (the dim is empty)" : `[0, ${size - 1}]`;
  return new TensorError(op, `${what} ${value} at position ${positionOf(flat, shape)} is out of range for ${of} (size ${size}); valid: ${valid}`);
}

/**
 * Checks gather/scatter shapes: index has x's rank and fits inside `bound` on every dim
 * but `dim` (torch's rule). Returns the normalised dim.
 */
function checkScatterShapes(op: string, x: Tensor, dim: number, index: Tensor, bounds: [string, Tensor][]): number {
  checkIndexDtype(op, "index", index);
  const axis = normalizeAxis(op, dim, x.ndim, "dim");
  for (const [name, t] of bounds) {
    if (index.ndim !== t.ndim) {
      throw new TensorError(op, `index must have as many dims as ${name}: index is ${fmtShape(index.shape)}, ${name} is ${fmtShape(t.shape)}`);
    }
    for (let d = 0; d < t.ndim; d++) {
      if ((name !== "x" || d !== axis) && index.shape[d]! > t.shape[d]!) {
        throw new TensorError(
          op,
          `index ${fmtShape(index.shape)} is larger than ${name} ${fmtShape(t.shape)} at dim ${d} (${index.shape[d]} > ${t.shape[d]})${name === "x" ? `; only dim ${axis} may differ` : ""}`,
        );
      }
    }
  }
  return axis;
}

/**
 * Walks every element of `index` in row-major order, calling `visit(k, offsets)` with
 * k its flat position and offsets[t] the storage offset of the same position in each
 * strided `operands[t]` (whose strides may differ from index's own).
 */
function forEachPosition(shape: readonly number[], operands: readonly Tensor[], visit: (k: number, offsets: number[]) => void): void {
  const n = sizeOf(shape);
  const offsets = operands.map((t) => t.offset);
  const pos = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    visit(k, offsets);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) {
        for (let t = 0; t < operands.length; t++) offsets[t]! += operands[t]!.strides[d]!;
        break;
      }
      pos[d] = 0;
      for (let t = 0; t < operands.length; t++) offsets[t]! -= operands[t]!.strides[d]! * (shape[d]! - 1);
    }
  }
}

/** torch.gather: out[..i..] = x[..i.. with i[dim] replaced by index[..i..]]. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const axis = checkScatterShapes("gather", x, dim, index, [["x", x]]);
  const size = x.shape[axis]!;
  const step = x.strides[axis]!;
  const out = allocate(x.dtype, index.size);
  const xd = x.data;
  const id = index.data;
  // x is read at index's position along the other dims, so walk it with its own strides
  // (its stride on `dim` is replaced by the looked-up index)
  const xAlong = new Tensor(x.data, index.shape, x.strides.map((s, d) => (d === axis ? 0 : s)), x.offset);
  forEachPosition(index.shape, [index, xAlong], (k, [io, xo]) => {
    const i = id[io!]!;
    if (i < 0 || i >= size) throw outOfRange("gather", "index", i, k, index.shape, size, `dim ${axis} of x ${fmtShape(x.shape)}`);
    out[k] = xd[xo! + i * step]!;
  });
  return new Tensor(out, index.shape);
}

/** torch.scatter_add, out of place: a copy of x with src added at the indexed positions. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const axis = checkScatterShapes("scatterAdd", x, dim, index, [
    ["x", x],
    ["src", src],
  ]);
  if (src.dtype !== x.dtype) throw new TensorError("scatterAdd", `dtypes differ: x is ${x.dtype}, src is ${src.dtype}`);
  const out = x.clone();
  const od = out.data;
  const size = x.shape[axis]!;
  const step = out.strides[axis]!;
  const id = index.data;
  const sd = src.data;
  // out is row-major; walk it at index's positions with dim's stride zeroed, like gather
  const outAlong = new Tensor(od, index.shape, out.strides.map((s, d) => (d === axis ? 0 : s)), 0);
  const srcAt = new Tensor(sd, index.shape, src.strides, src.offset);
  forEachPosition(index.shape, [index, outAlong, srcAt], (k, [io, oo, so]) => {
    const i = id[io!]!;
    if (i < 0 || i >= size) throw outOfRange("scatterAdd", "index", i, k, index.shape, size, `dim ${axis} of x ${fmtShape(x.shape)}`);
    od[oo! + i * step]! += sd[so!]!;
  });
  return out;
}

/** torch.index_select: whole slices of x along dim, picked by a 1-D index. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIndexDtype("indexSelect", "index", index);
  if (index.ndim !== 1) throw new TensorError("indexSelect", `index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const axis = normalizeAxis("indexSelect", dim, x.ndim, "dim");
  const size = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const K = index.shape[0]!;
  const ids = index.contiguousData();
  for (let k = 0; k < K; k++) {
    const i = ids[k]!;
    if (i < 0 || i >= size) throw outOfRange("indexSelect", "index", i, k, index.shape, size, `dim ${axis} of x ${fmtShape(x.shape)}`);
  }
  // x is (outer, size, inner) row-major; out is (outer, K, inner)
  const xd = x.contiguousData();
  const out = allocate(x.dtype, outer * K * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < K; k++) {
      const from = (o * size + ids[k]!) * inner;
      out.set(xd.subarray(from, from + inner), (o * K + k) * inner);
    }
  }
  const shape = [...x.shape];
  shape[axis] = K;
  return new Tensor(out, shape);
}

/** Embedding lookup: one row of weight (V,D) per id, out is (...ids.shape, D). */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.ndim !== 2) throw new TensorError("embedding", `weight must be 2-D (V,D), got shape ${fmtShape(weight.shape)}`);
  checkIndexDtype("embedding", "ids", ids);
  const [V, D] = weight.shape as [number, number];
  const wd = weight.contiguousData();
  const idd = ids.contiguousData();
  const out = allocate(weight.dtype, idd.length * D);
  for (let k = 0; k < idd.length; k++) {
    const id = idd[k]!;
    if (id < 0 || id >= V) throw outOfRange("embedding", "id", id, k, ids.shape, V, `the vocabulary of weight ${fmtShape(weight.shape)}`);
    out.set(wd.subarray(id * D, id * D + D), k * D);
  }
  return new Tensor(out, [...ids.shape, D]);
}
