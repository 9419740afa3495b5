/**
 * CLIP's pre-tokeniser: the regex that cuts cleaned text into the pieces BPE encodes one by one.
 *
 * open_clip compiles, with the Python `regex` module and IGNORECASE,
 *
 *   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 *
 * so a piece is a special token, an English contraction suffix, a run of letters, ONE number
 * character (so "2024" is four pieces), or a run of anything else that is not whitespace.
 * Characters matched by none (whitespace, and U+0345) are dropped.
 *
 * JavaScript's `i` flag and the `regex` module's IGNORECASE agree on the literals but not on
 * the classes, so the literals are spelled case-insensitively by hand and the classes are used
 * without `i`:
 *   - letters: each ASCII letter also matches its capital, and 's' also matches 'ſ' (U+017F,
 *     whose simple case folding is 's'): "it'ſ" has the piece "'ſ", as in Python.
 *   - U+0345 COMBINING GREEK YPOGEGRAMMENI folds to 'ι'. With /iu JavaScript would count it as a
 *     letter; `regex` counts it as neither a letter nor "other", so it matches nothing.
 *   - `regex`'s `\s` is Unicode White_Space, which is not JavaScript's `\s` (that adds U+FEFF and
 *     omits U+0085). After whitespace folding only ' ' is left of them, but the class is exact anyway.
 *   - `regex` 2026.9 already has Unicode 18's letters and numbers; Node 20's ICU has Unicode 17,
 *     to which they are unassigned ("other"). They are listed below so both agree; on an engine
 *     that knows Unicode 18 the lists change nothing.
 * tests/vlm/tokenizer-unicode.test.ts checks the class of every code point against Python.
 */

/** The `regex` module's `\s`: the White_Space property. */
const REGEX_SPACE = "\\t-\\r\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** A literal that matches as the `regex` module's IGNORECASE would. */
export function caselessLiteral(literal: string): string {
  let out = "";
  for (const ch of literal) {
    if (ch === "s" || ch === "S") out += "[sSſ]";
    else if (/[a-z]/i.test(ch)) out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    else out += ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return out;
}

/** Letters new in Unicode 18 (found by comparing every code point with the `regex` module). */
const UNICODE_18_LETTERS =
  "\\u0558\\u058b\\u058c\\u208f\\u209d-\\u209f\\ua7dd\\ua7e2\\uab6c\\uab6d\\u{107bb}-\\u{107bf}\\u{10ed9}-\\u{10eee}" +
  "\\u{11b0a}\\u{11df1}\\u{18cd6}-\\u{18cda}\\u{18d1f}\\u{18d20}\\u{18e00}-\\u{19191}\\u{191a0}-\\u{191d2}" +
  "\\u{1b123}-\\u{1b128}\\u{1b168}\\u{1d6a6}\\u{1df1f}-\\u{1df24}\\u{1df2b}-\\u{1df81}\\u{1df90}-\\u{1df96}" +
  "\\u{1dfcd}-\\u{1dfff}\\u{2b81e}\\u{3d000}-\\u{3fc3f}";
/** Numbers new in Unicode 18 (cuneiform numeric signs). */
const UNICODE_18_NUMBERS = "\\u{1246f}\\u{12475}-\\u{1247f}\\u{12550}-\\u{12686}";

export const LETTERS = `[\\p{L}${UNICODE_18_LETTERS}]+`;
export const NUMBER = `[\\p{N}${UNICODE_18_NUMBERS}]`;
export const OTHER = `[^${REGEX_SPACE}\\p{L}\\p{N}\\u0345${UNICODE_18_LETTERS}${UNICODE_18_NUMBERS}]+`;
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

/** The pre-tokenising regex for a vocabulary with these special tokens (global, unicode). */
export function preTokenizer(specialTokens: readonly string[]): RegExp {
  const alternatives = [...specialTokens, ...CONTRACTIONS].map(caselessLiteral);
  return new RegExp([...alternatives, LETTERS, NUMBER, OTHER].join("|"), "gu");
}

/** The pieces of already-cleaned text, in order. */
export function preTokenize(text: string, pattern: RegExp): string[] {
  return Array.from(text.matchAll(pattern), (m) => m[0]);
}
