/**
 * Unicode CLDR's English names and keywords of every emoji, from `emojibase-data` (MIT):
 * "waving hand" → bye, greetings, hello, hey, hi, wave, … — more ways people describe an
 * emoji than OpenMoji's own tags, for richer training captions. A skin-tone variant has no
 * keywords of its own in CLDR; it takes its base emoji's. CLDR's names in other locales
 * ("winkende Hand", "手を振る") are the other-language noise of data/caption-noise.ts.
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

/** The emojibase-data package's folder. */
function emojibaseRoot(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("emojibase-data/package.json"));
  } catch {
    throw new DataError("cldr", "the emojibase-data package is not installed (it is a dependency of @duet/vlm: run pnpm install)");
  }
}

/** CLDR's entries by hexcode (compared without U+FE0F). */
export function cldrEntries(): ReadonlyMap<string, CldrEntry> {
  if (cached !== undefined) return cached;
  const raw = JSON.parse(readFileSync(join(emojibaseRoot(), "en", "data.json"), "utf8")) as RawEmoji[];
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

const localeCache = new Map<string, ReadonlyMap<string, string>>();

/** CLDR's names of the emojis in a locale of emojibase-data ("de", "ja", ...), by hexcode (skin tones included). */
export function cldrLocaleNames(locale: string): ReadonlyMap<string, string> {
  let names = localeCache.get(locale);
  if (names !== undefined) return names;
  const path = join(emojibaseRoot(), locale, "compact.json");
  let raw: RawEmoji[];
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as RawEmoji[];
  } catch (error) {
    throw new DataError("cldrLocaleNames", `no names for locale "${locale}" (${path}: ${(error as Error).message})`);
  }
  const map = new Map<string, string>();
  for (const emoji of raw) {
    map.set(key(emoji.hexcode), emoji.label);
    for (const skin of emoji.skins ?? []) map.set(key(skin.hexcode), skin.label);
  }
  localeCache.set(locale, (names = map));
  return names;
}

/** An emoji's CLDR name in a locale, or undefined when that locale does not name it (OpenMoji's own extras). */
export function cldrLocaleName(locale: string, hexcode: string): string | undefined {
  return cldrLocaleNames(locale).get(key(hexcode));
}
