/**
 * Unicode CLDR's English names and keywords of every emoji, from `emojibase-data` (MIT):
 * "waving hand" → bye, greetings, hello, hey, hi, wave, … — more ways people describe an
 * emoji than OpenMoji's own tags, for richer training captions. A skin-tone variant has no
 * keywords of its own in CLDR; it takes its base emoji's.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DataError } from "../errors.js";

interface RawEmoji {
  hexcode: string;
  label: string;
  tags?: string[];
  skins?: RawEmoji[];
}

export interface CldrEntry {
  readonly label: string;
  readonly keywords: readonly string[];
}

/** Upper case, without U+FE0F: how CLDR's and OpenMoji's sequences are compared. */
function key(hexcode: string): string {
  return hexcode
    .toUpperCase()
    .split("-")
    .filter((part) => part !== "FE0F")
    .join("-");
}

let cached: ReadonlyMap<string, CldrEntry> | undefined;

/** CLDR's entries by hexcode (compared without U+FE0F). */
export function cldrEntries(): ReadonlyMap<string, CldrEntry> {
  if (cached !== undefined) return cached;
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve("emojibase-data/package.json"));
  } catch {
    throw new DataError("cldr", "the emojibase-data package is not installed (it is a dependency of @duet/vlm: run pnpm install)");
  }
  const raw = JSON.parse(readFileSync(join(root, "en", "data.json"), "utf8")) as RawEmoji[];
  const map = new Map<string, CldrEntry>();
  for (const emoji of raw) {
    const keywords = emoji.tags ?? [];
    map.set(key(emoji.hexcode), { label: emoji.label, keywords });
    for (const skin of emoji.skins ?? []) map.set(key(skin.hexcode), { label: skin.label, keywords: skin.tags ?? keywords });
  }
  cached = map;
  return map;
}

/** CLDR's keywords of an emoji (its base's for a skin-tone variant); none when CLDR does not list it. */
export function cldrKeywords(hexcode: string): readonly string[] {
  return cldrEntries().get(key(hexcode))?.keywords ?? [];
}
