/**
 * Selection by a mask: where and maskedFill. The mask is never differentiated; the
 * gradient goes to whichever operand each element was taken from.
 *
 *   cond, a, b broadcast together  ->  y has the broadcast shape
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { toInputGrad } from "../gradients.js";
import { asOperand, asTensor, asVariable, operandValue, type Input, type Operand } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const WHERE = defineOp({
  name: "where",
  inputs: ["a", "b"],
  forward: "y = cond ≠ 0 ? a : b   (all three broadcast)",
  backward: "da = dy where cond, else 0;  db = dy where not cond, else 0   (each summed to its operand's shape)",
  saved: "cond",
});
export function where(cond: Input, a: Operand, b: Operand): Variable {
  const c = asTensor("where", "cond", cond);
  const av = asOperand("where", "a", a);
  const bv = asOperand("where", "b", b);
  const y = T.where(c, operandValue(av, a), operandValue(bv, b));
  return record(WHERE, y, [av, bv], (dy, need) => [
    av && need[0] ? toInputGrad(T.where(c, dy, 0), av) : null,
    bv && need[1] ? toInputGrad(T.where(c, 0, dy), bv) : null,
  ]);
}

const MASKED_FILL = defineOp({
  name: "maskedFill",
  inputs: ["x"],
  forward: "y = mask ≠ 0 ? value : x   (mask broadcasts to x's shape)",
  backward: "dx = dy where mask is 0, else 0",
  saved: "mask",
  notes: "For attention masks: maskedFill(scores, causal, -Infinity) before softmax.",
});
export function maskedFill(x: Input, mask: Input, value: number): Variable {
  const xv = asVariable("maskedFill", "x", x);
  const m = asTensor("maskedFill", "mask", mask);
  const shape = T.broadcastShapes("maskedFill", m.shape, xv.shape, ["mask", "x"]);
  if (!T.shapesEqual(shape, xv.shape)) {
    throw new T.TensorError("maskedFill", `mask must broadcast to x's shape: mask is ${T.fmtShape(m.shape)}, x is ${T.fmtShape(xv.shape)}`);
  }
  if (typeof value !== "number") throw new T.TensorError("maskedFill", `value must be a number, got ${typeof value}`);
  const y = T.where(m, T.full([], value, { dtype: xv.dtype }), xv.value);
  return record(MASKED_FILL, y, [xv], (dy) => [T.where(m, 0, dy)]);
}
