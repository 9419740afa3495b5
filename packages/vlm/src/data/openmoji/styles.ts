/**
 * Drawing styles of the same emojis. One concept list (OpenMoji's metadata: annotation, tags,
 * group, subgroup, skin tone and base) and three sets of drawings of it, each from npm:
 *
 *   openmoji   OpenMoji 17, the `openmoji` package's colour SVGs            CC BY-SA 4.0
 *   noto       Google's Noto Emoji, `@iconify-json/noto`                     Apache-2.0
 *   fluent     Microsoft's Fluent Emoji Flat, `@iconify-json/fluent-emoji-flat`  MIT
 *
 * These three are the training styles. Every other emoji set is kept out of training and
 * tuning, so that transfer to a style no model here has seen can be measured fairly.
 *
 * The Iconify packages hold icon bodies (SVG markup without the <svg> element) in icons.json
 * and map code points to icon names in chars.json ("1f44b-1f3fb" → "waving-hand-light-skin-tone").
 * A code sequence is compared without U+FE0F (the emoji presentation selector, which OpenMoji
 * keeps in some hexcodes and Iconify drops) and in upper case.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DataError } from "../errors.js";
import { openMojiRoot, openMojiSvgPath, openMojiVersion } from "./metadata.js";

export type EmojiStyle = "openmoji" | "noto" | "fluent";

/** The training styles, in the order datasets list them. */
export const EMOJI_STYLES: readonly EmojiStyle[] = ["openmoji", "noto", "fluent"];

export interface StyleInfo {
  readonly style: EmojiStyle;
  /** "Noto Emoji". */
  readonly title: string;
  readonly author: string;
  readonly licence: string;
  readonly licenceUrl: string;
  readonly homepage: string;
  /** The npm package the drawings come from. */
  readonly npm: string;
}

export const STYLE_INFO: Readonly<Record<EmojiStyle, StyleInfo>> = {
  openmoji: { style: "openmoji", title: "OpenMoji", author: "OpenMoji – the open-source emoji and icon project", licence: "CC BY-SA 4.0", licenceUrl: "https://creativecommons.org/licenses/by-sa/4.0/", homepage: "https://openmoji.org/", npm: "openmoji" },
  noto: { style: "noto", title: "Noto Emoji", author: "Google", licence: "Apache-2.0", licenceUrl: "https://github.com/googlefonts/noto-emoji/blob/main/svg/LICENSE", homepage: "https://github.com/googlefonts/noto-emoji", npm: "@iconify-json/noto" },
  fluent: { style: "fluent", title: "Fluent Emoji Flat", author: "Microsoft", licence: "MIT", licenceUrl: "https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE", homepage: "https://github.com/microsoft/fluentui-emoji", npm: "@iconify-json/fluent-emoji-flat" },
};

export function isEmojiStyle(name: unknown): name is EmojiStyle {
  return typeof name === "string" && (EMOJI_STYLES as readonly string[]).includes(name);
}

/** A code sequence as styles are compared: upper case, without U+FE0F. */
export function normalizeHexcode(hexcode: string): string {
  return hexcode
    .toUpperCase()
    .split("-")
    .filter((part) => part !== "FE0F")
    .join("-");
}

interface IconifyIcon {
  body: string;
  width?: number;
  height?: number;
  left?: number;
  top?: number;
}

interface IconifySet {
  icons: Record<string, IconifyIcon>;
  aliases?: Record<string, { parent: string; hFlip?: boolean; vFlip?: boolean }>;
  width?: number;
  height?: number;
}

interface LoadedSet {
  set: IconifySet;
  /** Normalised hexcode → icon name. */
  names: Map<string, string>;
  version: string;
}

const require = createRequire(import.meta.url);
const loaded = new Map<EmojiStyle, LoadedSet>();

function iconifySet(style: Exclude<EmojiStyle, "openmoji">): LoadedSet {
  const cached = loaded.get(style);
  if (cached !== undefined) return cached;
  const npm = STYLE_INFO[style].npm;
  let root: string;
  try {
    root = dirname(require.resolve(`${npm}/package.json`));
  } catch {
    throw new DataError("emojiStyle", `the ${npm} package is not installed (it is a dependency of @duet/vlm: run pnpm install)`);
  }
  const set = JSON.parse(readFileSync(join(root, "icons.json"), "utf8")) as IconifySet;
  const chars = JSON.parse(readFileSync(join(root, "chars.json"), "utf8")) as Record<string, string>;
  const names = new Map(Object.entries(chars).map(([hex, name]) => [normalizeHexcode(hex), name]));
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  const entry = { set, names, version };
  loaded.set(style, entry);
  return entry;
}

/** The version of the package a style comes from (caches record it, so an update invalidates them). */
export function styleVersion(style: EmojiStyle): string {
  return style === "openmoji" ? openMojiVersion() : iconifySet(style).version;
}

/**
 * Drawings left out because the rasteriser cannot take them: @resvg/resvg-js 2.6.2 panics on
 * these two Noto SVGs (a Rust `unwrap` on None in resvg's geometry code), and a panic in the
 * addon aborts the whole process — it cannot be caught. Found by rendering every drawing of
 * every style one by one (noto 1.2.9, fluent-emoji-flat 1.2.6, at 16, 32 and 64 px).
 */
const UNRENDERABLE: Readonly<Record<EmojiStyle, ReadonlySet<string>>> = {
  openmoji: new Set(),
  noto: new Set(["1F4E6", "1F3F3-200D-1F308"]),
  fluent: new Set(),
};

/** Whether a style has a drawing of the emoji `hexcode` (one the rasteriser can render). */
export function styleHas(style: EmojiStyle, hexcode: string): boolean {
  if (style === "openmoji") return true; // the concept list is OpenMoji's own
  const key = normalizeHexcode(hexcode);
  return iconifySet(style).names.has(key) && !UNRENDERABLE[style].has(key);
}

/** The SVG of an emoji in a style, with where it came from (for messages). */
export function styleSvg(style: EmojiStyle, hexcode: string): { svg: string | Uint8Array; source: string } {
  if (style === "openmoji") {
    const path = openMojiSvgPath(hexcode);
    try {
      return { svg: readFileSync(path), source: path };
    } catch {
      throw new DataError("styleSvg", `no colour SVG for emoji ${hexcode} in OpenMoji (${openMojiRoot()})`, { file: path });
    }
  }
  const { set, names } = iconifySet(style);
  const name = names.get(normalizeHexcode(hexcode));
  if (name === undefined) throw new DataError("styleSvg", `${STYLE_INFO[style].title} has no drawing of emoji ${hexcode}`);
  let icon = set.icons[name];
  let flip = { h: false, v: false };
  const alias = set.aliases?.[name];
  if (icon === undefined && alias !== undefined) {
    icon = set.icons[alias.parent];
    flip = { h: alias.hFlip === true, v: alias.vFlip === true };
  }
  if (icon === undefined) throw new DataError("styleSvg", `${STYLE_INFO[style].npm}: icon ${JSON.stringify(name)} of emoji ${hexcode} is missing from icons.json`);
  return { svg: iconifyToSvg(icon, set, flip), source: `${STYLE_INFO[style].npm}:${name}` };
}

/** An Iconify icon as a standalone SVG document (its box from the icon, else the set's defaults). */
function iconifyToSvg(icon: IconifyIcon, set: IconifySet, flip: { h: boolean; v: boolean }): string {
  const left = icon.left ?? 0;
  const top = icon.top ?? 0;
  const width = icon.width ?? set.width ?? 16;
  const height = icon.height ?? set.height ?? 16;
  let body = icon.body;
  if (flip.h || flip.v) {
    const sx = flip.h ? -1 : 1;
    const sy = flip.v ? -1 : 1;
    const tx = flip.h ? 2 * left + width : 0;
    const ty = flip.v ? 2 * top + height : 0;
    body = `<g transform="translate(${tx} ${ty}) scale(${sx} ${sy})">${body}</g>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${left} ${top} ${width} ${height}" width="${width}" height="${height}">${body}</svg>`;
}

/** The credit line of the styles used, as HTML (report) — each set, its author and licence. */
export function stylesAttributionHtml(styles: readonly EmojiStyle[]): string {
  return styles
    .map((style) => {
      const info = STYLE_INFO[style];
      return `${info.title} by ${info.author} (<a href="${info.homepage}">${info.homepage.replace(/^https:\/\//, "")}</a>), licence <a href="${info.licenceUrl}">${info.licence}</a>`;
    })
    .join("; ");
}
