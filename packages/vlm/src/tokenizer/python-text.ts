/**
 * Python's string semantics, where they differ from JavaScript's.
 *
 * open_clip cleans text with `str.split()`, `str.strip()` and `str.lower()` of CPython 3.11
 * (Unicode 14). JavaScript's `\s`, `trim()` and `toLowerCase()` disagree with them on a few
 * code points; each function here states the difference it closes. The test
 * tests/vlm/tokenizer-unicode.test.ts checks every code point against CPython's own answers.
 */

/**
 * `str.isspace()`: the code points CPython treats as whitespace — bidirectional class WS, B or S,
 * or category Zs. Unlike JS `\s` it includes U+001C..U+001F and U+0085, and excludes U+FEFF.
 */
export const PY_SPACE_CLASS = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

const SPACE_RUNS = new RegExp(`${PY_SPACE_CLASS}+`, "g");
const LEADING_SPACE = new RegExp(`^${PY_SPACE_CLASS}+`);
const TRAILING_SPACE = new RegExp(`${PY_SPACE_CLASS}+$`);

/** `str.strip()` with no argument. */
export function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, "").replace(TRAILING_SPACE, "");
}

/** `" ".join(text.split())`: every whitespace run becomes one space, none at the ends. */
export function pyCollapseWhitespace(text: string): string {
  return pyStrip(text).replace(SPACE_RUNS, " ");
}

/**
 * Upper-case letters that gained a lower-case mapping after Unicode 14 (in Unicode 15 to 17).
 * CPython 3.11's `str.lower()` leaves them as they are; JavaScript engines with newer ICU data
 * lower them. Found by comparing every code point with CPython (see the test above).
 */
const NEWER_CASED = /[\u1c89\ua7cb\ua7cc\ua7ce\ua7d2\ua7d4\ua7da\ua7dc\u{10d50}-\u{10d65}\u{16ea0}-\u{16eb8}]/u;
const NEWER_CASED_SPLIT = new RegExp(`(${NEWER_CASED.source})`, "u");

/**
 * `str.lower()`: full Unicode lower-casing, including 'İ' -> 'i̇' (two code points) and the
 * final-sigma rule ('ΟΔΟΣ' -> 'οδος'), both of which `toLowerCase()` shares with CPython.
 *
 * The letters in NEWER_CASED are kept as they are. The text is lowered piecewise around them,
 * which keeps the final-sigma rule exact: to CPython those letters are unassigned, so they are
 * neither cased nor case-ignorable, exactly like the string boundary each piece sees.
 */
export function pyLower(text: string): string {
  if (!NEWER_CASED.test(text)) return text.toLowerCase();
  return text
    .split(NEWER_CASED_SPLIT)
    .map((piece, i) => (i % 2 === 1 ? piece : piece.toLowerCase()))
    .join("");
}
