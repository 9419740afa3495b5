/**
 * Parameters on shared memory, for data parallelism: every thread's copy of the model reads
 * the very same parameter storage, so the optimiser's in-place update on the main thread is
 * what every worker computes with at the next step — nothing is broadcast.
 *
 *   shareParameters(model)          moves each parameter's storage onto a SharedArrayBuffer
 *                                   (torch's `module.share_memory()`); returns the arrays
 *   bindParameters(model, arrays)   in a worker: points a freshly built model's parameters at
 *                                   those arrays (checked by name and size)
 *   gradientSlots(model)            one shared zero-filled array per parameter, where a worker
 *                                   leaves its gradients for the main thread to add up
 *
 * Parameters are leaf Variables that modules, the optimiser and its state all hold by
 * reference, so the storage is swapped under the same Variable object with
 * `Variable.replaceStorage` (a Tensor of the same shape and dtype over shared memory).
 */

import type { Variable } from "@duet/autograd";
import { isShared, Tensor, type TypedArray } from "@duet/tensor";
import type { Module } from "@duet/nn";
import { TrainError } from "./errors.js";

/** A fresh array of the same type and length on a SharedArrayBuffer (zero-filled). */
export function sharedLike(data: TypedArray): TypedArray {
  const Ctor = data.constructor as new (buffer: SharedArrayBuffer) => TypedArray;
  return new Ctor(new SharedArrayBuffer(data.length * data.BYTES_PER_ELEMENT));
}

function rebind(p: Variable, data: TypedArray): void {
  p.replaceStorage(new Tensor(data, p.shape));
}

/** Puts every parameter of `model` on shared memory (values unchanged); returns the arrays in `namedParameters()` order. */
export function shareParameters(model: Module): TypedArray[] {
  return model.namedParameters().map(([, p]) => {
    const value = p.value;
    if (isShared(value.data) && value.isCompact()) return value.data;
    const data = sharedLike(value.contiguousData());
    data.set(value.contiguousData());
    rebind(p, data);
    return data;
  });
}

/** Points `model`'s parameters at `arrays` (from shareParameters on a model of the same config). */
export function bindParameters(model: Module, names: readonly string[], arrays: readonly TypedArray[]): void {
  const params = model.namedParameters();
  if (params.length !== names.length) throw new TrainError("bindParameters", `the model has ${params.length} parameters, the main thread's ${names.length}`);
  params.forEach(([name, p], i) => {
    const data = arrays[i]!;
    if (name !== names[i] || data.length !== p.size) {
      throw new TrainError("bindParameters", `parameter ${i} is ${name} (${p.size} values) here but ${names[i]} (${data.length} values) on the main thread`);
    }
    rebind(p, data);
  });
}

/** One shared zero-filled array per parameter, shaped like its storage. */
export function gradientSlots(model: Module): TypedArray[] {
  return model.parameters().map((p) => sharedLike(p.value.contiguousData()));
}

/** Copies each parameter's gradient into its slot (zeros where there is none) and forgets the gradients. */
export function moveGradientsTo(model: Module, slots: readonly TypedArray[]): void {
  model.parameters().forEach((p, i) => {
    const slot = slots[i]!;
    if (p.grad === null) slot.fill(0);
    else slot.set(p.grad.contiguousData());
    p.zeroGrad();
  });
}

/** p.grad += slot for every parameter, in parameter order (the reduction's fixed order). */
export function addGradientsFrom(model: Module, slots: readonly TypedArray[]): void {
  model.parameters().forEach((p, i) => {
    const slot = slots[i]!;
    if (p.grad === null || !p.grad.isCompact()) {
      const grad = new Tensor(new (slot.constructor as new (n: number) => TypedArray)(slot.length), p.shape);
      if (p.grad !== null) grad.data.set(p.grad.contiguousData());
      p.grad = grad;
    }
    const target = p.grad.data;
    for (let k = 0; k < target.length; k++) target[k]! += slot[k]!;
  });
}
