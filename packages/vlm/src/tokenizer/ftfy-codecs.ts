/**
 * The codecs ftfy's mojibake repair is made of: single-byte charmaps (to recover the bytes a
 * wrong decoder saw), strict UTF-8 and ftfy's "utf-8-variants" (to decode them again), and the
 * two byte-level repairs it applies in between.
 *
 * Bytes are held as "binary strings": one character per byte, U+0000..U+00FF, so ftfy's byte
 * regexes run as ordinary (non-u) JavaScript regexes.
 */

import { A_GRAVE_WORD_SOURCE, ALTERED_UTF8_SOURCE, CHARMAPS, LOSSY_UTF8_SOURCE, WINDOWS_1252_STRICT } from "./data/ftfy-tables.generated.js";

export interface Charmap {
  readonly name: string;
  /** The characters bytes 0..255 decode to. */
  readonly decodeTable: string;
  /** character -> byte; a character missing here cannot be encoded. */
  readonly encodeTable: ReadonlyMap<string, number>;
}

function buildCharmap(name: string, table: string): Charmap {
  const encodeTable = new Map<string, number>();
  for (let byte = 0; byte < 256; byte++) {
    const ch = table[byte]!;
    if (ch !== "\ufffd" || name.startsWith("sloppy")) encodeTable.set(ch, byte);
  }
  return { name, decodeTable: table, encodeTable };
}

/** ftfy's CHARMAP_ENCODINGS, in the order it tries them. */
export const CHARMAP_ENCODINGS: readonly Charmap[] = CHARMAPS.map(({ name, table }) => buildCharmap(name, table));
const SLOPPY_1252 = CHARMAP_ENCODINGS.find((c) => c.name === "sloppy-windows-1252")!;

/** `text.encode(charmap)` as a binary string, or null when some character has no byte. */
export function encodeCharmap(text: string, charmap: Charmap): string | null {
  let out = "";
  for (const ch of text) {
    const byte = charmap.encodeTable.get(ch);
    if (byte === undefined) return null;
    out += String.fromCharCode(byte);
  }
  return out;
}

/** `text.encode("latin-1").decode("windows-1252")` (strict), or null if a byte is undefined there. */
export function latin1ToWindows1252(text: string): string | null {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return null;
    const ch = WINDOWS_1252_STRICT[code]!;
    if (ch === "\ufffd") return null;
    out += ch;
  }
  return out;
}

/** One C1 control (U+0080..U+009F) read as the sloppy-windows-1252 byte it probably was. */
export function c1ToWindows1252(ch: string): string {
  return SLOPPY_1252.decodeTable[ch.charCodeAt(0)]!;
}

export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ignoreBOM: Python's "utf-8" codec keeps a leading U+FEFF; TextDecoder would drop it.
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `bytes.decode("utf-8")` (strict), or null on any malformed sequence. */
export function decodeUtf8Strict(binary: string): string | null {
  try {
    return STRICT_UTF8.decode(binaryToBytes(binary));
  } catch {
    return null;
  }
}

/** ftfy's bad_codecs.utf8_variants: CESU-8 surrogate pairs, Java's C0 80 null (`$` as Python's). */
const SPECIAL_BYTES = /\xc0(?:\x80|(?=\n?$))|\xed(?:[\xa0-\xbf]|(?=\n?$))(?:[\x80-\xbf]|(?=\n?$))/;
const CESU8_PAIR = /^\xed[\xa0-\xaf][\x80-\xbf]\xed[\xb0-\xbf][\x80-\xbf]/;
const CESU8_PAIR_AT_END = /^\xed[\xa0-\xaf][\x80-\xbf]\xed[\xb0-\xbf]\n$/;

/**
 * `bytes.decode("utf-8-variants")`: strict UTF-8, plus the six-byte CESU-8 encoding of a
 * surrogate pair and the two-byte null C0 80. Null on anything else malformed.
 */
export function decodeUtf8Variants(binary: string): string | null {
  let out = "";
  let rest = binary;
  while (rest.length > 0) {
    const match = SPECIAL_BYTES.exec(rest);
    if (match === null) {
      const tail = decodeUtf8Strict(rest);
      return tail === null ? null : out + tail;
    }
    if (match.index > 0) {
      const head = decodeUtf8Strict(rest.slice(0, match.index));
      if (head === null) return null;
      out += head;
      rest = rest.slice(match.index);
      continue;
    }
    if (rest.charCodeAt(0) === 0xc0) {
      if (rest.length < 2) return null; // a lone C0 at the end
      out += "\u0000";
      rest = rest.slice(2);
      continue;
    }
    // ftfy matches CESU8_RE with Python's `$`, which also matches before a final "\n": a pair
    // whose last byte is that newline is taken too, with the newline's low bits.
    if (rest.length >= 6 && (CESU8_PAIR.test(rest) || CESU8_PAIR_AT_END.test(rest))) {
      const b = (i: number): number => rest.charCodeAt(i);
      const codePoint = ((b(1) & 0x0f) << 16) + ((b(2) & 0x3f) << 10) + ((b(4) & 0x0f) << 6) + (b(5) & 0x3f) + 0x10000;
      out += String.fromCodePoint(codePoint);
      rest = rest.slice(6);
      continue;
    }
    return null; // a lone surrogate, which strict UTF-8 rejects
  }
  return out;
}

const A_GRAVE_WORD = new RegExp(A_GRAVE_WORD_SOURCE, "g");
const ALTERED_UTF8 = new RegExp(ALTERED_UTF8_SOURCE, "g");
const LOSSY_UTF8 = new RegExp(LOSSY_UTF8_SOURCE, "g");

/** Whether the bytes hold a UTF-8 sequence that a converted U+00A0 -> space broke. */
export function hasAlteredUtf8(binary: string): boolean {
  ALTERED_UTF8.lastIndex = 0;
  return ALTERED_UTF8.test(binary);
}

/**
 * ftfy's restore_byte_a0: put back the A0 bytes some program turned into spaces, where that
 * makes a UTF-8 sequence ("Ã la" -> "à la", keeping one space as the word break).
 */
export function restoreByteA0(binary: string): string {
  const withAGrave = binary.replace(A_GRAVE_WORD, "\xc3\xa0 ");
  return withAGrave.replace(ALTERED_UTF8, (seq) => seq.replaceAll(" ", "\xa0"));
}

/** ftfy's replace_lossy_sequences: UTF-8 sequences with a lost byte (1A, or '?') become U+FFFD. */
export function replaceLossySequences(binary: string): string {
  return binary.replace(LOSSY_UTF8, "\xef\xbf\xbd");
}
