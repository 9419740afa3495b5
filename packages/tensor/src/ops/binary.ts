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
 * Each op is one line of math inside a row kernel over `n` elements; `forEachBroadcastRow`
 * calls it once for the whole tensor when every operand is row-major of the output's shape
 * or a single element, and once per row of the output otherwise, stepping broadcast axes
 * with stride 0.
 */

import { allocate, promoteTypes, type DType, type TypedArray } from "../dtype.js";
import { TensorError } from "../errors.js";
import { forEachRow } from "../iterate.js";
import { broadcastShapes, broadcastStrides, shapesEqual, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";

/** A tensor, or a JS number standing for a 0-d tensor. */
export type Operand = Tensor | number;

/** z[zi + k] = f(x[xi + k*xStep], y[yi + k*yStep]) for k in [0, n), x read from a and y from b. */
type BinaryKernel = (x: TypedArray, xi: number, xStep: number, y: TypedArray, yi: number, yStep: number, z: TypedArray, zi: number, n: number) => void;

/** An operand's storage, as the loops read it (a number becomes a one-element array). */
interface Source {
  data: TypedArray;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/** "promote": the operands' common dtype; "float": that, but int32 becomes float32; "mask": int32 0/1. */
type ResultKind = "promote" | "float" | "mask";

// ---- arithmetic -----------------------------------------------------------

/** z = a + b */
export function add(a: Operand, b: Operand): Tensor {
  return zip("add", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! + y[yi]!;
  });
}

/** z = a - b */
export function sub(a: Operand, b: Operand): Tensor {
  return zip("sub", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! - y[yi]!;
  });
}

/** z = a * b (int32 products wrap around, as in C, via Math.imul) */
export function mul(a: Operand, b: Operand): Tensor {
  if (resultDtype("mul", a, b, "promote") === "int32") {
    return zip("mul", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
      for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.imul(x[xi]!, y[yi]!);
    });
  }
  return zip("mul", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! * y[yi]!;
  });
}

/** z = a / b, always true division: int32 / int32 gives float32. x/0 is ±Infinity, 0/0 NaN. */
export function div(a: Operand, b: Operand): Tensor {
  return zip("div", a, b, "float", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! / y[yi]!;
  });
}

/**
 * z = a ^ b. With two integer operands the result is int32 and, as in torch, negative
 * exponents are an error (their results are not integers).
 */
export function pow(a: Operand, b: Operand): Tensor {
  if (resultDtype("pow", a, b, "promote") === "int32" && hasNegative(b)) {
    throw new TensorError("pow", "integers to negative integer powers are not allowed: b holds a negative int32 exponent; convert a to float32 first");
  }
  return zip("pow", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.pow(x[xi]!, y[yi]!);
  });
}

/** z = max(a, b); NaN if either is NaN (as torch.maximum). */
export function maximum(a: Operand, b: Operand): Tensor {
  return zip("maximum", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.max(x[xi]!, y[yi]!);
  });
}

/** z = min(a, b); NaN if either is NaN (as torch.minimum). */
export function minimum(a: Operand, b: Operand): Tensor {
  return zip("minimum", a, b, "promote", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.min(x[xi]!, y[yi]!);
  });
}

// ---- comparisons: int32 masks, IEEE semantics (NaN is unequal to everything) -------

/** z = a == b ? 1 : 0 */
export function eq(a: Operand, b: Operand): Tensor {
  return zip("eq", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! === y[yi]! ? 1 : 0;
  });
}

/** z = a != b ? 1 : 0 (1 where either is NaN) */
export function ne(a: Operand, b: Operand): Tensor {
  return zip("ne", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! !== y[yi]! ? 1 : 0;
  });
}

/** z = a < b ? 1 : 0 */
export function lt(a: Operand, b: Operand): Tensor {
  return zip("lt", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! < y[yi]! ? 1 : 0;
  });
}

/** z = a <= b ? 1 : 0 */
export function le(a: Operand, b: Operand): Tensor {
  return zip("le", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! <= y[yi]! ? 1 : 0;
  });
}

/** z = a > b ? 1 : 0 */
export function gt(a: Operand, b: Operand): Tensor {
  return zip("gt", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! > y[yi]! ? 1 : 0;
  });
}

/** z = a >= b ? 1 : 0 */
export function ge(a: Operand, b: Operand): Tensor {
  return zip("ge", a, b, "mask", (x, xi, xStep, y, yi, yStep, z, zi, n) => {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! >= y[yi]! ? 1 : 0;
  });
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
  forEachBroadcastRow(shape, [c, x, y], (offsets, steps, zi, n) => {
    const cs = c.data, xs = x.data, ys = y.data;
    const cStep = steps[0]!, xStep = steps[1]!, yStep = steps[2]!;
    let ci = offsets[0]!, xi = offsets[1]!, yi = offsets[2]!;
    for (const end = zi + n; zi < end; zi++, ci += cStep, xi += xStep, yi += yStep) z[zi] = cs[ci] !== 0 ? xs[xi]! : ys[yi]!;
  });
  return new Tensor(z, shape);
}

// ---- the loops ------------------------------------------------------------------

function zip(op: string, a: Operand, b: Operand, kind: ResultKind, kernel: BinaryKernel): Tensor {
  const computeDtype = resultDtype(op, a, b, "promote");
  const outDtype = resultDtype(op, a, b, kind);
  const sa = toSource(op, "a", a, computeDtype);
  const sb = toSource(op, "b", b, computeDtype);
  const shape = broadcastShapes(op, sa.shape, sb.shape);
  const out = allocate(outDtype, sizeOf(shape));
  forEachBroadcastRow(shape, [sa, sb], (offsets, steps, o, n) => kernel(sa.data, offsets[0]!, steps[0]!, sb.data, offsets[1]!, steps[1]!, out, o, n));
  return new Tensor(out, shape);
}

/**
 * Calls `row(offsets, steps, o, n)` for runs of the output (row-major, `shape`): output
 * elements [o, o+n) read operand k from `offsets[k]` in steps of `steps[k]`. One call covers
 * everything when each operand is a single element (step 0) or row-major of `shape` (step 1);
 * otherwise there is one call per output row.
 */
function forEachBroadcastRow(
  shape: readonly number[],
  sources: readonly Source[],
  row: (offsets: number[], steps: number[], o: number, n: number) => void,
): void {
  const size = sizeOf(shape);
  if (size === 0) return;
  const flatSteps: number[] = [];
  for (const s of sources) {
    if (sizeOf(s.shape) === 1) flatSteps.push(0);
    else if (shapesEqual(s.shape, shape) && isRowMajor(s)) flatSteps.push(1);
    else break;
  }
  if (flatSteps.length === sources.length) {
    row(sources.map((s) => s.offset), flatSteps, 0, size);
    return;
  }
  const strides = sources.map((s) => broadcastStrides(s.shape, s.strides, shape));
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const steps = strides.map((st) => (st.length === 0 ? 0 : st[st.length - 1]!));
  forEachRow(
    shape,
    strides,
    sources.map((s) => s.offset),
    (offsets, r) => row(offsets, steps, r * n, n),
  );
}

function isRowMajor(s: Source): boolean {
  let expected = 1;
  for (let i = s.shape.length - 1; i >= 0; i--) {
    const d = s.shape[i]!;
    if (d === 1) continue;
    if (s.strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
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
