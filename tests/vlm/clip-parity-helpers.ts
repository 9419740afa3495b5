/**
 * Reading the CLIP parity fixtures made by tools/make_clip_fixtures.py (PyTorch 2.13 and
 * open_clip 3.3.0 as oracles) and comparing tensors against them with messages that say
 * where the largest difference is, both values and the tolerance.
 */

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readSafetensors } from "../../packages/nn/src/node.js";
import type { Tensor } from "../../packages/tensor/src/index.js";

export const CLIP_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "clip");

export interface ExpectedMeta {
  description: string;
  storage: string;
  images: string[];
  image_size: number;
  texts: string[] | null;
  tokens: "clip" | "synthetic";
  loss_pairs: number;
  grad_blocks: string[];
}

export function fixtureFolder(name: string): string {
  return join(CLIP_FIXTURES, name);
}

export function readExpected(name: string): { meta: ExpectedMeta; tensors: Map<string, Tensor> } {
  const folder = fixtureFolder(name);
  const meta = JSON.parse(readFileSync(join(folder, "expected.json"), "utf8")) as ExpectedMeta;
  return { meta, tensors: readSafetensors(join(folder, "expected.safetensors")).tensors };
}

export interface Difference {
  max: number;
  at: number;
  got: number;
  want: number;
}

/** The largest |got - want| over all elements (shapes must agree). */
export function maxDifference(got: Tensor, want: Tensor): Difference {
  if (got.shape.join(",") !== want.shape.join(",")) throw new Error(`shapes differ: got [${got.shape}] want [${want.shape}]`);
  const a = got.contiguousData();
  const b = want.contiguousData();
  const d: Difference = { max: 0, at: -1, got: NaN, want: NaN };
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - b[i]!);
    if (!(diff <= d.max)) Object.assign(d, { max: diff, at: i, got: a[i], want: b[i] });
  }
  return d;
}

/** Throws unless got ≈ want within `tolerance` (absolute); returns the largest difference. */
export function expectClose(label: string, got: Tensor, want: Tensor, tolerance: number): number {
  const d = maxDifference(got, want);
  if (!(d.max <= tolerance)) {
    throw new Error(`${label}: max |Duet - PyTorch| = ${d.max.toExponential(3)} > ${tolerance} at flat index ${d.at} (Duet ${d.got}, PyTorch ${d.want}), shape [${got.shape}]`);
  }
  return d.max;
}
