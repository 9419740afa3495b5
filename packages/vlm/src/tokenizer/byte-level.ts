/**
 * CLIP's byte-level alphabet (GPT-2's `bytes_to_unicode`): each of the 256 byte values stands
 * for one visible character, so BPE works on strings that never contain whitespace or control
 * characters yet can spell any UTF-8 byte sequence.
 *
 * The printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68
 * (controls, space, U+00A0, U+00AD) are shifted to U+0100 upwards, in byte order. So the space
 * byte 0x20 is 'Ġ' (U+0120) and the newline 0x0A is 'Ċ' (U+010A).
 */

/** The printable bytes first, then the rest: the order of CLIP's first 256 vocabulary entries. */
function byteOrder(): number[] {
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const taken = new Set(printable);
  return [...printable, ...range(0, 255).filter((b) => !taken.has(b))];
}

/** The bytes in vocabulary order, each with its character: CLIP's `bytes_to_unicode()`. */
export const BYTE_ALPHABET: ReadonlyArray<{ readonly byte: number; readonly char: string }> = (() => {
  let shifted = 0;
  return byteOrder().map((byte) => {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    return { byte, char: String.fromCharCode(printable ? byte : 0x100 + shifted++) };
  });
})();

/** byte -> its character (`byte_encoder`). */
export const BYTE_ENCODER: readonly string[] = (() => {
  const table = new Array<string>(256);
  for (const { byte, char } of BYTE_ALPHABET) table[byte] = char;
  return table;
})();

/** character -> its byte (`byte_decoder`). */
export const BYTE_DECODER: ReadonlyMap<string, number> = new Map(BYTE_ALPHABET.map(({ byte, char }) => [char, byte]));

const utf8Encoder = new TextEncoder();
// Python's bytes.decode("utf-8", errors="replace"): one U+FFFD per maximal invalid subpart (as
// WHATWG), and a leading BOM is kept, hence ignoreBOM.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The UTF-8 bytes of a pre-token, spelled in the byte alphabet. */
export function toByteSymbols(text: string): string {
  let out = "";
  for (const byte of utf8Encoder.encode(text)) out += BYTE_ENCODER[byte];
  return out;
}

/** Byte-alphabet text back to a string; invalid UTF-8 becomes U+FFFD as in Python. */
export function fromByteSymbols(symbols: string, context: string): string {
  const bytes = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const byte = BYTE_DECODER.get(symbols[i]!);
    if (byte === undefined) {
      throw new Error(`${context}: character ${JSON.stringify(symbols[i])} (U+${symbols.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0")}) is not in the byte alphabet`);
    }
    bytes[i] = byte;
  }
  return utf8Decoder.decode(bytes);
}
