/**
 * OpenMoji's own description of its emojis (data/openmoji.json in the `openmoji` npm package):
 * one record per emoji with an annotation ("grinning face"), Unicode's tags, OpenMoji's extra
 * tags, a group ("smileys-emotion") and a subgroup ("face-smiling"), and for skin-tone variants
 * the base emoji they vary; plus CLDR's keywords (cldr.ts). This list of concepts is the same
 * whichever style draws them (styles.ts).
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DataError } from "../errors.js";
import { cldrKeywords } from "./cldr.js";

export interface OpenMojiItem {
  /** "1F600", or "1F44B-1F3FB" for a sequence: also the SVG's file name. */
  readonly hexcode: string;
  readonly emoji: string;
  /** Unicode's short name, e.g. "waving hand: light skin tone". */
  readonly annotation: string;
  /** Unicode CLDR keywords. */
  readonly tags: readonly string[];
  /** Keywords OpenMoji adds. */
  readonly openmojiTags: readonly string[];
  /** CLDR's English keywords from emojibase-data (cldr.ts); a skin-tone variant's are its base's. */
  readonly keywords: readonly string[];
  /** Kept for zero-shot evaluation; never in a training caption. */
  readonly group: string;
  /** Kept for zero-shot evaluation; never in a training caption. */
  readonly subgroup: string;
  /** "" for no skin tone, "3" for one, "1,4" for a pair. */
  readonly skintone: string;
  /** The emoji this is a skin-tone variant of; its own hexcode when it is no variant. */
  readonly baseHexcode: string;
}

interface RawItem {
  hexcode: string;
  emoji: string;
  annotation: string;
  tags: string;
  openmoji_tags: string;
  group: string;
  subgroups: string;
  skintone: string | number;
  skintone_base_hexcode: string;
}

const require = createRequire(import.meta.url);

/** The folder of the installed `openmoji` package. */
export function openMojiRoot(): string {
  try {
    return dirname(require.resolve("openmoji/package.json"));
  } catch {
    throw new DataError("openMoji", "the openmoji package is not installed (it is a dependency of @duet/vlm: run pnpm install)");
  }
}

/** The installed version, recorded in caches so a new OpenMoji invalidates them. */
export function openMojiVersion(): string {
  return (JSON.parse(readFileSync(join(openMojiRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** Path of an emoji's colour SVG. */
export function openMojiSvgPath(hexcode: string): string {
  return join(openMojiRoot(), "color", "svg", `${hexcode}.svg`);
}

let cached: readonly OpenMojiItem[] | undefined;

/** All emojis, in OpenMoji's order (4,495 in version 17). */
export function openMojiItems(): readonly OpenMojiItem[] {
  if (cached !== undefined) return cached;
  const file = join(openMojiRoot(), "data", "openmoji.json");
  const raw = JSON.parse(readFileSync(file, "utf8")) as RawItem[];
  cached = raw.map((r) => ({
    hexcode: r.hexcode,
    emoji: r.emoji,
    annotation: r.annotation.trim(),
    tags: splitTags(r.tags),
    openmojiTags: splitTags(r.openmoji_tags),
    keywords: cldrKeywords(r.hexcode),
    group: r.group,
    subgroup: r.subgroups,
    skintone: String(r.skintone),
    baseHexcode: baseHexcode(r.hexcode, r.skintone_base_hexcode),
  }));
  return cached;
}

/** The five Fitzpatrick modifiers, U+1F3FB .. U+1F3FF, that turn an emoji into a skin-tone variant. */
const SKIN_TONE_MODIFIERS = new Set(["1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"]);

/**
 * The base emoji a skin-tone variant follows in the split: OpenMoji's skintone_base_hexcode when
 * it gives one, else the hexcode with the skin-tone modifiers removed (a swatch that is nothing
 * but a modifier, like 1F3FB, is its own base).
 */
export function baseHexcode(hexcode: string, skintoneBaseHexcode = ""): string {
  if (skintoneBaseHexcode !== "") return skintoneBaseHexcode;
  const kept = hexcode.split("-").filter((part) => !SKIN_TONE_MODIFIERS.has(part));
  return kept.length === 0 ? hexcode : kept.join("-");
}

function splitTags(tags: string): string[] {
  return tags
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}
