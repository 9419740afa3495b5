/**
 * Helpers that VJPs share: summing a broadcast gradient back to an input's shape,
 * casting it to the input's dtype, and writing a view's gradient into a zero tensor of the
 * viewed tensor's shape.
 */

import { forEachRow, shapesEqual, sum, Tensor, zeros, type DType } from "@duet/tensor";

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

/** Writes `src`'s elements, row-major, into the positions a view `target` reads: one run per row. */
function writeInto(target: Tensor, src: Tensor): void {
  const values = src.contiguousData();
  const { data, shape, strides } = target;
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const step = shape.length === 0 ? 1 : strides[strides.length - 1]!;
  forEachRow(shape, [strides], [target.offset], (offsets, r) => {
    const from = r * n;
    if (step === 1) {
      data.set(values.subarray(from, from + n), offsets[0]!);
      return;
    }
    for (let k = 0, pos = offsets[0]!; k < n; k++, pos += step) data[pos] = values[from + k]!;
  });
}
