/**
 * Helpers that VJPs share: summing a broadcast gradient back to an input's shape,
 * casting it to the input's dtype, writing a view's gradient into a zero tensor of the
 * viewed tensor's shape, and elementwise maps for derivatives no tensor kernel computes.
 */

import { allocate, shapesEqual, sum, Tensor, zeros, type DType } from "@duet/tensor";

/**
 * Sums `g` over the dims that broadcasting added or stretched, so it has `shape`:
 * leading dims missing from `shape`, and dims where `shape` has 1 but g does not.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return sum(g, axes, true).reshape(shape);
}

/** `g` in `dtype` (a float32 input of a float64 computation gets a float32 gradient). */
export function castTo(g: Tensor, dtype: DType): Tensor {
  return g.dtype === dtype ? g : g.to(dtype);
}

/** The gradient of an input that was broadcast: summed to its shape and cast to its dtype. */
export function toInputGrad(g: Tensor, input: { shape: readonly number[]; dtype: DType }): Tensor {
  return castTo(sumToShape(g, input.shape), input.dtype);
}

/** x's shape with each reduced axis set to 1 (the keepdim shape of a reduction). */
export function keepdimShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * The gradient of a view: zeros of the viewed tensor's shape with `dy` written where the
 * view reads. `view(base)` must apply the same view (slice, select, ...) to `base`.
 */
export function scatterIntoView(shape: readonly number[], dtype: DType, dy: Tensor, view: (base: Tensor) => Tensor): Tensor {
  const base = zeros(shape, { dtype });
  const target = view(base);
  writeInto(target, dy);
  return base;
}

/** Writes `src`'s elements, row-major, into the positions a view `target` reads. */
function writeInto(target: Tensor, src: Tensor): void {
  const values = src.contiguousData();
  const { data, shape, strides } = target;
  const ndim = shape.length;
  const index = new Array<number>(ndim).fill(0);
  let pos = target.offset;
  for (let k = 0; k < values.length; k++) {
    data[pos] = values[k]!;
    for (let d = ndim - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        pos += strides[d]!;
        break;
      }
      pos -= strides[d]! * (shape[d]! - 1);
      index[d] = 0;
    }
  }
}

/** out[i] = f(a[i]) over row-major elements, in a's dtype. */
export function map1(a: Tensor, f: (x: number) => number): Tensor {
  const x = a.contiguousData();
  const out = allocate(a.dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return new Tensor(out, a.shape);
}

/** out[i] = f(a[i], b[i]) for two tensors of one shape, in a's dtype. */
export function map2(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  if (!shapesEqual(a.shape, b.shape)) throw new Error(`map2: shapes differ: [${a.shape}] vs [${b.shape}]`);
  const x = a.contiguousData();
  const y = b.contiguousData();
  const out = allocate(a.dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!, y[i]!);
  return new Tensor(out, a.shape);
}
