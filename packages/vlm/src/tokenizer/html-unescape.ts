/**
 * Python's `html.unescape`, exactly: HTML5 named references (all 2,231 names of
 * `html.entities.html5`, with the longest-prefix rule for names written without ';'), and numeric
 * references with HTML5's remapping of invalid code points.
 *
 * open_clip runs it twice after ftfy, so "&amp;amp;" becomes "&".
 */

import { HTML5_ENTITY_PAIRS, HTML_INVALID_CHARREFS, HTML_INVALID_CODEPOINTS } from "./data/html5-entities.generated.js";

/** name (with or without the ';') -> replacement. A Map, so "constructor" is no entity. */
export const HTML5_ENTITIES: ReadonlyMap<string, string> = new Map(HTML5_ENTITY_PAIRS);
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map(HTML_INVALID_CHARREFS);
const INVALID_CODEPOINTS: ReadonlySet<number> = new Set(HTML_INVALID_CODEPOINTS);

/**
 * Python's `html._charref`. `[0-9]` is ASCII, and `{1,32}` counts code points (hence the u flag).
 * The third branch excludes '#', so "&#zz;" is left alone.
 */
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/** The number a run of digits spells, or Infinity once it is certainly beyond U+10FFFF. */
function parseCodePoint(digits: string, radix: 10 | 16): number {
  const significant = digits.replace(/^0+/, "");
  if (significant.length > 8) return Infinity;
  return significant === "" ? 0 : parseInt(significant, radix);
}

/** One numeric reference, as `html._replace_charref` resolves it. */
export function resolveNumericCharref(num: number): string {
  const remapped = INVALID_CHARREFS.get(num);
  if (remapped !== undefined) return remapped;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
  if (INVALID_CODEPOINTS.has(num)) return "";
  return String.fromCodePoint(num);
}

function replaceCharref(match: string, body: string): string {
  if (body[0] === "#") {
    const hex = body[1] === "x" || body[1] === "X";
    const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
    return resolveNumericCharref(parseCodePoint(digits, hex ? 16 : 10));
  }
  const exact = HTML5_ENTITIES.get(body);
  if (exact !== undefined) return exact;
  // The longest prefix (of at least 2 characters) that is a name: "&notit;" -> "¬it;".
  // Names are ASCII, so code-unit prefixes find the same ones code-point prefixes would.
  for (let end = body.length - 1; end > 1; end--) {
    const prefix = HTML5_ENTITIES.get(body.slice(0, end));
    if (prefix !== undefined) return prefix + body.slice(end);
  }
  return match;
}

/**
 * `html.unescape(text)`. One difference: CPython 3.11 raises ValueError on a decimal reference
 * of more than 4,300 digits (its int-parsing limit); here it becomes U+FFFD like any other
 * out-of-range number.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, replaceCharref);
}
