/** Making tensors: constants, ranges, identity, nested arrays and seeded random draws. */

import { allocate, DTYPES, type DType } from "./dtype.js";
import { TensorError, fmtShape } from "./errors.js";
import { defaultGenerator, type Generator } from "./random.js";
import { checkShape, sizeOf } from "./shape.js";
import { Tensor, type NestedArray } from "./tensor.js";

export interface CreateOptions {
  dtype?: DType;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function dtypeArg(op: string, options?: CreateOptions): DType {
  const dtype = options?.dtype ?? "float32";
  if (!DTYPES.includes(dtype)) throw new TensorError(op, `dtype must be one of ${DTYPES.join(", ")}, got ${String(dtype)}`);
  return dtype;
}

function filled(op: string, shape: readonly number[], value: number, options?: CreateOptions): Tensor {
  const s = checkShape(op, "shape", shape);
  const data = allocate(dtypeArg(op, options), sizeOf(s));
  if (value !== 0) data.fill(value);
  return new Tensor(data, s);
}

export function full(shape: readonly number[], value: number, options?: CreateOptions): Tensor {
  return filled("full", shape, value, options);
}

export function zeros(shape: readonly number[], options?: CreateOptions): Tensor {
  return filled("zeros", shape, 0, options);
}

export function ones(shape: readonly number[], options?: CreateOptions): Tensor {
  return filled("ones", shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

/** A 0-d tensor. */
export function scalar(value: number, options?: CreateOptions): Tensor {
  return full([], value, options);
}

/** `[start, start+step, ...)` up to `end` (exclusive); `arange(n)` is 0..n-1. */
export function arange(start: number, end?: number, step = 1, options?: CreateOptions): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new TensorError("arange", `start, end and step must be finite with step != 0, got ${start}, ${end}, ${step}`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(dtypeArg("arange", options), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, options?: CreateOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new TensorError("linspace", `steps must be a non-negative integer, got ${steps}`);
  const data = allocate(dtypeArg("linspace", options), steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  for (let i = 0; i < steps; i++) data[i] = i === steps - 1 && steps > 1 ? end : start + i * delta;
  return new Tensor(data, [steps]);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m = n, options?: CreateOptions): Tensor {
  checkShape("eye", "size", [n, m]);
  const data = allocate(dtypeArg("eye", options), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

/** A tensor from nested arrays, which must be rectangular and hold only numbers. */
export function fromArray(values: NestedArray, options?: CreateOptions): Tensor {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const data = allocate(dtypeArg("fromArray", options), sizeOf(shape));
  let k = 0;
  const walk = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof v !== "number") {
        throw new TensorError("fromArray", `expected a number at [${path.join("][")}], got ${Array.isArray(v) ? "an array" : typeof v} (shape ${fmtShape(shape)})`);
      }
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const got = Array.isArray(v) ? `length ${v.length}` : typeof v;
      throw new TensorError("fromArray", `ragged array: expected length ${shape[dim]} at [${path.join("][")}], got ${got}`);
    }
    v.forEach((x, i) => walk(x, dim + 1, [...path, i]));
  };
  walk(values, 0, []);
  return new Tensor(data, shape);
}

/** A tensor over a flat list of values with the given shape (copied). */
export function tensor(values: ArrayLike<number>, shape: readonly number[] = [values.length], options?: CreateOptions): Tensor {
  const s = checkShape("tensor", "shape", shape);
  if (sizeOf(s) !== values.length) {
    throw new TensorError("tensor", `${values.length} values do not fill shape ${fmtShape(s)} (${sizeOf(s)} elements)`);
  }
  const data = allocate(dtypeArg("tensor", options), values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return new Tensor(data, s);
}

function fillRandom(op: string, shape: readonly number[], options: RandomOptions | undefined, draw: (g: Generator) => number): Tensor {
  const s = checkShape(op, "shape", shape);
  const dtype = dtypeArg(op, options);
  if (dtype === "int32") throw new TensorError(op, `dtype must be float32 or float64, got int32`);
  const g = options?.generator ?? defaultGenerator;
  const data = allocate(dtype, sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return new Tensor(data, s);
}

/** Uniform in [low, high). float32 draws use 24 random bits, float64 53. */
export function uniform(shape: readonly number[], low = 0, high = 1, options?: RandomOptions): Tensor {
  if (!(low <= high) || !Number.isFinite(low) || !Number.isFinite(high)) {
    throw new TensorError("uniform", `expected finite low <= high, got low ${low}, high ${high}`);
  }
  const wide = options?.dtype === "float64";
  const round = wide ? (v: number) => v : Math.fround;
  return fillRandom("uniform", shape, options, (g) => {
    const v = round(low + (high - low) * (wide ? g.nextDouble() : g.nextFloat()));
    // rounding can land on high (low 1, high 2, u = 1 - 2^-24 ties to 2): fold it onto low
    return v < high ? v : low;
  });
}

/** Normal with the given mean and standard deviation. */
export function normal(shape: readonly number[], mean = 0, std = 1, options?: RandomOptions): Tensor {
  if (!(std >= 0) || !Number.isFinite(mean) || !Number.isFinite(std)) {
    throw new TensorError("normal", `expected finite mean and std >= 0, got mean ${mean}, std ${std}`);
  }
  return fillRandom("normal", shape, options, (g) => mean + std * g.nextNormal());
}

export function rand(shape: readonly number[], options?: RandomOptions): Tensor {
  return uniform(shape, 0, 1, options);
}

export function randn(shape: readonly number[], options?: RandomOptions): Tensor {
  return normal(shape, 0, 1, options);
}
