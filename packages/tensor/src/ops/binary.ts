/**
 * Elementwise binary ops with NumPy broadcasting: z = f(a, b).
 *
 *   a is (..., m, 1), b is (n)  ->  z is (..., m, n): shapes align from the right, and
 *   each pair of dims must match or one of them must be 1 (or missing).
 *
 * Either operand may be a JS number. Result dtype: promoteTypes of the operands, where a
 * number takes the tensor's dtype, except that a non-integer number with an int32 tensor
 * gives float32 (as torch). The number is rounded to that dtype first, so
 * `eq(float32Tensor, 0.1)` compares with float32(0.1), as torch does. Comparisons give
 * int32 0/1 masks; div of two integers gives float32 (true division, as torch).
 *
 * Each op names its row kernel in binary-kernels.ts, one line of math over `n` elements.
 * The loops (elementwise.ts) call it once for the whole tensor when every operand is
 * row-major of the output's shape or a single element, and once per row of the output
 * otherwise, stepping broadcast axes with stride 0; large outputs are split over the worker
 * pool, with the same result on any number of threads.
 */

import { allocate, promoteTypes, type DType } from "../dtype.js";
import { TensorError } from "../errors.js";
import { broadcastShapes, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";
import { binaryInto, planLayout, type Source } from "./elementwise.js";
import { forEachRun, layoutUnits } from "./elementwise-kernel.js";
import type { BinaryKernelName } from "./binary-kernels.js";

/** A tensor, or a JS number standing for a 0-d tensor. */
export type Operand = Tensor | number;

/** "promote": the operands' common dtype; "float": that, but int32 becomes float32; "mask": int32 0/1. */
type ResultKind = "promote" | "float" | "mask";

// ---- arithmetic -----------------------------------------------------------

/** z = a + b */
export function add(a: Operand, b: Operand): Tensor {
  return zip("add", a, b, "promote", "add");
}

/** z = a - b */
export function sub(a: Operand, b: Operand): Tensor {
  return zip("sub", a, b, "promote", "sub");
}

/** z = a * b (int32 products wrap around, as in C, via Math.imul) */
export function mul(a: Operand, b: Operand): Tensor {
  return zip("mul", a, b, "promote", resultDtype("mul", a, b, "promote") === "int32" ? "mulInt32" : "mul");
}

/** z = a / b, always true division: int32 / int32 gives float32. x/0 is ±Infinity, 0/0 NaN. */
export function div(a: Operand, b: Operand): Tensor {
  return zip("div", a, b, "float", "div");
}

/**
 * z = a ^ b. With two integer operands the result is int32 and, as in torch, negative
 * exponents are an error (their results are not integers).
 */
export function pow(a: Operand, b: Operand): Tensor {
  if (resultDtype("pow", a, b, "promote") === "int32" && hasNegative(b)) {
    throw new TensorError("pow", "integers to negative integer powers are not allowed: b holds a negative int32 exponent; convert a to float32 first");
  }
  return zip("pow", a, b, "promote", "pow");
}

/** z = max(a, b); NaN if either is NaN (as torch.maximum). */
export function maximum(a: Operand, b: Operand): Tensor {
  return zip("maximum", a, b, "promote", "maximum");
}

/** z = min(a, b); NaN if either is NaN (as torch.minimum). */
export function minimum(a: Operand, b: Operand): Tensor {
  return zip("minimum", a, b, "promote", "minimum");
}

// ---- comparisons: int32 masks, IEEE semantics (NaN is unequal to everything) -------

/** z = a == b ? 1 : 0 */
export function eq(a: Operand, b: Operand): Tensor {
  return zip("eq", a, b, "mask", "eq");
}

/** z = a != b ? 1 : 0 (1 where either is NaN) */
export function ne(a: Operand, b: Operand): Tensor {
  return zip("ne", a, b, "mask", "ne");
}

/** z = a < b ? 1 : 0 */
export function lt(a: Operand, b: Operand): Tensor {
  return zip("lt", a, b, "mask", "lt");
}

/** z = a <= b ? 1 : 0 */
export function le(a: Operand, b: Operand): Tensor {
  return zip("le", a, b, "mask", "le");
}

/** z = a > b ? 1 : 0 */
export function gt(a: Operand, b: Operand): Tensor {
  return zip("gt", a, b, "mask", "gt");
}

/** z = a >= b ? 1 : 0 */
export function ge(a: Operand, b: Operand): Tensor {
  return zip("ge", a, b, "mask", "ge");
}

// ---- selection --------------------------------------------------------------

/**
 * z = cond != 0 ? a : b, all three broadcast together (NaN counts as nonzero, as in torch).
 * The dtype is that of a and b combined; when both are numbers it is int32 for two
 * integers, else float32 (so `where(mask, 0, -Infinity)` builds an additive mask).
 * cond may have any dtype.
 */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  const op = "where";
  checkOperand(op, "cond", cond);
  checkOperand(op, "a", a);
  checkOperand(op, "b", b);
  const dtype =
    typeof a === "number" && typeof b === "number"
      ? Number.isInteger(a) && Number.isInteger(b) ? "int32" : "float32"
      : resultDtype(op, a, b, "promote");
  const c = toSource(op, "cond", cond, "float64");
  const x = toSource(op, "a", a, dtype);
  const y = toSource(op, "b", b, dtype);
  const abShape = broadcastShapes(op, x.shape, y.shape, ["a", "b"]);
  const shape = broadcastShapes(op, c.shape, abShape, ["cond", "broadcast(a, b)"]);
  const z = allocate(dtype, sizeOf(shape));
  const layout = planLayout(shape, [c, x, y]);
  forEachRun(layout, 0, layoutUnits(layout), (offsets, steps, zi, n) => {
    const cs = c.data, xs = x.data, ys = y.data;
    const cStep = steps[0]!, xStep = steps[1]!, yStep = steps[2]!;
    let ci = offsets[0]!, xi = offsets[1]!, yi = offsets[2]!;
    for (const end = zi + n; zi < end; zi++, ci += cStep, xi += xStep, yi += yStep) z[zi] = cs[ci] !== 0 ? xs[xi]! : ys[yi]!;
  });
  return new Tensor(z, shape);
}

// ---- the loop ------------------------------------------------------------------

function zip(op: string, a: Operand, b: Operand, kind: ResultKind, kernel: BinaryKernelName): Tensor {
  const computeDtype = resultDtype(op, a, b, "promote");
  const outDtype = resultDtype(op, a, b, kind);
  const sa = toSource(op, "a", a, computeDtype);
  const sb = toSource(op, "b", b, computeDtype);
  const shape = broadcastShapes(op, sa.shape, sb.shape);
  const out = allocate(outDtype, sizeOf(shape));
  binaryInto(kernel, shape, sa, sb, out);
  return new Tensor(out, shape);
}

// ---- operands and dtypes -------------------------------------------------------

function checkOperand(op: string, name: string, v: unknown): asserts v is Operand {
  if (!(v instanceof Tensor) && typeof v !== "number") {
    throw new TensorError(op, `${name} must be a Tensor or a number, got ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`);
  }
}

/** The dtype a number takes next to a tensor of `dtype`. */
function numberDtype(value: number, dtype: DType): DType {
  return dtype === "int32" && !Number.isInteger(value) ? "float32" : dtype;
}

function resultDtype(op: string, a: Operand, b: Operand, kind: ResultKind): DType {
  checkOperand(op, "a", a);
  checkOperand(op, "b", b);
  if (kind === "mask") return "int32";
  let dtype: DType;
  if (a instanceof Tensor && b instanceof Tensor) dtype = promoteTypes(a.dtype, b.dtype);
  else if (a instanceof Tensor) dtype = numberDtype(b as number, a.dtype);
  else if (b instanceof Tensor) dtype = numberDtype(a, b.dtype);
  else throw new TensorError(op, `at least one operand must be a Tensor, got the numbers ${a} and ${b}`);
  return kind === "float" && dtype === "int32" ? "float32" : dtype;
}

/** A tensor as is; a number as a one-element array of the dtype the op computes in. */
function toSource(op: string, name: string, v: Operand, computeDtype: DType): Source {
  checkOperand(op, name, v);
  if (v instanceof Tensor) return v;
  const data = computeDtype === "float32" ? Float32Array.of(v) : Float64Array.of(v);
  return { data, shape: [], strides: [], offset: 0 };
}

function hasNegative(v: Operand): boolean {
  if (typeof v === "number") return v < 0;
  const data = v.contiguousData();
  for (let i = 0; i < data.length; i++) if (data[i]! < 0) return true;
  return false;
}
