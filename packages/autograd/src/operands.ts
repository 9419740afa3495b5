/**
 * What ops accept. A differentiable argument may be a Variable or a plain Tensor (a
 * constant: no gradient flows to it); binary ops also take JS numbers. Index arguments
 * (ids, targets, masks) are Tensors or Variables whose value is read, never differentiated.
 */

import { fmtShape, Tensor, TensorError } from "@duet/tensor";
import { Variable } from "./variable.js";

export type Input = Variable | Tensor;
export type Operand = Variable | Tensor | number;

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x;
}

/** `x` as a Variable (a Tensor becomes a constant); anything else is an error naming op and argument. */
export function asVariable(op: string, arg: string, x: Input): Variable {
  if (x instanceof Variable) return x;
  if (x instanceof Tensor) return new Variable(x);
  throw new TensorError(op, `${arg} must be a Variable or a Tensor, got ${describe(x)}`);
}

/** A Variable, a constant Variable for a Tensor, or null for a JS number (it needs no gradient). */
export function asOperand(op: string, arg: string, x: Operand): Variable | null {
  if (typeof x === "number") return null;
  return asVariable(op, arg, x);
}

/** The value of an operand, as the tensor kernels take it. */
export function operandValue(v: Variable | null, x: Operand): Tensor | number {
  return v === null ? (x as number) : v.value;
}

/** The Tensor behind a non-differentiable argument such as indices, targets or a mask. */
export function asTensor(op: string, arg: string, x: Input): Tensor {
  if (x instanceof Variable) return x.value;
  if (x instanceof Tensor) return x;
  throw new TensorError(op, `${arg} must be a Tensor (or a Variable), got ${describe(x)}`);
}

/** An int32 index tensor (ids, targets, positions). */
export function asIndexTensor(op: string, arg: string, x: Input): Tensor {
  const t = asTensor(op, arg, x);
  if (t.dtype !== "int32") throw new TensorError(op, `${arg} must be an int32 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  return t;
}
