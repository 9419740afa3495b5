/**
 * Reading the PyTorch fixtures of tools/make_nn_fixtures.py, and comparing against them.
 *
 * Tolerance: |actual - expected| <= rtol * (|expected| + max|expected over the tensor|).
 * That is `rtol` relative for each element of a tensor's own scale and above, and an
 * absolute floor of `rtol` times the tensor's largest magnitude for elements near zero
 * (where float32 rounding of a sum of large terms cannot be small relative to the result).
 * Set DUET_NN_REPORT=1 to print the largest differences seen per file.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tensor, type Tensor } from "../../../packages/tensor/src/index.js";

export interface Encoded {
  shape: number[];
  dtype: "float64" | "float32" | "int32";
  data: number[];
}

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "nn");

export function loadFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as T;
}

export function decode(e: Encoded): Tensor {
  return tensor(e.data, e.shape, { dtype: e.dtype });
}

export function decodeAll(record: Record<string, Encoded>): Map<string, Tensor> {
  return new Map(Object.entries(record).map(([k, v]) => [k, decode(v)]));
}

/** Tolerances used against torch, by dtype (see the file comment for their meaning). */
export const RTOL = { float64: 1e-12, float32: 1e-5 } as const;

interface Worst {
  abs: number;
  rel: number;
}
const worst = new Map<string, Worst>();

/** Asserts closeness as described above; the message names the label, index, both values and the tolerance. */
export function expectMatches(actual: Tensor, expected: Tensor, rtol: number, label: string): void {
  if (actual.shape.join(",") !== expected.shape.join(",")) {
    throw new Error(`${label}: shape [${actual.shape}] differs from torch's [${expected.shape}]`);
  }
  const a = actual.contiguousData();
  const e = expected.contiguousData();
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  const key = `${expected.dtype}`;
  const w = worst.get(key) ?? { abs: 0, rel: 0 };
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    const diff = Math.abs(x - y);
    const tol = rtol * (Math.abs(y) + scale);
    w.abs = Math.max(w.abs, diff);
    if (scale > 0) w.rel = Math.max(w.rel, diff / (Math.abs(y) + scale));
    if (!(diff <= tol) && !(Number.isNaN(x) && Number.isNaN(y))) {
      throw new Error(`${label}: at flat index ${i} Duet gives ${x}, torch ${y}; |diff| ${diff} > tol ${tol} (rtol ${rtol}, tensor scale ${scale})`);
    }
  }
  worst.set(key, w);
}

/** The largest differences seen so far, by dtype (for DUET_NN_REPORT). */
export function worstDifferences(): Record<string, Worst> {
  return Object.fromEntries(worst);
}

export function reportWorst(file: string): void {
  if (process.env.DUET_NN_REPORT) console.log(`${file}: largest differences vs torch`, JSON.stringify(worstDifferences()));
}
