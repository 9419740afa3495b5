/**
 * A strict JSON parser for safetensors headers.
 *
 * Why not `JSON.parse`: it silently keeps the last of two equal keys, and the format
 * forbids duplicates because parsers disagree on which copy wins — a file could show one
 * tensor to an auditing tool and another to the loader. This parser refuses duplicate
 * keys at every level, keeps objects as Maps in file order (so a key named `__proto__`
 * is just a key), keeps numbers written with a fraction or exponent apart (the reference
 * refuses `1.0` as a dimension), and limits nesting so a hostile header cannot exhaust
 * the stack. Each character is looked at a bounded number of times, so any input ends in
 * time linear in its length.
 */

import { isWellFormed } from "./format.js";

/** Integer literals a double holds exactly are plain numbers; any other number is a JsonNumber. */
export type JsonValue = null | boolean | string | number | JsonNumber | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** A number written with a fraction or an exponent (`1.0`, `1e3`), or an integer beyond 2^53, kept as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** Thrown with a position; the header reader turns it into a SafetensorsError. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

/** A safetensors header needs depth 3 (header → entry → shape); 32 leaves generous room. */
const MAX_DEPTH = 32;

export function parseJson(text: string): JsonValue {
  let pos = 0;

  const fail = (what: string): never => {
    const found = pos < text.length ? `${JSON.stringify(text[pos])}` : "the end of the header";
    throw new JsonSyntaxError(`${what} at character ${pos}, found ${found}`, pos);
  };

  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };

  const parseString = (): string => {
    // Find the closing quote, then let the native parser decode escapes: it validates
    // them by the same grammar and is much faster on escape-heavy strings.
    const start = pos;
    pos++;
    let escaped = false;
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        escaped = true;
        pos += 2; // the escaped character cannot close the string
        continue;
      }
      pos++;
    }
    pos++;
    if (!escaped) return text.slice(start + 1, pos - 1);
    let decoded: string;
    try {
      decoded = JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail("invalid escape sequence in string");
    }
    if (!isWellFormed(decoded)) {
      pos = start;
      fail("string escapes an unpaired surrogate (not Unicode text; the reference refuses it too)");
    }
    return decoded;
  };

  /** Moves past a run of digits and returns how many there were. */
  const skipDigits = (): number => {
    const from = pos;
    for (let c = text.charCodeAt(pos); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++pos));
    return pos - from;
  };

  const parseNumber = (): number | JsonNumber => {
    const start = pos;
    let integer = true;
    if (text.charCodeAt(pos) === 0x2d) pos++; // -
    if (text.charCodeAt(pos) === 0x30) pos++; // a leading 0 stands alone
    else if (skipDigits() === 0) fail("expected a digit");
    if (text.charCodeAt(pos) === 0x2e) {
      integer = false;
      pos++;
      if (skipDigits() === 0) fail("expected a digit after the decimal point");
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === 0x2d) pos++;
      if (skipDigits() === 0) fail("expected a digit in the exponent");
    }
    const literal = text.slice(start, pos);
    const value = Number(literal);
    // keep the text when a double cannot hold the value exactly, for the error message
    return integer && Number.isSafeInteger(value) ? value : new JsonNumber(literal);
  };

  const parseLiteral = <T>(word: string, value: T): T => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return fail("unexpected token");
  };

  /** `path` names where we are, for the duplicate-key message. */
  const parseValue = (depth: number, path: string): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipWhitespace();
    const c = text.charCodeAt(pos);
    if (c === 0x7b) return parseObject(depth, path); // {
    if (c === 0x5b) return parseArray(depth, path); // [
    if (c === 0x22) return parseString(); // "
    if (c === 0x74) return parseLiteral("true", true);
    if (c === 0x66) return parseLiteral("false", false);
    if (c === 0x6e) return parseLiteral("null", null);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber(); // - or a digit
    return fail("expected a value");
  };

  const parseObject = (depth: number, path: string): JsonObject => {
    pos++;
    const object: JsonObject = new Map();
    skipWhitespace();
    if (text[pos] === "}") {
      pos++;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] !== '"') fail("expected a string key");
      const keyAt = pos;
      const key = parseString();
      if (object.has(key)) {
        pos = keyAt;
        throw new JsonSyntaxError(
          `duplicate key ${JSON.stringify(key)} in ${path} at character ${keyAt} (JSON readers disagree on which copy wins, so safetensors forbids duplicates)`,
          keyAt,
        );
      }
      skipWhitespace();
      if (text[pos] !== ":") fail("expected ':' after a key");
      pos++;
      object.set(key, parseValue(depth + 1, path === "the header" ? `${JSON.stringify(key)}` : `${path}.${key}`));
      skipWhitespace();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      fail("expected ',' or '}' in an object");
    }
  };

  const parseArray = (depth: number, path: string): JsonValue[] => {
    pos++;
    const array: JsonValue[] = [];
    skipWhitespace();
    if (text[pos] === "]") {
      pos++;
      return array;
    }
    for (;;) {
      array.push(parseValue(depth + 1, path));
      skipWhitespace();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      fail("expected ',' or ']' in an array");
    }
  };

  const value = parseValue(0, "the header");
  skipWhitespace();
  if (pos !== text.length) fail("unexpected text after the JSON value");
  return value;
}
