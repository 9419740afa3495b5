/**
 * `ftfy.fix_text(text)` of ftfy 6.3.1 with its default configuration, the first step of
 * open_clip's text cleaning. It repairs text that went through a wrong decoder or a careless
 * pipeline, which web-scraped captions often did.
 *
 * Every fix of the default configuration is reproduced, in ftfy's order, until nothing changes:
 *
 *   unescape_html          HTML5 entities ending in ';' and all-caps Latin ones (&EACUTE;), but not
 *                          on any line after one that contains '<' ("auto": it may be real HTML)
 *   fix_encoding           mojibake: when ftfy's badness heuristic fires, re-encode with the first
 *                          of latin-1, sloppy-windows-1252/1251/1250/1253/1254/1257, iso-8859-2,
 *                          macroman, cp437 that can encode the text and whose bytes then decode as
 *                          UTF-8 ("cafÃ©" -> "café", "РџСЂРёРІРµС‚" -> "Привет"); with restore_byte_a0,
 *                          replace_lossy_sequences, decode_inconsistent_utf8 (mojibake embedded
 *                          in good text), CESU-8, and C1 controls read as windows-1252
 *   fix_c1_controls        U+0080..U+009F -> their windows-1252 characters
 *   fix_latin_ligatures    "ﬁ" -> "fi" (Latin only)
 *   fix_character_width    fullwidth ASCII, halfwidth katakana, U+3000 -> standard width
 *   uncurl_quotes          ‘ ’ ‚ ‛ ʼ -> ',  “ ” „ ‟ -> "  (so curly quotes do NOT survive)
 *   fix_line_breaks        \r\n, \r, U+2028, U+2029, U+0085 -> \n
 *   fix_surrogates         unpaired UTF-16 surrogates -> U+FFFD
 *   remove_terminal_escapes  ANSI colour codes
 *   remove_control_chars   C0 controls other than \t \n \f \r, DEL, U+206A..U+206F, U+FEFF, U+FFF9..U+FFFC
 *   NFC normalisation
 *
 * The tables and the heuristics' regexes are generated from ftfy itself (tools/gen_tokenizer_tables.py).
 * Known differences, all outside real captions:
 *   - NFC uses the JavaScript engine's Unicode version (Node 20: 15.1-17), CPython 3.11's is 14:
 *     sequences of characters added since may normalise differently.
 *   - ftfy fixes a line in pieces of 1,000,000 code points; here the pieces are 1,000,000 UTF-16
 *     code units, which differs only on a single line of over half a million astral characters.
 *   - The heuristic's `\w` is translated as [\p{L}\p{N}_], CPython's is str.isalnum() or '_'
 *     (which also admits a few ideographs with a numeric value, already in \p{L}).
 */

import { BADNESS_SOURCE, CONTROL_CODEPOINTS, FTFY_UPPERCASE_ENTITY_PAIRS, LIGATURE_PAIRS, UTF8_DETECTOR_SOURCE, WIDTH_PAIRS } from "./data/ftfy-tables.generated.js";
import {
  CHARMAP_ENCODINGS,
  c1ToWindows1252,
  decodeUtf8Strict,
  decodeUtf8Variants,
  encodeCharmap,
  hasAlteredUtf8,
  latin1ToWindows1252,
  replaceLossySequences,
  restoreByteA0,
} from "./ftfy-codecs.js";
import { HTML5_ENTITIES, htmlUnescape } from "./html-unescape.js";

// ---- detecting mojibake ---------------------------------------------------------------------

const BADNESS = new RegExp(BADNESS_SOURCE, "u");
const UTF8_DETECTOR = new RegExp(UTF8_DETECTOR_SOURCE, "u");
const UTF8_DETECTOR_ALL = new RegExp(UTF8_DETECTOR_SOURCE, "gu");
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** ftfy.badness.is_bad: does the text contain a character sequence that is almost only mojibake? */
export function isBad(text: string): boolean {
  return BADNESS.test(text);
}

// ---- fix_encoding ---------------------------------------------------------------------------

/** `bytes.decode("utf-8")`, or ftfy's "utf-8-variants" when the bytes hold C0 or ED. */
function decodeUtf8Like(bytes: string): string | null {
  return bytes.includes("\xed") || bytes.includes("\xc0") ? decodeUtf8Variants(bytes) : decodeUtf8Strict(bytes);
}

/** ftfy's _fix_encoding_one_step_and_explain, without the explanation. */
function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || ASCII_ONLY.test(text) || !isBad(text)) return text;
  const possible: string[] = [];
  for (const charmap of CHARMAP_ENCODINGS) {
    let bytes = encodeCharmap(text, charmap);
    if (bytes === null) continue;
    possible.push(charmap.name);
    if (charmap.name !== "macroman" && hasAlteredUtf8(bytes)) bytes = restoreByteA0(bytes);
    if (charmap.name.startsWith("sloppy")) bytes = replaceLossySequences(bytes);
    const fixed = decodeUtf8Like(bytes);
    if (fixed !== null) return fixed;
  }
  if (UTF8_DETECTOR.test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }
  // ftfy also asks whether "windows-1252" could encode the text, but its list only ever holds
  // "sloppy-windows-1252", so the latin-1 -> windows-1252 reading is always tried.
  if (possible.includes("latin-1")) {
    const fixed = latin1ToWindows1252(text);
    if (fixed !== null && fixed !== text) return fixed;
  }
  if (C1_CONTROL.test(text)) return fixC1Controls(text);
  return text;
}

/** ftfy.fix_encoding: one-step repairs until the text stops changing. */
export function fixEncoding(text: string): string {
  for (;;) {
    const fixed = fixEncodingOneStep(text);
    if (fixed === text) return text;
    text = fixed;
  }
}

/** Mojibake embedded in otherwise good text: fix each UTF-8-looking run that looks bad on its own. */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR_ALL, (run) => (run.length < text.length && isBad(run) ? fixEncoding(run) : run));
}

// ---- the other fixers -----------------------------------------------------------------------

const C1_CONTROL = /[\x80-\x9f]/;
const C1_CONTROL_ALL = /[\x80-\x9f]/g;

function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL_ALL, c1ToWindows1252);
}

/** ftfy's HTML_ENTITIES: '&name;' for every html5 name ending in ';', plus all-caps Latin ones. */
const FTFY_ENTITIES: ReadonlyMap<string, string> = new Map([
  ...[...HTML5_ENTITIES].filter(([name]) => name.endsWith(";")).map(([name, value]): [string, string] => [`&${name}`, value]),
  ...FTFY_UPPERCASE_ENTITY_PAIRS,
]);
const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's unescape_html: only unambiguous entities (with ';'); a numeric one must consume its ';'. */
function unescapeHtml(text: string): string {
  return text.replace(FTFY_ENTITY, (entity) => {
    const named = FTFY_ENTITIES.get(entity);
    if (named !== undefined) return named;
    if (entity.startsWith("&#")) {
      const unescaped = htmlUnescape(entity);
      return unescaped.includes(";") ? entity : unescaped;
    }
    return entity;
  });
}

function translator(pairs: ReadonlyArray<readonly [string, string]>): (text: string) => string {
  const table = new Map(pairs);
  const pattern = new RegExp(`[${[...table.keys()].join("")}]`, "gu");
  return (text) => text.replace(pattern, (ch) => table.get(ch)!);
}

const fixLatinLigatures = translator(LIGATURE_PAIRS);
const fixCharacterWidth = translator(WIDTH_PAIRS);

function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

function fixLineBreaks(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(/[\r\u2028\u2029\u0085]/g, "\n");
}

/** A JS string cannot hold a Python-style split pair, so only unpaired halves remain to fix. */
function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** Python's `\d` in a str pattern is any decimal digit (Nd), not only 0-9. */
function removeTerminalEscapes(text: string): string {
  return text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, "");
}

const CONTROL_CHARS = new RegExp(`[${CONTROL_CODEPOINTS.map((c) => `\\u{${c.toString(16)}}`).join("")}]`, "gu");

function removeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, "");
}

// ---- fix_text -------------------------------------------------------------------------------

/** Text no fixer would change: printable ASCII, \t \n \f, and no '&' (which may start an entity). */
const NOTHING_TO_FIX = /^[\t\n\f\x20-\x25\x27-\x7e]*$/;
const MAX_SEGMENT = 1_000_000;

/** ftfy.fix_and_explain on one segment: every fixer in order, until a pass changes nothing. */
function fixSegment(text: string, unescape: boolean): string {
  for (;;) {
    const original = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize("NFC");
    if (text === original) return text;
  }
}

/**
 * `ftfy.fix_text(text)`: each line (with its "\n") is fixed on its own. Once a line contains '<',
 * HTML unescaping stays off for it and for every later line, as ftfy's "auto" setting does.
 */
export function fixText(text: string): string {
  if (NOTHING_TO_FIX.test(text)) return text;
  let out = "";
  let unescape = true;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos) + 1;
    if (end === 0) end = text.length;
    if (end - pos > MAX_SEGMENT) end = pos + MAX_SEGMENT;
    const segment = text.slice(pos, end);
    if (unescape && segment.includes("<")) unescape = false;
    out += fixSegment(segment, unescape);
    pos = end;
  }
  return out;
}
