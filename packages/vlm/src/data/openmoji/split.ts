/**
 * The train / val / test split of OpenMoji, by base emoji: an emoji and all its skin-tone
 * variants land in the same split, so no test emoji is seen in training in another skin tone.
 *
 *   bucket(base) = fmix32(FNV-1a-32(base hexcode as ASCII)) mod 10000, read as u in [0, 1)
 *   u < train            -> train   (default 0.8)
 *   u < train + val      -> val     (default 0.1)
 *   otherwise            -> test    (default 0.1)
 *
 * The hash depends on the base hexcode alone — not on the order of the list, the OpenMoji
 * version's other emojis or a seed — so an emoji keeps its split across versions and subsets.
 * `split.json` records the result: {"train": [hexcode, ...], "val": [...], "test": [...]}.
 */

import { DataError } from "../errors.js";
import { writeFileAtomic } from "../atomic.js";
import type { OpenMojiItem } from "./metadata.js";

export type SplitName = "train" | "val" | "test";
export const SPLIT_NAMES: readonly SplitName[] = ["train", "val", "test"];

export interface Split {
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
}

export interface SplitFractions {
  train: number;
  val: number;
}

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.8, val: 0.1 };

/** FNV-1a over the string's char codes (hexcodes are ASCII), then murmur3's finaliser to spread the low bits. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The split of every emoji whose base is `baseHexcode`. */
export function splitOfBase(baseHexcode: string, fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): SplitName {
  const u = (stableHash(baseHexcode) % 10000) / 10000;
  if (u < fractions.train) return "train";
  if (u < fractions.train + fractions.val) return "val";
  return "test";
}

/** The hexcodes of each split, in the order of `items`. */
export function splitOpenMoji(items: readonly OpenMojiItem[], fractions: SplitFractions = DEFAULT_SPLIT_FRACTIONS): Split {
  const { train, val } = fractions;
  if (!(train >= 0 && val >= 0 && train + val <= 1)) {
    throw new DataError("splitOpenMoji", `fractions must be >= 0 with train + val <= 1, got train ${train}, val ${val}`);
  }
  const out: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  for (const item of items) out[splitOfBase(item.baseHexcode, fractions)].push(item.hexcode);
  return out;
}

/** Writes split.json atomically. */
export function writeSplitJson(path: string, split: Split): void {
  writeFileAtomic(path, `${JSON.stringify({ train: split.train, val: split.val, test: split.test })}\n`);
}
