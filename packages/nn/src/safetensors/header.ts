/**
 * Reading and checking a safetensors header before any tensor byte is touched.
 *
 * Every number in the header comes from whoever wrote the file, so each is checked
 * before it is used: the header length against the file and a 100 MB cap, every shape
 * and offset for being a non-negative safe integer, shape × dtype size against the
 * declared span (without overflow), each span against the data section, and the spans
 * against each other (they must tile the data section exactly, as the reference
 * requires). Nothing is allocated from a header number: tensors are later sized by
 * spans already known to lie inside the file.
 */

import { fmtShape } from "@duet/tensor";
import { JsonNumber, JsonSyntaxError, parseJson, type JsonObject, type JsonValue } from "./json.js";
import {
  SAFETENSORS_DTYPES,
  bitsOf,
  isSafetensorsDType,
  SAFETENSORS_MAX_HEADER_BYTES,
  METADATA_KEY,
  SafetensorsError,
  type SafetensorsDType,
} from "./format.js";

/** One tensor as the header describes it. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes (padding included). */
  readonly headerLength: number;
  /** Where the data section starts in the file: 8 + N. */
  readonly dataStart: number;
  readonly dataLength: number;
  /** The tensors in header order. */
  readonly entries: readonly SafetensorsEntry[];
  /** `__metadata__`, or an empty record when the file has none. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Where errors are reported from: the calling op and the file, if any. */
export interface Origin {
  readonly op: string;
  readonly source?: string | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A short, printable description of a JSON value for error messages. */
function describe(value: JsonValue | undefined): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return `the string ${clip(JSON.stringify(value))}`;
  if (typeof value === "number") return `the number ${clip(String(value))}`;
  if (value instanceof JsonNumber) return `the number ${clip(value.text)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return "an object";
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A non-negative integer that a double holds exactly, written as an integer literal. */
function asCount(value: JsonValue | undefined): number | undefined {
  if (typeof value !== "number") return undefined; // JsonNumber: written with a fraction or exponent
  const n = value + 0; // + 0 turns -0 into 0
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function readHeader(bytes: Uint8Array, origin: Origin): SafetensorsHeader {
  const fail = (detail: string, tensor?: string): never => {
    throw new SafetensorsError(origin.op, detail, { source: origin.source, tensor });
  };

  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length that starts every safetensors file`);

  // N is a u64; read it as two u32 halves so no precision is lost before the checks
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const n = BigInt(high) * 2n ** 32n + BigInt(low);
  if (high !== 0 || low > SAFETENSORS_MAX_HEADER_BYTES) {
    fail(`header length ${n} is larger than the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit (a corrupt or hostile file)`);
  }
  const headerLength = low;
  const dataStart = 8 + headerLength;
  if (dataStart > bytes.length) {
    fail(`header length ${headerLength} runs past the end of the file: the file is ${bytes.length} bytes, so at most ${bytes.length - 8} are left for the header`);
  }
  const dataLength = bytes.length - dataStart;

  let text = "";
  const headerBytes = bytes.subarray(8, dataStart);
  try {
    // TextDecoder refuses views of shared memory: decode a private copy of those
    const shared = typeof SharedArrayBuffer !== "undefined" && headerBytes.buffer instanceof SharedArrayBuffer;
    text = utf8.decode(shared ? headerBytes.slice() : headerBytes);
  } catch {
    fail(`header (${headerLength} bytes) is not valid UTF-8`);
  }
  let root: JsonValue = null;
  try {
    root = parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) fail(`header is not valid JSON: ${error.message}`);
    throw error;
  }
  if (!(root instanceof Map)) return fail(`header must be a JSON object, got ${describe(root)}`);

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of root) {
    if (name === METADATA_KEY) metadata = readMetadata(value, fail);
    else entries.push(readEntry(name, value, dataLength, fail));
  }
  checkTiling(entries, dataLength, fail);
  return { headerLength, dataStart, dataLength, entries, metadata };
}

type Fail = (detail: string, tensor?: string) => never;

function readMetadata(value: JsonValue, fail: Fail): Record<string, string> {
  if (value === null) return {}; // the reference reads null as "no metadata"
  if (!(value instanceof Map)) return fail(`"${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
  const pairs: [string, string][] = [];
  for (const [key, item] of value) {
    if (typeof item !== "string") fail(`"${METADATA_KEY}" values must be strings, but ${JSON.stringify(key)} is ${describe(item)}`);
    pairs.push([key, item as string]);
  }
  // fromEntries defines own properties, so a key named "__proto__" stays a plain key
  return Object.fromEntries(pairs);
}

function readEntry(name: string, value: JsonValue, dataLength: number, fail: Fail): SafetensorsEntry {
  const bad = (detail: string): never => fail(detail, name);
  if (!(value instanceof Map)) return bad(`expected an object {dtype, shape, data_offsets}, got ${describe(value)}`);
  const info: JsonObject = value;

  for (const field of ["dtype", "shape", "data_offsets"]) {
    if (!info.has(field)) bad(`missing field "${field}" (an entry needs dtype, shape and data_offsets)`);
  }
  const dtypeValue = info.get("dtype");
  if (typeof dtypeValue !== "string") return bad(`"dtype" must be a string, got ${describe(dtypeValue)}`);
  if (!isSafetensorsDType(dtypeValue)) return bad(`unknown dtype ${clip(JSON.stringify(dtypeValue))}; safetensors dtypes are ${SAFETENSORS_DTYPES.join(", ")}`);
  const dtype: SafetensorsDType = dtypeValue;

  const shapeValue = info.get("shape");
  if (!Array.isArray(shapeValue)) return bad(`"shape" must be an array of dimensions, got ${describe(shapeValue)}`);
  const shape: number[] = [];
  for (let i = 0; i < shapeValue.length; i++) {
    const d = asCount(shapeValue[i]);
    if (d === undefined) return bad(`"shape" must hold non-negative integers, but dimension ${i} is ${describe(shapeValue[i])}`);
    shape.push(d);
  }

  const offsetsValue = info.get("data_offsets");
  if (!Array.isArray(offsetsValue) || offsetsValue.length !== 2) {
    return bad(`"data_offsets" must be [begin, end], got ${describe(offsetsValue)}`);
  }
  const begin = asCount(offsetsValue[0]);
  const end = asCount(offsetsValue[1]);
  if (begin === undefined || end === undefined) {
    return bad(`"data_offsets" must hold two non-negative integers, got [${describe(offsetsValue[0])}, ${describe(offsetsValue[1])}]`);
  }
  if (begin > end) bad(`"data_offsets" [${begin}, ${end}] begin after they end`);

  // elements × bits, refusing any product a double cannot hold exactly
  const bits = bitsOf(dtype);
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) bad(`shape ${fmtShape(shape)} has more elements than can be counted exactly`);
  }
  if (count > Number.MAX_SAFE_INTEGER / bits) bad(`shape ${fmtShape(shape)} of ${dtype} is too large to address`);
  if ((count * bits) % 8 !== 0) bad(`shape ${fmtShape(shape)} of ${dtype} (${bits} bits each) does not fill a whole number of bytes`);
  const nbytes = (count * bits) / 8;
  if (end - begin !== nbytes) {
    bad(
      `shape ${fmtShape(shape)} × ${dtype} (${bits / 8} bytes each) needs ${nbytes} bytes, ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  if (end > dataLength) bad(`data_offsets [${begin}, ${end}] run past the end of the data section, which is ${dataLength} bytes`);
  return { name, dtype, shape, dataOffsets: [begin, end] };
}

/**
 * The spans, sorted by offset, must follow one another with no overlap and no hole, from
 * byte 0 to the end of the data section (the reference's rule: an overlap would let one
 * byte be read as two tensors, a hole or a tail would let a file carry unindexed bytes).
 */
function checkTiling(entries: readonly SafetensorsEntry[], dataLength: number, fail: Fail): void {
  const sorted = [...entries].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of sorted) {
    const [begin, end] = entry.dataOffsets;
    if (begin < covered) {
      fail(
        `data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(previous!.name)} at [${previous!.dataOffsets[0]}, ${previous!.dataOffsets[1]}]`,
        entry.name,
      );
    }
    if (begin > covered) {
      fail(`data_offsets [${begin}, ${end}] leave bytes [${covered}, ${begin}) of the data section unused (safetensors requires the tensors to cover it without holes)`, entry.name);
    }
    covered = end;
    previous = entry;
  }
  if (covered !== dataLength) {
    fail(`the data section is ${dataLength} bytes but the tensors cover only the first ${covered} (safetensors requires them to cover it exactly)`);
  }
}
