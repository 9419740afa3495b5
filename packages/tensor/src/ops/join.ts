/**
 * Joining and splitting along a dim, as torch.cat, torch.stack, torch.split and torch.chunk.
 *
 * concat(ts, dim):   ts[k] is (..., d_k, ...), equal elsewhere  ->  (..., sum_k d_k, ...)
 * stack(ts, dim):    ts[k] all of shape S  ->  S with a new dim of size ts.length at dim
 *                    (= concat of each unsqueezed at dim)
 * split(x, s, dim):  x is (..., d, ...)  ->  views of size s along dim, the last one
 *                    smaller when s does not divide d; or views of the listed sizes,
 *                    which must sum to d
 * chunk(x, n, dim):  split into ceil(d / n)-sized views (so possibly fewer than n)
 *
 * concat and stack copy into a fresh tensor; split and chunk return views of x.
 * split is concat's adjoint: the gradient of concat is split of dy by the input sizes.
 */

import { allocate } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { normalizeAxis, shapesEqual, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

function checkList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TensorError(op, `expected a non-empty list of tensors, got ${Array.isArray(tensors) ? "an empty list" : String(tensors)}`);
  const dtype = tensors[0]!.dtype;
  tensors.forEach((t, k) => {
    if (t.dtype !== dtype) throw new TensorError(op, `dtypes differ: tensor 0 is ${dtype}, tensor ${k} is ${t.dtype}`);
  });
}

/** Copies each tensor's (outer, d_k*inner) block into its column range of the output. */
function join(tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0]!;
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const total = tensors.reduce((acc, t) => acc + t.shape[axis]!, 0);
  const out = allocate(first.dtype, outer * total * inner);
  const outRow = total * inner;
  let start = 0; // where tensor k's block begins inside each output row
  for (const t of tensors) {
    const block = t.shape[axis]! * inner;
    const src = t.contiguousData();
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * block, (o + 1) * block), o * outRow + start);
    start += block;
  }
  const shape = [...first.shape];
  shape[axis] = total;
  return new Tensor(out, shape);
}

/** torch.cat: joins tensors along an existing dim. */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList("concat", tensors);
  const first = tensors[0]!;
  const axis = normalizeAxis("concat", dim, first.ndim, "dim");
  tensors.forEach((t, k) => {
    const fits = t.ndim === first.ndim && t.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!fits) {
      throw new TensorError(
        "concat",
        `shapes must match except in dim ${axis}: tensor 0 is ${fmtShape(first.shape)}, tensor ${k} is ${fmtShape(t.shape)}`,
      );
    }
  });
  return join(tensors, axis);
}

/** Alias of concat, as torch.cat. */
export const cat = concat;

/** torch.stack: joins equal-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList("stack", tensors);
  const first = tensors[0]!;
  const axis = normalizeAxis("stack", dim, first.ndim + 1, "dim");
  tensors.forEach((t, k) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new TensorError("stack", `all tensors must have the same shape: tensor 0 is ${fmtShape(first.shape)}, tensor ${k} is ${fmtShape(t.shape)}`);
    }
  });
  return join(
    tensors.map((t) => t.unsqueeze(axis)),
    axis,
  );
}

/** torch.split: views of x along dim, of a fixed chunk size or of the listed sizes. */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  const axis = normalizeAxis("split", dim, x.ndim, "dim");
  const d = x.shape[axis]!;
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    const s = sizeOrSizes;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && d !== 0)) {
      throw new TensorError("split", `split size must be a positive integer, got ${s} (dim ${axis} of x ${fmtShape(x.shape)} has size ${d})`);
    }
    if (d === 0) return [x.narrow(axis, 0, 0)];
    sizes = [];
    for (let start = 0; start < d; start += s) sizes.push(Math.min(s, d - start));
  } else {
    sizes = [...sizeOrSizes];
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new TensorError("split", `sizes must be non-negative integers, got [${sizes.join(",")}]`);
    }
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== d) {
      throw new TensorError("split", `sizes [${sizes.join(",")}] sum to ${sum}, but dim ${axis} of x ${fmtShape(x.shape)} has size ${d}`);
    }
  }
  const parts: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    parts.push(x.narrow(axis, start, s));
    start += s;
  }
  return parts;
}

/** torch.chunk: split into at most n views of ceil(d / n) each (n empty views when d is 0). */
export function chunk(x: Tensor, n: number, dim = 0): Tensor[] {
  if (!Number.isInteger(n) || n <= 0) throw new TensorError("chunk", `number of chunks must be a positive integer, got ${n}`);
  const axis = normalizeAxis("chunk", dim, x.ndim, "dim");
  const d = x.shape[axis]!;
  if (d === 0) return split(x, new Array<number>(n).fill(0), axis);
  return split(x, Math.ceil(d / n), axis);
}
