/**
 * A Tensor is a strided view over a typed array: element (i0, i1, ...) lives at
 * `data[offset + i0*strides[0] + i1*strides[1] + ...]`. Views (reshape, permute,
 * expand, slice, select, squeeze, ...) make a new Tensor over the same data and copy
 * nothing; `contiguous()` copies only when the layout is not already row-major.
 * Tensors are values: no op writes into its inputs.
 */

import { allocate, dtypeOf, type DType, type TypedArray } from "./dtype.js";
import { TensorError, fmtShape } from "./errors.js";
import { copyStrided } from "./iterate.js";
import { unaryInto } from "./ops/elementwise.js";
import { broadcastShapes, checkShape, contiguousStrides, normalizeAxis, sizeOf, shapesEqual } from "./shape.js";

export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;

  constructor(data: TypedArray, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    if (this.strides.length !== this.shape.length) {
      throw new TensorError("Tensor", `strides ${fmtShape(this.strides)} do not match shape ${fmtShape(this.shape)}`);
    }
    if (!strides && offset === 0 && sizeOf(shape) !== data.length) {
      throw new TensorError("Tensor", `data holds ${data.length} elements but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** True when elements are laid out row-major with no gaps (size-1 dims may have any stride). */
  isContiguous(): boolean {
    if (this.size === 0) return true;
    let expected = 1;
    for (let i = this.ndim - 1; i >= 0; i--) {
      const d = this.shape[i]!;
      if (d === 1) continue;
      if (this.strides[i] !== expected) return false;
      expected *= d;
    }
    return true;
  }

  /** Row-major with offset 0 and exactly `size` elements of storage: safe to use `data` as a flat array. */
  isCompact(): boolean {
    return this.offset === 0 && this.data.length === this.size && this.isContiguous();
  }

  /** This tensor if already row-major, else a row-major copy. */
  contiguous(): Tensor {
    if (this.isContiguous()) return this;
    return this.clone();
  }

  /** A fresh row-major copy at offset 0 (never shares storage); large copies split over the worker pool. */
  clone(): Tensor {
    const out = allocate(this.dtype, this.size);
    unaryInto("copy", this, out);
    return new Tensor(out, this.shape);
  }

  /** A copy converted to `dtype` (floats to int32 truncate toward zero, as PyTorch does). */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    const out = allocate(dtype, this.size);
    if (dtype === "int32") {
      const tmp = this.contiguousData();
      for (let i = 0; i < tmp.length; i++) out[i] = Math.trunc(tmp[i]!);
    } else {
      copyStrided(this.data, this.offset, this.shape, this.strides, out);
    }
    return new Tensor(out, this.shape);
  }

  /** Elements in row-major order, as a typed array that may share storage: do not write to it. */
  contiguousData(): TypedArray {
    if (this.isContiguous()) return this.data.subarray(this.offset, this.offset + this.size);
    return this.clone().data;
  }

  /** A fresh typed array of the elements in row-major order. */
  toFlatArray(): TypedArray {
    return this.clone().data;
  }

  /** Nested JavaScript arrays (a number for a scalar). */
  toArray(): NestedArray {
    const flat = this.contiguousData();
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.ndim) return flat[start]!;
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, start + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new TensorError("item", `expected a tensor with one element, got shape ${fmtShape(this.shape)}`);
    return this.data[this.offset]!;
  }

  /** The element at a full index (negative indices count from the end). */
  get(...index: number[]): number {
    if (index.length !== this.ndim) {
      throw new TensorError("get", `expected ${this.ndim} indices for shape ${fmtShape(this.shape)}, got ${index.length}`);
    }
    let pos = this.offset;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i]!;
      let k = index[i]!;
      if (!Number.isInteger(k) || k < -d || k >= d) {
        throw new TensorError("get", `index ${k} is out of range for dim ${i} of size ${d}`);
      }
      if (k < 0) k += d;
      pos += k * this.strides[i]!;
    }
    return this.data[pos]!;
  }

  // ---- views -------------------------------------------------------------

  /** Same elements, new shape; a view when the layout allows, else a copy. One dim may be -1. */
  reshape(shape: readonly number[]): Tensor {
    const target = inferShape("reshape", shape, this.size, this.shape);
    const strides = viewStrides(this.shape, this.strides, target);
    if (strides) return new Tensor(this.data, target, strides, this.offset);
    return new Tensor(this.clone().data, target);
  }

  /** Like reshape, but never copies: throws when the layout cannot be viewed as `shape`. */
  view(shape: readonly number[]): Tensor {
    const target = inferShape("view", shape, this.size, this.shape);
    const strides = viewStrides(this.shape, this.strides, target);
    if (!strides) {
      throw new TensorError(
        "view",
        `a tensor of shape ${fmtShape(this.shape)} with strides ${fmtShape(this.strides)} cannot be viewed as ${fmtShape(target)} without a copy; use reshape() or contiguous()`,
      );
    }
    return new Tensor(this.data, target, strides, this.offset);
  }

  /** Reorders axes: output axis i is input axis dims[i]. */
  permute(dims: readonly number[]): Tensor {
    if (dims.length !== this.ndim) {
      throw new TensorError("permute", `dims must list all ${this.ndim} axes of shape ${fmtShape(this.shape)}, got [${dims.join(",")}]`);
    }
    const norm = dims.map((d) => normalizeAxis("permute", d, this.ndim, "dim"));
    if (new Set(norm).size !== norm.length) throw new TensorError("permute", `dims must not repeat, got [${dims.join(",")}]`);
    return new Tensor(
      this.data,
      norm.map((d) => this.shape[d]!),
      norm.map((d) => this.strides[d]!),
      this.offset,
    );
  }

  /** Swaps two axes (default: the last two, as a matrix transpose). */
  transpose(dim0 = -2, dim1 = -1): Tensor {
    const a = normalizeAxis("transpose", dim0, this.ndim, "dim0");
    const b = normalizeAxis("transpose", dim1, this.ndim, "dim1");
    const dims = Array.from({ length: this.ndim }, (_, i) => i);
    dims[a] = b;
    dims[b] = a;
    return this.permute(dims);
  }

  /** Broadcasts to `shape` (NumPy rules) with stride 0 on repeated axes: no copy. -1 keeps a dim. */
  expand(shape: readonly number[]): Tensor {
    const target = shape.map((d, i) => (d === -1 ? (this.shape[i - (shape.length - this.ndim)] ?? -1) : d));
    checkShape("expand", "shape", target);
    if (target.length < this.ndim) {
      throw new TensorError("expand", `cannot expand shape ${fmtShape(this.shape)} to fewer dims ${fmtShape(shape)}`);
    }
    const lead = target.length - this.ndim;
    const strides = new Array<number>(target.length).fill(0);
    for (let i = 0; i < this.ndim; i++) {
      const d = this.shape[i]!;
      const t = target[lead + i]!;
      if (d === t) strides[lead + i] = this.strides[i]!;
      else if (d === 1) strides[lead + i] = 0;
      else throw new TensorError("expand", `cannot expand shape ${fmtShape(this.shape)} to ${fmtShape(shape)}: dim ${i} is ${d}, not 1 or ${t}`);
    }
    return new Tensor(this.data, target, strides, this.offset);
  }

  broadcastTo(shape: readonly number[]): Tensor {
    return this.expand(shape);
  }

  /** Python-style slice `start:end:step` along one dim (negative indices count from the end; bounds clamp). */
  slice(dim: number, start = 0, end?: number, step = 1): Tensor {
    const axis = normalizeAxis("slice", dim, this.ndim, "dim");
    const d = this.shape[axis]!;
    if (!Number.isInteger(step) || step <= 0) throw new TensorError("slice", `step must be a positive integer, got ${step}`);
    for (const [name, v] of [["start", start], ["end", end]] as const) {
      if (v !== undefined && !Number.isInteger(v)) throw new TensorError("slice", `${name} must be an integer, got ${v}`);
    }
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = clamp(start);
    const e = end === undefined ? d : clamp(end);
    const length = e > s ? Math.ceil((e - s) / step) : 0;
    const shape = [...this.shape];
    const strides = [...this.strides];
    shape[axis] = length;
    strides[axis] = this.strides[axis]! * step;
    return new Tensor(this.data, shape, strides, this.offset + (length > 0 ? s * this.strides[axis]! : 0));
  }

  /** `length` elements from `start` along `dim` (strict bounds, as torch.narrow). */
  narrow(dim: number, start: number, length: number): Tensor {
    const axis = normalizeAxis("narrow", dim, this.ndim, "dim");
    const d = this.shape[axis]!;
    const s = start < 0 ? start + d : start;
    if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > d) {
      throw new TensorError("narrow", `start ${start} and length ${length} do not fit dim ${axis} of size ${d}`);
    }
    return this.slice(axis, s, s + length);
  }

  /** Drops `dim`, keeping index `index` along it. */
  select(dim: number, index: number): Tensor {
    const axis = normalizeAxis("select", dim, this.ndim, "dim");
    const d = this.shape[axis]!;
    if (!Number.isInteger(index) || index < -d || index >= d) {
      throw new TensorError("select", `index ${index} is out of range for dim ${axis} of size ${d}`);
    }
    const i = index < 0 ? index + d : index;
    const shape = this.shape.filter((_, k) => k !== axis);
    const strides = this.strides.filter((_, k) => k !== axis);
    return new Tensor(this.data, shape, strides, this.offset + i * this.strides[axis]!);
  }

  /** Removes size-1 dims (all of them, or the given ones, which must be size 1). */
  squeeze(dims?: number | readonly number[]): Tensor {
    let drop: Set<number>;
    if (dims === undefined) {
      drop = new Set(this.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    } else {
      const list = typeof dims === "number" ? [dims] : dims;
      drop = new Set(list.map((d) => normalizeAxis("squeeze", d, this.ndim, "dim")));
      for (const a of drop) {
        if (this.shape[a] !== 1) throw new TensorError("squeeze", `dim ${a} has size ${this.shape[a]}, expected 1 (shape ${fmtShape(this.shape)})`);
      }
    }
    return new Tensor(
      this.data,
      this.shape.filter((_, i) => !drop.has(i)),
      this.strides.filter((_, i) => !drop.has(i)),
      this.offset,
    );
  }

  /** Inserts a size-1 dim at `dim` (in the output's numbering, so -1 appends). */
  unsqueeze(dim: number): Tensor {
    const axis = normalizeAxis("unsqueeze", dim, this.ndim + 1, "dim");
    const shape = [...this.shape];
    const strides = [...this.strides];
    const stride = axis < this.ndim ? this.shape[axis]! * this.strides[axis]! : 1;
    shape.splice(axis, 0, 1);
    strides.splice(axis, 0, stride);
    return new Tensor(this.data, shape, strides, this.offset);
  }

  /** Merges dims startDim..endDim into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normalizeAxis("flatten", startDim, this.ndim, "startDim");
    const e = normalizeAxis("flatten", endDim, this.ndim, "endDim");
    if (s > e) throw new TensorError("flatten", `startDim ${startDim} comes after endDim ${endDim}`);
    const merged = sizeOf(this.shape.slice(s, e + 1));
    return this.reshape([...this.shape.slice(0, s), merged, ...this.shape.slice(e + 1)]);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${fmtShape(this.shape)}) ${JSON.stringify(this.toArray())}`;
  }
}

/** Resolves a -1 and checks the element count. */
function inferShape(op: string, shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = [...shape];
  const unknown = out.reduce<number[]>((acc, d, i) => (d === -1 ? [...acc, i] : acc), []);
  if (unknown.length > 1) throw new TensorError(op, `only one dim may be -1, got ${fmtShape(shape)}`);
  if (out.some((d) => d !== -1 && !(Number.isInteger(d) && d >= 0))) {
    throw new TensorError(op, `shape must hold non-negative integers (and at most one -1), got ${fmtShape(shape)}`);
  }
  if (unknown.length === 1) {
    const known = sizeOf(out.filter((d) => d !== -1));
    if (known === 0 || size % known !== 0) {
      throw new TensorError(op, `cannot infer -1 in ${fmtShape(shape)} for ${size} elements (from ${fmtShape(from)})`);
    }
    out[unknown[0]!] = size / known;
  }
  if (sizeOf(out) !== size) {
    throw new TensorError(op, `shape ${fmtShape(shape)} holds ${sizeOf(out)} elements, but the tensor of shape ${fmtShape(from)} has ${size}`);
  }
  return out;
}

/**
 * Strides that view (shape, strides) as `target` without moving data, or null.
 * Groups of input dims that are contiguous with each other can be split and merged
 * freely (the rule torch.view uses).
 */
function viewStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]): number[] | null {
  if (sizeOf(shape) === 0) return contiguousStrides(target);
  // drop size-1 input dims: their strides are irrelevant
  const dims: number[] = [];
  const st: number[] = [];
  shape.forEach((d, i) => {
    if (d !== 1) {
      dims.push(d);
      st.push(strides[i]!);
    }
  });
  const out = new Array<number>(target.length);
  let i = 0; // input dim
  let j = 0; // target dim
  while (j < target.length || i < dims.length) {
    // skip size-1 target dims
    if (j < target.length && target[j] === 1) {
      out[j] = 1;
      j++;
      continue;
    }
    if (i >= dims.length || j >= target.length) return null;
    // take a chunk of input dims [i0, i) and target dims [j0, j) with equal products
    const i0 = i;
    const j0 = j;
    let pin = dims[i++]!;
    let pout = target[j++]!;
    while (pin !== pout) {
      if (pin < pout) {
        if (i >= dims.length) return null;
        pin *= dims[i++]!;
      } else {
        while (j < target.length && target[j] === 1) out[j++] = 1;
        if (j >= target.length) return null;
        pout *= target[j++]!;
      }
    }
    // the input chunk must be contiguous within itself
    for (let k = i0; k < i - 1; k++) if (st[k] !== st[k + 1]! * dims[k + 1]!) return null;
    // lay the target chunk out with the chunk's innermost stride
    let s = st[i - 1]!;
    for (let k = j - 1; k >= j0; k--) {
      out[k] = s;
      if (target[k] !== 1) s *= target[k]!;
    }
  }
  return out;
}

/** Both tensors expanded to their broadcast shape (views, no copies). */
export function broadcastPair(op: string, a: Tensor, b: Tensor, names: [string, string] = ["a", "b"]): [Tensor, Tensor] {
  const shape = broadcastShapes(op, a.shape, b.shape, names);
  return [shapesEqual(a.shape, shape) ? a : a.expand(shape), shapesEqual(b.shape, shape) ? b : b.expand(shape)];
}
