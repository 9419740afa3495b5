/**
 * Generators and the runner for the gradient property tests.
 *
 * A property is a fast-check arbitrary of cases; a case is float64 inputs (often in a
 * non-contiguous layout) plus a function of them that goes through the op under test.
 * The runner (run-family.ts) asserts, for every case, `autograd == float64 central
 * differences` (gradcheck) and that the op really is in the recorded graph, so a property
 * cannot pass while testing some other op. This module imports nothing from vitest, so
 * tools/gen-ops-doc.ts can read the properties too.
 *
 * Values are drawn from a seeded PRNG rather than fc.double: fast-check biases doubles
 * toward boundary values, which would pile up ties at exactly the kinks (max, relu,
 * clamp) that the tests must stay away from.
 */

import fc from "fast-check";
import { Generator, Tensor, type DType } from "../../../packages/tensor/src/index.js";
import type { Family, OP_FAMILIES, Variable } from "../../../packages/autograd/src/index.js";
import { withLayout } from "../../support/arbitraries.js";

export interface GradCase {
  /** float64 inputs, differentiated by gradcheck */
  inputs: Tensor[];
  /** the function of the inputs, through the op under test */
  fn: (...inputs: Variable[]) => Variable;
  /** the op's other arguments, for failure messages (e.g. "axis 1, keepdim") */
  label: string;
}

export interface GradProperty {
  cases: fc.Arbitrary<GradCase>;
  /** fast-check runs; default DEFAULT_RUNS */
  numRuns?: number;
  atol?: number;
  rtol?: number;
}

export const SEED = 42;
export const DEFAULT_RUNS = 100;

/** How values are drawn, to stay away from where an op is not differentiable. */
export type ValueKind =
  | "smooth" //         uniform in [-2, 2]
  | "positive" //       uniform in [0.5, 2.5] (log, sqrt, pow bases)
  | "awayFromZero" //   ±[0.25, 2] (abs, relu, division)
  | "distinct" //       pairwise at least 0.08 apart (max, min, max pooling)
  | "gridA" //          0.2k + [0, 0.05] ...
  | "gridB" //          ... and 0.2k + 0.1 + [0, 0.05]: an A and a B are always 0.05 apart (maximum, minimum)
  | { avoid: number[]; margin: number }; // uniform in [-2, 2], at least margin from each avoided point (clamp bounds)

export function drawValues(seed: number, n: number, kind: ValueKind): number[] {
  const g = new Generator(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * g.nextDouble();
  const sign = () => (g.nextUint32() & 1 ? 1 : -1);
  if (kind === "distinct") {
    const slots = Array.from({ length: n }, (_, k) => k);
    for (let k = n - 1; k > 0; k--) {
      const j = g.nextInt(k + 1);
      [slots[k], slots[j]] = [slots[j]!, slots[k]!];
    }
    return slots.map((s) => (s - n / 2) * 0.1 + u(0, 0.02));
  }
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    if (kind === "smooth") out.push(u(-2, 2));
    else if (kind === "positive") out.push(u(0.5, 2.5));
    else if (kind === "awayFromZero") out.push(sign() * u(0.25, 2));
    else if (kind === "gridA" || kind === "gridB") out.push(0.2 * (g.nextInt(20) - 10) + (kind === "gridB" ? 0.1 : 0) + u(0, 0.05));
    else {
      let v = u(-2, 2);
      for (const p of kind.avoid) if (Math.abs(v - p) < kind.margin) v = p + (v >= p ? 1 : -1) * (kind.margin + Math.abs(v - p));
      out.push(v);
    }
  }
  return out;
}

type Layout = Parameters<typeof withLayout>[3];

/** Row-major, a permuted view, or a strided slice of a larger buffer. */
export function layoutArb(ndim: number): fc.Arbitrary<Layout> {
  const options: fc.Arbitrary<Layout>[] = [fc.constant<Layout>({ kind: "plain" })];
  if (ndim >= 2) {
    const axes = Array.from({ length: ndim }, (_, i) => i);
    options.push(fc.shuffledSubarray(axes, { minLength: ndim, maxLength: ndim }).map((perm): Layout => ({ kind: "permuted", perm })));
  }
  if (ndim >= 1) {
    const dims = { minLength: ndim, maxLength: ndim };
    options.push(
      fc
        .record({ pad: fc.array(fc.integer({ min: 0, max: 2 }), dims), step: fc.array(fc.integer({ min: 1, max: 2 }), dims), lead: fc.integer({ min: 0, max: 3 }) })
        .map((r): Layout => ({ kind: "sliced", ...r })),
    );
  }
  return fc.oneof(...options);
}

/** A float64 tensor of `shape` with values of `kind` in a random layout. */
export function f64(shape: readonly number[], kind: ValueKind = "smooth"): fc.Arbitrary<Tensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), layoutArb(shape.length)).map(([seed, layout]) => withLayout([...shape], drawValues(seed, n, kind), "float64" as DType, layout));
}

/** An int32 tensor of `shape` with values in [0, bound). */
export function ints(shape: readonly number[], bound: number): fc.Arbitrary<Tensor> {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc.array(fc.integer({ min: 0, max: bound - 1 }), { minLength: n, maxLength: n }).map((v) => new Tensor(Int32Array.from(v), shape));
}

/** A shape of `minDims..maxDims` dims, each `minSize..maxSize` (size-1 dims included when minSize is 1). */
export function shapes(minDims: number, maxDims: number, minSize = 1, maxSize = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minSize, max: maxSize }), { minLength: minDims, maxLength: maxDims });
}

/** An axis argument for a reduction over `ndim` dims: undefined (all), one axis (maybe negative), or a list. */
export function axesArb(ndim: number): fc.Arbitrary<number | number[] | undefined> {
  if (ndim === 0) return fc.constantFrom<undefined | number[]>(undefined, []);
  const all = Array.from({ length: ndim }, (_, i) => i);
  return fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: -ndim, max: ndim - 1 }),
    fc.subarray(all, { minLength: 1 }),
  );
}

export const fmt = (shape: readonly number[]) => `[${shape.join(",")}]`;

/** One property per op of a family: a missing op is a compile error. */
export type FamilyProperties<F extends Family> = { [K in (typeof OP_FAMILIES)[F][number]]: GradProperty };

/** The title of an op's property test, as docs/ops.md cites it. */
export const propertyTitle = (op: string) => `${op}: autograd == float64 central differences`;
