/**
 * The safetensors format, as the reference (huggingface/safetensors) defines it:
 *
 *   [8 bytes]  N, the header length, an unsigned 64-bit little-endian integer
 *   [N bytes]  a UTF-8 JSON object, optionally padded with spaces:
 *                {"__metadata__": {string: string},          (optional)
 *                 name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 *   [rest]     the data section; offsets count from its first byte, elements are
 *              little-endian and row-major
 *
 * The spans of all tensors must tile the data section exactly — no overlap, no hole,
 * nothing after the last — so one byte can never be read as two tensors and a file
 * cannot smuggle a second payload (a "polyglot").
 */

import { TensorError } from "@duet/tensor";

/** The reference reader refuses headers above 100 MB; so do we (an attacker picks N). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** The reserved header key holding free-form string-to-string metadata. */
export const METADATA_KEY = "__metadata__";

/**
 * Every dtype the reference knows, in its declaration order, which is increasing
 * alignment: writers put higher-ranked dtypes first so every tensor's data stays aligned
 * to its element size. `bits` is the element width (F4 and F6 pack below one byte).
 */
const DTYPE_TABLE = [
  ["BOOL", 8],
  ["F4", 4],
  ["F6_E2M3", 6],
  ["F6_E3M2", 6],
  ["U8", 8],
  ["I8", 8],
  ["F8_E5M2", 8],
  ["F8_E4M3", 8],
  ["F8_E8M0", 8],
  ["F8_E4M3FNUZ", 8],
  ["F8_E5M2FNUZ", 8],
  ["I16", 16],
  ["U16", 16],
  ["F16", 16],
  ["BF16", 16],
  ["I32", 32],
  ["U32", 32],
  ["F32", 32],
  ["C64", 64],
  ["F64", 64],
  ["I64", 64],
  ["U64", 64],
] as const;

export type SafetensorsDType = (typeof DTYPE_TABLE)[number][0];

/** Dtypes Duet converts to and from tensors; the rest are recognised but refused. */
export const SAFETENSORS_READABLE_DTYPES = ["F64", "F32", "F16", "BF16", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8", "BOOL"] as const;
export type ReadableDType = (typeof SAFETENSORS_READABLE_DTYPES)[number];

export const SAFETENSORS_WRITABLE_DTYPES = ["F64", "F32", "F16", "BF16", "I64", "I32"] as const;
export type WritableDType = (typeof SAFETENSORS_WRITABLE_DTYPES)[number];

export const FLOAT_DTYPES: readonly SafetensorsDType[] = ["F64", "F32", "F16", "BF16"];

const BITS = new Map<string, number>(DTYPE_TABLE.map(([name, bits]) => [name, bits]));
const RANK = new Map<string, number>(DTYPE_TABLE.map(([name], i) => [name, i]));

export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = DTYPE_TABLE.map(([name]) => name);

export function isSafetensorsDType(name: string): name is SafetensorsDType {
  return BITS.has(name);
}

export function isReadable(dtype: SafetensorsDType): dtype is ReadableDType {
  return (SAFETENSORS_READABLE_DTYPES as readonly string[]).includes(dtype);
}

export function isWritable(dtype: string): dtype is WritableDType {
  return (SAFETENSORS_WRITABLE_DTYPES as readonly string[]).includes(dtype);
}

export function bitsOf(dtype: SafetensorsDType): number {
  return BITS.get(dtype)!;
}

/** Position in the reference's dtype order (higher = wider alignment). */
export function rankOf(dtype: SafetensorsDType): number {
  return RANK.get(dtype)!;
}

/** Orders strings by Unicode code point, as Rust orders `String`s (JS's `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** False for strings with an unpaired UTF-16 surrogate, which UTF-8 (and the reference) cannot carry. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * A problem with a safetensors file or with tensors being written to one. The message
 * names the operation, the file (when there is one), the tensor, what was expected and
 * what came: `readSafetensors: model.safetensors: tensor "w": ...`.
 */
export class SafetensorsError extends TensorError {
  readonly source: string | undefined;
  readonly tensor: string | undefined;

  constructor(op: string, detail: string, where: { source?: string | undefined; tensor?: string | undefined } = {}, options?: { cause?: unknown }) {
    // a hostile file can name a tensor with megabytes: the message shows at most 200 characters
    const name = where.tensor !== undefined && where.tensor.length > 200 ? `${where.tensor.slice(0, 200)}...` : where.tensor;
    const prefix = (where.source !== undefined ? `${where.source}: ` : "") + (name !== undefined ? `tensor ${JSON.stringify(name)}: ` : "");
    super(op, prefix + detail);
    this.name = "SafetensorsError";
    this.source = where.source;
    this.tensor = where.tensor;
    if (options && "cause" in options) Object.defineProperty(this, "cause", { value: options.cause, enumerable: false, configurable: true });
  }
}
