/**
 * Elementwise binary ops with NumPy broadcasting: z = f(a, b).
 *
 *   a is (..., m, 1), b is (n)  ->  z and dz are (..., m, n)
 *
 * Either operand may be a Variable, a Tensor (a constant) or a JS number (a constant that
 * takes the other operand's dtype). The gradient of an operand that was broadcast is
 * summed over the broadcast dims back to its own shape, and cast back to its own dtype
 * (a float32 operand of a float64 result gets a float32 gradient).
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { toInputGrad } from "../gradients.js";
import { asOperand, operandValue, type Operand } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

interface Pair {
  av: Variable | null;
  bv: Variable | null;
  a: T.Tensor | number;
  b: T.Tensor | number;
}

function operands(op: string, a: Operand, b: Operand): Pair {
  const av = asOperand(op, "a", a);
  const bv = asOperand(op, "b", b);
  return { av, bv, a: operandValue(av, a), b: operandValue(bv, b) };
}

/** dz reduced to operand v's shape and dtype, when v wants a gradient. */
function gradFor(v: Variable | null, need: boolean | undefined, g: () => T.Tensor): T.Tensor | null {
  return v !== null && need ? toInputGrad(g(), v) : null;
}

const ADD = defineOp({ name: "add", inputs: ["a", "b"], forward: "z = a + b", backward: "da = dz,  db = dz  (each summed over its broadcast dims)", saved: "nothing" });
export function add(a: Operand, b: Operand): Variable {
  const p = operands("add", a, b);
  return record(ADD, T.add(p.a, p.b), [p.av, p.bv], (dz, need) => [gradFor(p.av, need[0], () => dz), gradFor(p.bv, need[1], () => dz)]);
}

const SUB = defineOp({ name: "sub", inputs: ["a", "b"], forward: "z = a - b", backward: "da = dz,  db = -dz", saved: "nothing" });
export function sub(a: Operand, b: Operand): Variable {
  const p = operands("sub", a, b);
  return record(SUB, T.sub(p.a, p.b), [p.av, p.bv], (dz, need) => [gradFor(p.av, need[0], () => dz), gradFor(p.bv, need[1], () => T.neg(dz))]);
}

const MUL = defineOp({ name: "mul", inputs: ["a", "b"], forward: "z = a * b", backward: "da = dz * b,  db = dz * a", saved: "a and b: each is the other's derivative" });
export function mul(a: Operand, b: Operand): Variable {
  const p = operands("mul", a, b);
  return record(MUL, T.mul(p.a, p.b), [p.av, p.bv], (dz, need) => [
    gradFor(p.av, need[0], () => T.mul(dz, p.b)),
    gradFor(p.bv, need[1], () => T.mul(dz, p.a)),
  ]);
}

const DIV = defineOp({ name: "div", inputs: ["a", "b"], forward: "z = a / b", backward: "da = dz / b,  db = -dz * z / b  (= -dz a / b²)", saved: "b and z, the output" });
export function div(a: Operand, b: Operand): Variable {
  const p = operands("div", a, b);
  const z = T.div(p.a, p.b);
  return record(DIV, z, [p.av, p.bv], (dz, need) => [
    gradFor(p.av, need[0], () => T.div(dz, p.b)),
    gradFor(p.bv, need[1], () => T.neg(T.div(T.mul(dz, z), p.b))),
  ]);
}

const POW = defineOp({
  name: "pow",
  inputs: ["a", "b"],
  forward: "z = a^b",
  backward: "da = dz b a^(b-1),  db = dz z ln a",
  saved: "a, b and z, the output",
  notes: "db is 0 where z = 0 (a = 0), not the NaN of 0 · ln 0, as torch. A non-integer b needs a > 0.",
});
export function pow(a: Operand, b: Operand): Variable {
  const p = operands("pow", a, b);
  const z = T.pow(p.a, p.b);
  return record(POW, z, [p.av, p.bv], (dz, need) => [
    gradFor(p.av, need[0], () => {
      const bMinus1 = typeof p.b === "number" ? p.b - 1 : T.sub(p.b, 1);
      return T.mul(T.mul(dz, p.b), T.pow(p.a, bMinus1));
    }),
    gradFor(p.bv, need[1], () => {
      const lnA = typeof p.a === "number" ? Math.log(p.a) : T.log(p.a);
      return T.mul(dz, T.where(T.eq(z, 0), 0, T.mul(z, lnA)));
    }),
  ]);
}

// One note, one weighting function (winnerWeight) for both: minimum is maximum mirrored, ties included.
const TIE_NOTE =
  "Ties (a = b; -0 equals 0) split dz evenly, half to each operand, as torch. " +
  "minimum is maximum mirrored: minimum(a, b) = -maximum(-a, -b), values and gradients, ties included.";

const MAXIMUM = defineOp({
  name: "maximum",
  inputs: ["a", "b"],
  forward: "z = max(a, b)",
  backward: "da = dz [a > b] + dz/2 [a = b],  db = dz [b > a] + dz/2 [a = b]",
  saved: "a and b, to know which one won",
  notes: TIE_NOTE,
});
export function maximum(a: Operand, b: Operand): Variable {
  const p = operands("maximum", a, b);
  return record(MAXIMUM, T.maximum(p.a, p.b), [p.av, p.bv], (dz, need) => [
    gradFor(p.av, need[0], () => T.mul(dz, winnerWeight(p.a, p.b, T.gt))),
    gradFor(p.bv, need[1], () => T.mul(dz, winnerWeight(p.b, p.a, T.gt))),
  ]);
}

const MINIMUM = defineOp({
  name: "minimum",
  inputs: ["a", "b"],
  forward: "z = min(a, b)",
  backward: "da = dz [a < b] + dz/2 [a = b],  db = dz [b < a] + dz/2 [a = b]",
  saved: "a and b, to know which one won",
  notes: TIE_NOTE,
});
export function minimum(a: Operand, b: Operand): Variable {
  const p = operands("minimum", a, b);
  return record(MINIMUM, T.minimum(p.a, p.b), [p.av, p.bv], (dz, need) => [
    gradFor(p.av, need[0], () => T.mul(dz, winnerWeight(p.a, p.b, T.lt))),
    gradFor(p.bv, need[1], () => T.mul(dz, winnerWeight(p.b, p.a, T.lt))),
  ]);
}

/** 1 where `x` wins against `other`, 1/2 on a tie, 0 where it loses (broadcast shape). */
function winnerWeight(x: T.Tensor | number, other: T.Tensor | number, wins: (a: T.Operand, b: T.Operand) => T.Tensor): T.Tensor {
  return T.where(wins(x, other), 1, T.where(T.eq(x, other), 0.5, 0));
}
