/**
 * fast-check generators for tensors, shared by the property tests.
 *
 * Like minitorch's strategies, a generated tensor does not always have a plain
 * row-major layout: `tensorArb` may hand out a permuted view or a strided slice of a
 * larger buffer, so every kernel is exercised on non-contiguous inputs too.
 */

import fc from "fast-check";
import { Tensor, allocate, contiguousStrides, sizeOf, type DType } from "../../packages/tensor/src/index.js";

export interface ShapeOptions {
  minDims?: number;
  maxDims?: number;
  minSize?: number;
  maxSize?: number;
}

export function shapeArb({ minDims = 0, maxDims = 4, minSize = 1, maxSize = 5 }: ShapeOptions = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minDims, maxLength: maxDims });
}

export interface TensorOptions {
  dtype?: DType;
  min?: number;
  max?: number;
  /** allow non-contiguous layouts (default true) */
  strided?: boolean;
}

/** Values are finite floats in [min, max] (or integers for int32). */
export function valuesArb(n: number, { dtype = "float32", min = -3, max = 3 }: TensorOptions = {}): fc.Arbitrary<number[]> {
  const elem =
    dtype === "int32"
      ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
      : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((v) => (dtype === "float32" ? Math.fround(v) : v));
  return fc.array(elem, { minLength: n, maxLength: n });
}

type Layout = { kind: "plain" } | { kind: "permuted"; perm: number[] } | { kind: "sliced"; pad: number[]; step: number[]; lead: number };

function layoutArb(ndim: number): fc.Arbitrary<Layout> {
  const options: fc.Arbitrary<Layout>[] = [fc.constant({ kind: "plain" as const })];
  if (ndim >= 2) {
    options.push(
      fc
        .shuffledSubarray(
          Array.from({ length: ndim }, (_, i) => i),
          { minLength: ndim, maxLength: ndim },
        )
        .map((perm) => ({ kind: "permuted" as const, perm })),
    );
  }
  if (ndim >= 1) {
    options.push(
      fc.record({
        kind: fc.constant("sliced" as const),
        pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: ndim, maxLength: ndim }),
        step: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: ndim, maxLength: ndim }),
        lead: fc.integer({ min: 0, max: 3 }),
      }),
    );
  }
  return fc.oneof(...options);
}

/**
 * Places `values` (row-major for `shape`) into a tensor with the given layout. The logical
 * contents are always `values`; only the storage differs.
 */
export function withLayout(shape: number[], values: number[], dtype: DType, layout: Layout): Tensor {
  if (layout.kind === "plain") {
    const data = allocate(dtype, values.length);
    data.set(values);
    return new Tensor(data, shape);
  }
  if (layout.kind === "permuted") {
    // store the permuted tensor contiguously, then permute back: same values, odd strides
    const perm = layout.perm;
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    const permShape = perm.map((p) => shape[p]!);
    const data = allocate(dtype, values.length);
    const src = new Tensor(Float64Array.from(values), shape);
    const srcPerm = src.permute(perm).contiguous();
    data.set(srcPerm.data);
    return new Tensor(data, permShape).permute(inv);
  }
  // sliced: a bigger buffer, each dim stepped and offset
  const big = shape.map((d, i) => d * layout.step[i]! + layout.pad[i]!);
  const bigStrides = contiguousStrides(big);
  const data = allocate(dtype, sizeOf(big) + layout.lead);
  data.fill(Number.NaN); // any read outside the view shows up as NaN
  const strides = bigStrides.map((s, i) => s * layout.step[i]!);
  let offset = layout.lead;
  for (let i = 0; i < shape.length; i++) offset += layout.pad[i]! * bigStrides[i]! > 0 ? Math.min(layout.pad[i]!, 1) * bigStrides[i]! : 0;
  const t = new Tensor(data, shape, strides, offset);
  // write values through the view
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < values.length; k++) {
    let pos = offset;
    for (let i = 0; i < shape.length; i++) pos += idx[i]! * strides[i]!;
    data[pos] = values[k]!;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return t;
}

/** A tensor of the given shape with random values and (unless strided: false) a random layout. */
export function tensorOfShapeArb(shape: number[], options: TensorOptions = {}): fc.Arbitrary<Tensor> {
  const dtype = options.dtype ?? "float32";
  const layouts = options.strided === false ? fc.constant<Layout>({ kind: "plain" }) : layoutArb(shape.length);
  return fc
    .tuple(valuesArb(sizeOf(shape), options), layouts)
    .map(([values, layout]) => withLayout(shape, values, dtype, layout));
}

export function tensorArb(shapeOptions: ShapeOptions = {}, options: TensorOptions = {}): fc.Arbitrary<Tensor> {
  return shapeArb(shapeOptions).chain((shape) => tensorOfShapeArb(shape, options));
}

/** Two shapes that broadcast together: some dims of each replaced by 1 or dropped on the left. */
export function broadcastPairArb(options: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(options).chain((shape) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
        fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
        fc.integer({ min: 0, max: shape.length }),
        fc.integer({ min: 0, max: shape.length }),
      )
      .map(([oneA, oneB, dropA, dropB]) => {
        const a = shape.map((d, i) => (oneA[i] ? 1 : d)).slice(Math.min(dropA, shape.length));
        const b = shape.map((d, i) => (oneB[i] && !oneA[i] ? 1 : d)).slice(Math.min(dropB, shape.length));
        return [a, b] as [number[], number[]];
      }),
  );
}

/**
 * Asserts |actual - expected| <= atol + rtol*|expected| elementwise, with a message that
 * states the index, both values and the tolerance. NaN equals NaN; infinities must match.
 */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: Tensor | ArrayLike<number>, { rtol = 1e-5, atol = 1e-6, label = "" } = {}): void {
  const a = actual instanceof Tensor ? actual.contiguousData() : actual;
  const e = expected instanceof Tensor ? expected.contiguousData() : expected;
  if (actual instanceof Tensor && expected instanceof Tensor) {
    if (actual.shape.join(",") !== expected.shape.join(",")) {
      throw new Error(`${label} shape mismatch: actual [${actual.shape}] vs expected [${expected.shape}]`);
    }
  }
  if (a.length !== e.length) throw new Error(`${label} length mismatch: ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const tol = atol + rtol * Math.abs(y);
    if (!(Math.abs(x - y) <= tol)) {
      throw new Error(`${label} mismatch at flat index ${i}: actual ${x}, expected ${y}, |diff| ${Math.abs(x - y)} > tol ${tol} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
